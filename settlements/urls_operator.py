"""Operator pages, mounted at /operator/settlements/."""

from django.urls import path

from settlements import views_operator as views

app_name = "settlements-operator"

urlpatterns = [
    path("", views.PeriodView.as_view(), name="list"),
    path("generate/", views.GenerateView.as_view(), name="generate"),
    path("issue/", views.IssueView.as_view(), name="issue"),
    path("csv/", views.PeriodCsvView.as_view(), name="csv"),
    path("check/", views.BooksCheckView.as_view(), name="check"),
    path("<int:pk>/", views.SettlementView.as_view(), name="detail"),
    path("<int:pk>/csv/", views.SettlementCsvView.as_view(), name="settlement-csv"),
    path("<int:pk>/mark-paid/", views.MarkPaidView.as_view(), name="mark-paid"),
]
