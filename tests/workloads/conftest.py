"""Run a workload the way the job engine does: `python -m workloads ID --job-dir DIR` in a subprocess."""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    job_dir: Path
    returncode: int
    log: str
    seconds: float

    @property
    def output(self) -> Path:
        return self.job_dir / "output"

    def json(self, name: str) -> dict:
        return json.loads((self.output / name).read_text(encoding="utf-8"))

    def error(self) -> dict:
        return json.loads((self.job_dir / "error.json").read_text(encoding="utf-8"))

    def progress(self) -> dict:
        return json.loads((self.job_dir / "progress.json").read_text(encoding="utf-8"))


@pytest.fixture
def run_workload(tmp_path):
    """Write params.json (and input files) into a fresh job dir, run the workload, collect the result."""

    def run(workload: str, params: dict, files: dict[str, str] | None = None, slowdown: float = 0) -> Run:
        job_dir = tmp_path / f"job-{workload}-{len(list(tmp_path.iterdir()))}"
        (job_dir / "inputs").mkdir(parents=True)
        for name, content in (files or {}).items():
            relative = f"inputs/{name}.csv"
            (job_dir / relative).write_text(content, encoding="utf-8")
            params = {**params, name: relative}
        (job_dir / "params.json").write_text(json.dumps(params, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "WORKLOAD_SLOWDOWN_SECONDS": str(slowdown)}
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "workloads", workload, "--job-dir", str(job_dir)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Run(job_dir, done.returncode, done.stdout + done.stderr, time.monotonic() - started)

    return run
