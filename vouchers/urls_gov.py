"""Government pages, mounted at /gov/."""

from django.urls import path

from vouchers import views_gov as views

app_name = "vouchers-gov"

urlpatterns = [
    path("programs/", views.ProgramsView.as_view(), name="programs"),
    path("programs/new/", views.ProgramFormView.as_view(), name="program-new"),
    path("programs/<int:pk>/", views.ProgramView.as_view(), name="program"),
    path("programs/<int:pk>/edit/", views.ProgramFormView.as_view(), name="program-edit"),
    path("programs/<int:pk>/<str:action>/", views.ProgramActionView.as_view(), name="program-action"),
    path("programs/<int:pk>/report.<str:fmt>", views.ReportExportView.as_view(), name="report-export"),
    path("review/", views.ReviewQueueView.as_view(), name="queue"),
    path("review/bulk/", views.BulkDecisionView.as_view(), name="bulk"),
    path("applications/<int:pk>/", views.ApplicationView.as_view(), name="application"),
    path("vouchers/", views.IssuedVouchersView.as_view(), name="vouchers"),
    path("vouchers/<int:pk>/revoke/", views.RevokeView.as_view(), name="revoke"),
]
