"""Stripe webhook events: stored once, processed until they succeed, never applied twice.

Each delivery of a verified event goes through `stripe_event_handle`:

1. the event row is inserted under its unique Stripe id (a replay finds the existing row);
2. it is claimed — received/failed → processing — in its own short transaction under a row lock,
   so two deliveries of one event never run the handler at the same time;
3. the handler runs in one transaction with everything it changes (top-up, ledger, audit);
4. only after that transaction has committed is the event marked done. If the handler raised, it
   is marked failed with the error, and the view answers 500 so Stripe delivers it again; the next
   delivery claims it afresh.

An event stuck in processing (the process died between 2 and 4) may be claimed again after
`STALE_AFTER`; handlers are idempotent, so re-running one whose effect committed does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from payments.models import StripeEvent, StripeEventState, TopUpState
from payments.services.topups import topup_close, topup_mark_paid, topup_mark_unpaid
from payments.stripe_gateway import CheckoutSession

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"  # already done: nothing to do
    IN_FLIGHT = "in_flight"  # another delivery is processing it right now
    FAILED = "failed"


def _completed(session: CheckoutSession) -> None:
    # "no_payment_required" cannot happen for a priced line item; treat only "paid" as money.
    if session.payment_status == "paid":
        topup_mark_paid(session=session)
    else:
        topup_mark_unpaid(session=session)


HANDLERS: dict[str, Callable[[CheckoutSession], Any]] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": lambda s: topup_mark_paid(session=s),
    "checkout.session.async_payment_failed": lambda s: topup_close(session=s, state=TopUpState.FAILED),
    "checkout.session.expired": lambda s: topup_close(session=s, state=TopUpState.EXPIRED),
}


def stripe_event_handle(*, event: dict[str, Any]) -> Outcome:
    """Record and process one verified event; safe for every delivery of it, in any order."""
    row = _record(event)
    if not _claim(row.pk):
        state = StripeEvent.objects.values_list("state", flat=True).get(pk=row.pk)
        return Outcome.DUPLICATE if state == StripeEventState.DONE else Outcome.IN_FLIGHT
    try:
        _apply(row.pk)
    except Exception as exc:
        logger.exception("Stripe event %s (%s) failed", row.event_id, row.type)
        _finish(row.pk, StripeEventState.FAILED, error=f"{type(exc).__name__}: {exc}")
        return Outcome.FAILED
    _finish(row.pk, StripeEventState.DONE)
    return Outcome.PROCESSED


def _record(event: dict[str, Any]) -> StripeEvent:
    # get_or_create inserts in a savepoint and falls back to a read on the unique violation, so
    # two simultaneous deliveries end up with the one row.
    row, _created = StripeEvent.objects.get_or_create(
        event_id=event["id"], defaults={"type": event["type"], "payload": event}
    )
    return row


@transaction.atomic(durable=True)
def _claim(pk: int) -> bool:
    row = StripeEvent.objects.select_for_update().get(pk=pk)
    if row.state == StripeEventState.DONE:
        return False
    now = timezone.now()
    if row.state == StripeEventState.PROCESSING and row.started_at and row.started_at > now - STALE_AFTER:
        return False
    row.state = StripeEventState.PROCESSING
    row.attempts += 1
    row.started_at = now
    row.save(update_fields=["state", "attempts", "started_at"])
    return True


@transaction.atomic(durable=True)
def _apply(pk: int) -> None:
    row = StripeEvent.objects.get(pk=pk)
    handler = HANDLERS.get(row.type)
    if handler is None:
        return  # an event type we do not act on
    handler(CheckoutSession.from_stripe(row.payload["data"]["object"]))


@transaction.atomic(durable=True)
def _finish(pk: int, state: str, *, error: str = "") -> None:
    StripeEvent.objects.filter(pk=pk).update(state=state, error=error, finished_at=timezone.now())
