"""Card slots of local pools: who holds which slots, who waits, and starting the next in line.

A pool has ``pool_cards`` numbered slots. Jobs wait in strict FIFO order (a big job at the head is
not overtaken by small ones, so it cannot starve). Whoever touches a pool reconciles it under the
pool's flock: a submit, a ``status()`` of a waiting job, the periodic ``tick()`` and the runner of a
job that just ended, which is what starts the next job without waiting for the next tick.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from compute.engines.base import EngineState
from compute.engines.local_store import (
    JobFiles,
    ProcessRef,
    create_json,
    locked,
    now_iso,
    parse_time,
    pool_paths,
    read_json,
    write_json,
)

RUNNER_MODULE = "compute.engines.local_runner"
ALREADY_CLAIMED = 3  # runner exit code: another runner already owns the job, which is fine
SPAWN_TIMEOUT_SECONDS = 30
# A live runner enforces limits itself; the engine steps in only if one is stuck well past them.
BACKSTOP_SLACK_SECONDS = 30


@dataclass
class PoolSlots:
    """The contents of ``pools/<pool>.json``."""

    name: str
    cards: int
    queue: list[str] = field(default_factory=list)
    running: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, name: str) -> PoolSlots:
        data = read_json(path) or {}
        return cls(name, data.get("cards", 0), data.get("queue", []), data.get("running", {}))

    def dump(self) -> dict[str, Any]:
        return {"name": self.name, "cards": self.cards, "queue": self.queue, "running": self.running}

    def free_slots(self) -> list[int]:
        held = {slot for slots in self.running.values() for slot in slots}
        return [slot for slot in range(self.cards) if slot not in held]


def reconcile_pool(root: Path, pool: str, *, enqueue: str | None = None, cards: int | None = None) -> None:
    """Bring a pool up to date: free the slots of ended jobs, then start waiting jobs that fit.

    ``enqueue`` adds a job that is not yet known to the pool (a submit, or a repair after a submit
    that died between writing the record and queueing it); ``cards`` updates the pool's size.
    """
    state_path, lock_path = pool_paths(root, pool)
    with locked(lock_path):
        slots = PoolSlots.load(state_path, pool)
        if cards is not None:
            slots.cards = cards
        if enqueue and enqueue not in slots.queue and enqueue not in slots.running and _waiting(root, enqueue):
            slots.queue.append(enqueue)
        slots.running = {job: held for job, held in slots.running.items() if _still_holds(root, job, held)}
        slots.queue = [job for job in slots.queue if _waiting(root, job)]
        write_json(state_path, slots.dump())
        _start_queued(root, slots, state_path)


def _waiting(root: Path, engine_id: str) -> bool:
    files = JobFiles(root, engine_id)
    return files.record.exists() and not files.run.exists() and not files.cancel.exists()


def _start_queued(root: Path, slots: PoolSlots, state_path: Path) -> None:
    """Start jobs from the head of the queue while the head fits in the free slots."""
    while slots.queue:
        record = read_json(JobFiles(root, slots.queue[0]).record) or {}  # queued jobs have records
        free = slots.free_slots()
        if record["cards"] > len(free):
            return
        engine_id = slots.queue.pop(0)
        slots.running[engine_id] = free[: record["cards"]]
        write_json(state_path, slots.dump())  # slots are taken before launching: a crash can't double-book
        if not spawn_runner(root, record, slots.running[engine_id]):
            del slots.running[engine_id]
            write_json(state_path, slots.dump())


def _still_holds(root: Path, engine_id: str, held: list[int]) -> bool:
    """Whether a job listed as running still occupies its slots; finishes its record if it vanished."""
    files = JobFiles(root, engine_id)
    record = read_json(files.record)
    if record is None:
        return False
    run = read_json(files.run)
    if run is None:
        # Whoever took the slots died before its runner claimed the job (we hold the lock, so it
        # is not merely slow). Launch again: the runner's claim makes a duplicate impossible.
        if files.cancel.exists():
            return not create_json(files.run, _ended(EngineState.CANCELLED, "cancelled"))
        return spawn_runner(root, record, held)
    if run.get("outcome"):
        return False
    runner = ProcessRef.load(run["runner"])
    if runner is not None and runner.alive():
        _stop_if_stuck(files, record, run, runner)
        return True
    run = read_json(files.run) or run  # it may have written its outcome just before exiting
    if not run.get("outcome"):
        _record_vanished(files, record, run)
    return False


def _stop_if_stuck(files: JobFiles, record: dict[str, Any], run: dict[str, Any], runner: ProcessRef) -> None:
    """Kill a runner (and its workload) that is well past its time limit or a cancel request."""
    slack = timedelta(seconds=record["launch"]["kill_grace_seconds"] + BACKSTOP_SLACK_SECONDS)
    now = datetime.now(UTC)
    started_at = parse_time(run.get("started_at"))
    cancelled_at = parse_time((read_json(files.cancel) or {}).get("requested_at"))
    past_limit = started_at and now > started_at + timedelta(seconds=record["time_limit_seconds"]) + slack
    past_cancel = cancelled_at and now > cancelled_at + slack
    if past_limit or past_cancel:
        workload = ProcessRef.load(run.get("workload"))
        if workload is not None:
            workload.kill_group(signal.SIGKILL)
        runner.kill(signal.SIGKILL)


def _record_vanished(files: JobFiles, record: dict[str, Any], run: dict[str, Any]) -> None:
    """Close the record of a job whose runner died without writing an outcome, and stop its workload."""
    workload = ProcessRef.load(run.get("workload"))
    if workload is not None:
        workload.kill_group(signal.SIGKILL)
    started_at = parse_time(run.get("started_at"))
    if files.cancel.exists():
        ended = _ended(EngineState.CANCELLED, "cancelled")
    elif started_at and datetime.now(UTC) > started_at + timedelta(seconds=record["time_limit_seconds"]):
        ended = _ended(EngineState.TIMED_OUT, "time_limit")
    else:
        ended = _ended(EngineState.LOST, "runner_vanished")
    write_json(files.run, {**run, **ended})


def _ended(outcome: EngineState, reason: str) -> dict[str, Any]:
    return {"outcome": outcome.value, "reason": reason, "exit_code": None, "finished_at": now_iso()}


def spawn_runner(root: Path, record: dict[str, Any], held: list[int]) -> bool:
    """Launch the detached runner of a job; False (with the job closed as LOST) if it cannot start.

    The launched process forks the real runner and exits as soon as that runner has claimed the
    job, so this returns quickly, nobody has to reap the runner, and it outlives the caller.
    """
    launch = record["launch"]
    job_dir = Path(record["job_dir"])
    argv = [launch["python"], "-m", RUNNER_MODULE, "--root", str(root), "--job-id", record["engine_id"]]
    argv += ["--slots", ",".join(map(str, held))]
    try:
        with open(job_dir / "log.txt", "ab") as log:
            code = subprocess.run(  # noqa: S603 - argv built from our own record, no shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=job_dir,
                env=_runner_env(launch),
                start_new_session=True,
                timeout=SPAWN_TIMEOUT_SECONDS,
                check=False,
            ).returncode
    except subprocess.TimeoutExpired:
        return True  # it may still claim the job; the next reconcile finds out either way
    except OSError:
        code = None
    if code in (0, ALREADY_CLAIMED):
        return True
    # Closing the job fails only if a runner claimed it after all, and then that runner holds the slots.
    return not create_json(JobFiles(root, record["engine_id"]).run, _ended(EngineState.LOST, "runner_failed_to_start"))


def _runner_env(launch: dict[str, Any]) -> dict[str, str]:
    """Only whitelisted variables reach jobs: the worker's own secrets (database, Stripe) must not."""
    patterns = launch["inherit_env"]
    env = {name: value for name, value in os.environ.items() if any(fnmatch.fnmatchcase(name, p) for p in patterns)}
    env["PYTHONPATH"] = os.pathsep.join(launch["pythonpath"])
    return env
