"""Operator review of partner listings, mounted at /operator/listings/ (cross-tenant by design)."""

from django.urls import path

from catalog import views_review as views

app_name = "review"

urlpatterns = [
    path("", views.ReviewQueueView.as_view(), name="queue"),
    path("<int:pk>/", views.ReviewVersionView.as_view(), name="version"),
    path("<int:pk>/approve/", views.ReviewApproveView.as_view(), name="approve"),
    path("<int:pk>/reject/", views.ReviewRejectView.as_view(), name="reject"),
]
