"""How long a job's files stay on disk.

A finished job's folder (inputs, every attempt's log and output files) is removed
`JOB_FILES_RETENTION_DAYS` after the job ended; the job, its timeline, costs and the list of the
files it wrote stay, and its pages say when the files went. Each engine drops its own records of
jobs that ended `ENGINE_RECORDS_RETENTION_DAYS` ago, and uploads left in the staging folder by a
launch that never finished go after `STAGING_RETENTION_HOURS`. `remove_old_files` runs hourly.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compute.models import Pool
from jobs import storage
from jobs.models import TERMINAL_STATES, Job
from jobs.services.lifecycle import engine_for

log = logging.getLogger(__name__)

BATCH = 500  # jobs per run; the hourly schedule catches up on a backlog


@dataclass
class Removed:
    jobs: int = 0
    bytes: int = 0
    staging: int = 0
    engine_records: int = 0


def remove_old_files(*, now: datetime | None = None, batch: int = BATCH) -> Removed:
    now = now or timezone.now()
    removed = Removed()
    cutoff = now - timedelta(days=settings.JOB_FILES_RETENTION_DAYS)
    due = Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
    candidates = list(
        Job.unscoped.filter(due, state__in=TERMINAL_STATES, files_removed_at__isnull=True)
        .order_by("finished_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in candidates:
        job = _claim(pk, due, now)
        if job is not None:  # the row now says the files are gone: a retry can no longer start
            removed.bytes += _size(storage.job_root(job))
            storage.remove(job)
            removed.jobs += 1
    removed.staging = _remove_stale_staging()
    removed.engine_records = _purge_engines()
    if removed.jobs or removed.staging or removed.engine_records:
        log.info(
            "retention removed the files of %d jobs (%d bytes), %d staged uploads, %d engine records",
            removed.jobs,
            removed.bytes,
            removed.staging,
            removed.engine_records,
        )
    return removed


def _claim(pk: int, due: Q, now: datetime) -> Job | None:
    """Mark one job's files removed, under its row lock (the lock retry takes too), if it is still
    finished and due; the files are deleted after the commit."""
    with transaction.atomic():
        job = (
            Job.unscoped.select_for_update(skip_locked=True)
            .filter(due, pk=pk, state__in=TERMINAL_STATES, files_removed_at__isnull=True)
            .first()
        )
        if job is None:
            return None
        job.files_removed_at = now
        job.save(update_fields=["files_removed_at"])
    return job


def _size(folder: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total


def _remove_stale_staging() -> int:
    root = Path(settings.JOBS_ROOT) / "staging"
    if not root.is_dir():
        return 0
    cutoff = time.time() - settings.STAGING_RETENTION_HOURS * 3600
    count = 0
    for entry in root.iterdir():
        try:
            stale = entry.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            count += 1
        elif stale:
            entry.unlink(missing_ok=True)
            count += 1
    return count


def _purge_engines() -> int:
    names = set(settings.COMPUTE_ENGINES) | set(Pool.objects.values_list("engine", flat=True).distinct())
    older_than = timedelta(days=settings.ENGINE_RECORDS_RETENTION_DAYS)
    dropped = 0
    for name in sorted(names):
        try:
            dropped += engine_for(name).purge(older_than)
        except Exception:  # one engine's trouble must not stop the others' clean-up
            log.warning("purging the %s engine's records failed", name, exc_info=True)
    return dropped
