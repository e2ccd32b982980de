"""Government pages: programs (create, open, close, report), the review queue with bulk decisions,
issued vouchers. A government tenant reaches its own programs and the applications and vouchers
of those programs only, through the scoped managers; auditors read, they change nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import django_filters
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from billing.services.ledger import format_fen
from tenants.choices import Industry, Province, SizeClass
from tenants.roles import Perm, TenantKind, has_perm
from vouchers import reports, services
from vouchers.forms import DecisionForm, ProgramForm, RevokeForm
from vouchers.models import (
    OPEN_APPLICATION_STATES,
    Application,
    ApplicationState,
    Program,
    Voucher,
    VoucherState,
)
from vouchers.views import VoucherPageMixin

QUEUE_PAGE_SIZE = 50
VOUCHERS_PAGE_SIZE = 50


class GovMixin(VoucherPageMixin):
    """The URL's `pk` is one of our programs unless a view says otherwise (`get_object`)."""

    permission = Perm.VIEW_PROGRAMS
    tenant_kinds = (TenantKind.GOVERNMENT,)

    def programs(self):
        return Program.objects.filter(tenant=self.tenant)

    def get_object(self, pk: int) -> Program:
        return get_object_or_404(self.programs(), pk=pk)


# --- Programs ---------------------------------------------------------------------------------------


class ProgramsView(GovMixin, TemplateView):
    template_name = "vouchers/gov/programs.html"

    def get_context_data(self, **kwargs):
        programs = list(self.programs().order_by("-created_at"))
        figures = reports.figures_many(programs)
        waiting = reports.waiting_counts(programs)
        return super().get_context_data(**kwargs) | {
            "rows": [(p, figures[p.pk], waiting.get(p.pk, 0)) for p in programs],
            "can_manage": has_perm(self.membership, Perm.MANAGE_PROGRAMS),
        }


class ProgramFormView(GovMixin, View):
    permission = Perm.MANAGE_PROGRAMS
    template_name = "vouchers/gov/program_form.html"

    def get_instance(self, pk):
        if pk is None:
            return Program(tenant=self.tenant)
        program = self.object
        try:
            services.check_draft(program)
        except services.VoucherError as exc:
            messages.error(self.request, exc.message)
            return None
        return program

    def get(self, request, pk: int | None = None):
        program = self.get_instance(pk)
        if program is None:
            return redirect("vouchers-gov:program", pk=pk)
        return render(request, self.template_name, {"form": ProgramForm(instance=program), "program": program})

    def post(self, request, pk: int | None = None):
        program = self.get_instance(pk)
        if program is None:
            return redirect("vouchers-gov:program", pk=pk)
        form = ProgramForm(request.POST, instance=program)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form, "program": program}, status=400)
        creating = program.pk is None
        program = form.save(commit=False)
        program.tenant = self.tenant
        if creating:
            program.created_by = request.user
        program.save()
        program.providers.set(form.cleaned_data.get("providers") or [])
        from audit.services import audit_record

        audit_record(
            action="voucher.program.create" if creating else "voucher.program.change",
            tenant=self.tenant,
            actor=request.user,
            obj=program,
        )
        messages.success(request, _("Program saved as a draft. Open it when it is ready for applications."))
        return redirect("vouchers-gov:program", pk=program.pk)


class ProgramView(GovMixin, TemplateView):
    template_name = "vouchers/gov/program.html"

    def get_context_data(self, **kwargs):
        program = self.object
        report = reports.report(program, company_limit=50)
        return super().get_context_data(**kwargs) | {
            "program": program,
            "report": report,
            "providers": list(program.providers.all()),
            "can_manage": has_perm(self.membership, Perm.MANAGE_PROGRAMS),
            "can_review": has_perm(self.membership, Perm.REVIEW_APPLICATIONS),
        }


class ProgramActionView(GovMixin, View):
    permission = Perm.MANAGE_PROGRAMS
    ACTIONS = {"open": services.open_program, "close": services.close_program, "archive": services.archive_program}

    def post(self, request, pk: int, action: str):
        handler = self.ACTIONS.get(action)
        if handler is None:
            raise Http404
        try:
            program = handler(self.object, request.user)
        except services.VoucherError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The program is now: %(status)s.") % {"status": program.get_status_display()})
        url = reverse("vouchers-gov:program", args=[pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


class ReportExportView(GovMixin, View):
    """The program report as CSV (one table after another) or XLSX (a sheet per table)."""

    def get(self, request, pk: int, fmt: str):
        return report_file(self.object, fmt)


def report_file(program: Program, fmt: str) -> HttpResponse:
    """The program's whole report as a "csv" or "xlsx" download (any other format: 404)."""
    tables = report_tables(reports.report(program, company_limit=None))
    stamp = timezone.localdate().isoformat()
    filename = f"{program.code}-report-{stamp}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for title, header, rows in tables:
            writer.writerow([title])
            writer.writerow(header)
            writer.writerows(rows)
            writer.writerow([])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.remove(book.active)
        for title, header, rows in tables:
            sheet = book.create_sheet(title[:31])
            sheet.append(header)
            for row in rows:
                sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def report_tables(report: reports.Report) -> list[tuple[str, list[str], list[list]]]:
    f, n = report.figures, report.funnel
    summary = [
        [_("Budget"), _yuan(f.budget_fen)],
        [_("Issued"), _yuan(f.issued_fen)],
        [_("Reserved (awaiting a second reviewer)"), _yuan(f.reserved_fen)],
        [_("Redeemed"), _yuan(f.redeemed_fen)],
        [_("Expired unused"), _yuan(f.expired_fen)],
        [_("Returned by revocation"), _yuan(f.returned_fen)],
        [_("Remaining budget"), _yuan(f.remaining_fen)],
        [_("Applications submitted"), n.submitted],
        [_("Approved"), n.approved],
        [_("Rejected"), n.rejected],
        [_("Waiting"), n.waiting],
        [_("Vouchers unused after issue"), n.unused],
    ]
    amounts = [_("Issued (¥)"), _("Redeemed (¥)"), _("Companies")]

    def rows(items):
        return [[b.label, _yuan(b.issued_fen), _yuan(b.redeemed_fen), b.companies] for b in items]

    return [
        (_("Summary"), [_("Figure"), _("Value")], summary),
        (_("By industry"), [_("Industry"), *amounts], rows(report.by_industry)),
        (_("By region"), [_("Province"), *amounts], rows(report.by_region)),
        (_("By size class"), [_("Size class"), *amounts], rows(report.by_size)),
        (_("By provider"), [_("Provider"), *amounts], rows(report.by_provider)),
        (
            _("Companies"),
            [
                _("Company"),
                _("Credit code"),
                _("Province"),
                _("Industry"),
                *amounts[:2],
                _("Left (¥)"),
                _("Uptake (%)"),
            ],
            [
                [
                    c.name,
                    c.credit_code,
                    c.province,
                    c.industry,
                    _yuan(c.issued_fen),
                    _yuan(c.redeemed_fen),
                    _yuan(c.balance_fen),
                    c.uptake_percent,
                ]
                for c in report.companies
            ],
        ),
    ]


# --- Review queue -----------------------------------------------------------------------------------


ANY = gettext_lazy("Any")


class ApplicationFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Program"), queryset=Program.unscoped.none(), empty_label=gettext_lazy("Every program")
    )
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("State"),
        choices=[("waiting", gettext_lazy("Waiting (any step)")), *ApplicationState.choices],
        method="filter_state",
        empty_label=gettext_lazy("Any state"),
    )
    province = django_filters.ChoiceFilter(
        label=gettext_lazy("Province"), field_name="tenant__province", choices=Province.choices, empty_label=ANY
    )
    industry = django_filters.ChoiceFilter(
        label=gettext_lazy("Industry"), field_name="tenant__industry", choices=Industry.choices, empty_label=ANY
    )
    size = django_filters.ChoiceFilter(
        label=gettext_lazy("Size class"), field_name="tenant__size_class", choices=SizeClass.choices, empty_label=ANY
    )
    q = django_filters.CharFilter(label=gettext_lazy("Company or credit code"), method="filter_company")

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tenant is not None:
            self.filters["program"].queryset = Program.objects.filter(tenant=tenant).order_by("-created_at")

    def filter_state(self, queryset, name, value):
        if value == "waiting":
            return queryset.filter(state__in=OPEN_APPLICATION_STATES)
        return queryset.filter(state=value)

    def filter_company(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(tenant__name_zh__icontains=value)
            | Q(tenant__name_en__icontains=value)
            | Q(tenant__credit_code=value.upper())
        )


def queue_queryset(tenant):
    return (
        Application.objects.filter(program__tenant=tenant)
        .select_related("program", "tenant", "applicant", "first_reviewer", "second_reviewer", "voucher")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


@dataclass
class RowResult:
    ok: bool
    message: str


class ReviewQueueView(GovMixin, TemplateView):
    """Applications of our programs, oldest first, filterable; waiting ones can be decided in bulk."""

    template_name = "vouchers/gov/queue.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{self.template_name}#table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        data = self.request.GET.copy()
        if "state" not in data:
            data["state"] = "waiting"
        filterset = ApplicationFilter(data, queryset=queue_queryset(self.tenant), tenant=self.tenant)
        page = Paginator(filterset.qs, QUEUE_PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(**kwargs) | queue_context(self.request, filterset, page)


def queue_context(request, filterset, page, results: dict[int, RowResult] | None = None) -> dict:
    return {
        "filter": filterset,
        "page": page,
        "results": results or {},
        "can_review": has_perm(request.membership, Perm.REVIEW_APPLICATIONS),
        "user_id": request.user.pk,
        "query": request.GET.urlencode(),
    }


class BulkDecisionView(GovMixin, View):
    """Approve or reject the ticked applications; each is decided on its own (one refusal does not
    stop the others) and the rows come back with what happened to each."""

    permission = Perm.REVIEW_APPLICATIONS

    def post(self, request):
        action = request.POST.get("action")
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdecimal()][:QUEUE_PAGE_SIZE]
        note = request.POST.get("note", "").strip()[:500]
        results: dict[int, RowResult] = {}
        if action not in ("approve", "reject"):
            messages.error(request, _("Choose approve or reject."))
        elif not ids:
            messages.error(request, _("Tick the applications to decide first."))
        elif action == "reject" and not note:
            messages.error(request, _("Give the companies a reason for the rejection."))
        else:
            applications = {a.pk: a for a in Application.objects.filter(program__tenant=self.tenant, pk__in=ids)}
            for pk in ids:
                application = applications.get(pk)
                if application is None:
                    continue
                results[pk] = decide_one(application, request.user, action, note)
            done = sum(r.ok for r in results.values())
            refused = len(results) - done
            if done:
                messages.success(
                    request, ngettext("%(n)d application decided.", "%(n)d applications decided.", done) % {"n": done}
                )
            if refused:
                messages.warning(
                    request,
                    ngettext(
                        "%(n)d application could not be decided; see the reason in its row.",
                        "%(n)d applications could not be decided; see the reasons in their rows.",
                        refused,
                    )
                    % {"n": refused},
                )
        if not request.htmx:
            return redirect(reverse("vouchers-gov:queue") + "?" + request.POST.get("query", ""))
        from django.http import QueryDict

        query = QueryDict(request.POST.get("query", ""), mutable=True)
        if "state" not in query:
            query["state"] = "waiting"
        filterset = ApplicationFilter(query, queryset=queue_queryset(self.tenant), tenant=self.tenant)
        page = Paginator(filterset.qs, QUEUE_PAGE_SIZE).get_page(query.get("page"))
        # Rows just decided stay visible (with their outcome) even when they leave the filter.
        context = queue_context(request, filterset, page, results)
        shown = {a.pk for a in page.object_list}
        context["decided"] = [a for a in queue_queryset(self.tenant).filter(pk__in=results) if a.pk not in shown]
        context["query"] = query.urlencode()
        return render(request, "vouchers/gov/queue.html#table", context)


def decide_one(application: Application, reviewer, action: str, note: str) -> RowResult:
    try:
        if action == "approve":
            application = services.approve(application, reviewer, note)
            if application.state == ApplicationState.SECOND_REVIEW:
                return RowResult(True, _("First approval recorded; a second reviewer must confirm."))
            return RowResult(True, _("Approved: voucher %(code)s issued.") % {"code": application.voucher.code})
        services.reject(application, reviewer, note)
        return RowResult(True, _("Rejected."))
    except services.VoucherError as exc:
        return RowResult(False, exc.message)


class ApplicationView(GovMixin, View):
    """One application with the company's details, the eligibility snapshot and the decision forms."""

    template_name = "vouchers/gov/application.html"
    write_permission = Perm.REVIEW_APPLICATIONS

    def get_object(self, pk: int) -> Application:
        return get_object_or_404(queue_queryset(self.tenant), pk=pk)

    def get(self, request, pk: int):
        return self.render(self.object)

    def post(self, request, pk: int):
        application = self.object
        form = DecisionForm(request.POST)
        action = request.POST.get("action")
        if not form.is_valid() or action not in ("approve", "reject"):
            return self.render(application, form, status=400)
        result = decide_one(application, request.user, action, form.cleaned_data["note"])
        if not result.ok:
            form.add_error(None, result.message)
            return self.render(self.get_object(pk), form, status=400)
        messages.success(request, result.message)
        return redirect("vouchers-gov:application", pk=pk)

    def render(self, application: Application, form=None, status: int = 200):
        company = application.tenant
        history = (
            Application.objects.filter(tenant=company, program__tenant=self.tenant)
            .exclude(pk=application.pk)
            .select_related("program", "voucher")
            .order_by("-created_at")[:10]
        )
        context = {
            "application": application,
            "company": company,
            "form": form or DecisionForm(),
            "history": list(history),
            "can_review": has_perm(self.membership, Perm.REVIEW_APPLICATIONS),
            "is_first_reviewer": application.first_reviewer_id == self.request.user.pk,
            "room_fen": services.company_room(application.program, company),
        }
        return render(self.request, self.template_name, context, status=status)


# --- Issued vouchers --------------------------------------------------------------------------------


class IssuedVouchersView(GovMixin, TemplateView):
    template_name = "vouchers/gov/vouchers.html"

    def get_context_data(self, **kwargs):
        vouchers = (
            Voucher.objects.filter(program__tenant=self.tenant)
            .select_related("program", "tenant", "account")
            .order_by("-issued_at", "-pk")
        )
        program = self.request.GET.get("program", "")
        if program.isdecimal():
            vouchers = vouchers.filter(program_id=int(program))
        state = self.request.GET.get("state", "")
        if state in VoucherState.values:
            vouchers = vouchers.filter(state=state)
        q = self.request.GET.get("q", "").strip()
        if q:
            vouchers = vouchers.filter(
                Q(code__iexact=q) | Q(tenant__name_zh__icontains=q) | Q(tenant__credit_code=q.upper())
            )
        return super().get_context_data(**kwargs) | {
            "page": Paginator(vouchers, VOUCHERS_PAGE_SIZE).get_page(self.request.GET.get("page")),
            "programs": list(self.programs().order_by("-created_at")),
            "states": VoucherState.choices,
            "selected": {"program": program, "state": state, "q": q},
            "can_revoke": has_perm(self.membership, Perm.MANAGE_PROGRAMS),
        }


class RevokeView(GovMixin, View):
    permission = Perm.MANAGE_PROGRAMS

    def get_object(self, pk: int) -> Voucher:
        return get_object_or_404(Voucher.objects.filter(program__tenant=self.tenant), pk=pk)

    def post(self, request, pk: int):
        voucher = self.object
        form = RevokeForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.errors["reason"][0])
        else:
            try:
                voucher = services.revoke(voucher, request.user, form.cleaned_data["reason"])
            except services.VoucherError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("Voucher %(code)s revoked; ¥%(amount)s returned to the budget.")
                    % {"code": voucher.code, "amount": format_fen(voucher.returned_fen)},
                )
        return redirect(reverse("vouchers-gov:vouchers") + "?" + request.POST.get("query", ""))
