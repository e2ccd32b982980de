"""Celery tasks for idempotency keys: thin and safe to re-run."""

from celery import shared_task

from idempotency.services import idempotent_requests_expire


@shared_task
def expire_idempotency_keys() -> int:
    return idempotent_requests_expire()
