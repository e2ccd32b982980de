"""Periodic voucher work."""

from celery import shared_task

from vouchers import services


@shared_task(acks_late=True)
def expire_vouchers() -> int:
    """Move what expired vouchers have left to their program's breakage (idempotent)."""
    return services.expire_due()
