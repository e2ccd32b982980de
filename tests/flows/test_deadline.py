"""Deadlines: a running job is stopped at its deadline; a job still waiting when it passes never runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Hold, HoldState
from billing.services import rating
from jobs.models import Job, JobState
from jobs.services.launch import launch
from jobs.tasks import reconcile_jobs
from tenants.scoping import tenant_context
from tests.celery_worker import Worker
from tests.flows import world
from tests.flows.test_job_flow import tabular_request, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_running_job_is_stopped_at_its_deadline(tmp_path, job_dirs):
    w = world.build()
    env = {**job_dirs, "JOBS_TICK_SECONDS": "1", "WORKLOAD_SLOWDOWN_SECONDS": "3"}
    worker = Worker(tmp_path / "mail", beat=True, env=env).start()
    try:
        with tenant_context(w.company):
            job, _ = launch(
                tenant=w.company,
                actor=w.owner.user,
                request=tabular_request(w, deadline=timezone.now() + timedelta(seconds=6)),
            )
        job = wait_for(lambda: Job.unscoped.filter(pk=job.pk, state__in=["timed_out", "succeeded", "failed"]).first())
    finally:
        worker.stop()
    assert job.state == JobState.TIMED_OUT
    assert job.events.model.unscoped.filter(job=job, to_state="timed_out", reason="deadline").exists()


def test_waiting_job_past_its_deadline_times_out_and_releases_its_hold(job_dirs):
    w = world.build(cards_quota=1)
    with tenant_context(w.company):
        first, _ = launch(tenant=w.company, actor=w.owner.user, request=tabular_request(w))
        waiting, _ = launch(
            tenant=w.company,
            actor=w.owner.user,
            request=tabular_request(w, deadline=timezone.now() + timedelta(hours=1)),
        )
    assert waiting.state == JobState.PENDING
    Job.unscoped.filter(pk=waiting.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    reconcile_jobs()
    waiting.refresh_from_db()
    assert waiting.state == JobState.TIMED_OUT and not waiting.engine_job_id
    rating.rate_pending()
    assert Hold.unscoped.get(job=waiting).state == HoldState.SETTLED
    assert first.pk != waiting.pk
