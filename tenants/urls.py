from django.urls import path

from tenants import views

app_name = "tenants"

urlpatterns = [
    path("onboarding/", views.onboarding, name="onboarding"),
    path("tenant/switch/", views.switch_tenant, name="switch"),
    path("invitations/<str:token>/", views.invitation_detail, name="invitation"),
    path("members/", views.MembersView.as_view(), name="members"),
    path("members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member-role"),
    path("members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member-remove"),
    path("members/invitations/<int:pk>/revoke/", views.InvitationRevokeView.as_view(), name="invitation-revoke"),
    path("api-keys/", views.ApiKeysView.as_view(), name="api-keys"),
    path("api-keys/<int:pk>/revoke/", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("organisation/", views.OrganisationView.as_view(), name="organisation"),
    path("operator/tenants/", views.OperatorTenantsView.as_view(), name="operator-tenants"),
    path("operator/tenants/<int:pk>/verify/", views.OperatorTenantVerifyView.as_view(), name="operator-tenant-verify"),
]
