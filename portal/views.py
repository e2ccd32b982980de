"""The site shell: landing page, dashboard per tenant kind, friendly error pages."""

from django.shortcuts import redirect, render
from django.views.generic import TemplateView

from portal.selectors import dashboard_context
from tenants.mixins import TenantPageMixin


def landing(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "portal/landing.html")


class DashboardView(TenantPageMixin, TemplateView):
    def get_template_names(self):
        return [f"portal/dashboard_{self.tenant.kind}.html"]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | dashboard_context(self.membership)


def error_403(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)
