"""Periodic budget checks (beat): safe to re-run, each threshold alerts once per month."""

from celery import shared_task

from statements.services import budgets_check


@shared_task(acks_late=True)
def check_budgets() -> int:
    return budgets_check()
