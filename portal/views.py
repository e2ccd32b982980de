"""The site shell: landing page, dashboard per tenant kind, friendly error pages."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from rest_framework.exceptions import NotFound

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


def _api_error(request, code: str, message, status: int) -> JsonResponse | None:
    """Under /api/ even Django's own errors (no route, a crash) answer in the API's error shape."""
    if not request.path.startswith("/api/"):
        return None
    return JsonResponse({"error": {"code": code, "message": str(message), "fields": {}}}, status=status)


def error_404(request, exception=None):
    return _api_error(request, "not_found", NotFound.default_detail, 404) or render(request, "404.html", status=404)


def error_500(request):
    message = _("Something went wrong on our side")
    return _api_error(request, "server_error", message, 500) or render(request, "500.html", status=500)
