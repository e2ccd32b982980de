"""The local engine with real detached processes, driven by the fake workload in ``fake_workload``."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from compute.engines import EngineError, EngineState, EngineStatus, JobSpec, get_engine
from compute.engines.local import PROJECT_ROOT, LocalEngine

FAKE = {"workload_module": "tests.compute.fake_workload", "kill_grace_seconds": 0.5}

SUBMIT_SCRIPT = """
import json, sys, time
from pathlib import Path
from compute.engines import JobSpec
from compute.engines.local import LocalEngine

args = json.loads(sys.argv[1])
engine = LocalEngine(args["root"], **args["engine"])
spec = JobSpec(key=args["key"], workload="demo", job_dir=Path(args["job_dir"]), cards=args["cards"],
               pool="pool-a", pool_cards=args["pool_cards"], time_limit_seconds=30)
print(engine.submit(spec), flush=True)
time.sleep(args["linger"])
"""


@pytest.fixture
def engine(tmp_path):
    engine = LocalEngine(tmp_path / "engine", **FAKE)
    yield engine
    for job in (engine.root / "jobs").glob("*"):
        engine.cancel(job.name)  # a failed test must not leave jobs running


def make_job(tmp_path, key, params, *, cards=1, pool_cards=4, time_limit=30) -> JobSpec:
    job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=tmp_path))
    (job_dir / "inputs").mkdir()
    (job_dir / "params.json").write_text(json.dumps(params))
    return JobSpec(
        key=key,
        workload="demo",
        job_dir=job_dir,
        cards=cards,
        pool="pool-a",
        pool_cards=pool_cards,
        time_limit_seconds=time_limit,
    )


def wait_until(check: Callable[[], object], timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
    return result


def wait_state(engine, engine_id, state, timeout: float = 10) -> EngineStatus:
    def reached():
        status = engine.status(engine_id)
        return status if status.state == state else None

    return wait_until(reached, timeout)


def is_dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in "ZX"


def started_pids(spec: JobSpec) -> list[int]:
    starts = spec.job_dir / "starts.txt"
    return [int(pid) for pid in starts.read_text().split()] if starts.exists() else []


def submit_from_processes(engine, specs, *, linger=0.0) -> list[subprocess.Popen]:
    """Submit each spec from its own python process (its own session), all at once."""
    engine_args = {"workload_module": FAKE["workload_module"], "kill_grace_seconds": FAKE["kill_grace_seconds"]}
    processes = []
    for spec in specs:
        args = {
            "root": str(engine.root),
            "engine": engine_args,
            "key": spec.key,
            "job_dir": str(spec.job_dir),
            "cards": spec.cards,
            "pool_cards": spec.pool_cards,
            "linger": linger,
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", SUBMIT_SCRIPT, json.dumps(args)],
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                start_new_session=True,
            )
        )
    return processes


def test_job_runs_to_success_with_progress_logs_and_output(engine, tmp_path):
    spec = make_job(tmp_path, "job-1-attempt-1", {"lines": ["hello", "world"], "hold": True})

    engine_id = engine.submit(spec)

    assert engine_id == "job-1-attempt-1"
    running = wait_until(lambda: (status := engine.status(engine_id)).progress == 50 and status)
    assert (running.state, running.stage, running.finished_at, running.exit_code) == (
        EngineState.RUNNING,
        "halfway",
        None,
        None,
    )
    assert running.started_at.utcoffset().total_seconds() == 0
    (spec.job_dir / "release").touch()
    done = wait_state(engine, engine_id, EngineState.SUCCEEDED)
    assert (done.exit_code, done.progress, done.stage, done.reason, done.error) == (0, 100.0, "done", "", None)
    assert done.started_at == running.started_at
    assert done.finished_at >= done.started_at
    assert engine.logs(engine_id) == ("hello\nworld\n", 12)
    assert engine.logs(engine_id, offset=12) == ("", 12)
    assert (spec.job_dir / "output" / "result.txt").read_text() == "demo"


def test_non_zero_exit_fails_with_exit_code(engine, tmp_path):
    engine_id = engine.submit(make_job(tmp_path, "job-2-attempt-1", {"exit_code": 3}))

    failed = wait_state(engine, engine_id, EngineState.FAILED)

    assert (failed.exit_code, failed.reason, failed.error) == (3, "exit_code_3", None)


def test_input_error_reports_error_json(engine, tmp_path):
    error = {"code": "input_error", "message": "column 'text' missing in train.csv"}
    engine_id = engine.submit(make_job(tmp_path, "job-3-attempt-1", {"exit_code": 2, "error": error}))

    failed = wait_state(engine, engine_id, EngineState.FAILED)

    assert (failed.exit_code, failed.reason, failed.error) == (2, "input_error", error)


def test_time_limit_kills_the_whole_process_group(engine, tmp_path):
    params = {"ignore_term": True, "spawn_child": True, "sleep": 60}
    spec = make_job(tmp_path, "job-4-attempt-1", params, time_limit=1)
    engine_id = engine.submit(spec)
    wait_state(engine, engine_id, EngineState.RUNNING)
    child_pid = int(
        wait_until(lambda: (spec.job_dir / "child.pid").exists() and (spec.job_dir / "child.pid").read_text())
    )

    timed_out = wait_state(engine, engine_id, EngineState.TIMED_OUT)

    assert (timed_out.reason, timed_out.exit_code) == ("time_limit", -signal.SIGKILL)
    assert 1 <= (timed_out.finished_at - timed_out.started_at).total_seconds() < 5
    [workload_pid] = started_pids(spec)
    wait_until(lambda: is_dead(workload_pid) and is_dead(child_pid), timeout=5)
    assert "[local engine] stopping the job (time_limit)" in engine.logs(engine_id)[0]


def test_cancel_running_job_returns_at_once_and_stops_it(engine, tmp_path):
    spec = make_job(tmp_path, "job-5-attempt-1", {"sleep": 60})
    engine_id = engine.submit(spec)
    [workload_pid] = wait_until(lambda: started_pids(spec))

    started = time.monotonic()
    engine.cancel(engine_id)
    assert time.monotonic() - started < 0.5

    cancelled = wait_state(engine, engine_id, EngineState.CANCELLED)
    assert (cancelled.reason, cancelled.exit_code) == ("cancelled", -signal.SIGTERM)
    assert is_dead(workload_pid)
    engine.cancel(engine_id)
    assert engine.status(engine_id) == cancelled


def test_cancel_queued_job_leaves_the_queue_without_running(engine, tmp_path):
    first = make_job(tmp_path, "job-6-attempt-1", {"hold": True}, pool_cards=1)
    second = make_job(tmp_path, "job-7-attempt-1", {}, pool_cards=1)
    first_id, second_id = engine.submit(first), engine.submit(second)
    assert (engine.status(second_id).state, engine.status(second_id).reason) == (EngineState.QUEUED, "no_free_cards")

    engine.cancel(second_id)

    assert engine.status(second_id) == EngineStatus(EngineState.CANCELLED, reason="cancelled")
    (first.job_dir / "release").touch()
    wait_state(engine, first_id, EngineState.SUCCEEDED)
    engine.tick()
    assert engine.status(second_id).state == EngineState.CANCELLED
    assert started_pids(second) == []


def test_job_waits_for_card_slots_and_starts_when_they_free_up(engine, tmp_path):
    big = make_job(tmp_path, "job-8-attempt-1", {"hold": True}, cards=2, pool_cards=2)
    small = make_job(tmp_path, "job-9-attempt-1", {}, cards=1, pool_cards=2)
    big_id, small_id = engine.submit(big), engine.submit(small)
    wait_state(engine, big_id, EngineState.RUNNING)

    engine.tick()

    queued = engine.status(small_id)
    assert (queued.state, queued.reason, queued.started_at) == (EngineState.QUEUED, "no_free_cards", None)
    assert started_pids(small) == []
    (big.job_dir / "release").touch()
    big_done = wait_state(engine, big_id, EngineState.SUCCEEDED)
    small_done = wait_state(engine, small_id, EngineState.SUCCEEDED)
    assert small_done.started_at >= big_done.finished_at


def test_queued_jobs_know_how_many_are_ahead_of_them(engine, tmp_path):
    running = make_job(tmp_path, "job-20-attempt-1", {"hold": True}, cards=1, pool_cards=1)
    second = make_job(tmp_path, "job-21-attempt-1", {}, cards=1, pool_cards=1)
    third = make_job(tmp_path, "job-22-attempt-1", {}, cards=1, pool_cards=1)
    running_id = engine.submit(running)
    wait_state(engine, running_id, EngineState.RUNNING)
    second_id, third_id = engine.submit(second), engine.submit(third)

    assert (engine.status(second_id).ahead, engine.status(third_id).ahead) == (0, 1)
    assert engine.status(running_id).ahead is None
    engine.cancel(second_id)
    wait_state(engine, second_id, EngineState.CANCELLED)
    engine.tick()
    assert engine.status(third_id).ahead == 0
    (running.job_dir / "release").touch()
    assert wait_state(engine, third_id, EngineState.SUCCEEDED).ahead is None


def test_submit_is_idempotent_on_the_key(engine, tmp_path):
    spec = make_job(tmp_path, "job-10-attempt-1", {"sleep": 0.3})
    processes = submit_from_processes(engine, [spec] * 4)

    engine_id = engine.submit(spec)

    assert {process.communicate()[0].strip() for process in processes} == {engine_id}
    wait_state(engine, engine_id, EngineState.SUCCEEDED)
    assert engine.submit(spec) == engine_id
    assert engine.status(engine_id).state == EngineState.SUCCEEDED
    assert len(started_pids(spec)) == 1


def test_unsafe_keys_get_distinct_safe_ids(engine, tmp_path):
    slash = engine.submit(make_job(tmp_path, "job/11", {}))
    underscore = engine.submit(make_job(tmp_path, "job_11", {}))

    assert re.fullmatch(r"job_11-[0-9a-f]{12}", slash)
    assert underscore == "job_11"
    wait_state(engine, slash, EngineState.SUCCEEDED)
    wait_state(engine, underscore, EngineState.SUCCEEDED)


def test_job_survives_the_submitting_process_being_killed(engine, tmp_path):
    spec = make_job(tmp_path, "job-12-attempt-1", {"sleep": 1})
    [caller] = submit_from_processes(engine, [spec], linger=60)
    engine_id = caller.stdout.readline().strip()

    os.killpg(caller.pid, signal.SIGKILL)
    caller.wait()

    assert caller.returncode == -signal.SIGKILL
    assert engine.status(engine_id).state in (EngineState.QUEUED, EngineState.RUNNING)
    done = wait_state(engine, engine_id, EngineState.SUCCEEDED)
    assert done.exit_code == 0


def test_killed_runner_makes_the_job_lost_and_stops_the_workload(engine, tmp_path):
    spec = make_job(tmp_path, "job-13-attempt-1", {"sleep": 60})
    engine_id = engine.submit(spec)
    [workload_pid] = wait_until(lambda: started_pids(spec))
    run = json.loads((engine.root / "jobs" / engine_id / "run.json").read_text())

    os.kill(run["runner"]["pid"], signal.SIGKILL)

    lost = wait_state(engine, engine_id, EngineState.LOST)
    assert (lost.reason, lost.exit_code) == ("runner_vanished", None)
    wait_until(lambda: is_dead(workload_pid), timeout=5)


def test_log_tailing_never_splits_a_multibyte_character(engine, tmp_path):
    lines = ["héllo wörld", "中文日志 🚀", "done"]
    engine_id = engine.submit(make_job(tmp_path, "job-14-attempt-1", {"lines": lines}))
    wait_state(engine, engine_id, EngineState.SUCCEEDED)
    expected = "".join(f"{line}\n" for line in lines)

    assert engine.logs(engine_id, offset=0, limit=2) == ("h", 1)
    assert engine.logs(engine_id, offset=1, limit=1) == ("é", 3)
    chunks, offset = [], 0
    while offset < len(expected.encode()):
        text, offset = engine.logs(engine_id, offset=offset, limit=5)
        chunks.append(text)

    assert "".join(chunks) == expected
    assert all("\ufffd" not in chunk for chunk in chunks)


def test_concurrent_submits_never_exceed_the_pool(engine, tmp_path):
    events = tmp_path / "events.jsonl"
    specs = [
        make_job(tmp_path, f"job-{20 + n}-attempt-1", {"sleep": 0.8, "events": str(events)}, cards=1 + n % 2)
        for n in range(8)
    ]

    ids = [process.communicate()[0].strip() for process in submit_from_processes(engine, specs)]

    for engine_id in ids:
        wait_state(engine, engine_id, EngineState.SUCCEEDED, timeout=20)
    held: set[str] = set()
    peak = 0
    ordered = sorted((json.loads(line) for line in events.read_text().splitlines()), key=lambda e: (e["t"], e["kind"]))
    for event in ordered:  # "end" sorts before "start" at equal times
        slots = set(event["slots"].split(","))
        if event["kind"] == "start":
            assert not held & slots, f"slot given twice: {event}"
            held |= slots
        else:
            held -= slots
        peak = max(peak, len(held))
    assert len(ordered) == 16
    assert 2 <= peak <= 4


def test_registry_and_unknown_jobs(tmp_path):
    engine = get_engine("local", {"root": tmp_path / "engine", **FAKE})

    assert isinstance(engine, LocalEngine)
    assert engine.status("job-404") == EngineStatus(EngineState.LOST, reason="no_record")
    assert engine.cancel("job-404") is None
    assert engine.logs("job-404") == ("", 0)
    with pytest.raises(EngineError):
        get_engine("nomad")


def test_root_defaults_to_the_var_directory(settings):
    assert LocalEngine.from_config({}).root == settings.VAR_DIR / "engine"


def test_impossible_job_is_refused_without_a_record(engine, tmp_path):
    with pytest.raises(ValueError, match="between 1 and 4 cards"):
        engine.submit(make_job(tmp_path, "job-15-attempt-1", {}, cards=8))

    assert not (engine.root / "jobs").exists()
