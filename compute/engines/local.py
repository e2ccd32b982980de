"""The local engine: jobs run as detached processes on this host, limited by card slots per pool.

Each job gets a runner process (``local_runner``) that outlives the Celery worker that submitted it
and records the outcome; everything else here only reads and writes small files under ``root``
(layout in ``local_store``), so ``status()`` is cheap and any worker process can answer for any job.
"""

from __future__ import annotations

import codecs
import re
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from compute.engines.base import Engine, EngineState, EngineStatus, JobSpec
from compute.engines.local_scheduler import reconcile_pool
from compute.engines.local_store import (
    JobFiles,
    ProcessRef,
    create_json,
    now_iso,
    parse_time,
    pool_paths,
    read_json,
    safe_name,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What a job inherits from the worker's environment; everything else (database URL, Stripe and
# Django secrets) stays out of reach of the workload.
DEFAULT_INHERITED_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_*",
    "TZ",
    "TMPDIR",
    "VIRTUAL_ENV",
    "OMP_NUM_THREADS",
    "CUDA_*",
    "NVIDIA_*",
    "HF_*",
    "TRANSFORMERS_*",
    "TORCH_*",
)
_WORKLOAD_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_MAX_CHARACTER_BYTES = 4  # the longest UTF-8 character


class LocalEngine(Engine):
    """Runs ``python -m <workload_module> <workload> --job-dir <job_dir>`` per job on this host."""

    name = "local"
    default_root = "engine"

    def __init__(
        self,
        root: Path | str,
        python: str = sys.executable,
        workload_module: str = "workloads",
        *,
        pythonpath: Sequence[Path | str] = (PROJECT_ROOT,),
        kill_grace_seconds: float = 5.0,
        inherit_env: Sequence[str] = DEFAULT_INHERITED_ENV,
    ) -> None:
        self.root = Path(root)
        self.launch = {
            "python": python,
            "workload_module": workload_module,
            "pythonpath": [str(path) for path in pythonpath],
            "kill_grace_seconds": kill_grace_seconds,
            "inherit_env": list(inherit_env),
        }

    def submit(self, spec: JobSpec) -> str:
        """Record the job under an id derived from its key, queue it and start it if its cards are free."""
        _validate(spec)
        engine_id = safe_name(spec.key)
        files = JobFiles(self.root, engine_id)
        files.create(self._record(spec, engine_id))
        record = read_json(files.record) or {}
        # Also for a repeated key: queues the job if the first submit died before it got that far.
        reconcile_pool(self.root, record["pool"], enqueue=engine_id, cards=spec.pool_cards)
        return engine_id

    def _record(self, spec: JobSpec, engine_id: str) -> dict[str, Any]:
        return {
            "engine_id": engine_id,
            "key": spec.key,
            "workload": spec.workload,
            "job_dir": str(spec.job_dir.resolve()),
            "cards": spec.cards,
            "pool": spec.pool,
            "pool_cards": spec.pool_cards,
            "time_limit_seconds": spec.time_limit_seconds,
            "env": dict(spec.env),
            "submitted_at": now_iso(),
            "launch": self.launch,
        }

    def status(self, engine_id: str) -> EngineStatus:
        """Read the job's files; reconcile its pool only if it waits or its runner has gone."""
        files = JobFiles(self.root, safe_name(engine_id))
        record = read_json(files.record)
        if record is None:
            return EngineStatus(EngineState.LOST, reason="no_record")
        run = read_json(files.run)
        if _needs_reconcile(run):
            reconcile_pool(self.root, record["pool"], enqueue=files.engine_id)
            run = read_json(files.run)
        status = _status_from(record, run, cancelled=files.cancel.exists())
        if status.state == EngineState.QUEUED and run is None:
            queue = (read_json(pool_paths(self.root, record["pool"])[0]) or {}).get("queue", [])
            status.ahead = queue.index(files.engine_id) if files.engine_id in queue else None
        return status

    def cancel(self, engine_id: str) -> None:
        """Mark the job cancelled and SIGTERM its runner; the runner stops the workload and records it."""
        files = JobFiles(self.root, safe_name(engine_id))
        record = read_json(files.record)
        if record is None or (read_json(files.run) or {}).get("outcome"):
            return
        create_json(files.cancel, {"requested_at": now_iso()})  # a repeated cancel keeps the first time
        run = read_json(files.run)
        runner = ProcessRef.load(run.get("runner")) if run else None
        if runner is not None and runner.alive():
            runner.kill(signal.SIGTERM)
        else:
            reconcile_pool(self.root, record["pool"])  # leaves the queue, or closes a vanished runner

    def logs(self, engine_id: str, offset: int = 0, limit: int = 64_000) -> tuple[str, int]:
        """Tail ``<job_dir>/log.txt`` from a byte offset without splitting a UTF-8 character."""
        if offset < 0:
            raise ValueError("offset must not be negative")
        record = read_json(JobFiles(self.root, safe_name(engine_id)).record)
        if record is None:
            return "", offset
        text, used = _read_whole_characters(Path(record["job_dir"]) / "log.txt", offset, limit)
        return text, offset + used

    def purge(self, older_than: timedelta) -> int:
        cutoff = time.time() - older_than.total_seconds()
        dropped = 0
        for run_file in (self.root / "jobs").glob("*/run.json"):
            try:
                ended = bool((read_json(run_file) or {}).get("outcome")) and run_file.stat().st_mtime < cutoff
            except OSError:
                continue
            if ended:
                shutil.rmtree(run_file.parent, ignore_errors=True)
                dropped += 1
        return dropped

    def tick(self) -> None:
        """Reconcile every pool this engine has seen (the periodic reconciler calls this)."""
        for state_file in sorted((self.root / "pools").glob("*.json")):
            pool = (read_json(state_file) or {}).get("name")
            if pool:
                reconcile_pool(self.root, pool)


def _validate(spec: JobSpec) -> None:
    """Refuse specs that could never run, rather than queueing them forever."""
    if not spec.key:
        raise ValueError("the idempotency key must not be empty")
    if not _WORKLOAD_NAME.fullmatch(spec.workload):
        raise ValueError(f"invalid workload name {spec.workload!r}")
    if not 1 <= spec.cards <= spec.pool_cards:
        raise ValueError(f"a job needs between 1 and {spec.pool_cards} cards, not {spec.cards}")
    if spec.time_limit_seconds <= 0:
        raise ValueError("the time limit must be positive")
    if not spec.job_dir.is_dir():
        raise ValueError(f"job directory {spec.job_dir} does not exist")


def _read_whole_characters(path: Path, offset: int, limit: int) -> tuple[str, int]:
    """Decode up to ``limit`` bytes from ``offset``; returns the text and how many bytes it used.

    A character cut off at the end is left for the next read, but a limit smaller than the
    character at ``offset`` still returns that character, so tailing always makes progress.
    """
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            chunk = log.read(limit)
            text, used = _decode_whole_characters(chunk)
            while chunk and not used and len(chunk) < _MAX_CHARACTER_BYTES and (more := log.read(1)):
                chunk += more
                text, used = _decode_whole_characters(chunk)
    except FileNotFoundError:
        return "", 0
    return text, used


def _decode_whole_characters(chunk: bytes) -> tuple[str, int]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(chunk)
    pending, _flags = decoder.getstate()
    return text, len(chunk) - len(pending)


def _needs_reconcile(run: dict[str, Any] | None) -> bool:
    """Waiting jobs may be startable now; a running job whose runner has died must be closed."""
    if run is None:
        return True
    if run.get("outcome"):
        return False
    runner = ProcessRef.load(run["runner"])
    return runner is None or not runner.alive()


def _status_from(record: dict[str, Any], run: dict[str, Any] | None, *, cancelled: bool) -> EngineStatus:
    if run is None:
        if cancelled:
            return EngineStatus(EngineState.CANCELLED, reason="cancelled")
        return EngineStatus(EngineState.QUEUED, reason="no_free_cards")
    job_dir = Path(record["job_dir"])
    progress = read_json(job_dir / "progress.json") or {}
    outcome = run.get("outcome")
    if outcome:
        state, reason = EngineState(outcome), run.get("reason", "")
    elif run.get("started_at"):
        state, reason = EngineState.RUNNING, ""
    else:
        state, reason = EngineState.QUEUED, "starting"
    return EngineStatus(
        state=state,
        started_at=parse_time(run.get("started_at")),
        finished_at=parse_time(run.get("finished_at")),
        exit_code=run.get("exit_code"),
        progress=_percent(progress.get("percent")),
        stage=str(progress.get("stage", "")),
        reason=reason,
        error=read_json(job_dir / "error.json"),
    )


def _percent(value: Any) -> float | None:
    """A progress figure clamped to 0-100, or None if the workload wrote something else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return min(max(float(value), 0.0), 100.0)
