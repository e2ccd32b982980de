"""Holds: funds reserved at launch, drawn by charges while the job runs, released once at the end."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Hold, HoldState, TxnKind
from billing.services import ledger


def place(*, job, amount_fen: int, actor=None) -> Hold:
    """Reserve `amount_fen` of the job's tenant's wallet for this attempt. Raises
    `ledger.InsufficientFunds` (and the caller's transaction rolls back) when the wallet is short."""
    hold = Hold.unscoped.create(tenant=job.tenant, job=job, attempt=job.attempt, amount_fen=amount_fen)
    if amount_fen:
        ledger.post(
            kind=TxnKind.HOLD,
            key=f"hold:{hold.pk}",
            legs=[(ledger.wallet(job.tenant), -amount_fen), (ledger.holds(job.tenant), amount_fen)],
            tenant=job.tenant,
            memo=f"job {job.pk} attempt {job.attempt}",
            actor=actor,
        )
    return hold


def settle(hold: Hold) -> bool:
    """Release what the hold has left back to the wallet, exactly once. Returns whether it did."""
    with transaction.atomic():
        hold = Hold.unscoped.select_for_update().get(pk=hold.pk)
        if hold.state != HoldState.OPEN:
            return False
        rest = hold.remaining_fen
        if rest:
            ledger.post(
                kind=TxnKind.RELEASE,
                key=f"release:{hold.pk}",
                legs=[(ledger.holds(hold.tenant), -rest), (ledger.wallet(hold.tenant), rest)],
                tenant=hold.tenant,
                memo=f"job {hold.job_id} attempt {hold.attempt}",
            )
        hold.released_fen = rest
        hold.state = HoldState.SETTLED
        hold.settled_at = timezone.now()
        hold.save(update_fields=["released_fen", "state", "settled_at"])
        return True


def release_stale() -> int:
    """Release holds whose job ended more than HOLD_RELEASE_AFTER_SECONDS ago but were never settled
    (e.g. rating stalled): money must not stay locked forever. Returns how many were released."""
    from jobs.models import TERMINAL_STATES

    cutoff = timezone.now() - timedelta(seconds=settings.HOLD_RELEASE_AFTER_SECONDS)
    stale = Hold.unscoped.filter(
        state=HoldState.OPEN, job__state__in=TERMINAL_STATES, job__finished_at__lt=cutoff
    ).only("pk")
    return sum(settle(hold) for hold in stale)
