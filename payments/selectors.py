"""Reads for the wallet page and the operator's review list."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from payments.models import BankTransfer, BankTransferState, TopUp, TopUpState


def wallet_topups() -> QuerySet[TopUp]:
    """The active tenant's top-ups, newest first."""
    return TopUp.objects.select_related("created_by").order_by("-created_at", "-pk")


def wallet_bank_transfers() -> QuerySet[BankTransfer]:
    """The active tenant's bank transfers, newest first."""
    return BankTransfer.objects.select_related("submitted_by").order_by("-created_at", "-pk")


def transfers_for_review(state: str = BankTransferState.SUBMITTED) -> QuerySet[BankTransfer]:
    """Every company's transfers in one state (operator staff only): waiting ones oldest first,
    decided ones newest first."""
    order = ("created_at", "pk") if state == BankTransferState.SUBMITTED else ("-reviewed_at", "-pk")
    return (
        BankTransfer.unscoped.filter(state=state)
        .select_related("tenant", "submitted_by", "reviewed_by")
        .order_by(*order)
    )


def topups_to_sync(*, waited: timedelta, within: timedelta) -> QuerySet[TopUp]:
    """Open top-ups (all tenants) whose webhook is overdue: opened more than `waited` ago, and not
    so long ago that Stripe has surely expired the session and told us."""
    now = timezone.now()
    return TopUp.unscoped.filter(
        state=TopUpState.CREATED,
        stripe_session_id__isnull=False,
        created_at__lt=now - waited,
        created_at__gte=now - within,
    ).order_by("pk")
