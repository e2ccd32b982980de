"""Bank transfers: a company records one with its receipt; operator staff confirm or reject it.

Confirming credits the wallet once: the transfer row is locked and its state checked under the lock,
and the ledger posting's idempotency key is `bank:<transfer id>`.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from billing.models import AccountKind, TxnKind
from billing.services import ledger
from notifications.services import notify
from payments.models import BankTransfer, BankTransferState
from payments.receipts import receipt_check
from payments.services.recipients import company_recipients, operator_recipients
from tenants.models import Membership
from tenants.roles import Perm, TenantKind, has_perm

BANK_TRANSFER_MIN_FEN = 10_00
BANK_TRANSFER_MAX_FEN = 100_000_000_00
DUPLICATE_REFERENCE = _("A transfer with this bank reference has already been recorded.")


def _check_fields(*, amount_fen: int, payer_account_name: str, bank_reference: str, transferred_on: date) -> None:
    errors: dict[str, str] = {}
    if not BANK_TRANSFER_MIN_FEN <= amount_fen <= BANK_TRANSFER_MAX_FEN:
        errors["amount"] = _("Enter the amount between ¥%(min)s and ¥%(max)s.") % {
            "min": ledger.format_fen(BANK_TRANSFER_MIN_FEN),
            "max": ledger.format_fen(BANK_TRANSFER_MAX_FEN),
        }
    if not payer_account_name:
        errors["payer_account_name"] = _("Enter the name of the account the money came from.")
    if not bank_reference:
        errors["bank_reference"] = _("Enter the bank's reference number for the transfer.")
    if transferred_on > timezone.localdate():
        errors["transferred_on"] = _("The transfer date cannot be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic(durable=True)
def bank_transfer_submit(
    *,
    acting_membership: Membership,
    amount_fen: int,
    payer_account_name: str,
    bank_reference: str,
    transferred_on: date,
    receipt: UploadedFile,
) -> BankTransfer:
    """Record a transfer the company has made. Nothing is stored unless everything is valid."""
    payer_account_name = (payer_account_name or "").strip()
    bank_reference = (bank_reference or "").strip()
    _check_fields(
        amount_fen=amount_fen,
        payer_account_name=payer_account_name,
        bank_reference=bank_reference,
        transferred_on=transferred_on,
    )
    receipt_check(receipt)
    tenant = acting_membership.tenant
    duplicate = BankTransfer.unscoped.filter(tenant=tenant, bank_reference=bank_reference).exclude(
        state=BankTransferState.REJECTED
    )
    if duplicate.exists():
        raise ValidationError({"bank_reference": DUPLICATE_REFERENCE})
    transfer = BankTransfer(
        tenant=tenant,
        amount_fen=amount_fen,
        payer_account_name=payer_account_name,
        bank_reference=bank_reference,
        transferred_on=transferred_on,
        receipt=receipt,
        receipt_name=(receipt.name or "receipt")[-255:],
        submitted_by=acting_membership.user,
    )
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as exc:
        # A simultaneous submission won the race; the file was written before the INSERT failed.
        transfer.receipt.delete(save=False)
        raise ValidationError({"bank_reference": DUPLICATE_REFERENCE}) from exc
    audit_record(
        action="bank_transfer.submit",
        tenant=tenant,
        actor=acting_membership.user,
        obj=transfer,
        after={"amount_fen": amount_fen, "bank_reference": bank_reference, "transferred_on": str(transferred_on)},
    )
    notify(
        recipients=operator_recipients(),
        title=format_lazy(
            _("{company} recorded a bank transfer of ¥{amount}"),
            company=tenant.display_name,
            amount=ledger.format_fen(amount_fen),
        ),
        body=_("Check the receipt against the bank statement, then confirm or reject it."),
        url=reverse("payments:operator-bank-transfers"),
    )
    return transfer


def _require_operator(membership: Membership) -> None:
    if membership.tenant.kind != TenantKind.OPERATOR or not has_perm(membership, Perm.OPERATE_PLATFORM):
        raise PermissionDenied(_("Only operator staff may review bank transfers."))


def _lock_pending(transfer: BankTransfer) -> BankTransfer:
    locked = BankTransfer.unscoped.select_for_update().get(pk=transfer.pk)
    if locked.state == BankTransferState.CONFIRMED:
        raise ValidationError(_("This transfer has already been confirmed."))
    if locked.state == BankTransferState.REJECTED:
        raise ValidationError(_("This transfer has already been rejected."))
    return locked


@transaction.atomic(durable=True)
def bank_transfer_confirm(*, transfer: BankTransfer, acting_membership: Membership) -> BankTransfer:
    """The money is on the platform's account: credit the company's wallet."""
    _require_operator(acting_membership)
    transfer = _lock_pending(transfer)
    actor = acting_membership.user
    posted = ledger.post(
        kind=TxnKind.TOP_UP,
        key=f"bank:{transfer.pk}",
        legs=[
            (ledger.platform(AccountKind.PAYMENT_CLEARING), -transfer.amount_fen),
            (ledger.wallet(transfer.tenant), transfer.amount_fen),
        ],
        tenant=transfer.tenant,
        memo=f"Bank transfer #{transfer.pk} ({transfer.bank_reference})",
        actor=actor,
    )
    transfer.state = BankTransferState.CONFIRMED
    transfer.transaction = posted.transaction
    transfer.reviewed_by = actor
    transfer.reviewed_at = timezone.now()
    transfer.save(update_fields=["state", "transaction", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(
        action="bank_transfer.confirm",
        tenant=transfer.tenant,
        actor=actor,
        obj=transfer,
        after={"transaction": posted.transaction.pk},
    )
    notify(
        recipients=company_recipients(transfer.tenant, starter=transfer.submitted_by),
        tenant=transfer.tenant,
        title=format_lazy(_("¥{amount} was added to your wallet"), amount=ledger.format_fen(transfer.amount_fen)),
        body=format_lazy(_("Your bank transfer {reference} has been confirmed."), reference=transfer.bank_reference),
        url=reverse("payments:wallet"),
    )
    return transfer


@transaction.atomic(durable=True)
def bank_transfer_reject(*, transfer: BankTransfer, acting_membership: Membership, note: str) -> BankTransfer:
    """The transfer cannot be matched to money received; the note tells the company why."""
    _require_operator(acting_membership)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Tell the company why, so they can put it right.")})
    transfer = _lock_pending(transfer)
    transfer.state = BankTransferState.REJECTED
    transfer.note = note
    transfer.reviewed_by = acting_membership.user
    transfer.reviewed_at = timezone.now()
    transfer.save(update_fields=["state", "note", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(
        action="bank_transfer.reject",
        tenant=transfer.tenant,
        actor=acting_membership.user,
        obj=transfer,
        after={"note": note},
    )
    notify(
        recipients=company_recipients(transfer.tenant, starter=transfer.submitted_by),
        tenant=transfer.tenant,
        title=format_lazy(
            _("Your bank transfer of ¥{amount} was not confirmed"), amount=ledger.format_fen(transfer.amount_fen)
        ),
        body=note,
        url=reverse("payments:wallet"),
    )
    return transfer
