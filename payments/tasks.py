"""Reconciling top-ups whose webhook never arrived. Thin tasks: ids in, one service call."""

from datetime import timedelta

from celery import shared_task

from payments.models import TopUp
from payments.selectors import topups_to_sync
from payments.services.topups import topup_sync
from payments.stripe_gateway import PaymentProviderError
from tenants.scoping import tenant_task

SYNC_AFTER = timedelta(minutes=15)
SYNC_WITHIN = timedelta(days=2)


@shared_task
def sync_overdue_topups() -> int:
    """Periodic: ask Stripe about each overdue open top-up. Returns how many were queued."""
    pairs = list(topups_to_sync(waited=SYNC_AFTER, within=SYNC_WITHIN).values_list("pk", "tenant_id"))
    for topup_id, tenant_id in pairs:
        sync_topup.delay(topup_id, tenant_id=tenant_id)
    return len(pairs)


@shared_task(autoretry_for=(PaymentProviderError,), max_retries=3, retry_backoff=30, retry_jitter=True)
@tenant_task
def sync_topup(topup_id: int, *, tenant) -> str | None:
    topup = TopUp.objects.filter(pk=topup_id).first()
    if topup is None:
        return None  # deleted meanwhile
    return topup_sync(topup=topup).state
