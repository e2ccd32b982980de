from rest_framework.permissions import BasePermission

from tenants.access import NoActiveTenant, enforce


class IsTenantMember(BasePermission):
    """Default API permission: an authenticated member of the active tenant holding the view's
    `permission` (read from `required_permission` / `permission` on the view)."""

    message = "You are not a member of an organisation."

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        permission = (
            view.required_permission(request)
            if hasattr(view, "required_permission")
            else getattr(view, "permission", None)
        )
        try:
            enforce(request._request, permission, getattr(view, "tenant_kinds", None))
        except NoActiveTenant:
            return False
        return True
