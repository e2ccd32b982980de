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


class VoucherPageMixin(TenantPageMixin):
    """`permission` reads, `write_permission` (if any) is needed for POST and the other unsafe
    methods. The URL's object (`get_object`) is looked up before the method and role checks, so
    another tenant's object is a 404 for every method, exactly like a missing one; only for members
    who may read (another kind of tenant gets the mixin's 403)."""

    write_permission: Perm | None = None
    object = None

    def read_permission(self, request) -> Perm | None:
        return self.permission

    def required_permission(self, request) -> Perm | None:
        if self.write_permission is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            return self.write_permission
        return self.read_permission(request)

    def get_object(self, pk: int):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        membership = getattr(request, "membership", None)
        if "pk" in kwargs and request.user.is_authenticated and has_perm(membership, self.read_permission(request)):
            self.object = self.get_object(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class CompanyVoucherMixin(VoucherPageMixin):
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
    write_permission = Perm.APPLY_VOUCHERS

    def get_object(self, pk: int) -> Program:
        return get_object_or_404(Program.objects.filter(status=ProgramStatus.OPEN).select_related("tenant"), pk=pk)

    def get(self, request, pk: int):
        return self.render(self.object, ApplicationForm(program=self.object))

    def post(self, request, pk: int):
        program = self.object
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
    write_permission = Perm.APPLY_VOUCHERS

    def get_object(self, pk: int) -> Application:
        return get_object_or_404(Application.objects.filter(tenant=self.tenant), pk=pk)

    def post(self, request, pk: int):
        try:
            services.withdraw_application(self.object, request.user)
        except services.VoucherError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Application withdrawn."))
        return redirect("vouchers:list")


class AttachmentView(VoucherPageMixin, View):
    """An application's attachment, for the applying company and the program's office only."""

    def read_permission(self, request):
        kind = request.tenant.kind if getattr(request, "tenant", None) else None
        return Perm.VIEW_PROGRAMS if kind == TenantKind.GOVERNMENT else Perm.VIEW_VOUCHERS

    def get_object(self, pk: int) -> ApplicationAttachment:
        return get_object_or_404(ApplicationAttachment, pk=pk, application__in=Application.objects.all())

    def get(self, request, pk: int):
        return attachment_response(self.object)


def attachment_response(attachment: ApplicationAttachment) -> FileResponse:
    """The attachment's file as a download (a file gone from storage: 404)."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=content_type_for(attachment.name)
    )
