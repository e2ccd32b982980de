"""One error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


def _django_validation_to_drf(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = _django_validation_to_drf(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
        non_field = fields.pop("non_field_errors", [])
        message = non_field[0] if non_field else next(iter(fields.values()))[0] if fields else str(exc)
        body = {"error": {"code": getattr(exc, "portal_code", "invalid"), "message": message, "fields": fields}}
        response.data = body
        return response
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", str(exc))
    response.data = {"error": {"code": code, "message": str(detail), "fields": {}}}
    return response


class ApiRootSerializer(serializers.Serializer):
    docs = serializers.URLField(help_text="This API's reference.")
    schema = serializers.URLField(help_text="Its OpenAPI schema.")
    accounts_docs = serializers.URLField(help_text="The accounts API's reference (sign up, log in, two-factor).")
    accounts = serializers.URLField(help_text="The accounts API for programs (X-Session-Token).")
    me = serializers.URLField(help_text="Who you are and your organisations.")
    catalog = serializers.URLField(help_text="The public catalog.")


class ApiRootView(APIView):
    """Where to start: the reference, the schema, the accounts API and who you are."""

    permission_classes = []
    authentication_classes = []

    @extend_schema(responses=ApiRootSerializer)
    def get(self, request):
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "docs": url("api:docs"),
                "schema": url("api:schema"),
                "accounts_docs": url("api:docs-accounts"),
                "accounts": request.build_absolute_uri("/_allauth/app/v1/"),
                "me": url("api:me"),
                "catalog": url("api:catalog-offering-list"),
            }
        )
