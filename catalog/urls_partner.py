"""Partner self-service pages, mounted at /partner/."""

from django.urls import path

from catalog import views_partner as views

app_name = "partner"

urlpatterns = [
    path("listings/", views.ListingListView.as_view(), name="listings"),
    path("listings/new/<str:kind>/", views.ListingCreateView.as_view(), name="listing-create"),
    path("listings/import/", views.ListingImportView.as_view(), name="listing-import"),
    path("listings/export.csv", views.ListingExportView.as_view(), {"fmt": "csv"}, name="listing-export-csv"),
    path("listings/export.xlsx", views.ListingExportView.as_view(), {"fmt": "xlsx"}, name="listing-export-xlsx"),
    path("listings/<int:pk>/", views.ListingDetailView.as_view(), name="listing-detail"),
    path("listings/<int:pk>/edit/", views.ListingEditView.as_view(), name="listing-edit"),
    path("listings/<int:pk>/preview/", views.ListingPreviewView.as_view(), name="listing-preview"),
    path("listings/<int:pk>/submit/", views.ListingSubmitView.as_view(), name="listing-submit"),
    path("listings/<int:pk>/withdraw/", views.ListingWithdrawView.as_view(), name="listing-withdraw"),
    path("listings/<int:pk>/new-version/", views.ListingNewVersionView.as_view(), name="listing-new-version"),
    path("listings/<int:pk>/retire/", views.ListingRetireView.as_view(), name="listing-retire"),
]
