from django.conf import settings
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("notifications.urls")),
    path("catalog/", include("catalog.urls")),
    path("partner/", include("catalog.urls_partner")),
    path("operator/listings/", include("catalog.urls_review")),
    path("jobs/", include("jobs.urls")),
    path("compute/", include("compute.urls")),
    path("operator/compute/", include("compute.urls_operator")),
    path("payments/", include("payments.urls")),
    path("billing/", include("statements.urls")),
    path("partner/settlements/", include("settlements.urls")),
    path("operator/settlements/", include("settlements.urls_operator")),
    path("vouchers/", include("vouchers.urls")),
    path("gov/", include("vouchers.urls_gov")),
    path("api/v1/", include("portal.api_urls")),
    path("", include("tenants.urls")),
]

handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
