"""Paying a partner: an operator records the bank transfer of an issued settlement's net.

The payout posts partner payable → payment clearing for the net, keyed `settlement:<id>`, in the
same transaction that marks the settlement paid. The settlement row is locked first, so a second
click (or a second operator) waits, then finds it paid and does nothing: one posting, one audit row.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from billing.models import AccountKind, TxnKind
from billing.services import ledger
from settlements.choices import SettlementState
from settlements.models import Settlement
from settlements.services.notices import recipients_by_partner, tell
from tenants.roles import Perm, has_perm

REFERENCE_MAX = 100


@transaction.atomic(durable=True)
def settlement_mark_paid(*, settlement: Settlement, acting_membership, reference: str) -> Settlement:
    """Record that the net of an issued settlement was transferred, with the bank's reference.
    Marking it paid again with the same reference returns it unchanged (a double click)."""
    if not has_perm(acting_membership, Perm.OPERATE_PLATFORM):
        raise PermissionDenied(_("Your role does not allow this."))
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": _("Enter the bank transfer's reference.")}, code="required")
    if len(reference) > REFERENCE_MAX:
        raise ValidationError({"reference": _("At most %(n)d characters.") % {"n": REFERENCE_MAX}}, code="max_length")
    settlement = Settlement.unscoped.select_for_update().select_related("tenant", "period").get(pk=settlement.pk)
    if settlement.state == SettlementState.PAID:
        if settlement.bank_reference == reference:
            return settlement
        raise ValidationError(
            _("This settlement was already paid (reference %(ref)s).") % {"ref": settlement.bank_reference},
            code="already_paid",
        )
    if settlement.state != SettlementState.ISSUED:
        raise ValidationError(_("Only an issued settlement can be paid."), code="not_issued")
    _pay(settlement, acting_membership.user, reference)
    return settlement


def _pay(settlement: Settlement, user, reference: str) -> None:
    month = f"{settlement.period.month:%Y-%m}"
    if settlement.net_fen:
        try:
            posted = ledger.post(
                kind=TxnKind.PAYOUT,
                key=f"settlement:{settlement.pk}",
                legs=[
                    (ledger.partner_payable(settlement.tenant), -settlement.net_fen),
                    (ledger.platform(AccountKind.PAYMENT_CLEARING), settlement.net_fen),
                ],
                tenant=settlement.tenant,
                memo=f"settlement {month} ({reference})",
                actor=user,
            )
        except ledger.InsufficientFunds as short:
            raise ValidationError(
                _("The partner's payable balance is ¥%(short)s less than this settlement; check the ledger first.")
                % {"short": ledger.format_fen(short.shortfall_fen)},
                code="insufficient_payable",
            ) from short
        settlement.payout_transaction = posted.transaction
    settlement.state = SettlementState.PAID
    settlement.paid_at, settlement.paid_by, settlement.bank_reference = timezone.now(), user, reference
    settlement.save(update_fields=["state", "paid_at", "paid_by", "bank_reference", "payout_transaction"])
    audit_record(
        action="settlement.paid",
        tenant=settlement.tenant,
        actor=user,
        obj=settlement,
        before={"state": SettlementState.ISSUED},
        after={
            "state": SettlementState.PAID,
            "month": month,
            "net_fen": settlement.net_fen,
            "reference": reference,
            "transaction": settlement.payout_transaction_id,
        },
    )
    tell(
        settlement,
        recipients_by_partner([settlement.tenant_id]).get(settlement.tenant_id, []),
        title=format_lazy(_("Your settlement for {month} is paid"), month=month),
        body=format_lazy(
            _("¥{net} was transferred to your bank account (reference {reference})."),
            net=ledger.format_fen(settlement.net_fen),
            reference=reference,
        ),
    )
