"""Page views of tenant-owned data inherit `TenantPageMixin`.

It requires a signed-in member of the active tenant with the declared permission; querysets come
from the model's scoped default manager, so an object of another tenant is a 404 like a missing one.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect

from tenants.access import NoActiveTenant, enforce
from tenants.roles import Perm


class TenantPageMixin(LoginRequiredMixin):
    permission: Perm | None = Perm.VIEW_DASHBOARD
    tenant_kinds: tuple[str, ...] | None = None
    model = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            enforce(request, self.required_permission(request), self.tenant_kinds)
        except NoActiveTenant:
            return redirect("tenants:onboarding")
        return super().dispatch(request, *args, **kwargs)

    def required_permission(self, request) -> Perm | None:
        return self.permission

    def get_queryset(self):
        return self.model.objects.all()  # scoped to request.tenant by the manager

    @property
    def membership(self):
        return self.request.membership

    @property
    def tenant(self):
        return self.request.tenant
