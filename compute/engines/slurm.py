"""The Slurm engine: each job attempt is one batch job on a Slurm cluster, driven through the CLI.

Why the CLI and not slurmrestd: ``sbatch --parsable``, ``squeue --json`` and ``scancel`` need
nothing beyond a Slurm client (munge key and slurm.conf), which a submit host has anyway; slurmrestd
would add a daemon, JWT signing keys and token renewal, and its v0.0.38 API is gone from newer Slurm.
Slurm 22.05's ``squeue --json`` ignores its filters and ``scontrol`` has no ``--json`` yet, so one
``squeue --json`` snapshot of the queue serves every job of a reconcile pass (``tick()`` takes it,
``status()`` reuses it for ``SNAPSHOT_SECONDS``).

What the engine keeps under ``root`` (the portal keeps final states itself, and so does the engine:
slurmctld forgets a finished job ``MinJobAge`` seconds after it ends)::

    keys/<key>.json     the Slurm id a submit key got (makes submit idempotent)
    jobs/<id>.json      key, job directory, cancel request and, once seen, the final state
    active/<id>         present while the job may still change; ``tick()`` asks Slurm only if any are

The batch script runs the same command the local engine runs (``python -m workloads <id> --job-dir
DIR``) under ``timeout`` for the exact time limit, appends stdout and stderr to ``DIR/log.txt`` and
writes ``DIR/slurm-exit.json`` (exit code, start and end) when it ends: the last word on a job whose
end slurmctld has already forgotten.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from compute.engines.base import Engine, EngineError, EngineState, EngineStatus, JobSpec
from compute.engines.local import DEFAULT_INHERITED_ENV, PROJECT_ROOT, _percent, _read_whole_characters
from compute.engines.local_runner import exit_reason
from compute.engines.local_store import create_json, locked, now_iso, read_json, safe_name, write_json

SNAPSHOT_SECONDS = 2.0
COMMAND_TIMEOUT_SECONDS = 30
EXIT_FILE = "slurm-exit.json"
SCRIPT_FILE = "slurm-batch.sh"
TIMEOUT_EXIT_CODE = 124  # coreutils' timeout: the time limit was reached
# Slurm's --time is whole minutes; the script's `timeout` enforces the exact limit, Slurm is the backstop.
BACKSTOP_MINUTES = 1
_WORKLOAD_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_SLURM_WORD = re.compile(r"[A-Za-z0-9_.-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/-]")

# Slurm job states (squeue's job_state) and what they mean for the portal.
_WAITING = {"PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD", "CONFIGURING", "POWER_UP_NODE"}
_RUNNING = {"RUNNING", "COMPLETING", "SUSPENDED", "STAGE_OUT", "SIGNALING", "STOPPED", "RESIZING"}
_ENDED = {
    "COMPLETED": EngineState.SUCCEEDED,
    "CANCELLED": EngineState.CANCELLED,
    "TIMEOUT": EngineState.TIMED_OUT,
    "DEADLINE": EngineState.TIMED_OUT,
    "FAILED": EngineState.FAILED,
    "NODE_FAIL": EngineState.FAILED,
    "BOOT_FAIL": EngineState.FAILED,
    "OUT_OF_MEMORY": EngineState.FAILED,
    "PREEMPTED": EngineState.FAILED,
}
# Pending reasons that mean "the cards are busy"; any other reason is shown as the scheduler's word.
_NO_FREE_CARDS = {"Resources", "Priority", "ReqNodeNotAvail"}


class SlurmEngine(Engine):
    """Submits ``python -m <workload_module> <workload> --job-dir <job_dir>`` as a Slurm batch job.

    Per pool (``JobSpec.placement``, set by operators on the pool): ``partition``, ``gres_name``
    (default "gpu"), ``gres_type`` (default the chip type's Slurm GRES type), ``account``, ``qos``.
    """

    name = "slurm"
    default_root = "slurm"

    def __init__(
        self,
        root: Path | str,
        python: str = sys.executable,
        workload_module: str = "workloads",
        *,
        pythonpath: Sequence[Path | str] = (PROJECT_ROOT,),
        partition: str = "",
        gres_name: str = "gpu",
        bin_dir: Path | str = "",
        kill_grace_seconds: int = 5,
        inherit_env: Sequence[str] = DEFAULT_INHERITED_ENV,
        snapshot_seconds: float = SNAPSHOT_SECONDS,
    ) -> None:
        self.root = Path(root)
        self.python = python
        self.workload_module = workload_module
        self.pythonpath = [str(path) for path in pythonpath]
        self.partition = partition
        self.gres_name = gres_name
        self.bin_dir = Path(bin_dir) if bin_dir else None
        self.kill_grace_seconds = kill_grace_seconds
        self.inherit_env = list(inherit_env)
        self.snapshot_seconds = snapshot_seconds

    # -----------------------------------------------------------------------------------------
    # The engine interface
    # -----------------------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> str:
        """sbatch the job once per key: a repeated key, or a job Slurm already has under the key's
        name in the same job directory (a submit that died before recording it), gives that id."""
        _validate(spec)
        key = safe_name(spec.key)
        keys = self._dir("keys")
        with locked(keys / f"{key}.lock"):
            known = read_json(keys / f"{key}.json")
            if known:
                return str(known["slurm_id"])
            slurm_id = self._find_submitted(spec) or self._sbatch(spec)
            record = {"slurm_id": slurm_id, "key": spec.key, "job_dir": str(spec.job_dir.resolve())}
            create_json(self._dir("jobs") / f"{slurm_id}.json", record | {"submitted_at": now_iso()})
            (self._dir("active") / slurm_id).touch()
            write_json(keys / f"{key}.json", {"slurm_id": slurm_id})
        return slurm_id

    def status(self, engine_id: str) -> EngineStatus:
        """The job's state from the queue snapshot; once it has ended, from the engine's own record."""
        record = self._record(engine_id)
        if record is None:
            return EngineStatus(EngineState.LOST, reason="no_record")
        job_dir = Path(record["job_dir"])
        final = record.get("final")
        if final is None:
            job = self._queue(max_age=self.snapshot_seconds, not_before=record.get("snapshot_after", 0)).get(engine_id)
            final = self._ended(record, job)
            if final is None:
                return _live_status(job, job_dir)
            record["final"] = final
            write_json(self._record_path(engine_id), record)
            (self._dir("active") / engine_id).unlink(missing_ok=True)
        return _final_status(final, job_dir)

    def purge(self, older_than: timedelta) -> int:
        cutoff = time.time() - older_than.total_seconds()
        dropped = 0
        for path in self._dir("jobs").glob("*.json"):
            try:
                record = read_json(path) or {}
                ended = bool(record.get("final")) and path.stat().st_mtime < cutoff
            except OSError:
                continue
            if ended:
                (self._dir("keys") / f"{safe_name(record.get('key', ''))}.json").unlink(missing_ok=True)
                path.unlink(missing_ok=True)
                dropped += 1
        return dropped

    def cancel(self, engine_id: str) -> None:
        """scancel the job (Slurm signals it; the batch script records how it ended)."""
        record = self._record(engine_id)
        if record is None or record.get("final"):
            return
        if not record.get("cancel_requested_at"):
            record["cancel_requested_at"] = now_iso()
            write_json(self._record_path(engine_id), record)
        # Exits non-zero for a job that has just ended or is already forgotten: nothing to stop then.
        self._run("scancel", engine_id, check=False)
        self._mark_changed(engine_id)

    def logs(self, engine_id: str, offset: int = 0, limit: int = 64_000) -> tuple[str, int]:
        """Tail ``<job_dir>/log.txt`` (the job's stdout and stderr) without splitting a character."""
        if offset < 0:
            raise ValueError("offset must not be negative")
        record = self._record(engine_id)
        if record is None:
            return "", offset
        text, used = _read_whole_characters(Path(record["job_dir"]) / "log.txt", offset, limit)
        return text, offset + used

    def tick(self) -> None:
        """Take one fresh snapshot of the queue for this reconcile pass, if any job may still change."""
        if any(self._dir("active").iterdir()):
            self._queue(max_age=0)

    # -----------------------------------------------------------------------------------------
    # Submitting
    # -----------------------------------------------------------------------------------------

    def sbatch_argv(self, spec: JobSpec) -> list[str]:
        """The sbatch command line for a job (without the script path)."""
        placement = spec.placement
        partition = placement.get("partition") or self.partition
        gres_name = placement.get("gres_name") or self.gres_name
        gres_type = placement.get("gres_type") or ""
        for value in (partition, gres_name, gres_type, placement.get("account", ""), placement.get("qos", "")):
            if value and not _SLURM_WORD.fullmatch(str(value)):
                raise EngineError(f"invalid Slurm name {value!r} in the pool's engine settings")
        gres = f"{gres_name}:{gres_type}:{spec.cards}" if gres_type else f"{gres_name}:{spec.cards}"
        job_dir = spec.job_dir.resolve()
        minutes = math.ceil(spec.time_limit_seconds / 60) + BACKSTOP_MINUTES
        argv = [
            "--parsable",
            f"--job-name={spec.key}",
            f"--comment={_comment(spec)}",
            f"--gres={gres}",
            f"--time={minutes}",
            "--nodes=1",
            "--ntasks=1",
            "--no-requeue",  # a requeued job would run twice under one attempt
            f"--chdir={job_dir}",
            f"--output={job_dir / 'log.txt'}",
            "--open-mode=append",
            "--export=ALL",  # exactly the environment sbatch gets from us (see _job_environment)
        ]
        if partition:
            argv.append(f"--partition={partition}")
        for option in ("account", "qos"):
            if placement.get(option):
                argv.append(f"--{option}={placement[option]}")
        return argv

    def batch_script(self, spec: JobSpec) -> str:
        """The batch script: the workload under ``timeout``, then the exit record."""
        job_dir = spec.job_dir.resolve()
        command = [self.python, "-m", self.workload_module, spec.workload, "--job-dir", str(job_dir)]
        limit = spec.time_limit_seconds
        exit_file = job_dir / EXIT_FILE
        return f"""#!/bin/bash
# {spec.key}: written by the portal's Slurm engine.
export PYTHONUNBUFFERED=1
export PORTAL_CARD_SLOTS="${{SLURM_JOB_GPUS:-${{CUDA_VISIBLE_DEVICES:-}}}}"
stopped=""
trap 'stopped=cancelled; kill -TERM "$child" 2>/dev/null' TERM INT
started=$(date +%s)
timeout --kill-after={self.kill_grace_seconds} {limit} {shlex.join(command)} </dev/null &
child=$!
wait "$child"; code=$?
while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done
[ -z "$stopped" ] && [ "$code" -eq {TIMEOUT_EXIT_CODE} ] && stopped=time_limit
printf '{{"exit_code": %d, "started": %d, "finished": %d, "stopped": "%s"}}\\n' \\
  "$code" "$started" "$(date +%s)" "$stopped" > {shlex.quote(str(exit_file))}.tmp
mv {shlex.quote(str(exit_file))}.tmp {shlex.quote(str(exit_file))}
exit "$code"
"""

    def _sbatch(self, spec: JobSpec) -> str:
        script = spec.job_dir / SCRIPT_FILE
        script.write_text(self.batch_script(spec), encoding="utf-8")
        output = self._run("sbatch", *self.sbatch_argv(spec), str(script.resolve()), env=self._job_environment(spec))
        slurm_id = output.strip().split(";")[0]  # "<id>" or "<id>;<cluster>"
        if not slurm_id.isdigit():
            raise EngineError(f"sbatch answered {output!r}")
        self._invalidate_queue()
        return slurm_id

    def _job_environment(self, spec: JobSpec) -> dict[str, str]:
        """What the job inherits: the allow-listed variables, the spec's, and where our code lives."""
        inherited = {
            name: value
            for name, value in os.environ.items()
            if any(_matches(name, pattern) for pattern in self.inherit_env) or name.startswith("SLURM_CONF")
        }
        return inherited | dict(spec.env) | {"PYTHONPATH": os.pathsep.join(self.pythonpath)}

    def _find_submitted(self, spec: JobSpec) -> str | None:
        """A job Slurm already has for this key and job directory (same name, same output file)."""
        output = str(spec.job_dir.resolve() / "log.txt")
        for slurm_id, job in self._queue(max_age=0).items():
            if job.get("name") == spec.key and job.get("standard_output") == output:
                return slurm_id
        return None

    # -----------------------------------------------------------------------------------------
    # Reading Slurm's view
    # -----------------------------------------------------------------------------------------

    def _queue(self, *, max_age: float, not_before: float = 0) -> dict[str, dict[str, Any]]:
        """Every job slurmctld knows, by id, from a snapshot no older than ``max_age`` seconds."""
        cache_key = str(self.bin_dir)
        with _SNAPSHOT_LOCK:
            snapshot = _SNAPSHOTS.get(cache_key)
            if snapshot and snapshot.taken >= not_before and time.time() - snapshot.taken <= max_age:
                return snapshot.jobs
        taken = time.time()
        data = json.loads(self._run("squeue", "--json"))
        jobs = {str(job["job_id"]): job for job in data.get("jobs", [])}
        with _SNAPSHOT_LOCK:
            _SNAPSHOTS[cache_key] = _Snapshot(taken, jobs)
        return jobs

    def _invalidate_queue(self) -> None:
        with _SNAPSHOT_LOCK:
            _SNAPSHOTS.pop(str(self.bin_dir), None)

    def _mark_changed(self, engine_id: str) -> None:
        """The next status() of this job must read a snapshot taken after now."""
        record = self._record(engine_id)
        if record is not None:
            record["snapshot_after"] = time.time()
            write_json(self._record_path(engine_id), record)
        self._invalidate_queue()

    def _ended(self, record: dict[str, Any], job: dict[str, Any] | None) -> dict[str, Any] | None:
        """The final state if the job has ended (from Slurm, or from the exit file once Slurm forgot)."""
        exit_record = read_json(Path(record["job_dir"]) / EXIT_FILE)
        if job is not None:
            state = _base_state(job)
            if state not in _ENDED:
                return None
            return _final_from_slurm(job, state, exit_record)
        if exit_record is not None:
            return _final_from_exit_file(exit_record, cancelled=bool(record.get("cancel_requested_at")))
        if record.get("cancel_requested_at"):
            return {"state": EngineState.CANCELLED.value, "reason": "cancelled", "exit_code": None}
        return {"state": EngineState.LOST.value, "reason": "forgotten", "exit_code": None}

    # -----------------------------------------------------------------------------------------
    # Files and commands
    # -----------------------------------------------------------------------------------------

    def _dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _record_path(self, engine_id: str) -> Path:
        if not engine_id.isdigit():
            raise EngineError(f"not a Slurm job id: {engine_id!r}")
        return self._dir("jobs") / f"{engine_id}.json"

    def _record(self, engine_id: str) -> dict[str, Any] | None:
        return read_json(self._record_path(engine_id)) if engine_id.isdigit() else None

    def _run(self, command: str, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> str:
        executable = str(self.bin_dir / command) if self.bin_dir else command
        try:
            done = subprocess.run(  # noqa: S603 - fixed Slurm commands, arguments validated above
                [executable, *args],
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_SECONDS,
                env=dict(env) if env is not None else None,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise EngineError(f"{command} failed: {error}") from error
        if check and done.returncode != 0:
            raise EngineError(f"{command} exited {done.returncode}: {done.stderr.strip()[:500]}")
        return done.stdout


@dataclass(frozen=True)
class _Snapshot:
    taken: float
    jobs: dict[str, dict[str, Any]]


_SNAPSHOTS: dict[str, _Snapshot] = {}
_SNAPSHOT_LOCK = threading.Lock()


def _validate(spec: JobSpec) -> None:
    """Refuse specs that could never run, rather than leaving them pending forever."""
    if not spec.key:
        raise ValueError("the idempotency key must not be empty")
    if not _WORKLOAD_NAME.fullmatch(spec.workload):
        raise ValueError(f"invalid workload name {spec.workload!r}")
    if spec.cards < 1:
        raise ValueError(f"a job needs at least one card, not {spec.cards}")
    if spec.time_limit_seconds <= 0:
        raise ValueError("the time limit must be positive")
    if not spec.job_dir.is_dir():
        raise ValueError(f"job directory {spec.job_dir} does not exist")


def _comment(spec: JobSpec) -> str:
    """Who the job is for, in the job's comment (``squeue -o %k``): "tenant=7 job=42 attempt=1"."""
    words = [f"{_UNSAFE.sub('_', name)}={_UNSAFE.sub('_', str(value))}" for name, value in spec.labels.items()]
    return " ".join(words)[:250] or spec.key


def _matches(name: str, pattern: str) -> bool:
    return name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern


def _base_state(job: dict[str, Any]) -> str:
    """squeue's job_state, without flags such as "+" suffixes some versions add."""
    state = job.get("job_state", "")
    if isinstance(state, list):  # newer Slurm: a list of flags, the base state first
        state = state[0] if state else ""
    return str(state).split()[0] if state else ""


def _time(epoch: Any) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if isinstance(epoch, int) and epoch > 0 else None


def _wait_status_code(raw: Any) -> int | None:
    """squeue's exit_code is a wait(2) status: code in the high byte, terminating signal in the low bits."""
    if not isinstance(raw, int):
        return None
    signal_number = raw & 0x7F
    return -signal_number if signal_number else raw >> 8


def _final_from_slurm(job: dict[str, Any], state: str, exit_record: dict[str, Any] | None) -> dict[str, Any]:
    """Slurm's outcome, with Slurm's start and end times (so metering uses Slurm's elapsed time)."""
    outcome = _ENDED[state]
    exit_code = _wait_status_code(job.get("exit_code"))
    if exit_record is not None and isinstance(exit_record.get("exit_code"), int):
        exit_code = exit_record["exit_code"]  # the workload's own code (Slurm sees the script's)
    if outcome == EngineState.FAILED and exit_record and exit_record.get("stopped") == "time_limit":
        outcome = EngineState.TIMED_OUT
    reason = {
        EngineState.SUCCEEDED: "",
        EngineState.CANCELLED: "cancelled",
        EngineState.TIMED_OUT: "time_limit",
    }.get(outcome)
    if reason is None:
        reason = exit_reason(exit_code) if exit_code else f"slurm_{state.lower()}"
    ran = bool(job.get("batch_host"))  # a job cancelled while pending has a start time but never ran
    return {
        "state": outcome.value,
        "reason": reason,
        "exit_code": exit_code,
        "started": (job.get("start_time") or None) if ran else None,
        "finished": job.get("end_time") or None,
        "slurm_state": state,
    }


def _final_from_exit_file(exit_record: dict[str, Any], *, cancelled: bool) -> dict[str, Any]:
    """The outcome the batch script recorded, for a job slurmctld no longer knows."""
    exit_code = exit_record.get("exit_code")
    stopped = exit_record.get("stopped") or ("cancelled" if cancelled else "")
    if stopped == "cancelled":
        state, reason = EngineState.CANCELLED, "cancelled"
    elif stopped == "time_limit":
        state, reason = EngineState.TIMED_OUT, "time_limit"
    elif exit_code == 0:
        state, reason = EngineState.SUCCEEDED, ""
    else:
        state, reason = EngineState.FAILED, exit_reason(exit_code) if isinstance(exit_code, int) else "failed"
    return {
        "state": state.value,
        "reason": reason,
        "exit_code": exit_code,
        "started": exit_record.get("started"),
        "finished": exit_record.get("finished"),
        "slurm_state": "",
    }


def _live_status(job: dict[str, Any] | None, job_dir: Path) -> EngineStatus:
    """A job that has not ended: pending with Slurm's reason, or running with the workload's progress."""
    if job is None:  # submitted a moment ago and not in the snapshot yet
        return EngineStatus(EngineState.QUEUED, reason="submitted")
    state = _base_state(job)
    if state in _WAITING or state not in _RUNNING:
        reason = str(job.get("state_reason") or "None")
        return EngineStatus(
            EngineState.QUEUED,
            reason="no_free_cards" if reason in _NO_FREE_CARDS else "engine",
            stage=f"Slurm: {state.lower()} ({reason})",
        )
    progress = read_json(job_dir / "progress.json") or {}
    return EngineStatus(
        EngineState.RUNNING,
        started_at=_time(job.get("start_time")),
        progress=_percent(progress.get("percent")),
        stage=str(progress.get("stage", "")),
    )


def _final_status(final: dict[str, Any], job_dir: Path) -> EngineStatus:
    progress = read_json(job_dir / "progress.json") or {}
    return EngineStatus(
        state=EngineState(final["state"]),
        started_at=_time(final.get("started")),
        finished_at=_time(final.get("finished")),
        exit_code=final.get("exit_code"),
        progress=_percent(progress.get("percent")),
        stage=str(progress.get("stage", "")),
        reason=final.get("reason", ""),
        error=read_json(job_dir / "error.json"),
    )
