"""A job from launch to settled money, through a real Celery worker (with beat), the local engine
and a real workload."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Charge, Hold, HoldState
from billing.services import ledger
from jobs.models import UNRATED, Job, JobState, UsageRecord
from jobs.services.launch import LaunchRequest, launch
from tenants.scoping import tenant_context
from tests.celery_worker import Worker
from tests.flows import world

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout: float = 90, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def tabular_request(w, **overrides) -> LaunchRequest:
    params = {"target_column": "label", "task": "classification", "test_fraction": 0.25}
    files = {"dataset_csv": SimpleUploadedFile("data.csv", world.CSV.encode(), content_type="text/csv")}
    return LaunchRequest(version=w.tabular, pool=w.pool, cards=1, params=params, files=files, **overrides)


def test_launch_runs_a_real_workload_and_settles(tmp_path, job_dirs):
    w = world.build()
    start_balance = ledger.balance(w.company)
    worker = Worker(tmp_path / "mail", beat=True, env={**job_dirs, "METERING_INTERVAL_SECONDS": "2"}).start()
    try:
        with tenant_context(w.company):
            job, created = launch(tenant=w.company, actor=w.owner.user, request=tabular_request(w))
        assert created
        assert Hold.unscoped.get(job=job).amount_fen == job.estimate_fen > 0
        assert ledger.balance(w.company) == start_balance - job.estimate_fen
        job = wait_for(lambda: Job.unscoped.filter(pk=job.pk, state__in=["succeeded", "failed"]).first())
        assert job.state == JobState.SUCCEEDED, (job.failure, "".join(worker.output[-40:]))
        names = set(job.artifacts.model.unscoped.filter(job=job).values_list("name", flat=True))
        assert {"metrics.json", "model.joblib"} <= names
        states = list(job.events.model.unscoped.filter(job=job).values_list("to_state", flat=True))
        assert states[:2] == ["pending", "queued"] and states[-1] == "succeeded"
        assert "running" in states or "starting" in states
        # Usage metered and rated; the hold settled; the wallet paid exactly the charges.
        hold = wait_for(lambda: Hold.unscoped.filter(job=job, state=HoldState.SETTLED).first(), timeout=60)
        records = UsageRecord.unscoped.filter(job=job)
        assert records.exists() and not records.filter(UNRATED).exists()
        assert records.filter(is_final=True).count() == 1
        charged = sum(Charge.unscoped.filter(job=job).values_list("amount_fen", flat=True))
        assert hold.drawn_fen + hold.released_fen == hold.amount_fen
        assert ledger.balance(w.company) == start_balance - charged
    finally:
        worker.stop()
