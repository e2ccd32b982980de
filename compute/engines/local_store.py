"""On-disk state of the local engine: layout, whole-file JSON records, locks and process identity.

Layout under the engine root::

    jobs/<engine_id>/job.json     the submitted spec plus how to launch it (written once)
    jobs/<engine_id>/run.json     the runner's record: pids, started_at, then exit_code and outcome
    jobs/<engine_id>/cancel.json  present once a cancel was asked for
    pools/<pool>.json             card slots: FIFO queue and slots held by running jobs
    pools/<pool>.lock             flock guarding the pool file

Every file is replaced whole (temp file + rename), so a reader never sees half a record, and each
"only once" decision is an exclusive create, so Celery worker processes and the detached runners can
share one root with no server in between.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME_LENGTH = 80


def safe_name(value: str) -> str:
    """A file-name-safe name for an idempotency key or pool id.

    Values that are already safe stay readable; anything sanitising changed gets a hash suffix, so
    "job/1" and "job_1" never share a record.
    """
    cleaned = _UNSAFE_CHARS.sub("_", value)[:_MAX_NAME_LENGTH].lstrip(".")
    if cleaned == value:
        return cleaned
    return f"{cleaned}-{hashlib.sha256(value.encode()).hexdigest()[:12]}"


def now_iso() -> str:
    """The current UTC time as stored in records."""
    return datetime.now(UTC).isoformat()


def parse_time(value: str | None) -> datetime | None:
    """Read back a time written by ``now_iso``."""
    return datetime.fromisoformat(value) if value else None


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None if it is missing or not (yet) a JSON object.

    Workloads may write progress.json and error.json non-atomically, so unreadable is not an error.
    """
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_temp(path: Path, data: dict[str, Any]) -> Path:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    return temp


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` in one step."""
    os.replace(_write_temp(path, data), path)


def create_json(path: Path, data: dict[str, Any]) -> bool:
    """Create ``path`` with ``data`` only if it does not exist yet; True if this call created it.

    A hard link fails if the target exists, which makes "the first writer wins" atomic.
    """
    temp = _write_temp(path, data)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        temp.unlink()
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path``; released when the block ends or the process dies."""
    with open(path, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@dataclass(frozen=True)
class JobFiles:
    """Where one job's engine-side files live."""

    root: Path
    engine_id: str

    @property
    def dir(self) -> Path:
        return self.root / "jobs" / self.engine_id

    @property
    def record(self) -> Path:
        return self.dir / "job.json"

    @property
    def run(self) -> Path:
        return self.dir / "run.json"

    @property
    def cancel(self) -> Path:
        return self.dir / "cancel.json"

    def create(self, record: dict[str, Any]) -> bool:
        """Write the job record unless the job already exists; True if this call created it.

        The directory is filled under a temporary name and renamed into place: renaming onto an
        existing (non-empty) job directory fails, so two submits of one key cannot both win.
        """
        jobs = self.dir.parent
        jobs.mkdir(parents=True, exist_ok=True)
        temp = jobs / f".new-{uuid.uuid4().hex}"
        temp.mkdir()
        write_json(temp / "job.json", record)
        try:
            os.rename(temp, self.dir)
        except OSError:
            shutil.rmtree(temp)
            if not self.record.exists():
                raise
            return False
        return True


def pool_paths(root: Path, pool: str) -> tuple[Path, Path]:
    """The state file and lock file of a pool."""
    pools = root / "pools"
    pools.mkdir(parents=True, exist_ok=True)
    name = safe_name(pool)
    return pools / f"{name}.json", pools / f"{name}.lock"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) of a process, or None if there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()  # the command name may contain spaces and parentheses
    return fields[0].decode(), int(fields[19])


@dataclass(frozen=True)
class ProcessRef:
    """A process identified by pid *and* start time, so a recycled pid is never mistaken for it."""

    pid: int
    start: int

    @classmethod
    def of(cls, pid: int) -> Self:
        """Identify a process that exists now (our own, or a child not yet reaped)."""
        stat = _proc_stat(pid)
        if stat is None:
            raise ProcessLookupError(pid)
        return cls(pid, stat[1])

    @classmethod
    def load(cls, data: dict[str, int] | None) -> Self | None:
        return cls(data["pid"], data["start"]) if data else None

    def dump(self) -> dict[str, int]:
        return {"pid": self.pid, "start": self.start}

    def alive(self) -> bool:
        """Whether this very process still runs (a zombie has finished)."""
        stat = _proc_stat(self.pid)
        return stat is not None and stat[1] == self.start and stat[0] not in "ZX"

    def kill(self, sig: signal.Signals) -> None:
        """Signal the process if it is still this process."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill_group(self, sig: signal.Signals) -> None:
        """Signal the process group this process leads, if the leader is still this process.

        Without a live leader the group id could have been recycled, so stragglers are left alone.
        """
        if self.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)
