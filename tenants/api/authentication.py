"""DRF authentication with per-tenant API keys: `Authorization: Api-Key afp_…`."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tenants.models import Membership
from tenants.scoping import set_active_tenant
from tenants.services.api_keys import api_key_authenticate

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        keyword, _sep, raw = header.partition(" ")
        if keyword not in (KEYWORD, "Bearer"):
            return None
        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        # The key acts in its own tenant with its own role, whatever the session says.
        membership = Membership(tenant=key.tenant, user=key.created_by, role=key.role)
        request._request.membership = membership
        request._request.tenant = key.tenant
        set_active_tenant(key.tenant)
        return key.created_by, key

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents the API-key header in the OpenAPI schema."""

    target_class = "tenants.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Send "Api-Key afp_…" (create keys under API keys).',
        }
