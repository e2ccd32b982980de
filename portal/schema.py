"""The OpenAPI schema's additions to drf-spectacular's: every operation documents the API's one
error shape for the errors any call can get, and operations decorated with `@idempotent` document
the `Idempotency-Key` header and its 422."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from idempotency.api import PARAMETER as IDEMPOTENCY_PARAMETER


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="What went wrong, for programs: invalid, not_found, four_eyes …")
    message = serializers.CharField(help_text="For people, in the caller's language.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field; empty when the error is not about one field.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    "400": _error("The request is not valid (error.fields says where) or cannot be done (error.code says why)."),
    "401": _error("No credentials, or an invalid or revoked API key."),
    "403": _error("Your role or organisation may not do this."),
    "404": _error("No such object in your organisation."),
    "429": _error("Too many requests: wait as long as the Retry-After header says."),
}
BODY_ERRORS = {
    "413": _error("The request body is too large."),
    "415": _error("The body's media type is not one this operation accepts."),
}
REUSED_KEY = {"422": _error("This Idempotency-Key was already used with a different body.")}


class PortalAutoSchema(AutoSchema):
    def _idempotent(self) -> bool:
        action = getattr(self.view, "action", None) or self.method.lower()
        return getattr(getattr(self.view, action, None), "idempotent", False)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._idempotent():
            parameters = [*parameters, IDEMPOTENCY_PARAMETER]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        extra = dict(ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            extra |= BODY_ERRORS
        if self._idempotent():
            extra |= REUSED_KEY
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
