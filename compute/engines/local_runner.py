"""The detached wrapper around one workload process: the only thing that waits for a local job to end.

The local engine starts ``python -m compute.engines.local_runner --root R --job-id ID --slots 0,1``
in a session of its own. It forks; the parent exits as soon as the child has claimed the job, and
the child, independent of the Celery worker that launched it (which may be killed at any time):

- claims ``run.json`` exclusively, so a job never runs twice;
- starts the workload in its own process group, output appended to ``<job_dir>/log.txt``;
- stops that group at the time limit or on cancel (SIGTERM, SIGKILL after the grace period);
- records the exit code, outcome and times, then frees the job's slots and starts the next job.
"""

from __future__ import annotations

import argparse
import math
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from compute.engines.base import EngineState
from compute.engines.local_scheduler import ALREADY_CLAIMED, reconcile_pool
from compute.engines.local_store import JobFiles, ProcessRef, create_json, now_iso, read_json, write_json

POLL_SECONDS = 0.2
INPUT_ERROR_EXIT_CODE = 2  # workloads exit 2 when params or inputs are unusable (argparse does too)
START_FAILED_EXIT_CODE = 1


def exit_reason(exit_code: int) -> str:
    """The status reason for a workload that ended on its own with a non-zero code."""
    if exit_code == INPUT_ERROR_EXIT_CODE:
        return "input_error"
    if exit_code < 0:
        return f"signal_{-exit_code}"
    return f"exit_code_{exit_code}"


class Runner:
    """Supervises one job from claim to outcome."""

    def __init__(self, files: JobFiles, slots: list[int]) -> None:
        self.files = files
        self.slots = slots
        self.record: dict[str, Any] = read_json(files.record) or {}
        self.state: dict[str, Any] = {}
        self.stop_requested = False
        signal.signal(signal.SIGTERM, self._request_stop)

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM is how the engine cancels; the main loop stops the workload's group."""
        self.stop_requested = True

    def claim(self) -> bool:
        """Become the one runner of this job; False if another runner (or a cancel) got there first."""
        self.state = {"runner": ProcessRef.of(os.getpid()).dump(), "slots": self.slots, "claimed_at": now_iso()}
        return create_json(self.files.run, self.state)

    def run(self) -> None:
        """Run the workload to its end and record the outcome."""
        if self._stop_reason(math.inf):
            self._finish(EngineState.CANCELLED, "cancelled", None)
            return
        try:
            process = self._start_workload()
        except OSError as error:
            _note(f"could not start the workload: {error}")
            self._finish(EngineState.FAILED, "workload_failed_to_start", None)
            return
        stopped = self._supervise(process)
        exit_code = process.wait()
        if stopped:
            self._finish(*stopped, exit_code)
        elif exit_code == 0:
            self._finish(EngineState.SUCCEEDED, "", 0)
        else:
            self._finish(EngineState.FAILED, exit_reason(exit_code), exit_code)

    def _start_workload(self) -> subprocess.Popen[bytes]:
        launch = self.record["launch"]
        job_dir = Path(self.record["job_dir"])
        argv = [launch["python"], "-m", launch["workload_module"], self.record["workload"], "--job-dir", str(job_dir)]
        env = {
            **os.environ,
            **self.record["env"],
            "PORTAL_CARD_SLOTS": ",".join(map(str, self.slots)),
            "PYTHONUNBUFFERED": "1",  # so the job page can tail the log while it runs
        }
        with open(job_dir / "log.txt", "ab") as log:
            process = subprocess.Popen(  # noqa: S603 - argv from our own record, no shell
                argv,
                cwd=job_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.state |= {"workload": ProcessRef.of(process.pid).dump(), "started_at": now_iso()}
        write_json(self.files.run, self.state)
        return process

    def _supervise(self, process: subprocess.Popen[bytes]) -> tuple[EngineState, str] | None:
        """Wait for the workload to exit, stopping it on cancel or time limit; returns why it was stopped.

        The leader is not reaped until this returns, so its pid cannot be recycled and signalling its
        process group always reaches the workload's own processes.
        """
        deadline = time.monotonic() + self.record["time_limit_seconds"]
        stopped: tuple[EngineState, str] | None = None
        kill_at = math.inf
        exited = os.pidfd_open(process.pid)
        try:
            while not select.select([exited], [], [], POLL_SECONDS)[0]:
                if stopped is None and (stopped := self._stop_reason(deadline)):
                    _note(f"stopping the job ({stopped[1]})")
                    _signal_group(process.pid, signal.SIGTERM)
                    kill_at = time.monotonic() + self.record["launch"]["kill_grace_seconds"]
                elif time.monotonic() >= kill_at:
                    _signal_group(process.pid, signal.SIGKILL)
                    kill_at = math.inf
        finally:
            os.close(exited)
        _signal_group(process.pid, signal.SIGKILL)  # whatever the workload left behind in its group
        return stopped

    def _stop_reason(self, deadline: float) -> tuple[EngineState, str] | None:
        if self.stop_requested or self.files.cancel.exists():
            return EngineState.CANCELLED, "cancelled"
        if time.monotonic() >= deadline:
            return EngineState.TIMED_OUT, "time_limit"
        return None

    def _finish(self, outcome: EngineState, reason: str, exit_code: int | None) -> None:
        self.state |= {"outcome": outcome.value, "reason": reason, "exit_code": exit_code, "finished_at": now_iso()}
        write_json(self.files.run, self.state)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return


def _note(message: str) -> None:
    """A line in the job's log (the runner's stdout is that log) so users see why output stopped."""
    print(f"[local engine] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Claim and run one job; the first process only reports whether the claim worked."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--job-id", required=True)
    parser.add_argument("--slots", default="")
    args = parser.parse_args(argv)
    files = JobFiles(args.root, args.job_id)
    slots = [int(slot) for slot in args.slots.split(",") if slot]

    read_end, write_end = os.pipe()
    if os.fork():
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            answer = pipe.read(1)
        return int(answer) if answer else START_FAILED_EXIT_CODE
    os.close(read_end)
    runner = Runner(files, slots)
    with os.fdopen(write_end, "wb") as pipe:
        claimed = runner.claim()
        pipe.write(b"0" if claimed else str(ALREADY_CLAIMED).encode())
    if claimed:
        runner.run()
        reconcile_pool(files.root, runner.record["pool"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
