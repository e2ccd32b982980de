"""Company pages: my vouchers and applications, the open programs with an eligibility pre-check,
applying. Everything is read through the scoped managers (a company sees its own applications and
vouchers and the open programs, nothing else)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from payments.receipts import content_type_for
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind, has_perm
from vouchers import eligibility, services
from vouchers.forms import ApplicationForm
from vouchers.models import OPEN_APPLICATION_STATES, Application, ApplicationAttachment, Program, ProgramStatus, Voucher


class CompanyVoucherMixin(TenantPageMixin):
    permission = Perm.VIEW_VOUCHERS
    tenant_kinds = (TenantKind.COMPANY,)


class VouchersView(CompanyVoucherMixin, TemplateView):
    template_name = "vouchers/list.html"

    def get_context_data(self, **kwargs):
        vouchers = list(
            Voucher.objects.select_related("program", "account").order_by("state", "valid_until", "issued_at")
        )
        applications = list(
            Application.objects.filter(tenant=self.tenant)
            .select_related("program", "voucher")
            .order_by("-created_at")[:50]
        )
        waiting = {a.program_id for a in applications if a.state in OPEN_APPLICATION_STATES}
        today = timezone.localdate()
        programs = [
            (program, eligibility.check(program, self.tenant, today), program.pk in waiting)
            for program in Program.objects.filter(status=ProgramStatus.OPEN)
            .select_related("tenant")
            .order_by("applications_close_on", "name")
        ]
        active = [v for v in vouchers if v.state == "active"]
        return super().get_context_data(**kwargs) | {
            "vouchers": vouchers,
            "active_balance_fen": sum(v.account.balance_fen for v in active),
            "applications": applications,
            "programs": [(p, eligibility.passes(r), eligibility.failures(r), w) for p, r, w in programs],
            "can_apply": has_perm(self.membership, Perm.APPLY_VOUCHERS),
        }


class ProgramView(CompanyVoucherMixin, View):
    """An open program: its rules, the pre-check for this company, and the application form."""

    template_name = "vouchers/program.html"

    def program(self, pk: int) -> Program:
        return get_object_or_404(Program.objects.filter(status=ProgramStatus.OPEN).select_related("tenant"), pk=pk)

    def get(self, request, pk: int):
        program = self.program(pk)
        return self.render(program, ApplicationForm(program=program))

    def post(self, request, pk: int):
        program = self.program(pk)
        if not has_perm(self.membership, Perm.APPLY_VOUCHERS):
            raise Http404
        form = ApplicationForm(request.POST, request.FILES, program=program)
        if not form.is_valid():
            return self.render(program, form, status=400)
        try:
            application = services.submit_application(
                program=program, company=self.tenant, actor=request.user, **form.service_kwargs()
            )
        except services.VoucherError as exc:
            form.add_error("amount" if exc.code == "amount" else None, exc.message)
            return self.render(program, form, status=400)
        messages.success(
            request,
            _("Application #%(n)s sent. You will be notified when the program office decides.") % {"n": application.pk},
        )
        return redirect("vouchers:list")

    def render(self, program: Program, form: ApplicationForm, status: int = 200) -> HttpResponse:
        results = eligibility.check(program, self.tenant)
        waiting = Application.objects.filter(
            tenant=self.tenant, program=program, state__in=OPEN_APPLICATION_STATES
        ).first()
        context = {
            "program": program,
            "results": results,
            "eligible": eligibility.passes(results),
            "waiting": waiting,
            "form": form,
            "can_apply": has_perm(self.membership, Perm.APPLY_VOUCHERS),
            "providers": list(program.providers.all()),
            "room_fen": services.company_room(program, self.tenant),
        }
        return render(self.request, self.template_name, context, status=status)


class WithdrawView(CompanyVoucherMixin, View):
    permission = Perm.APPLY_VOUCHERS

    def post(self, request, pk: int):
        application = get_object_or_404(Application.objects.filter(tenant=self.tenant), pk=pk)
        try:
            services.withdraw_application(application, request.user)
        except services.VoucherError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Application withdrawn."))
        return redirect("vouchers:list")


class AttachmentView(TenantPageMixin, View):
    """An application's attachment, for the applying company and the program's office only."""

    def required_permission(self, request):
        kind = request.tenant.kind if getattr(request, "tenant", None) else None
        return Perm.VIEW_PROGRAMS if kind == TenantKind.GOVERNMENT else Perm.VIEW_VOUCHERS

    def get(self, request, pk: int):
        attachment = get_object_or_404(ApplicationAttachment, pk=pk, application__in=Application.objects.all())
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        return FileResponse(
            handle, as_attachment=True, filename=attachment.name, content_type=content_type_for(attachment.name)
        )
