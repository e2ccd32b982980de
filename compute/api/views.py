"""Quota API for companies (their limits, usage and requests) and for operators (every company's
requests, decisions, pool utilisation).

Company endpoints read through the scoped manager, so another company's request is a 404. Operator
endpoints are cross-tenant by design and open to operator staff only; the permission check runs
before any lookup, so a company calling them gets 403 whatever the id."""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from compute import selectors
from compute.api.serializers import (
    OperatorQuotaRequestSerializer,
    PoolEngineSerializer,
    PoolHistoryQuerySerializer,
    PoolHistorySerializer,
    PoolUtilisationSerializer,
    QuotaApproveInputSerializer,
    QuotaDefaultSerializer,
    QuotaOverrideInputSerializer,
    QuotaOverrideSerializer,
    QuotaRejectInputSerializer,
    QuotaRequestCreateSerializer,
    QuotaRequestSerializer,
    QuotaSerializer,
)
from compute.forms import LIMIT_FIELDS, OverrideForm, PoolEngineForm, QuotaDefaultForm, set_default
from compute.models import QuotaRequest, RequestState
from compute.pools import PoolEngineError, pool_engine_set, utilisation
from compute.quotas import DecisionError, decide, request_increase, set_override
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import Perm, TenantKind


class QuotaRequestFilter(django_filters.FilterSet):
    """Declared (not `filterset_fields`), so schema generation never queries the tenant-scoped manager."""

    state = django_filters.ChoiceFilter(choices=RequestState.choices)

    class Meta:
        model = QuotaRequest
        fields: list[str] = []


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    return request.data


def _form_data(form_class, serializer) -> dict:
    """The page's form, fed the API's (type-checked) input: its rules decide; its errors are the API's."""
    form = form_class(data={k: getattr(v, "pk", v) for k, v in serializer.validated_data.items()})
    if not form.is_valid():
        errors = {("non_field_errors" if k == "__all__" else k): v for k, v in form.errors.items()}
        raise serializers.ValidationError(errors)
    return form.cleaned_data


class QuotaViewSet(TenantScopedApiMixin, viewsets.ViewSet):
    """The active company's limits and usage per chip type."""

    permission = Perm.VIEW_JOBS
    tenant_kinds = (TenantKind.COMPANY,)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "chips",
                OpenApiTypes.STR,
                enum=["all"],
                description="`all`: every chip type, not only those used, with a quota, or asked about.",
            )
        ],
        responses=QuotaSerializer(many=True),
    )
    def list(self, request):
        rows = selectors.quota_rows(self.tenant, every_chip=request.query_params.get("chips") == "all")
        return Response(QuotaSerializer(rows, many=True).data)


class QuotaRequestViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The active company's quota requests, newest first; POST asks for more."""

    model = QuotaRequest
    serializer_class = QuotaRequestSerializer
    permission = Perm.VIEW_JOBS
    write_permission = Perm.REQUEST_QUOTA
    tenant_kinds = (TenantKind.COMPANY,)
    filterset_class = QuotaRequestFilter

    def get_queryset(self):
        return super().get_queryset().select_related("chip_type").order_by("-created_at", "-pk")

    @extend_schema(request=QuotaRequestCreateSerializer, responses={201: QuotaRequestSerializer})
    def create(self, request):
        data = QuotaRequestCreateSerializer(data=_body(request), context={"tenant": self.tenant})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        quota_request = request_increase(
            tenant=self.tenant,
            actor=request.user,
            chip_type=values["chip"],
            reason=values["reason"],
            **{name: values[name] for name in LIMIT_FIELDS},
        )
        return Response(QuotaRequestSerializer(quota_request).data, status=status.HTTP_201_CREATED)


class OperatorQuotaRequestViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every company's quota requests, newest first (filter `state=pending` for the queue), each with
    the company's limits now; approve or reject pending ones."""

    serializer_class = OperatorQuotaRequestSerializer
    permission = Perm.OPERATE_PLATFORM
    write_permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)
    filterset_class = QuotaRequestFilter

    def get_queryset(self):
        return selectors.every_request().order_by("-created_at", "-pk")

    def _data(self, requests) -> list:
        rows = selectors.request_rows(requests)
        context = {"current": {row.request.pk: row.current for row in rows}}
        return OperatorQuotaRequestSerializer([row.request for row in rows], many=True, context=context).data

    def _fresh(self, pk) -> dict:
        return self._data([self.get_queryset().get(pk=pk)])[0]

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._data(page))

    def retrieve(self, request, pk=None):
        return Response(self._data([self.get_object()])[0])

    def _decide(self, **decision) -> Response:
        try:
            decide(request=self.get_object(), actor=self.request.user, **decision)
        except DecisionError as exc:
            raise serializers.ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response(self._fresh(self.get_object().pk))

    @extend_schema(request=QuotaApproveInputSerializer, responses=OperatorQuotaRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: the company's quota for the chip becomes the grants (as asked unless lowered)."""
        data = QuotaApproveInputSerializer(data=_body(request), context={"quota_request": self.get_object()})
        data.is_valid(raise_exception=True)
        grants = data.validated_data
        return self._decide(
            approve=True,
            note=grants["note"].strip(),
            cards=grants.get("concurrent_cards"),
            card_hours=grants.get("card_hours_month"),
            jobs=grants.get("concurrent_jobs"),
        )

    @extend_schema(request=QuotaRejectInputSerializer, responses=OperatorQuotaRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a note the company sees."""
        data = QuotaRejectInputSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        return self._decide(approve=False, note=data.validated_data["note"].strip())


class OperatorPoolViewSet(TenantScopedApiMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every pool with cards in use, running jobs and queue length now."""

    serializer_class = PoolUtilisationSerializer
    permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)

    def get_queryset(self):
        return utilisation().order_by("name", "pk")

    @extend_schema(parameters=[PoolHistoryQuerySerializer], responses=PoolHistorySerializer)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request):
        """Cards in use per pool over the last 24 hours or 7 days (the pools page's chart)."""
        query = PoolHistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        pools = selectors.pool_rows()
        history = selectors.pool_history(pools, query.validated_data["range"])
        data = {
            "range": history.range,
            "interval_starts": history.starts,
            "pools": [
                {"pool": pool.pk, "name": pool.name, "cards_in_use": line["data"]}
                for pool, line in zip(pools, history.series, strict=True)
            ],
        }
        return Response(PoolHistorySerializer(data).data)

    @extend_schema(methods=["GET"], request=None, responses=PoolEngineSerializer)
    @extend_schema(methods=["PUT"], request=PoolEngineSerializer, responses=PoolEngineSerializer)
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def engine(self, request, pk=None):
        """The engine the pool runs on and its settings; PUT changes them (jobs already submitted stay)."""
        pool = self.get_object()
        if request.method == "PUT":
            data = PoolEngineSerializer(data=_body(request))
            data.is_valid(raise_exception=True)
            try:
                pool = pool_engine_set(pool_id=pool.pk, actor=request.user, **_form_data(PoolEngineForm, data))
            except PoolEngineError as error:
                raise serializers.ValidationError({"engine_config": error.problems}) from None
        return Response(PoolEngineSerializer(pool).data)


class OperatorOnly(TenantScopedApiMixin):
    permission = Perm.OPERATE_PLATFORM
    write_permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)


class OperatorQuotaDefaultViewSet(OperatorOnly, viewsets.ViewSet):
    """Default quotas per company size class (per chip type, or any chip); POST sets one (create or change)."""

    @extend_schema(responses=QuotaDefaultSerializer(many=True))
    def list(self, request):
        return Response(QuotaDefaultSerializer(selectors.quota_defaults(), many=True).data)

    @extend_schema(request=QuotaDefaultSerializer, responses=QuotaDefaultSerializer)
    def create(self, request):
        data = QuotaDefaultSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        default = set_default(actor=request.user, **_form_data(QuotaDefaultForm, data))
        return Response(QuotaDefaultSerializer(default).data)


class OperatorQuotaOverrideViewSet(OperatorOnly, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every company's own quotas, newest first (`q`: a company's name or credit code); POST sets one."""

    serializer_class = QuotaOverrideSerializer

    def get_queryset(self):
        return selectors.quota_overrides(search=self.request.query_params.get("q", "").strip())

    @extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="A company's name or credit code.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=QuotaOverrideInputSerializer, responses=QuotaOverrideSerializer)
    def create(self, request):
        data = QuotaOverrideInputSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        values = _form_data(OverrideForm, data)
        override = set_override(
            tenant=values["company"],
            chip_type=values["chip_type"],
            actor=request.user,
            note=values["note"],
            **{name: values[name] for name in LIMIT_FIELDS},
        )
        return Response(QuotaOverrideSerializer(override).data)
