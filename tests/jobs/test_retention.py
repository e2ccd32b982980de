"""Retention: a finished job's files go `JOB_FILES_RETENTION_DAYS` after it ended, and its pages
say so; engines drop their own records of ended jobs; abandoned launch uploads are cleared."""

import json
import os
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compute.engines.local_store import JobFiles
from jobs import storage
from jobs.models import Job, JobArtifact, JobState
from jobs.services.lifecycle import JobActionError, retry
from jobs.services.retention import remove_old_files
from jobs.tasks import remove_old_files as remove_task
from tests.conftest import member_client
from tests.jobs.world import build, finish, launch_job, use_own_job_files


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    use_own_job_files(settings, tmp_path)
    settings.JOB_FILES_RETENTION_DAYS = 90


@pytest.fixture
def world(db):
    return build()


def ended(world, days_ago: float, state=JobState.SUCCEEDED, **kwargs) -> Job:
    job = finish(launch_job(world.owner, world.template, world.pool), state, outputs={"answers.md": "# Hi"}, **kwargs)
    Job.unscoped.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=days_ago))
    return Job.unscoped.get(pk=job.pk)


def test_files_go_after_the_retention_period_and_the_job_stays(world):
    old, recent = ended(world, 91), ended(world, 89)
    running = launch_job(world.owner, world.template, world.pool)
    Job.unscoped.filter(pk=running.pk).update(created_at=timezone.now() - timedelta(days=200))
    storage.inputs_dir(running).mkdir(parents=True)
    assert storage.job_root(old).is_dir()

    removed = remove_old_files()

    assert removed.jobs == 1 and removed.bytes > 0
    assert not storage.job_root(old).exists()
    assert storage.job_root(recent).is_dir() and storage.job_root(running).is_dir()
    old.refresh_from_db()
    assert old.files_removed_at is not None and old.state == JobState.SUCCEEDED
    assert JobArtifact.unscoped.filter(job=old).count() == 1  # the list of what it wrote stays
    assert remove_old_files().jobs == 0  # nothing twice


def test_the_job_page_and_api_say_when_the_files_went(world):
    job = ended(world, 120)
    recent = ended(world, 10)
    remove_old_files()
    client = member_client(world.owner)

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "were removed on" in page and "90 days" in page
    kept = client.get(reverse("jobs:detail", args=[recent.pk])).content.decode()
    assert "kept until" in kept

    download = client.get(reverse("jobs:artifact", args=[job.pk, 1, "answers.md"]), follow=True)
    assert "were removed on" in download.content.decode()
    zh = member_client(world.owner)
    zh.cookies["django_language"] = "zh-hans"
    assert "文件已于" in zh.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    api = client.get(f"/api/v1/jobs/{job.pk}/artifacts/1/answers.md/")
    assert api.status_code == 410
    assert api.json()["error"]["code"] == "files_removed"
    detail = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert detail["files_removed_at"] and detail["files_kept_until"] is None
    assert client.get(f"/api/v1/jobs/{recent.pk}/").json()["files_kept_until"]
    logs = client.get(f"/api/v1/jobs/{job.pk}/logs/").json()
    assert logs["text"] == "" and logs["done"] is True


def test_a_job_whose_inputs_are_gone_cannot_be_retried(world):
    job = ended(world, 100, state=JobState.FAILED, failure="workload_error")
    assert job.can_retry
    remove_old_files()
    job.refresh_from_db()
    assert not job.can_retry
    with pytest.raises(JobActionError, match="launch it again"):
        retry(job=job, actor=world.owner.user)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempt == 1


def test_abandoned_launch_uploads_are_cleared_after_a_day(world, settings):
    staging = settings.JOBS_ROOT / "staging"
    stale, fresh = staging / "launch-old", staging / "launch-new"
    for folder in (stale, fresh):
        folder.mkdir(parents=True)
        (folder / "data.csv").write_text("a,b\n")
    long_ago = time.time() - 25 * 3600
    os.utime(stale, (long_ago, long_ago))

    assert remove_old_files().staging == 1
    assert not stale.exists() and fresh.is_dir()


def test_the_local_engine_drops_records_of_jobs_that_ended_a_week_ago(settings, tmp_path, db):
    from compute.engines.local import LocalEngine

    root = tmp_path / "engine"
    engine = LocalEngine(root=root)
    for name, outcome, age_days in (
        ("old-done", "succeeded", 8),
        ("new-done", "succeeded", 1),
        ("old-running", None, 8),
    ):
        files = JobFiles(root, name)
        files.dir.mkdir(parents=True)
        files.record.write_text(json.dumps({"pool": "p"}))
        files.run.write_text(json.dumps({"outcome": outcome} if outcome else {"runner": None}))
        then = time.time() - age_days * 86400
        os.utime(files.run, (then, then))

    assert engine.purge(timedelta(days=7)) == 1
    assert not JobFiles(root, "old-done").dir.exists()
    assert JobFiles(root, "new-done").dir.is_dir() and JobFiles(root, "old-running").dir.is_dir()


def test_the_hourly_task_reports_what_it_removed(world):
    ended(world, 95)
    report = remove_task()
    assert report["jobs"] == 1 and report["bytes"] > 0
    assert set(report) == {"jobs", "bytes", "staging", "engine_records"}


def test_retention_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["jobs-remove-old-files"]
    assert entry["task"] == "jobs.tasks.remove_old_files"


def _aged(path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_the_slurm_engine_drops_records_and_keys_of_ended_jobs(tmp_path):
    from compute.engines.slurm import SlurmEngine

    engine = SlurmEngine(root=tmp_path)
    (tmp_path / "jobs").mkdir()
    (tmp_path / "keys").mkdir()
    for slurm_id, final, days in (
        ("101", {"state": "succeeded"}, 8),
        ("102", None, 8),
        ("103", {"state": "failed"}, 2),
    ):
        record = {"slurm_id": slurm_id, "key": f"job-{slurm_id}-1", "job_dir": str(tmp_path)}
        if final:
            record["final"] = final
        (tmp_path / "jobs" / f"{slurm_id}.json").write_text(json.dumps(record))
        (tmp_path / "keys" / f"job-{slurm_id}-1.json").write_text(json.dumps({"slurm_id": slurm_id}))
        _aged(tmp_path / "jobs" / f"{slurm_id}.json", days)

    assert engine.purge(timedelta(days=7)) == 1
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == ["102.json", "103.json"]
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["job-102-1.json", "job-103-1.json"]


def test_the_kubernetes_engine_drops_records_of_ended_jobs(tmp_path):
    from compute.engines.kubernetes import KubernetesEngine

    engine = KubernetesEngine(root=tmp_path, jobs_root=tmp_path / "jobs-volume")
    records = tmp_path / "jobs"
    records.mkdir()
    for name, final in (("ns__a", {"state": "succeeded"}), ("ns__b", None)):
        path = records / f"{name}.json"
        path.write_text(json.dumps({"engine_id": name.replace("__", "/"), **({"final": final} if final else {})}))
        _aged(path, 30)

    assert engine.purge(timedelta(days=7)) == 1
    assert [p.name for p in records.iterdir()] == ["ns__b.json"]
