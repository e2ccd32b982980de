"""A job that runs past its funds is warned about, then stopped by the credit guard; the wallet
never goes below zero."""

import pytest

from billing.models import Charge, PriceUnit
from billing.services import ledger, pricebook
from jobs.models import UNRATED, Job, JobState, UsageRecord
from jobs.services.launch import launch
from notifications.models import Notification
from tenants.scoping import tenant_context
from tests.celery_worker import Worker
from tests.flows import world
from tests.flows.test_job_flow import tabular_request, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_credit_guard_stops_a_job_that_runs_out_of_money(tmp_path, job_dirs):
    w = world.build(wallet_fen=0)
    pricebook.set_price(offering=w.pool.offering, unit=PriceUnit.CARD_HOUR, amount_fen=360_000)
    world.fund(w.company, 6_500)  # the estimate (1 card × 1 min at ¥3,600/h = ¥60) and ¥5 more
    env = {
        **job_dirs,
        "METERING_INTERVAL_SECONDS": "1",
        "JOBS_TICK_SECONDS": "1",
        "BILLING_TICK_SECONDS": "1",
        "CREDIT_WARN_SECONDS": "5",
        "CREDIT_GRACE_SECONDS": "2",
        "WORKLOAD_SLOWDOWN_SECONDS": "4",
    }
    worker = Worker(tmp_path / "mail", beat=True, env=env).start()
    try:
        with tenant_context(w.company):
            job, _ = launch(tenant=w.company, actor=w.owner.user, request=tabular_request(w))
        assert job.estimate_fen == 6_000
        # The price rises tenfold while the job runs: the hold no longer covers it.
        pricebook.set_price(offering=w.pool.offering, unit=PriceUnit.CARD_HOUR, amount_fen=3_600_000)
        job = wait_for(
            lambda: Job.unscoped.filter(pk=job.pk, state__in=["cancelled", "succeeded", "failed"]).first(), timeout=120
        )
        assert job.state == JobState.CANCELLED, (job.state, job.failure)
        assert job.failure == "credit_exhausted"
        wait_for(lambda: not UsageRecord.unscoped.filter(UNRATED, job=job).exists(), timeout=30)
    finally:
        worker.stop()
    assert ledger.wallet(w.company).balance_fen >= 0
    assert ledger.holds(w.company).balance_fen == 0
    charges = Charge.unscoped.filter(job=job)
    paid = sum(c.hold_fen + c.wallet_fen for c in charges)
    # Warned, then stopped after the grace period: it paid what it used, out of what the company had.
    assert 0 < paid <= 6_500
    assert paid + ledger.wallet(w.company).balance_fen == 6_500
    assert sum(c.unpaid_fen for c in charges) <= 1_000  # at most one interval the funds did not cover
    assert Notification.objects.filter(recipient=w.owner.user).exists()
