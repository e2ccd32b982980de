"""Where a job's files live: JOBS_ROOT/<tenant>/<job>/ holds the uploaded inputs, and one folder per
attempt holds what the engine and the workload read and write (params.json, inputs/, output/, log.txt).
Paths are built only from ids, never from user input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.conf import settings


def job_root(job) -> Path:
    return Path(settings.JOBS_ROOT) / str(job.tenant_id) / str(job.pk)


def inputs_dir(job) -> Path:
    return job_root(job) / "inputs"


def attempt_dir(job, attempt: int | None = None) -> Path:
    return job_root(job) / f"attempt-{attempt or job.attempt}"


def prepare_attempt(job) -> Path:
    """Write params.json and copy the inputs into the attempt's folder (idempotent)."""
    folder = attempt_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    if inputs_dir(job).exists():
        shutil.copytree(inputs_dir(job), folder / "inputs", dirs_exist_ok=True)
    tmp = folder / "params.json.tmp"
    tmp.write_text(json.dumps(job.params, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / "params.json")
    return folder


def output_files(job, attempt: int) -> list[tuple[str, Path]]:
    out = attempt_dir(job, attempt) / "output"
    if not out.is_dir():
        return []
    return sorted((p.relative_to(out).as_posix(), p) for p in out.rglob("*") if p.is_file())


def artifact_path(job, attempt: int, name: str) -> Path | None:
    """The file for a stored artifact name, refusing anything outside the attempt's output folder."""
    out = (attempt_dir(job, attempt) / "output").resolve()
    candidate = (out / name).resolve()
    if out not in candidate.parents or not candidate.is_file():
        return None
    return candidate


def log_path(job, attempt: int | None = None) -> Path:
    return attempt_dir(job, attempt) / "log.txt"


def remove(job) -> None:
    shutil.rmtree(job_root(job), ignore_errors=True)
