"""Resolve the active tenant for each request and enforce MFA for government and operator staff."""

from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tenants.roles import MFA_REQUIRED_KINDS
from tenants.scoping import tenant_context
from tenants.selectors import memberships_for_user, pick_active_membership

SESSION_KEY = "active_tenant_id"


class ActiveTenantMiddleware:
    """Sets `request.membership`, `request.tenant`, `request.memberships` and runs the rest of the
    request inside `tenant_context(request.tenant)` — the scope every tenant-owned query uses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        request.membership = None
        if request.user.is_authenticated:
            request.memberships = memberships_for_user(request.user)
            request.membership = pick_active_membership(request.memberships, request.session.get(SESSION_KEY))
        request.tenant = request.membership.tenant if request.membership else None
        with tenant_context(request.tenant):
            return self.get_response(request)


# Paths a staff member without MFA may still reach: to set MFA up, log out, or change language.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/tenant/switch/", "/notifications/bell/")


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if (
            tenant is not None
            and tenant.kind in MFA_REQUIRED_KINDS
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not is_mfa_enabled(request.user)
        ):
            message = _("Government and operator staff must turn on two-factor authentication before using the portal.")
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "mfa_required", "message": message}}, status=403)
            messages.warning(request, message)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
