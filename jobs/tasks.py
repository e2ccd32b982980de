"""Celery tasks for jobs. None of them waits for a job: each does one short step and returns.

- `submit_job` hands one admitted job to its engine (enqueued on commit of the admission).
- `reconcile_jobs` (beat, every few seconds) ticks the engines, applies their status to every
  job at an engine, meters usage, re-submits admissions whose task was lost and admits waiting jobs.
All are idempotent, so `acks_late` redelivery after a worker crash is harmless.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from jobs.models import Job, JobState
from jobs.services import lifecycle, webhooks
from tenants.scoping import tenant_task

log = logging.getLogger(__name__)

RESUBMIT_AFTER_SECONDS = 30


@shared_task(acks_late=True)
@tenant_task
def submit_job(job_id: int, *, tenant) -> bool:
    return lifecycle.submit(job_id)


@shared_task(acks_late=True)
def admit_pending(tenant_id: int, chip_type_id: int) -> int:
    return lifecycle.admit(tenant_id, chip_type_id)


@shared_task(acks_late=True)
def reconcile_jobs() -> dict:
    """One pass over everything in flight."""
    engines = set(
        Job.unscoped.filter(state__in=(JobState.QUEUED, JobState.STARTING, JobState.RUNNING))
        .values_list("engine", flat=True)
        .distinct()
    ) | set(settings.COMPUTE_ENGINES)
    for name in engines:
        try:
            lifecycle.engine_for(name).tick()
        except Exception:  # one broken engine must not stop the others being reconciled
            log.exception("engine %s tick failed", name)
    applied = 0
    for job_id in lifecycle.active_job_ids():
        try:
            lifecycle.reconcile(job_id)
            applied += 1
        except Exception:
            log.exception("reconciling job %s failed", job_id)
    stale = timezone.now() - timedelta(seconds=RESUBMIT_AFTER_SECONDS)
    lost = Job.unscoped.filter(state=JobState.QUEUED, engine_job_id="", created_at__lt=stale)
    for job_id, tenant_id in lost.values_list("pk", "tenant_id"):
        submit_job.delay(job_id, tenant_id=tenant_id)
    waiting = set(Job.unscoped.filter(state=JobState.PENDING).values_list("tenant_id", "pool__chip_type_id").distinct())
    for tenant_id, chip_type_id in waiting:
        lifecycle.admit(tenant_id, chip_type_id)
    for job in Job.unscoped.filter(state=JobState.PENDING, deadline__lte=timezone.now()):
        try:
            lifecycle.cancel(job=job, actor=None, reason="deadline")
        except lifecycle.JobActionError:
            pass
    return {"reconciled": applied, "resubmitted": len(lost), "waiting_groups": len(waiting)}


@shared_task(bind=True, acks_late=True, max_retries=6)
@tenant_task
def deliver_webhook(self, delivery_id: int, *, tenant) -> bool:
    if webhooks.deliver(delivery_id):
        return True
    raise self.retry(countdown=min(3600, 10 * 4**self.request.retries))


@shared_task
def remove_old_files() -> dict:
    """Hourly: retention of job files, staged uploads and engine records (jobs/services/retention.py)."""
    from dataclasses import asdict

    from jobs.services.retention import remove_old_files as remove

    return asdict(remove())
