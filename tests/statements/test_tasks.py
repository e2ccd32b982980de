"""`statements.tasks.check_budgets` run by a real Celery worker, as beat would."""

import time

import pytest

from notifications.models import Notification
from statements.models import BudgetAlert
from statements.services import budget_set
from statements.tasks import check_budgets
from tests.celery_worker import Worker
from tests.statements.conftest import make_shop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def wait_for(predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def finished(worker: Worker) -> list[str]:
    """The results of the worker's finished `check_budgets` runs, in order (e.g. ": 1")."""
    lines = [line for line in list(worker.output) if "statements.tasks.check_budgets" in line and "succeeded" in line]
    return [line.rstrip()[line.rstrip().rindex(":") :] for line in lines]


def test_worker_alerts_once_and_emails_the_owner(tmp_path):
    shop = make_shop()
    budget_set(tenant=shop.company, amount_fen=1000, actor=shop.owner.user)
    shop.use(shop.launch(), 3600)  # 80%
    worker = Worker(tmp_path / "mail").start()
    try:
        check_budgets.delay()
        wait_for(lambda: Notification.objects.filter(recipient=shop.owner.user).exists())
        mail = worker.wait_for_mail(1)
        assert "80% of this month's budget is used" in mail[0]
        check_budgets.delay()  # later runs (beat fires again) say nothing new
        check_budgets.delay()
        wait_for(lambda: len(finished(worker)) == 3)
        assert finished(worker) == [": 1", ": 0", ": 0"]
        assert Notification.objects.filter(recipient=shop.owner.user).count() == 1
        assert list(BudgetAlert.unscoped.values_list("threshold", flat=True)) == [80]
    finally:
        worker.stop()
