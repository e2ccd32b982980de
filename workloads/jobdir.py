"""The job directory protocol between the job engine and a workload.

DIR/params.json in; DIR/output/* out; DIR/progress.json while running; DIR/error.json when the
inputs are unusable. Logs go to stdout, which the engine shows to users live.
"""

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workloads.problems import InputError, Problem

HEARTBEAT_SECONDS = 5.0


def log(message: str) -> None:
    """One timestamped line for the job's live log."""
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


@dataclass
class Job:
    """One run of a workload in its directory."""

    root: Path
    params: dict[str, Any]
    slowdown: float = 0.0

    @classmethod
    def open(cls, root: Path) -> "Job":
        params = json.loads((root / "params.json").read_text(encoding="utf-8"))
        slowdown = float(os.environ.get("WORKLOAD_SLOWDOWN_SECONDS") or 0)
        return cls(root=root, params=params, slowdown=slowdown)

    @property
    def output(self) -> Path:
        path = self.root / "output"
        path.mkdir(exist_ok=True)
        return path

    def file_param(self, name: str) -> Path:
        """The uploaded file behind a file param, which must lie inside the job directory."""
        value = self.params.get(name)
        path = (self.root / str(value)).resolve() if value else None
        if path is None or not path.is_relative_to(self.root.resolve()) or not path.is_file():
            raise InputError(Problem(name, "file_missing"))
        return path

    def progress(self, percent: int, stage: str) -> None:
        """Publish progress atomically (the engine polls the file), then honour the test slowdown."""
        data = {"percent": percent, "stage": stage, "updated": time.time()}
        write_json_atomic(self.root / "progress.json", data)
        log(f"[{percent:3d}%] {stage}")
        if self.slowdown > 0:
            time.sleep(self.slowdown)

    def write_output(self, name: str, data: Any) -> Path:
        """A JSON artifact, indented and with Chinese kept readable."""
        path = self.output / name
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    def write_text(self, name: str, text: str) -> Path:
        path = self.output / name
        path.write_text(text, encoding="utf-8")
        return path

    def write_error(self, problem: Problem) -> None:
        data = {"code": problem.code, "message": problem.message(), "params": problem.params, "field": problem.field}
        write_json_atomic(self.root / "error.json", data)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write via a temporary file and os.replace so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def heartbeat(stage: str, interval: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Log a line every few seconds during a long step that cannot report progress itself."""
    done = threading.Event()
    started = time.monotonic()

    def beat() -> None:
        while not done.wait(interval):
            log(f"… still {stage} ({time.monotonic() - started:.0f} s)")

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
