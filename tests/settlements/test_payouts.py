"""Marking an issued settlement paid: one posting payable → payment clearing, exactly once, even
when two operators click at the same moment."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from audit.models import AuditEntry
from billing.models import AccountKind, Leg, Transaction, TxnKind
from billing.services import ledger
from notifications.models import Notification
from settlements.choices import SettlementState
from settlements.models import Settlement
from settlements.services.payouts import settlement_mark_paid
from settlements.services.statements import settlements_generate, settlements_issue
from tests.settlements.conftest import FEB, JAN


def issued(w, month=JAN) -> Settlement:
    settlements_issue(month=month, acting_membership=w.staff)
    return Settlement.unscoped.get(tenant=w.idc, period__month=month)


@pytest.mark.django_db
def test_mark_paid_posts_the_net_from_payable_to_clearing(w, charged):
    settlement = issued(w)
    clearing = ledger.balance(None, AccountKind.PAYMENT_CLEARING)
    payable = ledger.partner_payable(w.idc)
    payable_before = ledger.balance(w.idc, AccountKind.PARTNER_PAYABLE)

    paid = settlement_mark_paid(settlement=settlement, acting_membership=w.staff, reference=" BOC-2025-001 ")

    assert (paid.state, paid.bank_reference, paid.paid_by) == (SettlementState.PAID, "BOC-2025-001", w.staff.user)
    txn = Transaction.objects.get(idempotency_key=f"settlement:{settlement.pk}")
    assert (txn.kind, txn.tenant, paid.payout_transaction) == (TxnKind.PAYOUT, w.idc, txn)
    legs = dict(Leg.objects.filter(transaction=txn).values_list("account_id", "amount_fen"))
    clearing_account = ledger.platform(AccountKind.PAYMENT_CLEARING)
    assert legs == {payable.pk: -680, clearing_account.pk: 680}
    assert ledger.balance(w.idc, AccountKind.PARTNER_PAYABLE) == payable_before - 680
    assert ledger.balance(None, AccountKind.PAYMENT_CLEARING) == clearing + 680
    entry = AuditEntry.unscoped.get(action="settlement.paid")
    assert (entry.tenant, entry.actor, entry.after["reference"], entry.after["net_fen"]) == (
        w.idc,
        w.staff.user,
        "BOC-2025-001",
        680,
    )
    note = Notification.objects.get(recipient=w.idc_owner.user, title__contains="paid")
    assert "BOC-2025-001" in note.body and "6.80" in note.body


@pytest.mark.django_db
def test_paying_again_changes_nothing(w, charged):
    settlement = issued(w)
    settlement_mark_paid(settlement=settlement, acting_membership=w.staff, reference="BOC-1")
    again = settlement_mark_paid(settlement=settlement, acting_membership=w.staff, reference="BOC-1")
    assert again.bank_reference == "BOC-1"
    with pytest.raises(ValidationError) as exc:
        settlement_mark_paid(settlement=settlement, acting_membership=w.staff, reference="BOC-2")
    assert exc.value.code == "already_paid"
    assert Transaction.objects.filter(kind=TxnKind.PAYOUT).count() == 1
    assert AuditEntry.unscoped.filter(action="settlement.paid").count() == 1
    assert Settlement.unscoped.get(pk=settlement.pk).bank_reference == "BOC-1"


@pytest.mark.django_db
def test_only_an_issued_settlement_with_a_reference_is_paid_by_staff(w, charged):
    settlements_generate(month=JAN, acting_membership=w.staff)
    draft = Settlement.unscoped.get(tenant=w.idc, period__month=JAN)
    with pytest.raises(ValidationError) as exc:
        settlement_mark_paid(settlement=draft, acting_membership=w.staff, reference="BOC-1")
    assert exc.value.code == "not_issued"
    settlement = issued(w)
    with pytest.raises(ValidationError) as exc:
        settlement_mark_paid(settlement=settlement, acting_membership=w.staff, reference="   ")
    assert exc.value.message_dict == {"reference": ["Enter the bank transfer's reference."]}
    with pytest.raises(PermissionDenied):
        settlement_mark_paid(settlement=settlement, acting_membership=w.idc_owner, reference="BOC-1")
    assert Settlement.unscoped.get(pk=settlement.pk).state == SettlementState.ISSUED
    assert not Transaction.objects.filter(kind=TxnKind.PAYOUT).exists()


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_post_once(w, charged):
    settlement = issued(w, FEB)
    barrier = threading.Barrier(2)
    outcomes: list = []

    def click():
        try:
            barrier.wait()
            outcomes.append(
                settlement_mark_paid(settlement=settlement, acting_membership=w.staff, reference="BOC-77").state
            )
        except Exception as exc:  # kept for the assertion below
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes == [SettlementState.PAID, SettlementState.PAID]
    assert Transaction.objects.filter(idempotency_key=f"settlement:{settlement.pk}").count() == 1
    assert Transaction.objects.filter(kind=TxnKind.PAYOUT).count() == 1
    assert AuditEntry.unscoped.filter(action="settlement.paid").count() == 1
    # February was the first month issued, so it took January's charge too: all of it is paid.
    assert settlement.net_fen == 3060
    assert ledger.balance(w.idc, AccountKind.PARTNER_PAYABLE) == 0
