"""Company spending, statements and budget pages, mounted at /billing/."""

from django.urls import path

import statements.converters  # noqa: F401 - registers <statement_month:…>
from statements import views

app_name = "statements"

urlpatterns = [
    path("spending/", views.SpendingView.as_view(), name="spending"),
    path("budget/", views.BudgetView.as_view(), name="budget"),
    path("statements/<statement_month:month>/", views.StatementView.as_view(), name="statement"),
    path("statements/<statement_month:month>/pdf/", views.StatementPdfView.as_view(), name="statement-pdf"),
    path("statements/<statement_month:month>/csv/", views.StatementCsvView.as_view(), name="statement-csv"),
]
