"""Operator pages for pools and quotas, mounted at /operator/compute/ (cross-tenant by design)."""

from django.urls import path

from compute import views

app_name = "compute-operator"

urlpatterns = [
    path("pools/", views.PoolsView.as_view(), name="pools"),
    path("pools/<int:pk>/engine/", views.PoolEngineView.as_view(), name="pool-engine"),
    path("quotas/", views.OperatorQuotasView.as_view(), name="quotas"),
    path("quotas/defaults/", views.QuotaDefaultSetView.as_view(), name="quota-default-set"),
    path("quotas/overrides/", views.QuotaOverrideSetView.as_view(), name="quota-override-set"),
    path("quota-requests/", views.QuotaRequestsView.as_view(), name="quota-requests"),
    path("quota-requests/<int:pk>/approve/", views.QuotaApproveView.as_view(), name="quota-request-approve"),
    path("quota-requests/<int:pk>/reject/", views.QuotaRejectView.as_view(), name="quota-request-reject"),
]
