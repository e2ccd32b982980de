"""Operator pages: every partner's settlements for a month, computing and issuing a month, marking a
settlement paid, the month's CSV and the books check.

Cross-tenant by design (`Settlement.unscoped`); only operator staff with `Perm.OPERATE_PLATFORM`
get past the mixin, and that check comes before any lookup."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from settlements import periods
from settlements.choices import SettlementState
from settlements.filtersets import SettlementFilterSet
from settlements.forms import MarkPaidForm, MonthForm
from settlements.models import Settlement
from settlements.selectors import (
    can_settle,
    default_month,
    last_issued,
    month_choices,
    operator_settlements,
    operator_statements,
    payable_check,
    period_for,
    period_totals,
    unrated_usage,
)
from settlements.services.payouts import settlement_mark_paid
from settlements.services.statements import settlements_generate, settlements_issue
from settlements.views import csv_response, period_csv_response
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind

PAGE_SIZE = 50


class OperatorMixin(TenantPageMixin):
    permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)


def _list_url(month) -> str:
    return f"{reverse('settlements-operator:list')}?month={month:%Y-%m}"


def _done(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


class PeriodView(OperatorMixin, TemplateView):
    """One month: its state, totals and every partner's settlement (filtered by state or name)."""

    template_name = "settlements/operator_list.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{self.template_name}#settlements"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        last = last_issued()
        month = periods.parse(self.request.GET.get("month", "")) or default_month(last)
        params = self.request.GET.copy()
        params["month"] = f"{month:%Y-%m}"
        filterset = SettlementFilterSet(params, queryset=operator_settlements())
        settleable = can_settle(month, last)
        context |= {
            "month": month,
            "period": period_for(month),
            "months": month_choices(),
            "filters": {k: params.get(k, "") for k in ("state", "q")},
            "states": SettlementState.choices,
            "page": Paginator(filterset.qs, PAGE_SIZE).get_page(params.get("page")),
            "totals": period_totals(operator_settlements().for_month(month)),
            "closed": periods.is_closed(month),
            "can_settle": settleable,
            "unrated": unrated_usage(month) if settleable else 0,
        }
        return context


class PeriodActionView(OperatorMixin, View):
    """Generate (refresh the drafts) or issue one month; the outcome comes back as a message."""

    def post(self, request):
        form = MonthForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors["month"]))
            return _done(request, reverse("settlements-operator:list"))
        month = form.cleaned_data["month"]
        try:
            messages.success(request, self.perform(month))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return _done(request, _list_url(month))

    def perform(self, month) -> str:
        raise NotImplementedError


class GenerateView(PeriodActionView):
    def perform(self, month) -> str:
        period = settlements_generate(month=month, acting_membership=self.membership)
        n = operator_settlements().filter(period=period).count()
        return _("Draft statements for %(month)s computed for %(n)d partners. Check them, then issue.") % {
            "month": f"{month:%Y-%m}",
            "n": n,
        }


class IssueView(PeriodActionView):
    def perform(self, month) -> str:
        period = settlements_issue(month=month, acting_membership=self.membership)
        n = operator_settlements().filter(period=period).count()
        return _("%(month)s is issued: %(n)d partners can now see their statements.") % {
            "month": f"{month:%Y-%m}",
            "n": n,
        }


def _settlement(pk: int) -> Settlement:
    return get_object_or_404(operator_statements(), pk=pk)


class SettlementView(OperatorMixin, TemplateView):
    """One partner's statement with its lines, and the payment form."""

    template_name = "settlements/operator_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context |= {"settlement": _settlement(kwargs["pk"]), "form": kwargs.get("form") or MarkPaidForm()}
        return context


class SettlementCsvView(OperatorMixin, View):
    def get(self, request, pk: int):
        return csv_response(_settlement(pk))


class MarkPaidView(OperatorMixin, View):
    """From a row of the month's list (htmx) the row comes back updated; from the statement page the
    operator goes back to it."""

    def post(self, request, pk: int):
        settlement = get_object_or_404(Settlement.unscoped.all(), pk=pk)
        from_row = bool(request.htmx) and request.htmx.target == f"settlement-row-{pk}"
        form = MarkPaidForm(request.POST)
        errors: list[str] = []
        if form.is_valid():
            try:
                settlement = settlement_mark_paid(
                    settlement=settlement, acting_membership=self.membership, reference=form.cleaned_data["reference"]
                )
            except ValidationError as exc:
                errors = exc.messages
        else:
            errors = [e for field_errors in form.errors.values() for e in field_errors]
        if from_row:
            row = operator_settlements().get(pk=pk)
            return render(request, "settlements/operator_list.html#row", {"s": row, "row_errors": errors})
        for message in errors:
            messages.error(request, message)
        if not errors:
            messages.success(request, _("Marked paid."))
        return _done(request, reverse("settlements-operator:detail", args=[pk]))


class PeriodCsvView(OperatorMixin, View):
    """Every partner's settlement of the month (`?month=YYYY-MM`)."""

    def get(self, request):
        month = periods.parse(request.GET.get("month", ""))
        period = period_for(month) if month else None
        if period is None:
            raise Http404
        return period_csv_response(period, month)


class BooksCheckView(OperatorMixin, TemplateView):
    """Each partner's payable account against the settlements (see `selectors.PayableCheck`)."""

    template_name = "settlements/operator_check.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = payable_check()
        context |= {"rows": rows, "mismatches": sum(1 for r in rows if r.difference_fen)}
        return context
