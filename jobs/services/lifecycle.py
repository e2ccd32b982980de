"""The job state machine and everything that moves a job along it.

    pending ──admit──▶ queued ──submit/engine──▶ starting ──progress──▶ running
       │                  │                         │                      │
       └──────────────────┴───── cancelled / failed / timed_out / succeeded ◀┘

- `pending`: created and paid for (hold placed), waiting for the tenant's concurrent quota.
- `queued`: quota taken; submitted to the engine (or about to be), waiting for free cards.
- `starting`: the engine started the workload, which has not reported progress yet.
- `running`: the workload reports progress.
Celery never waits for a job: `submit()` hands it to the engine and stores the engine's id;
`reconcile()` (run by a short periodic task) reads the engine's status and applies it, meters
usage and finishes the job. Every step locks the job row and is safe to repeat.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from compute import quotas
from compute.engines.base import EngineState, EngineStatus, JobSpec, get_engine
from jobs import storage
from jobs.models import (
    ACTIVE_STATES,
    ADMITTED_STATES,
    TERMINAL_STATES,
    Job,
    JobArtifact,
    JobEvent,
    JobState,
    UsageRecord,
    WaitReason,
)

log = logging.getLogger(__name__)

FAILURE_MESSAGES = {
    "time_limit": _("The job ran longer than its time limit and was stopped."),
    "deadline": _("The job did not finish before its deadline and was stopped."),
    "input_error": _("The workload could not use the inputs."),
    "lost": _("The compute engine lost track of the job."),
    "credit_exhausted": _("The job was stopped because your funds ran out."),
    "cancelled_by_user": _("Cancelled at your request."),
}


# The engine's time limit is cut to the deadline at submission; a stop this close to it was the deadline.
DEADLINE_SLACK = timedelta(seconds=5)


class JobActionError(Exception):
    pass


def engine_for(name: str):
    return get_engine(name, settings.COMPUTE_ENGINES.get(name, {}))


# ---------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------


def transition(
    job: Job, to_state: str, *, reason: str = "", detail: str = "", at: datetime | None = None, from_state=None
) -> None:
    """Move the (locked) job to `to_state` and put the step on its timeline."""
    from_state = job.state if from_state is None else from_state
    job.state = to_state
    if to_state in TERMINAL_STATES:
        job.finished_at = job.finished_at or at or timezone.now()
        job.wait_reason = WaitReason.NONE
    job.save()
    event = JobEvent.unscoped.create(
        tenant_id=job.tenant_id,
        job=job,
        attempt=job.attempt,
        at=at or timezone.now(),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        detail=detail[:500],
    )
    from jobs.services import webhooks

    webhooks.enqueue(event)


def _locked(job_id: int, *, skip_locked: bool = False) -> Job | None:
    qs = Job.unscoped.select_for_update(skip_locked=skip_locked, of=("self",)).select_related("pool", "tenant")
    return qs.filter(pk=job_id).first()


# ---------------------------------------------------------------------------------------------
# Admission: taking quota
# ---------------------------------------------------------------------------------------------


def try_admit(job: Job) -> bool:
    """Admit the (locked, pending) job if the tenant's concurrent quota allows; caller holds the quota lock."""
    limits = quotas.limits_for(job.tenant, job.pool.chip_type_id)
    usage = quotas.usage_for(job.tenant, job.pool.chip_type_id)
    if not quotas.fits_now(limits, usage, job.cards):
        if job.wait_reason != WaitReason.QUOTA:
            job.wait_reason = WaitReason.QUOTA
            job.save(update_fields=["wait_reason"])
        return False
    job.wait_reason = WaitReason.ENGINE
    transition(job, JobState.QUEUED, reason="admitted")
    transaction.on_commit(lambda: _enqueue_submit(job.pk, job.tenant_id))
    return True


def admit(tenant_id: int, chip_type_id: int) -> int:
    """Admit waiting jobs of one tenant and chip type, oldest first, while the quota allows."""
    from tenants.models import Tenant

    admitted = 0
    with transaction.atomic():
        tenant = Tenant.objects.get(pk=tenant_id)
        quotas.lock(tenant, chip_type_id)
        waiting = Job.unscoped.filter(
            tenant_id=tenant_id, pool__chip_type_id=chip_type_id, state=JobState.PENDING
        ).order_by("created_at", "id")
        for job_id in waiting.values_list("pk", flat=True):
            job = _locked(job_id)
            if job is None or job.state != JobState.PENDING:
                continue
            if not try_admit(job):
                break  # strict FIFO: a big job at the head is not overtaken
            admitted += 1
    return admitted


def admit_later(tenant_id: int, chip_type_id: int) -> None:
    from jobs.tasks import admit_pending

    transaction.on_commit(lambda: admit_pending.delay(tenant_id, chip_type_id))


def _enqueue_submit(job_id: int, tenant_id: int) -> None:
    from jobs.tasks import submit_job

    submit_job.delay(job_id, tenant_id=tenant_id)


# ---------------------------------------------------------------------------------------------
# Submission and reconciliation
# ---------------------------------------------------------------------------------------------


def submit(job_id: int) -> bool:
    """Hand an admitted job to its engine, once. Safe to repeat: the engine's submit is keyed by job
    and attempt, so a task redelivered after a worker crash gets the same engine id back."""
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.state != JobState.QUEUED or job.engine_job_id:
            return False
        folder = storage.prepare_attempt(job)
        spec = JobSpec(
            key=f"job-{job.pk}-attempt-{job.attempt}",
            workload=job.workload,
            job_dir=folder,
            cards=job.cards,
            pool=f"pool-{job.pool_id}",
            pool_cards=job.pool.total_cards,
            time_limit_seconds=_time_limit(job),
            env=dict(settings.JOB_EXTRA_ENV),
            placement=job.pool.engine_placement(),
            labels={"tenant": str(job.tenant_id), "job": str(job.pk), "attempt": str(job.attempt)},
        )
        job.engine_job_id = engine_for(job.engine).submit(spec)
        job.submitted_at = timezone.now()
        job.save(update_fields=["engine_job_id", "submitted_at"])
    return True


def _time_limit(job: Job) -> int:
    limit = job.time_limit_seconds
    if job.deadline:
        limit = min(limit, max(1, int((job.deadline - timezone.now()).total_seconds())))
    return limit


def reconcile(job_id: int) -> str | None:
    """Read the engine's view of the job and apply it. Returns the job's state after (None if busy)."""
    with transaction.atomic():
        job = _locked(job_id, skip_locked=True)
        if job is None:
            return None
        if job.state not in ADMITTED_STATES or not job.engine_job_id:
            return job.state
        status = engine_for(job.engine).status(job.engine_job_id)
        _apply(job, status)
        return job.state


def _apply(job: Job, status: EngineStatus) -> None:
    now = timezone.now()
    if status.started_at and not job.started_at:
        job.started_at = status.started_at
    if status.progress is not None:
        job.progress = status.progress
    # While queued, the stage is the engine's word on why it waits (e.g. Slurm's "Priority"); it is
    # replaced, not kept, once the job starts.
    job.stage = (status.stage or ("" if job.state == JobState.QUEUED else job.stage))[:200]
    job.queue_ahead = status.ahead if status.state == EngineState.QUEUED else None
    if status.state == EngineState.QUEUED:
        job.wait_reason = WaitReason.NO_FREE_CARDS if status.reason == "no_free_cards" else WaitReason.ENGINE
        job.save()
    elif status.state == EngineState.RUNNING:
        record_usage(job, until=now, final=False)
        if job.state == JobState.QUEUED:
            job.wait_reason = WaitReason.LOADING
            transition(job, JobState.STARTING, reason="started", at=status.started_at)
        if job.state == JobState.STARTING and status.progress is not None:
            job.wait_reason = WaitReason.NONE
            transition(job, JobState.RUNNING, reason="progress")
        job.save()
        if job.deadline and now >= job.deadline:
            engine_for(job.engine).cancel(job.engine_job_id)
            job.failure = "deadline"
            job.save(update_fields=["failure"])
    else:
        _finish(job, status)


def _finish(job: Job, status: EngineStatus) -> None:
    """The engine says the attempt is over: meter the tail, keep the artifacts, settle up."""
    end = status.finished_at or timezone.now()
    if job.started_at:
        record_usage(job, until=end, final=True)
    if job.state == JobState.QUEUED and job.started_at:  # it started and ended between two reconciles
        transition(job, JobState.STARTING, reason="started", at=job.started_at)
    to_state, reason = _outcome(job, status)
    if to_state == JobState.SUCCEEDED:
        _collect_artifacts(job)
        job.progress = 100
    elif reason == "input_error" and status.error:
        job.failure = str(status.error.get("message", ""))[:500]
    elif not job.failure or job.failure in FAILURE_MESSAGES:
        job.failure = reason
    transition(job, to_state, reason=reason, at=end, detail=job.failure if to_state != JobState.SUCCEEDED else "")
    admit_later(job.tenant_id, job.pool.chip_type_id)
    from billing.tasks import rate_usage

    transaction.on_commit(lambda: rate_usage.delay())


def _outcome(job: Job, status: EngineStatus) -> tuple[str, str]:
    if status.state == EngineState.SUCCEEDED:
        return JobState.SUCCEEDED, "succeeded"
    if status.state == EngineState.CANCELLED:
        if job.failure == "deadline":
            return JobState.TIMED_OUT, "deadline"
        if job.failure == "credit_exhausted":
            return JobState.CANCELLED, "credit_exhausted"
        return JobState.CANCELLED, "cancelled_by_user"
    if status.state == EngineState.TIMED_OUT:
        ended = status.finished_at or timezone.now()
        by_deadline = job.failure == "deadline" or (job.deadline and ended >= job.deadline - DEADLINE_SLACK)
        return JobState.TIMED_OUT, "deadline" if by_deadline else "time_limit"
    if status.state == EngineState.LOST:
        return JobState.FAILED, "lost"
    return JobState.FAILED, status.reason or "failed"


def _collect_artifacts(job: Job) -> None:
    rows = [
        JobArtifact(
            tenant_id=job.tenant_id,
            job=job,
            attempt=job.attempt,
            name=name,
            path=str(path.relative_to(settings.JOBS_ROOT)),
            size=path.stat().st_size,
        )
        for name, path in storage.output_files(job, job.attempt)
    ]
    JobArtifact.unscoped.bulk_create(rows, ignore_conflicts=True)


# ---------------------------------------------------------------------------------------------
# Metering
# ---------------------------------------------------------------------------------------------


def record_usage(job: Job, *, until: datetime, final: bool) -> int:
    """Record card-seconds for every whole interval since the attempt started (and, when `final`,
    the last partial one). Intervals are numbered from the engine's start time, so recording again
    inserts nothing new: each record is keyed by (job, attempt, seq). Returns records added."""
    if not job.started_at:
        return 0
    step = settings.METERING_INTERVAL_SECONDS
    elapsed = max(0.0, (until - job.started_at).total_seconds())
    whole = int(elapsed // step)
    last = UsageRecord.unscoped.filter(job=job, attempt=job.attempt).order_by("-seq").first()
    if last and last.is_final:
        return 0
    next_seq = last.seq + 1 if last else 0
    cum = last.cum_card_seconds if last else 0
    rows = []
    for seq in range(next_seq, whole):
        cum += job.cards * step
        rows.append(_usage_row(job, seq, step, cum, final=False))
    if final:
        tail = round(elapsed - whole * step)
        if tail > 0 or (not rows and last is None):
            cum += job.cards * tail
            rows.append(_usage_row(job, whole, tail, cum, final=True))
        elif rows:
            rows[-1].is_final = True
        elif last is not None:
            rows.append(_usage_row(job, whole, 0, cum, final=True))
    UsageRecord.unscoped.bulk_create(rows, ignore_conflicts=True)
    job.card_seconds = UsageRecord.unscoped.filter(job=job).aggregate(s=Sum("card_seconds"))["s"] or 0
    job.save(update_fields=["card_seconds"])
    return len(rows)


def _usage_row(job: Job, seq: int, seconds: int, cum: int, *, final: bool) -> UsageRecord:
    start = job.started_at + timedelta(seconds=seq * settings.METERING_INTERVAL_SECONDS)
    return UsageRecord(
        tenant_id=job.tenant_id,
        job=job,
        attempt=job.attempt,
        seq=seq,
        pool_id=job.pool_id,
        period_start=start,
        period_end=start + timedelta(seconds=seconds),
        card_seconds=job.cards * seconds,
        cum_card_seconds=cum,
        is_final=final,
    )


# ---------------------------------------------------------------------------------------------
# What users do to a job
# ---------------------------------------------------------------------------------------------


def cancel(*, job: Job, actor, reason: str = "cancelled_by_user") -> Job:
    """Stop the job. Not yet at the engine: cancelled at once. At the engine: asked to stop, and the
    reconciler records the end (with the usage up to that moment)."""
    with transaction.atomic():
        locked = _locked(job.pk)
        if locked is None or locked.state not in ACTIVE_STATES:
            raise JobActionError(_("This job has already finished."))
        locked.cancel_requested_at = timezone.now()
        if reason != "cancelled_by_user":
            locked.failure = reason
        if locked.engine_job_id:
            locked.save()
            engine_for(locked.engine).cancel(locked.engine_job_id)
        else:
            final = JobState.TIMED_OUT if reason == "deadline" else JobState.CANCELLED
            transition(locked, final, reason=reason)
            admit_later(locked.tenant_id, locked.pool.chip_type_id)
            from billing.tasks import rate_usage

            transaction.on_commit(lambda: rate_usage.delay())
        audit_record(action="job.cancel", tenant=locked.tenant, actor=actor, obj=locked, after={"reason": reason})
    if locked.engine_job_id:
        reconcile(locked.pk)
    locked.refresh_from_db()
    return locked


def retry(*, job: Job, actor) -> Job:
    """Run a failed or timed-out job again: a new attempt of the same job, with a new hold."""
    from billing.services import holds

    with transaction.atomic():
        locked = _locked(job.pk)
        if locked is None or locked.state not in (JobState.FAILED, JobState.TIMED_OUT):
            raise JobActionError(_("Only failed or timed-out jobs can be retried."))
        if locked.files_removed_at is not None:
            raise JobActionError(
                _("This job's input files have been removed (they are kept for %(days)d days); launch it again.")
                % {"days": settings.JOB_FILES_RETENTION_DAYS}
            )
        if locked.deadline and locked.deadline <= timezone.now():
            raise JobActionError(_("The job's deadline has passed; launch it again with a new deadline."))
        quotas.lock(locked.tenant, locked.pool.chip_type_id)
        locked.attempt = F("attempt") + 1
        locked.save(update_fields=["attempt"])
        locked.refresh_from_db()
        locked.engine_job_id = ""
        locked.progress = None
        locked.stage = ""
        locked.failure = ""
        locked.started_at = None
        locked.finished_at = None
        locked.submitted_at = None
        locked.cancel_requested_at = None
        locked.credit_warned_at = None
        holds.place(job=locked, amount_fen=locked.estimate_fen - locked.voucher_estimate_fen, actor=actor)
        transition(locked, JobState.PENDING, reason="retry")
        try_admit(locked)
        audit_record(
            action="job.retry", tenant=locked.tenant, actor=actor, obj=locked, after={"attempt": locked.attempt}
        )
    return locked


def active_job_ids() -> list[int]:
    return list(Job.unscoped.filter(state__in=ADMITTED_STATES).exclude(engine_job_id="").values_list("pk", flat=True))
