"""Quota pages of a company, and the operators' quota and pool pages.

Company pages read the active company's requests through the scoped manager, so another company's
request is never in reach. Operator pages are cross-tenant by design (requests and overrides of
every company, through `compute.selectors`) and open only to operator staff: the permission check
in `TenantPageMixin.dispatch` runs before any lookup."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import RedirectView, TemplateView
from django_htmx.http import HttpResponseClientRedirect

from catalog.models import ChipType
from compute import selectors
from compute.forms import (
    LIMIT_FIELDS,
    DecisionForm,
    OverrideForm,
    PoolEngineForm,
    QuotaDefaultForm,
    QuotaRequestForm,
    set_default,
)
from compute.models import Pool
from compute.pools import PoolEngineError, pool_engine_set
from compute.quotas import BUILT_IN, DecisionError, decide, request_increase, set_override
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind, has_perm

REQUESTS_PAGE_SIZE = 25
OVERRIDES_PAGE_SIZE = 50


def _is_fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _done(request, url_name: str) -> HttpResponse:
    url = reverse(url_name)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _chip(value: str | None) -> ChipType | None:
    """A chip type from a query parameter: its id (the form's select) or its slug (links)."""
    if not value:
        return None
    lookup = {"pk": int(value)} if value.isdecimal() else {"slug": value}
    return ChipType.objects.filter(**lookup).first()


# --- Company ----------------------------------------------------------------------------------------


class CompanyQuotaMixin(TenantPageMixin):
    permission = Perm.VIEW_JOBS
    tenant_kinds = (TenantKind.COMPANY,)


class QuotasView(CompanyQuotaMixin, TemplateView):
    """Meters per chip type and the company's requests; `?chips=all` lists every chip type."""

    template_name = "compute/quotas.html"

    def get_template_names(self):
        return [f"{self.template_name}#meters" if _is_fragment(self.request) else self.template_name]

    def get_context_data(self, **kwargs):
        every_chip = self.request.GET.get("chips") == "all"
        return super().get_context_data(**kwargs) | {
            "quota_rows": selectors.quota_rows(self.tenant, every_chip=every_chip),
            "every_chip": every_chip,
            "page": Paginator(selectors.company_requests(), REQUESTS_PAGE_SIZE).get_page(self.request.GET.get("page")),
            "can_request": has_perm(self.membership, Perm.REQUEST_QUOTA),
        }


class QuotaRequestView(CompanyQuotaMixin, View):
    """The request form. GET `?chip=` prefills the company's limits now for that chip (the chip
    select re-fetches the form this way, keeping the reason typed so far)."""

    permission = Perm.REQUEST_QUOTA
    template_name = "compute/quota_request.html"

    def get(self, request):
        chip = _chip(request.GET.get("chip_type") or request.GET.get("chip"))
        form = QuotaRequestForm.for_chip(tenant=self.tenant, chip=chip, reason=request.GET.get("reason", ""))
        return self.render_form(form)

    def post(self, request):
        form = QuotaRequestForm(request.POST, tenant=self.tenant)
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = form.cleaned_data
        request_increase(
            tenant=self.tenant,
            actor=request.user,
            chip_type=data["chip_type"],
            reason=data["reason"],
            **{name: data[name] for name in LIMIT_FIELDS},
        )
        messages.success(request, _("Your request is sent. You will be notified when the operator decides."))
        return _done(request, "compute:quotas")

    def render_form(self, form: QuotaRequestForm, status: int = 200) -> HttpResponse:
        template = f"{self.template_name}#form" if _is_fragment(self.request) else self.template_name
        return render(self.request, template, {"form": form}, status=status)


# --- Operator: requests ---------------------------------------------------------------------------


class OperatorMixin(TenantPageMixin):
    permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)


class QuotaRequestsView(OperatorMixin, TemplateView):
    """Pending requests of every company (oldest first) with their current limits; decided ones below."""

    template_name = "compute/operator/quota_requests.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | _requests_context(self.request)


@dataclass(frozen=True)
class PendingRow:
    """A pending request with its two small forms (the submitted one, with errors, after a failed decision)."""

    row: selectors.RequestRow
    approve_form: DecisionForm
    reject_form: DecisionForm


def _decision_form(quota_request, approve: bool, data=None) -> DecisionForm:
    """Grants start at what was asked; ids are per row so many rows fit on one page."""
    initial = {name: getattr(quota_request, name) for name in LIMIT_FIELDS} if approve else {}
    auto_id = f"id_{'approve' if approve else 'reject'}{quota_request.pk}_%s"
    return DecisionForm(data, quota_request=quota_request, approve=approve, initial=initial, auto_id=auto_id)


def _pending_row(row: selectors.RequestRow, failed: DecisionForm | None = None) -> PendingRow:
    mine = failed if failed is not None and failed.quota_request.pk == row.request.pk else None
    approve = mine if mine and mine.approve else _decision_form(row.request, True)
    reject = mine if mine and not mine.approve else _decision_form(row.request, False)
    return PendingRow(row, approve, reject)


def _requests_context(request, failed: DecisionForm | None = None) -> dict:
    pending = [_pending_row(row, failed) for row in selectors.request_rows(selectors.pending_requests())]
    return {
        "pending": pending,
        "pending_count": len(pending),
        "page": Paginator(selectors.decided_requests(), REQUESTS_PAGE_SIZE).get_page(request.GET.get("page")),
    }


class QuotaDecisionView(OperatorMixin, View):
    """Approve or reject one request. From its row (htmx) the row leaves the list or comes back with
    its errors; without htmx the operator returns to the list."""

    approve = True

    def post(self, request, pk: int):
        quota_request = get_object_or_404(selectors.every_request(), pk=pk)
        form = _decision_form(quota_request, self.approve, request.POST)
        if form.is_valid():
            try:
                decide(request=quota_request, actor=request.user, **form.decision())
            except DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                return self.decided(quota_request)
        return self.failed(quota_request, form)

    def decided(self, quota_request) -> HttpResponse:
        values = {"company": quota_request.tenant.display_name, "chip": quota_request.chip_type}
        message = (
            _("Request of %(company)s for %(chip)s approved; the new limits apply now.")
            if self.approve
            else _("Request of %(company)s for %(chip)s rejected; the company is told why.")
        ) % values
        if _is_fragment(self.request):
            return self.row_done(message, "success")
        messages.success(self.request, message)
        return _done(self.request, "compute-operator:quota-requests")

    def failed(self, quota_request, form: DecisionForm) -> HttpResponse:
        current = selectors.pending_requests().filter(pk=quota_request.pk).first()
        if current is None:  # decided by someone else meanwhile: say so, and the row leaves the list
            message = " ".join(form.non_field_errors()) or _("This request has already been decided.")
            if _is_fragment(self.request):
                return self.row_done(message, "warning")
            messages.warning(self.request, message)
            return _done(self.request, "compute-operator:quota-requests")
        if _is_fragment(self.request):
            context = {"p": _pending_row(selectors.request_row(current), form)}
            return render(self.request, "compute/operator/quota_requests.html#row", context, status=400)
        context = _requests_context(self.request, form)
        return render(self.request, "compute/operator/quota_requests.html", context, status=400)

    def row_done(self, message: str, level: str) -> HttpResponse:
        context = {"done_message": message, "done_level": level, "pending_count": selectors.pending_requests().count()}
        return render(self.request, "compute/operator/quota_requests.html#row-done", context)


class QuotaApproveView(QuotaDecisionView):
    approve = True


class QuotaRejectView(QuotaDecisionView):
    approve = False


# --- Operator: defaults and overrides -------------------------------------------------------------


class OperatorQuotasView(OperatorMixin, TemplateView):
    """Defaults per size class (each row its own small form) and every company's overrides.
    With htmx aimed at `#company-options`, `?company=` answers the override form's company suggestions."""

    template_name = "compute/operator/quotas.html"

    def get(self, request, *args, **kwargs):
        if _is_fragment(request) and request.htmx.target == "company-options":
            companies = selectors.company_suggestions(request.GET.get("company", ""))
            return render(request, f"{self.template_name}#company-options", {"companies": companies})
        return super().get(request, *args, **kwargs)

    def get_context_data(self, default_form=None, override_form=None, **kwargs):
        search = self.request.GET.get("q", "").strip()
        overrides = selectors.quota_overrides(search=search)
        return super().get_context_data(**kwargs) | {
            "default_rows": _default_rows(default_form),
            "new_default_form": default_form if _is_new_row(default_form) else QuotaDefaultForm(),
            "override_form": override_form or OverrideForm(initial=self._override_initial()),
            "page": Paginator(overrides, OVERRIDES_PAGE_SIZE).get_page(self.request.GET.get("page")),
            "search": search,
            "limit_fields": LIMIT_FIELDS,
            "built_in": BUILT_IN,
        }

    def _override_initial(self) -> dict:
        """`?company=<credit code>&chip=<slug>` (the "change" link of an override row) prefills the form."""
        company, chip = self.request.GET.get("company", ""), _chip(self.request.GET.get("chip"))
        override = (
            selectors.quota_overrides(search=company).filter(chip_type=chip).first() if company and chip else None
        )
        if override is None:
            return {"company": company, "chip_type": chip}
        limits = {name: getattr(override, name) for name in LIMIT_FIELDS}
        return {"company": override.tenant.credit_code, "chip_type": chip, "note": override.note, **limits}

    def render_invalid(self, fragment: str, **forms) -> HttpResponse:
        template = f"{self.template_name}#{fragment}" if _is_fragment(self.request) else self.template_name
        return render(self.request, template, self.get_context_data(**forms), status=400)


def _is_new_row(form: QuotaDefaultForm | None) -> bool:
    return form is not None and form.data.get("row") == "new"


def _default_rows(failed: QuotaDefaultForm | None) -> list[tuple]:
    """(default, form) per existing default: the submitted form for the row that failed, else its values."""
    failed_pk = None if failed is None or _is_new_row(failed) else str(failed.data.get("row"))
    return [
        (d, failed if str(d.pk) == failed_pk else QuotaDefaultForm(initial=_default_initial(d)))
        for d in selectors.quota_defaults()
    ]


def _default_initial(default) -> dict:
    return {"size_class": default.size_class, "chip_type": default.chip_type_id} | {
        name: getattr(default, name) for name in LIMIT_FIELDS
    }


class QuotaDefaultSetView(OperatorQuotasView):
    http_method_names = ["post"]

    def post(self, request):
        form = QuotaDefaultForm(request.POST)
        if not form.is_valid():
            return self.render_invalid("defaults", default_form=form)
        set_default(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Default quota saved."))
        return _done(request, "compute-operator:quotas")


class QuotaOverrideSetView(OperatorQuotasView):
    http_method_names = ["post"]

    def post(self, request):
        form = OverrideForm(request.POST)
        if not form.is_valid():
            return self.render_invalid("override-form", override_form=form)
        data = form.cleaned_data
        set_override(
            tenant=data["company"],
            chip_type=data["chip_type"],
            actor=request.user,
            note=data["note"],
            **{name: data[name] for name in LIMIT_FIELDS},
        )
        messages.success(
            request,
            _("Quota of %(company)s for %(chip)s saved.")
            % {"company": data["company"].display_name, "chip": data["chip_type"]},
        )
        return _done(request, "compute-operator:quotas")


# --- Operator: pools ------------------------------------------------------------------------------


class PoolsView(OperatorMixin, TemplateView):
    """Pools with cards in use and queues now, and a chart of cards in use over 24 h or 7 days.
    A fixed number of queries whatever the number of pools."""

    template_name = "compute/operator/pools.html"

    def get_template_names(self):
        return [f"{self.template_name}#chart" if _is_fragment(self.request) else self.template_name]

    def get_context_data(self, **kwargs):
        chosen = self.request.GET.get("range", "")
        chosen = chosen if chosen in selectors.HISTORY_RANGES else selectors.DEFAULT_RANGE
        pools = selectors.pool_rows()
        chart = selectors.pool_history(pools, chosen).as_chart()
        return super().get_context_data(**kwargs) | {
            "pools": pools,
            "chart": chart | {"y_label": _("Cards in use")},
            "range": chosen,
            "ranges": [("24h", _("24 hours")), ("7d", _("7 days"))],
        }


class OperatorQuotaRequestsRedirect(OperatorMixin, RedirectView):
    """`compute:quota-requests`, the link in operators' notifications, leads to the operator page."""

    pattern_name = "compute-operator:quota-requests"


class PoolEngineView(OperatorMixin, View):
    """The engine a pool runs on and its settings (a Slurm partition, a Kubernetes namespace…)."""

    template_name = "compute/operator/pool_engine.html"

    def get(self, request, pk: int):
        pool = get_object_or_404(Pool.objects.select_related("chip_type"), pk=pk)
        return self.render_form(
            pool, PoolEngineForm(initial={"engine": pool.engine, "engine_config": pool.engine_config})
        )

    def post(self, request, pk: int):
        pool = get_object_or_404(Pool.objects.select_related("chip_type"), pk=pk)
        form = PoolEngineForm(request.POST)
        if not form.is_valid():
            return self.render_form(pool, form, status=400)
        try:
            pool_engine_set(pool_id=pool.pk, actor=request.user, **form.cleaned_data)
        except PoolEngineError as error:
            for problem in error.problems:
                form.add_error("engine_config", problem)
            return self.render_form(pool, form, status=400)
        messages.success(request, _("The engine settings of %(pool)s are saved.") % {"pool": pool.name})
        return _done(request, "compute-operator:pools")

    def render_form(self, pool, form: PoolEngineForm, status: int = 200) -> HttpResponse:
        context = {"pool": pool, "form": form}
        return render(self.request, self.template_name, context, status=status)
