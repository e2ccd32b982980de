"""Periodic money work: rating usage, the credit guard, releasing stale holds."""

from celery import shared_task

from billing.services import credit_guard, holds, rating


@shared_task(acks_late=True)
def rate_usage() -> int:
    """Rate what is unrated and settle holds of finished jobs (idempotent; run often)."""
    return rating.rate_pending()


@shared_task(acks_late=True)
def guard_credit() -> int:
    return credit_guard.check_running_jobs()


@shared_task(acks_late=True)
def release_stale_holds() -> int:
    return holds.release_stale()
