"""/api/v1/billing/: spending summary, monthly statements and the monthly budget."""

from django.urls import path

import statements.converters  # noqa: F401 - registers <statement_month:…>
from statements.api import views

urlpatterns = [
    path("spending/summary/", views.SpendingSummaryView.as_view(), name="statements-spending-summary"),
    path("statements/<statement_month:month>/", views.StatementApiView.as_view(), name="statements-statement"),
    path(
        "statements/<statement_month:month>/pdf/", views.StatementPdfApiView.as_view(), name="statements-statement-pdf"
    ),
    path(
        "statements/<statement_month:month>/csv/", views.StatementCsvApiView.as_view(), name="statements-statement-csv"
    ),
    path("budget/", views.BudgetApiView.as_view(), name="statements-budget"),
]
