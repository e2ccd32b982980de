"""kill -9 of the Celery worker while a job runs: after a restart the job is reconciled, never
submitted twice, and its usage recorded (and charged) exactly once."""

import json
from datetime import timedelta

import pytest

from billing.models import Charge, Hold, HoldState
from billing.services import ledger
from billing.services.pricebook import card_seconds_cost
from jobs.models import Job, JobState, UsageRecord
from jobs.services.launch import launch
from tenants.scoping import tenant_context
from tests.celery_worker import Worker
from tests.flows import world
from tests.flows.test_job_flow import tabular_request, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_killed_mid_job_reconciles_once(tmp_path, job_dirs):
    w = world.build()
    start_balance = ledger.balance(w.company)
    env = {
        **job_dirs,
        "METERING_INTERVAL_SECONDS": "1",
        "JOBS_TICK_SECONDS": "1",
        "BILLING_TICK_SECONDS": "2",
        "WORKLOAD_SLOWDOWN_SECONDS": "1.5",
    }
    first = Worker(tmp_path / "mail", beat=True, env=env).start()
    try:
        with tenant_context(w.company):
            job, _ = launch(tenant=w.company, actor=w.owner.user, request=tabular_request(w))
        wait_for(lambda: Job.unscoped.filter(pk=job.pk, state__in=["starting", "running"]).exists(), timeout=60)
        wait_for(lambda: UsageRecord.unscoped.filter(job=job).count() >= 2, timeout=60)
    finally:
        first.kill()
    engine_id = Job.unscoped.get(pk=job.pk).engine_job_id
    assert engine_id
    second = Worker(tmp_path / "mail2", beat=True, env=env, purge=False).start()
    try:
        job = wait_for(lambda: Job.unscoped.filter(pk=job.pk, state__in=["succeeded", "failed"]).first(), timeout=90)
        assert job.state == JobState.SUCCEEDED, job.failure
        wait_for(lambda: Hold.unscoped.filter(job=job, state=HoldState.SETTLED).exists(), timeout=60)
    finally:
        second.stop()
    job.refresh_from_db()
    assert job.engine_job_id == engine_id  # the same engine job: never submitted again
    engine_jobs = list((tmp_path / "engine").rglob("*.json"))
    records_for_job = [p for p in engine_jobs if f"job-{job.pk}-attempt-1" in p.as_posix()]
    assert records_for_job, [p.as_posix() for p in engine_jobs]
    log = (tmp_path / "jobs" / str(job.tenant_id) / str(job.pk) / "attempt-1" / "log.txt").read_text()
    assert log.count("tabular") >= 1
    # Usage: intervals 0..n, once each, one final; card-seconds add up to the run's length.
    usage = list(UsageRecord.unscoped.filter(job=job).order_by("seq"))
    assert [u.seq for u in usage] == list(range(len(usage)))
    assert sum(u.is_final for u in usage) == 1 and usage[-1].is_final
    run = (job.finished_at - job.started_at).total_seconds()
    assert abs(sum(u.card_seconds for u in usage) - run) <= 1
    assert usage[-1].cum_card_seconds == sum(u.card_seconds for u in usage)
    assert all(u.rated for u in usage)
    charges = Charge.unscoped.filter(job=job)
    # One charge per record at most (records under a fen are free); together exactly the whole run's cost.
    assert charges.count() <= len(usage)
    assert len(set(charges.values_list("usage_id", flat=True))) == charges.count()
    price = charges.first().price.amount_fen
    assert sum(c.amount_fen for c in charges) == card_seconds_cost(price, usage[-1].cum_card_seconds)
    assert ledger.balance(w.company) == start_balance - sum(c.amount_fen for c in charges)
    assert json.loads((tmp_path / "jobs" / str(job.tenant_id) / str(job.pk) / "attempt-1" / "params.json").read_text())
    assert job.finished_at - job.started_at < timedelta(minutes=5)
