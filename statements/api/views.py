"""Spending, statements and budget over the API: the active company's only, like the pages.

Reading needs `Perm.VIEW_BILLING`; changing the budget needs `Perm.MANAGE_BILLING`. A statement
is addressed by month and built for the caller's company, so a month outside its history is a 404.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from statements.api.serializers import (
    MonthlyBudgetInputSerializer,
    MonthlyBudgetSerializer,
    SpendingQuerySerializer,
    SpendingSummaryResponseSerializer,
    StatementSerializer,
)
from statements.exports import filename, statement_csv, statement_pdf
from statements.selectors import daily_spend, spending, statement_for, statement_months
from statements.services import budget_clear, budget_set
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import Perm, TenantKind

MONTH_PARAMETER = OpenApiParameter(
    "month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM", pattern=r"^\d{4}-\d{2}$"
)


class BillingApiView(TenantScopedApiMixin, APIView):
    permission = Perm.VIEW_BILLING
    write_permission = Perm.MANAGE_BILLING
    tenant_kinds = (TenantKind.COMPANY,)


class SpendingSummaryView(BillingApiView):
    @extend_schema(parameters=[SpendingQuerySerializer], responses=SpendingSummaryResponseSerializer)
    def get(self, request):
        """Balance, held funds, vouchers left, this month against the budget, daily spend by pool and
        template over the last 30 or 90 days, and the months that have a statement."""
        query = SpendingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = spending(self.tenant)
        body = {
            "summary": summary,
            "daily": daily_spend(self.tenant, days=query.validated_data["days"]),
            "statements": [str(m) for m in statement_months(summary.funds)],
        }
        return Response(SpendingSummaryResponseSerializer(body).data)


class StatementApiView(BillingApiView):
    @extend_schema(parameters=[MONTH_PARAMETER], responses=StatementSerializer)
    def get(self, request, month):
        """The month's statement: balances, top-ups, usage per job with who paid it, totals."""
        found = statement_for(self.tenant, month)
        if found is None:
            raise NotFound
        return Response(StatementSerializer(found).data)


class StatementDownloadView(BillingApiView):
    """The month's statement as a file, the same as the statement page's downloads."""

    content_type: str
    extension: str

    def render_file(self, statement) -> bytes:
        raise NotImplementedError

    def get(self, request, month):
        found = statement_for(self.tenant, month)
        if found is None:
            raise NotFound
        response = HttpResponse(self.render_file(found), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename(found, self.extension)}"'
        return response


class StatementPdfApiView(StatementDownloadView):
    content_type = "application/pdf"
    extension = "pdf"

    def render_file(self, statement) -> bytes:
        return statement_pdf(statement)

    @extend_schema(parameters=[MONTH_PARAMETER], responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, month):
        """The month's statement as a PDF."""
        return super().get(request, month)


class StatementCsvApiView(StatementDownloadView):
    content_type = "text/csv; charset=utf-8"
    extension = "csv"

    def render_file(self, statement) -> bytes:
        return statement_csv(statement)

    @extend_schema(parameters=[MONTH_PARAMETER], responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, month):
        """The month's usage per job as CSV."""
        return super().get(request, month)


class BudgetApiView(BillingApiView):
    def _current(self) -> Response:
        return Response(MonthlyBudgetSerializer(spending(self.tenant)).data)

    @extend_schema(responses=MonthlyBudgetSerializer)
    def get(self, request):
        """The monthly budget (null when none is set) and this month's spend against it."""
        return self._current()

    @extend_schema(request=MonthlyBudgetInputSerializer, responses=MonthlyBudgetSerializer)
    def put(self, request):
        """Set or change the monthly budget. Owners, admins and billing members are notified when
        the month's spend reaches 80% and 100% of it."""
        data = MonthlyBudgetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        budget_set(tenant=self.tenant, amount_fen=data.validated_data["amount_fen"], actor=request.user)
        return self._current()

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Remove the monthly budget."""
        budget_clear(tenant=self.tenant, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
