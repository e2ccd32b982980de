"""Partner pages: the active partner's own settlements (issued or paid), each with its lines and a
CSV. Settlements come from the scoped manager, so another partner's is a 404 like a missing one;
drafts are not shown (they may still change)."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import TemplateView

from settlements.exports import period_csv, settlement_csv
from settlements.models import Settlement
from settlements.selectors import operator_settlements, partner_settlements, partner_statements, partner_summary
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind

PAGE_SIZE = 24


class PartnerSettlementMixin(TenantPageMixin):
    model = Settlement
    permission = Perm.VIEW_SETTLEMENTS
    tenant_kinds = (TenantKind.PARTNER,)

    def get_settlement(self, pk: int) -> Settlement:
        return get_object_or_404(partner_statements(), pk=pk)

    def http_method_not_allowed(self, request, *args, **kwargs):
        if "pk" in kwargs:  # another partner's settlement is a 404 for every method, like a missing one
            self.get_settlement(kwargs["pk"])
        return super().http_method_not_allowed(request, *args, **kwargs)


class SettlementListView(PartnerSettlementMixin, TemplateView):
    template_name = "settlements/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(partner_settlements(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        context |= {
            "page": page,
            "summary": partner_summary(),
            "largest_net": max((s.net_fen for s in page), default=0),
        }
        return context


class SettlementDetailView(PartnerSettlementMixin, TemplateView):
    template_name = "settlements/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["settlement"] = self.get_settlement(kwargs["pk"])
        return context


def csv_response(settlement: Settlement) -> HttpResponse:
    response = HttpResponse(settlement_csv(settlement), content_type="text/csv; charset=utf-8")
    filename = f"settlement-{settlement.period.month:%Y-%m}-{settlement.tenant_id}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def period_csv_response(period, month) -> HttpResponse:
    """Every partner's settlement of the month as one CSV (the operators' page and API)."""
    response = HttpResponse(
        period_csv(period, operator_settlements().for_month(month)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="settlements-{month:%Y-%m}.csv"'
    return response


class SettlementCsvView(PartnerSettlementMixin, View):
    def get(self, request, pk: int):
        return csv_response(self.get_settlement(pk))
