"""The Slurm tests run against the one-node cluster `make slurm` (a dependency of `make test`) brings
up on this machine: partition "portal" with two cards of GRES type 910b3 and two of a100. Nothing is
skipped: without a cluster the tests fail and say how to start it."""

import json
import subprocess

import pytest

PARTITION = "portal"
GRES_TYPE = "910b3"
PARTITION_CARDS = 2


def slurm_jobs() -> dict[int, dict]:
    """Every job slurmctld knows, straight from squeue (independently of the engine under test)."""
    done = subprocess.run(["squeue", "--json"], capture_output=True, text=True, timeout=30, check=True)
    return {job["job_id"]: job for job in json.loads(done.stdout)["jobs"]}


@pytest.fixture(scope="session", autouse=True)
def slurm_cluster():
    try:
        done = subprocess.run(
            ["sinfo", "-h", "-p", PARTITION, "-o", "%T %G"], capture_output=True, text=True, timeout=15
        )
    except FileNotFoundError:
        pytest.fail("Slurm is not installed: run `make slurm` (make test does) to install and start it.")
    state = done.stdout.strip()
    if done.returncode != 0 or not state.startswith(("idle", "mixed", "allocated", "completing")):
        pytest.fail(f"Slurm is not up (sinfo: {state or done.stderr.strip()!r}): run `make slurm`.")
    if f"gpu:{GRES_TYPE}:{PARTITION_CARDS}" not in state:
        pytest.fail(f"partition {PARTITION} lacks gpu:{GRES_TYPE}:{PARTITION_CARDS} ({state}): run `make slurm`.")


@pytest.fixture
def slurm_dirs(settings, tmp_path):
    """Job files and engine records in this test's folder, for the test process and its worker alike
    (the worker derives the Slurm engine's root from ENGINE_ROOT, as in portal/settings/base.py)."""
    jobs_root, engine_root = tmp_path / "jobs", tmp_path / "engine"
    settings.JOBS_ROOT = jobs_root
    settings.COMPUTE_ENGINES = {"local": {"root": engine_root}, "slurm": {"root": engine_root / "slurm"}}
    return {"JOBS_ROOT": str(jobs_root), "ENGINE_ROOT": str(engine_root)}
