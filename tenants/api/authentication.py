"""DRF authentication: per-tenant API keys (`Authorization: Api-Key afp_…`), and a person's
session token from the accounts API (`X-Session-Token`, from /_allauth/app/v1/)."""

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from allauth.mfa.utils import is_mfa_enabled
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tenants.middleware import SESSION_KEY
from tenants.models import Membership
from tenants.roles import MFA_REQUIRED_KINDS
from tenants.scoping import set_active_tenant
from tenants.selectors import memberships_for_user, pick_active_membership
from tenants.services.api_keys import api_key_authenticate

TENANT_HEADER = "X-Tenant"

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


class StaffMfaRequired(exceptions.PermissionDenied):
    default_code = "mfa_required"
    default_detail = _("Government and operator staff must turn on two-factor authentication before using the portal.")


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """A person signed in through the accounts API. They act in the organisation the `X-Tenant`
    header names (its id; they must belong to it), else the one they registered or chose last in
    this session, else their first — with their own role there, as on the pages."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            if self.get_session_token(request):
                raise exceptions.AuthenticationFailed(_("The session token is invalid or has expired. Log in again."))
            return None
        user, session = result
        memberships = memberships_for_user(user)
        wanted = request.headers.get(TENANT_HEADER)
        if wanted:
            try:
                tenant_id = int(wanted)
            except ValueError:
                raise exceptions.ValidationError(
                    {TENANT_HEADER: [_("Send the organisation's id, a number.")]}
                ) from None
            if not any(m.tenant_id == tenant_id for m in memberships):
                raise exceptions.PermissionDenied(_("You are not a member of this organisation."))
        else:
            tenant_id = session.get(SESSION_KEY)
        membership = pick_active_membership(memberships, tenant_id)
        if membership and membership.tenant.kind in MFA_REQUIRED_KINDS and not is_mfa_enabled(user):
            raise StaffMfaRequired()
        inner = request._request
        inner.user, inner.memberships, inner.membership = user, memberships, membership
        inner.tenant = membership.tenant if membership else None
        inner.token_session = session
        set_active_tenant(inner.tenant)
        return user, session


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


class SessionTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api.authentication.SessionTokenAuthentication"
    name = "SessionToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": (
                "A person's session token from the accounts API (/_allauth/app/v1/auth/login or signup). "
                "Add `X-Tenant: <organisation id>` to act in another of your organisations."
            ),
        }
