"""A stand-in workload for engine tests: does whatever its params.json asks, the way a real one reports.

Params: ``lines`` to print, ``hold`` (wait for a ``release`` file), ``sleep`` seconds, ``exit_code``,
``error`` (written to error.json), ``ignore_term`` and ``spawn_child`` (to test killing a whole
process group), ``events`` (a shared file where start/end with card slots are appended).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _event(params: dict, kind: str) -> None:
    if params.get("events"):
        line = json.dumps({"kind": kind, "t": time.time(), "slots": os.environ["PORTAL_CARD_SLOTS"]})
        with open(params["events"], "a") as events:
            events.write(line + "\n")


def _progress(job_dir: Path, percent: float, stage: str) -> None:
    (job_dir / "progress.json").write_text(json.dumps({"percent": percent, "stage": stage}))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--job-dir", type=Path, required=True)
    args = parser.parse_args()
    job_dir = args.job_dir
    params = json.loads((job_dir / "params.json").read_text())
    with open(job_dir / "starts.txt", "a") as starts:
        starts.write(f"{os.getpid()}\n")
    _event(params, "start")
    if params.get("ignore_term"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if params.get("spawn_child"):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        (job_dir / "child.pid").write_text(str(child.pid))
    for line in params.get("lines", []):
        print(line, flush=True)
    _progress(job_dir, 50, "halfway")
    deadline = time.monotonic() + 30
    while params.get("hold") and not (job_dir / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(params.get("sleep", 0))
    if "error" in params:
        (job_dir / "error.json").write_text(json.dumps(params["error"]))
    (job_dir / "output").mkdir(exist_ok=True)
    (job_dir / "output" / "result.txt").write_text(args.workload)
    _progress(job_dir, 100, "done")
    _event(params, "end")
    return params.get("exit_code", 0)


if __name__ == "__main__":
    sys.exit(main())
