"""A company's quota pages, mounted at /compute/."""

from django.urls import path

from compute import views

app_name = "compute"

urlpatterns = [
    path("quotas/", views.QuotasView.as_view(), name="quotas"),
    path("quotas/request/", views.QuotaRequestView.as_view(), name="quota-request"),
    # Operators only: the name `compute.quotas` notifies operators with (see OperatorQuotaRequestsRedirect).
    path("quota-requests/", views.OperatorQuotaRequestsRedirect.as_view(), name="quota-requests"),
]
