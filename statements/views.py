"""Company pages about money spent: the spending dashboard, monthly statements (HTML, PDF, CSV)
and the monthly budget.

Everyone who may see billing (`Perm.VIEW_BILLING`, viewers included) sees the pages; only
`Perm.MANAGE_BILLING` changes the budget. A statement is addressed by its month alone and always
built for the active company, so there is no other company's statement to reach; a month outside
the company's history is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from billing.services.ledger import format_fen
from statements.exports import filename, statement_csv, statement_pdf
from statements.forms import BudgetForm
from statements.selectors import (
    CHART_DAYS,
    Statement,
    budget_for,
    daily_spend,
    monthly_spend,
    spending,
    statement_for,
    statement_months,
)
from statements.services import budget_clear, budget_set
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind, has_perm
from tenants.views import _add_errors


class BillingPageMixin(TenantPageMixin):
    permission = Perm.VIEW_BILLING
    tenant_kinds = (TenantKind.COMPANY,)

    @property
    def can_manage(self) -> bool:
        return has_perm(self.membership, Perm.MANAGE_BILLING)


class SpendingView(BillingPageMixin, TemplateView):
    """Balance, held funds, vouchers, this month against the budget, daily spend and statements."""

    template_name = "statements/spending.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        days = _chart_days(self.request.GET.get("days"))
        summary = spending(self.tenant)
        chart = daily_spend(self.tenant, days=days)
        per_month = monthly_spend(self.tenant)
        context |= {
            "summary": summary,
            "chart": chart.as_json(),
            "chart_total_fen": sum(chart.totals),
            "days": days,
            "day_choices": CHART_DAYS,
            "months": [(m, per_month.get(m, 0)) for m in statement_months(summary.funds)],
            "can_manage": self.can_manage,
        }
        return context


def _chart_days(value: str | None) -> int:
    """The chart's window: one of `CHART_DAYS`, else the first."""
    return int(value) if value in {str(d) for d in CHART_DAYS} else CHART_DAYS[0]


class StatementMixin(BillingPageMixin):
    def statement(self) -> Statement:
        found = statement_for(self.tenant, self.kwargs["month"])
        if found is None:
            raise Http404
        return found


class StatementView(StatementMixin, TemplateView):
    template_name = "statements/statement.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"statement": self.statement()}


class StatementPdfView(StatementMixin, View):
    def get(self, request, month):
        st = self.statement()
        response = HttpResponse(statement_pdf(st), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename(st, "pdf")}"'
        return response


class StatementCsvView(StatementMixin, View):
    def get(self, request, month):
        st = self.statement()
        response = HttpResponse(statement_csv(st), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename(st, "csv")}"'
        return response


class BudgetView(BillingPageMixin, View):
    """Set, change or remove the monthly budget. The form is of no use to a viewer: 403."""

    permission = Perm.MANAGE_BILLING
    template_name = "statements/budget.html"

    def get(self, request):
        budget = budget_for(self.tenant)
        initial = {"amount": format_fen(budget.amount_fen).replace(",", "")} if budget else {}
        return self.render_form(BudgetForm(initial=initial))

    def post(self, request):
        if "clear" in request.POST:
            if budget_clear(tenant=self.tenant, actor=request.user):
                messages.success(request, _("The monthly budget is removed."))
            return self._done()
        form = BudgetForm(request.POST)
        if form.is_valid():
            try:
                budget_set(tenant=self.tenant, amount_fen=form.amount_fen(), actor=request.user)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, _("The monthly budget is ¥%(amount)s.") % {"amount": format_fen(form.amount_fen())}
                )
                return self._done()
        return self.render_form(form, status=400)

    def render_form(self, form, status: int = 200):
        template = f"{self.template_name}#budget-form" if self.request.htmx else self.template_name
        context = {"form": form, "summary": spending(self.tenant)}
        return render(self.request, template, context, status=status)

    def _done(self):
        url = reverse("statements:spending")
        return HttpResponseClientRedirect(url) if self.request.htmx else redirect(url)
