"""The Slurm engine on its own, against the real cluster, with a stand-in workload that takes a
second or two (tests/slurm/workload.py) instead of the portal's."""

import json
import time
from datetime import UTC, datetime

import pytest

from compute.engines.base import EngineState, JobSpec, get_engine
from compute.engines.slurm import EXIT_FILE, SlurmEngine
from tests.slurm.conftest import GRES_TYPE, PARTITION, slurm_jobs

FORGOTTEN_ID = "999999990"  # far beyond any id this cluster has handed out


@pytest.fixture
def engine(tmp_path):
    return SlurmEngine(
        tmp_path / "engine", workload_module="tests.slurm.workload", partition=PARTITION, snapshot_seconds=0.2
    )


def spec_for(tmp_path, workload: str, *, cards: int = 1, key: str = "job-1-attempt-1", limit: int = 60, **extra):
    job_dir = tmp_path / key
    job_dir.mkdir(exist_ok=True)
    return JobSpec(
        key=key,
        workload=workload,
        job_dir=job_dir,
        cards=cards,
        pool="pool-1",
        pool_cards=2,
        time_limit_seconds=limit,
        placement={"gres_type": GRES_TYPE},
        labels={"tenant": "7", "job": "1", "attempt": "1"},
        **extra,
    )


def wait_until_ended(engine, engine_id: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = engine.status(engine_id)
        if status.state.is_terminal:
            return status
        time.sleep(0.3)
    raise AssertionError(f"job {engine_id} still {engine.status(engine_id).state} after {timeout}s")


def test_is_registered_and_built_from_settings(tmp_path):
    engine = get_engine("slurm", {"root": tmp_path, "partition": PARTITION})
    assert isinstance(engine, SlurmEngine) and engine.partition == PARTITION


def test_sbatch_line_carries_partition_typed_gres_time_limit_and_owner(tmp_path, engine):
    spec = spec_for(tmp_path, "sleep-1", cards=2, limit=90, env={"A": "1"})
    argv = engine.sbatch_argv(spec)
    assert f"--partition={PARTITION}" in argv
    assert f"--gres=gpu:{GRES_TYPE}:2" in argv
    assert "--time=3" in argv  # 90 s → 2 minutes, plus one minute of backstop behind the script's own limit
    assert "--job-name=job-1-attempt-1" in argv
    assert "--comment=tenant=7 job=1 attempt=1" in argv
    untyped = spec_for(tmp_path, "sleep-1", cards=2, key="job-2-attempt-1")
    untyped = JobSpec(**{**untyped.__dict__, "placement": {"gres_name": "npu", "partition": "other"}})
    assert "--gres=npu:2" in engine.sbatch_argv(untyped)
    assert "--partition=other" in engine.sbatch_argv(untyped)


def test_job_runs_with_its_cards_and_ends_with_slurm_times(tmp_path, engine):
    spec = spec_for(tmp_path, "sleep-1", cards=2)
    engine_id = engine.submit(spec)
    status = wait_until_ended(engine, engine_id)
    slurm_job = slurm_jobs()[int(engine_id)]
    assert status.state == EngineState.SUCCEEDED and status.exit_code == 0
    assert status.started_at == datetime.fromtimestamp(slurm_job["start_time"], UTC)
    assert status.finished_at == datetime.fromtimestamp(slurm_job["end_time"], UTC)
    assert slurm_job["tres_per_node"] == f"gres:gpu:{GRES_TYPE}:2"
    text, offset = engine.logs(engine_id)
    assert text.splitlines() == ["cards=0,1 cuda=0,1", "to stderr", "done"]  # stdout and stderr, in order
    assert engine.logs(engine_id, offset) == ("", offset)
    assert json.loads((spec.job_dir / EXIT_FILE).read_text())["exit_code"] == 0


def test_submit_is_idempotent_even_when_the_engine_lost_its_record(tmp_path, engine):
    spec = spec_for(tmp_path, "sleep-2")
    engine_id = engine.submit(spec)
    assert engine.submit(spec) == engine_id
    # A submit that died after sbatch but before recording: Slurm has the job under the key's name.
    fresh = SlurmEngine(tmp_path / "other-root", workload_module="tests.slurm.workload", partition=PARTITION)
    assert fresh.submit(spec) == engine_id
    assert [j for j in slurm_jobs().values() if j["name"] == spec.key and j["job_id"] == int(engine_id)]
    assert wait_until_ended(engine, engine_id).state == EngineState.SUCCEEDED


def test_failure_keeps_the_workloads_exit_code(tmp_path, engine):
    engine_id = engine.submit(spec_for(tmp_path, "exit-2"))
    status = wait_until_ended(engine, engine_id)
    assert (status.state, status.exit_code, status.reason) == (EngineState.FAILED, 2, "input_error")
    assert slurm_jobs()[int(engine_id)]["job_state"] == "FAILED"


def test_time_limit_stops_the_job(tmp_path, engine):
    engine_id = engine.submit(spec_for(tmp_path, "sleep-30", limit=2))
    status = wait_until_ended(engine, engine_id)
    assert (status.state, status.reason) == (EngineState.TIMED_OUT, "time_limit")
    assert (status.finished_at - status.started_at).total_seconds() < 10


def test_cancel_of_a_pending_job_reaches_scancel_and_meters_nothing(tmp_path, engine):
    hog = engine.submit(spec_for(tmp_path, "sleep-5", cards=2, key="job-1-attempt-1"))
    waiting = engine.submit(spec_for(tmp_path, "sleep-1", cards=2, key="job-2-attempt-1"))
    assert engine.status(waiting).state == EngineState.QUEUED
    engine.cancel(waiting)
    status = engine.status(waiting)
    assert (status.state, status.started_at) == (EngineState.CANCELLED, None)
    assert slurm_jobs()[int(waiting)]["job_state"] == "CANCELLED"
    engine.cancel(waiting)  # again: nothing happens
    engine.cancel(hog)
    assert wait_until_ended(engine, hog).state == EngineState.CANCELLED


def test_final_state_is_kept_after_slurm_forgets_the_job(tmp_path, engine):
    engine_id = engine.submit(spec_for(tmp_path, "exit-3"))
    status = wait_until_ended(engine, engine_id)
    record = json.loads((tmp_path / "engine" / "jobs" / f"{engine_id}.json").read_text())
    assert record["final"]["state"] == "failed" and not (tmp_path / "engine" / "active" / engine_id).exists()
    assert engine.status(engine_id) == status


@pytest.mark.parametrize(
    ("exit_record", "cancelled", "expected"),
    [
        ({"exit_code": 0, "started": 1_800_000_000, "finished": 1_800_000_042, "stopped": ""}, False, "succeeded"),
        ({"exit_code": 1, "started": 1_800_000_000, "finished": 1_800_000_042, "stopped": ""}, False, "failed"),
        (
            {"exit_code": 143, "started": 1_800_000_000, "finished": 1_800_000_042, "stopped": "cancelled"},
            True,
            "cancelled",
        ),
        (
            {"exit_code": 124, "started": 1_800_000_000, "finished": 1_800_000_042, "stopped": "time_limit"},
            False,
            "timed_out",
        ),
        (None, True, "cancelled"),
        (None, False, "lost"),
    ],
)
def test_a_job_slurm_no_longer_knows_ends_as_its_batch_script_recorded(
    tmp_path, engine, exit_record, cancelled, expected
):
    """slurmctld drops a job MinJobAge seconds after it ends; the script's exit file is the last word."""
    job_dir = tmp_path / "forgotten"
    job_dir.mkdir()
    if exit_record:
        (job_dir / EXIT_FILE).write_text(json.dumps(exit_record))
    record = {"slurm_id": FORGOTTEN_ID, "key": "job-9-attempt-1", "job_dir": str(job_dir)}
    if cancelled:
        record["cancel_requested_at"] = "2027-01-01T00:00:00+00:00"
    (tmp_path / "engine" / "jobs").mkdir(parents=True)
    (tmp_path / "engine" / "jobs" / f"{FORGOTTEN_ID}.json").write_text(json.dumps(record))
    assert int(FORGOTTEN_ID) not in slurm_jobs()
    status = engine.status(FORGOTTEN_ID)
    assert status.state == expected
    if exit_record:
        assert (status.finished_at - status.started_at).total_seconds() == 42


def test_unknown_ids_are_lost_and_cancelling_them_does_nothing(engine):
    assert engine.status("123456789").state == EngineState.LOST
    assert engine.status("../etc").state == EngineState.LOST
    engine.cancel("123456789")
    assert engine.logs("123456789") == ("", 0)
