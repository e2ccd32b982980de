"""Operator review of bank transfers.

Cross-tenant by design: operator staff confirm every company's transfers, so transfers are read
with `BankTransfer.unscoped`. Only operator tenants with `OPERATOR_PERM` get past the mixin, and
that check comes before any lookup."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from billing.services import ledger
from payments.forms import RejectForm
from payments.models import BankTransfer, BankTransferState
from payments.selectors import transfers_for_review
from payments.services.bank_transfers import bank_transfer_confirm, bank_transfer_reject
from payments.views import receipt_response
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind

OPERATOR_PERM = Perm.OPERATE_PLATFORM
PAGE_SIZE = 50
TEMPLATE = "payments/operator_transfers.html"


class OperatorPageMixin(TenantPageMixin):
    permission = OPERATOR_PERM
    tenant_kinds = (TenantKind.OPERATOR,)


class TransferReviewView(OperatorPageMixin, TemplateView):
    """Transfers waiting for confirmation (or, filtered, the decided ones) across all companies."""

    template_name = TEMPLATE

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [f"{self.template_name}#transfers"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state = self.request.GET.get("state", BankTransferState.SUBMITTED)
        if state not in BankTransferState.values:
            state = BankTransferState.SUBMITTED
        context |= {
            "page": Paginator(transfers_for_review(state), PAGE_SIZE).get_page(self.request.GET.get("page")),
            "state": state,
            "states": BankTransferState.choices,
            "pending_count": transfers_for_review().count(),
            "reviewing": state == BankTransferState.SUBMITTED,
        }
        return context


class TransferActionView(OperatorPageMixin, View):
    """Confirm or reject one transfer. From a list row (htmx) the row leaves the list; otherwise the
    operator is sent back to the list with a message."""

    def post(self, request, pk: int):
        transfer = get_object_or_404(BankTransfer.unscoped.select_related("tenant"), pk=pk)
        form = RejectForm(request.POST)
        from_row = bool(request.htmx) and request.htmx.target == f"transfer-row-{pk}"
        try:
            message = self.perform(transfer, form)
        except ValidationError as exc:
            if from_row:
                return render(request, f"{TEMPLATE}#row", self.row_context(transfer, form, exc))
            for text in exc.messages:
                messages.error(request, text)
        else:
            if from_row:
                context = {"done_message": message, "pending_count": transfers_for_review().count()}
                return render(request, f"{TEMPLATE}#row-done", context)
            messages.success(request, message)
        url = reverse("payments:operator-bank-transfers")
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)

    def row_context(self, transfer: BankTransfer, form: RejectForm, exc: ValidationError) -> dict:
        """The row again with its error; htmx only swaps 2xx answers, so this is a 200."""
        transfer = BankTransfer.unscoped.select_related("tenant", "submitted_by").get(pk=transfer.pk)
        note_errors = exc.message_dict.get("note", []) if hasattr(exc, "error_dict") else []
        return {
            "t": transfer,
            "reviewing": transfer.state == BankTransferState.SUBMITTED,
            "row_form": form,
            "note_errors": note_errors,
            "row_errors": [] if note_errors else exc.messages,
        }

    def perform(self, transfer: BankTransfer, form: RejectForm) -> str:
        raise NotImplementedError


class TransferConfirmView(TransferActionView):
    def perform(self, transfer, form) -> str:
        transfer = bank_transfer_confirm(transfer=transfer, acting_membership=self.membership)
        return _("¥%(amount)s added to the wallet of %(company)s.") % {
            "amount": ledger.format_fen(transfer.amount_fen),
            "company": transfer.tenant.display_name,
        }


class TransferRejectView(TransferActionView):
    def perform(self, transfer, form) -> str:
        note = form.cleaned_data["note"] if form.is_valid() else ""
        transfer = bank_transfer_reject(transfer=transfer, acting_membership=self.membership, note=note)
        return _("The transfer of %(company)s was rejected; they have been told why.") % {
            "company": transfer.tenant.display_name
        }


class OperatorReceiptView(OperatorPageMixin, View):
    def get(self, request, pk: int):
        return receipt_response(get_object_or_404(BankTransfer.unscoped, pk=pk))
