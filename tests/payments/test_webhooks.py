"""The Stripe webhook: real signature checks by the `stripe` library on the raw body, events stored
once, wallets credited exactly once whatever the order or number of deliveries."""

import json
import threading
import time

import pytest
from django.db import connection

from audit.models import AuditEntry
from billing.models import Transaction, TxnKind
from notifications.models import Notification
from payments.models import StripeEvent, StripeEventState, TopUp, TopUpState
from payments.services.webhooks import STALE_AFTER
from payments.stripe_standin import event_for, sign
from tests.payments.conftest import balance, deliver, open_topup, paid_event, session_of, unpaid_event

pytestmark = pytest.mark.django_db


def topup_txns(topup) -> list[Transaction]:
    return list(Transaction.objects.filter(idempotency_key=f"topup:{topup.stripe_session_id}"))


def test_a_signed_completed_event_credits_the_wallet(owner, standin):
    topup = open_topup(owner, 50_000)
    event = paid_event(standin, topup)

    response = deliver(event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "processed"}
    topup.refresh_from_db()
    assert topup.state == TopUpState.PAID
    assert topup.paid_at is not None
    assert balance(owner) == 50_000
    [txn] = topup_txns(topup)
    assert txn.kind == TxnKind.TOP_UP and txn.tenant_id == owner.tenant_id and topup.transaction_id == txn.pk
    row = StripeEvent.objects.get(event_id=event["id"])
    assert (row.state, row.type, row.attempts, row.error) == (StripeEventState.DONE, event["type"], 1, "")
    assert row.payload == event
    assert row.finished_at is not None
    assert AuditEntry.unscoped.filter(action="topup.paid", object_id=str(topup.pk)).count() == 1
    assert Notification.objects.filter(recipient=owner.user, tenant=owner.tenant).count() == 1


def test_the_same_event_delivered_twice_credits_once(owner, standin):
    topup = open_topup(owner, 50_000)
    event = paid_event(standin, topup)

    first = deliver(event)
    second = deliver(event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["outcome"] == "duplicate"
    assert balance(owner) == 50_000
    assert len(topup_txns(topup)) == 1
    assert StripeEvent.objects.get().attempts == 1
    assert Notification.objects.filter(recipient=owner.user).count() == 1


def test_two_different_events_for_one_paid_session_credit_once(owner, standin):
    topup = open_topup(owner, 20_000)

    deliver(paid_event(standin, topup))
    deliver(paid_event(standin, topup))  # a second event id carrying the same paid session

    assert balance(owner) == 20_000
    assert len(topup_txns(topup)) == 1
    assert list(StripeEvent.objects.values_list("state", flat=True)) == ["done", "done"]


def test_completed_unpaid_then_async_succeeded_credits_once(owner, standin):
    topup = open_topup(owner, 30_000)

    deliver(unpaid_event(standin, topup))
    topup.refresh_from_db()
    assert topup.state == TopUpState.CREATED
    assert balance(owner) == 0

    deliver(paid_event(standin, topup, "checkout.session.async_payment_succeeded"))

    topup.refresh_from_db()
    assert topup.state == TopUpState.PAID
    assert balance(owner) == 30_000


def test_async_succeeded_arriving_before_completed_credits_once(owner, standin):
    topup = open_topup(owner, 30_000)

    deliver(paid_event(standin, topup, "checkout.session.async_payment_succeeded"))
    deliver(unpaid_event(standin, topup))  # the older "completed" snapshot, late
    deliver(paid_event(standin, topup))  # and a paid one, for good measure

    topup.refresh_from_db()
    assert topup.state == TopUpState.PAID
    assert balance(owner) == 30_000
    assert len(topup_txns(topup)) == 1


def test_async_payment_failed_marks_the_top_up_failed(owner, standin):
    topup = open_topup(owner, 30_000)

    deliver(unpaid_event(standin, topup))
    deliver(unpaid_event(standin, topup, "checkout.session.async_payment_failed"))

    topup.refresh_from_db()
    assert topup.state == TopUpState.FAILED
    assert topup.failure_reason == "The payment did not go through."
    assert balance(owner) == 0
    assert Notification.objects.filter(recipient=owner.user, title__contains="failed").count() == 1


def test_a_failure_arriving_after_the_payment_does_not_undo_it(owner, standin):
    topup = open_topup(owner, 30_000)

    deliver(paid_event(standin, topup))
    deliver(unpaid_event(standin, topup, "checkout.session.async_payment_failed"))
    deliver(event_for(session_of(standin, topup), "checkout.session.expired", status="expired"))

    topup.refresh_from_db()
    assert topup.state == TopUpState.PAID
    assert balance(owner) == 30_000


def test_expired_session_marks_the_top_up_expired_and_a_late_payment_still_counts(owner, standin):
    topup = open_topup(owner, 30_000)

    deliver(event_for(session_of(standin, topup), "checkout.session.expired", status="expired"))
    topup.refresh_from_db()
    assert topup.state == TopUpState.EXPIRED

    deliver(paid_event(standin, topup))  # Stripe says the money arrived: that wins
    topup.refresh_from_db()
    assert topup.state == TopUpState.PAID
    assert balance(owner) == 30_000


def test_event_types_we_do_not_handle_are_acknowledged(owner, standin):
    event = {"id": "evt_other", "object": "event", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}

    response = deliver(event)

    assert response.status_code == 200
    assert StripeEvent.objects.get().state == StripeEventState.DONE


# --- Signatures -------------------------------------------------------------------------------


def _nothing_changed(owner, topup) -> None:
    topup.refresh_from_db()
    assert topup.state == TopUpState.CREATED
    assert balance(owner) == 0
    assert not StripeEvent.objects.exists()
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    ["body", "signature", "wrong_secret", "missing_header", "empty_header", "stale_timestamp", "not_json"],
)
def test_a_bad_signature_gets_400_and_changes_nothing(tamper, owner, standin, settings):
    topup = open_topup(owner, 50_000)
    event = paid_event(standin, topup)
    body = json.dumps(event).encode()
    good = sign(body, settings.STRIPE_WEBHOOK_SECRET)

    if tamper == "body":
        forged = json.loads(body)
        forged["data"]["object"]["amount_total"] = 99_999_999
        response = deliver(event, payload=json.dumps(forged).encode(), signature=good)
    elif tamper == "signature":
        response = deliver(event, payload=body, signature=good[:-4] + "0000")
    elif tamper == "wrong_secret":
        response = deliver(event, payload=body, secret="whsec_someone_else")
    elif tamper == "missing_header":
        response = deliver(event, payload=body, signature="")
    elif tamper == "empty_header":
        response = deliver(event, payload=body, signature="t=,v1=")
    elif tamper == "stale_timestamp":
        response = deliver(
            event, payload=body, signature=sign(body, settings.STRIPE_WEBHOOK_SECRET, int(time.time()) - 3600)
        )
    else:
        text = b"not json at all"
        response = deliver(event, payload=text, signature=sign(text, settings.STRIPE_WEBHOOK_SECRET))

    assert response.status_code == 400
    _nothing_changed(owner, topup)


def test_the_webhook_only_accepts_post(client):
    from django.urls import reverse

    assert client.get(reverse("payments:stripe-webhook")).status_code == 405


# --- Failures and redelivery -------------------------------------------------------------------


def test_a_failing_event_is_kept_failed_with_its_error_and_redelivery_retries_it(owner, standin):
    topup = open_topup(owner, 40_000)
    session_id = topup.stripe_session_id
    event = paid_event(standin, topup)
    # The event overtakes our own write of the session id (as if that transaction had not committed).
    TopUp.unscoped.filter(pk=topup.pk).update(stripe_session_id=None)

    response = deliver(event)

    assert response.status_code == 500  # Stripe will deliver it again
    row = StripeEvent.objects.get()
    assert row.state == StripeEventState.FAILED
    assert row.error == f"UnknownCheckoutSession: no top-up for checkout session {session_id}"
    assert row.attempts == 1
    assert balance(owner) == 0

    TopUp.unscoped.filter(pk=topup.pk).update(stripe_session_id=session_id)  # the write commits
    again = deliver(event)

    assert again.status_code == 200
    row.refresh_from_db()
    assert (row.state, row.error, row.attempts) == (StripeEventState.DONE, "", 2)
    assert balance(owner) == 40_000
    deliver(event)
    assert balance(owner) == 40_000


def test_an_amount_mismatch_fails_and_credits_nothing(owner, standin):
    topup = open_topup(owner, 40_000)
    event = event_for(session_of(standin, topup), "checkout.session.completed", payment_status="paid", amount_total=1)

    response = deliver(event)

    assert response.status_code == 500
    row = StripeEvent.objects.get()
    assert row.state == StripeEventState.FAILED
    assert row.error.startswith("CheckoutMismatch: session")
    assert balance(owner) == 0


def test_an_event_being_processed_by_another_delivery_is_asked_for_again(owner, standin):
    topup = open_topup(owner, 40_000)
    event = paid_event(standin, topup)
    from django.utils import timezone

    StripeEvent.objects.create(
        event_id=event["id"], type=event["type"], payload=event, state="processing", started_at=timezone.now()
    )

    response = deliver(event)

    assert response.status_code == 409
    assert balance(owner) == 0


def test_an_event_stuck_in_processing_is_taken_over_after_a_while(owner, standin):
    topup = open_topup(owner, 40_000)
    event = paid_event(standin, topup)
    from django.utils import timezone

    StripeEvent.objects.create(
        event_id=event["id"],
        type=event["type"],
        payload=event,
        state="processing",
        attempts=1,
        started_at=timezone.now() - STALE_AFTER * 2,
    )

    response = deliver(event)

    assert response.status_code == 200
    assert StripeEvent.objects.get().attempts == 2
    assert balance(owner) == 40_000


# --- Concurrency (real connections, real commits) ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_simultaneous_deliveries_credit_once(owner, standin):
    topup = open_topup(owner, 60_000)
    same = paid_event(standin, topup)
    events = [
        same,
        same,
        same,
        paid_event(standin, topup),
        paid_event(standin, topup, "checkout.session.async_payment_succeeded"),
    ]
    barrier = threading.Barrier(len(events))
    statuses: list[int] = []

    def send(event):
        try:
            barrier.wait()
            statuses.append(deliver(event).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert set(statuses) <= {200, 409}
    assert balance(owner) == 60_000
    assert len(topup_txns(topup)) == 1
    assert StripeEvent.objects.count() == 3
    topup.refresh_from_db()
    assert topup.state == TopUpState.PAID
