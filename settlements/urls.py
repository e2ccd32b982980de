"""Partner pages, mounted at /partner/settlements/."""

from django.urls import path

from settlements import views

app_name = "settlements"

urlpatterns = [
    path("", views.SettlementListView.as_view(), name="list"),
    path("<int:pk>/", views.SettlementDetailView.as_view(), name="detail"),
    path("<int:pk>/csv/", views.SettlementCsvView.as_view(), name="csv"),
]
