"""/api/v1/: every route here is tenant-scoped unless it says otherwise."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from audit.api.views import AuditEntryViewSet
from notifications.api.views import NotificationViewSet
from portal.api import ApiRootView
from portal.security import api_docs_view
from tenants.api import views as tenant_api

router = SimpleRouter()
router.register("members", tenant_api.MemberViewSet, basename="member")
router.register("invitations", tenant_api.InvitationViewSet, basename="invitation")
router.register("api-keys", tenant_api.ApiKeyViewSet, basename="api-key")
router.register("audit", AuditEntryViewSet, basename="audit")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("operator/tenants", tenant_api.OperatorTenantViewSet, basename="operator-tenant")

app_name = "api"

urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("me/", tenant_api.MeView.as_view(), name="me"),
    path("organisation/", tenant_api.OrganisationView.as_view(), name="organisation"),
    path("organisations/", tenant_api.OrganisationRegisterView.as_view(), name="organisation-register"),
    path("invitations/accept/", tenant_api.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]), name="schema"),
    path(
        "docs/",
        api_docs_view(url_name="api:schema", permission_classes=[], authentication_classes=[]),
        name="docs",
    ),
    path(
        "docs/accounts/",
        api_docs_view(
            url="/_allauth/openapi.json",
            title="AI Factory Portal: accounts API",
            permission_classes=[],
            authentication_classes=[],
        ),
        name="docs-accounts",
    ),
    path("catalog/", include("catalog.api.urls")),
    path("partner/", include("catalog.api.urls_partner")),
    path("payments/", include("payments.api.urls")),
    path("billing/", include("statements.api.urls")),
    path("", include("compute.api.urls")),
    path("", include("jobs.api.urls")),
    path("", include("settlements.api.urls")),
    path("", include("vouchers.api.urls")),
    path("", include(router.urls)),
]
