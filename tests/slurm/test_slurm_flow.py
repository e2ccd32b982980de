"""Templates launched in the portal on a Slurm-backed pool, through a real Celery worker (with beat),
the real slurmctld/slurmd on this machine and a real workload."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compute.models import Pool
from jobs.models import Job, JobState, WaitReason
from jobs.services.launch import LaunchRequest, launch
from jobs.services.lifecycle import cancel
from tenants.scoping import tenant_context
from tests.celery_worker import Worker
from tests.conftest import member_client
from tests.flows import world
from tests.flows.test_job_flow import wait_for
from tests.slurm.conftest import GRES_TYPE, PARTITION, PARTITION_CARDS, slurm_jobs

pytestmark = pytest.mark.django_db(transaction=True)

STARTED = (JobState.STARTING, JobState.RUNNING)
ENDED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT)


def slurm_world():
    """The flow world with its usable pool on Slurm: the partition's cards, the chip's GRES type."""
    w = world.build(cards_quota=8)
    w.pool.chip_type.slurm_gres = GRES_TYPE
    w.pool.chip_type.save(update_fields=["slurm_gres"])
    Pool.objects.filter(pk=w.pool.pk).update(
        engine="slurm", total_cards=PARTITION_CARDS, engine_config={"partition": PARTITION}
    )
    w.pool.refresh_from_db()
    return w


def launch_on_slurm(w, cards: int) -> Job:
    params = {"target_column": "label", "task": "classification", "test_fraction": 0.25}
    files = {"dataset_csv": SimpleUploadedFile("data.csv", world.CSV.encode(), content_type="text/csv")}
    request = LaunchRequest(version=w.tabular, pool=w.pool, cards=cards, params=params, files=files)
    with tenant_context(w.company):
        job, created = launch(tenant=w.company, actor=w.owner.user, request=request)
    assert created and job.engine == "slurm"
    return job


def job_in(pk: int, *states) -> Job | None:
    return Job.unscoped.filter(pk=pk, state__in=states).first()


def waiting_for_cards(pk: int) -> Job | None:
    return Job.unscoped.filter(pk=pk, state=JobState.QUEUED, stage__contains="(Resources)").first()


def slurm_time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_template_runs_as_a_slurm_job_shows_why_it_waits_and_cancel_reaches_scancel(tmp_path, slurm_dirs):
    w = slurm_world()
    env = {**slurm_dirs, "JOBS_TICK_SECONDS": "1", "WORKLOAD_SLOWDOWN_SECONDS": "0.5"}
    worker = Worker(tmp_path / "mail", beat=True, env=env).start()
    try:
        # Given a job holding both cards of the partition…
        first = launch_on_slurm(w, cards=2)
        first = wait_for(lambda: job_in(first.pk, *STARTED), timeout=60)
        slurm_first = slurm_jobs()[int(first.engine_job_id)]
        assert slurm_first["job_state"] == "RUNNING"
        assert slurm_first["name"] == f"job-{first.pk}-attempt-1"
        assert slurm_first["comment"] == f"tenant={w.company.pk} job={first.pk} attempt=1"
        assert slurm_first["partition"] == PARTITION
        assert slurm_first["gres_detail"] == [f"gpu:{GRES_TYPE}:2(IDX:0-1)"]

        # …a second job waits in Slurm's queue, and its page says why.
        second = launch_on_slurm(w, cards=1)
        second = wait_for(lambda: waiting_for_cards(second.pk), timeout=30)
        assert second.wait_reason == WaitReason.NO_FREE_CARDS
        slurm_second = slurm_jobs()[int(second.engine_job_id)]
        assert (slurm_second["job_state"], slurm_second["state_reason"]) == ("PENDING", "Resources")
        page = member_client(w.owner).get(reverse("jobs:detail", args=[second.pk])).content.decode()
        assert "Slurm: pending (Resources)" in page

        # When the first is cancelled in the portal, scancel stops it and the second gets the cards.
        cancel(job=first, actor=w.owner.user)
        first = wait_for(lambda: job_in(first.pk, *ENDED), timeout=30)
        second = wait_for(lambda: job_in(second.pk, *ENDED), timeout=90)
    finally:
        worker.stop()
    assert first.state == JobState.CANCELLED
    assert second.state == JobState.SUCCEEDED, (second.failure, "".join(worker.output[-30:]))
    assert second.stage != "Slurm: pending (Resources)"
    jobs = slurm_jobs()
    assert jobs[int(first.engine_job_id)]["job_state"] == "CANCELLED"
    assert jobs[int(second.engine_job_id)]["job_state"] == "COMPLETED"
    assert jobs[int(second.engine_job_id)]["start_time"] >= jobs[int(first.engine_job_id)]["end_time"]
    # Metering uses Slurm's start and end: card-seconds are cards × Slurm's elapsed time.
    for job in (first, second):
        slurm_job = jobs[int(job.engine_job_id)]
        assert job.started_at == slurm_time(slurm_job["start_time"])
        assert job.finished_at == slurm_time(slurm_job["end_time"])
        assert job.card_seconds == job.cards * (slurm_job["end_time"] - slurm_job["start_time"]) > 0
    names = set(second.artifacts.model.unscoped.filter(job=second).values_list("name", flat=True))
    assert {"metrics.json", "model.joblib"} <= names


def test_two_jobs_wanting_more_cards_than_the_partition_has_run_one_after_the_other(tmp_path, slurm_dirs):
    w = slurm_world()
    env = {**slurm_dirs, "JOBS_TICK_SECONDS": "1"}
    worker = Worker(tmp_path / "mail", beat=True, env=env).start()
    try:
        # Both are admitted by the portal (quota 8 cards); Slurm has 2 cards for 2 + 2.
        first = launch_on_slurm(w, cards=2)
        second = launch_on_slurm(w, cards=2)
        assert {first.state, second.state} == {JobState.QUEUED}
        first = wait_for(lambda: job_in(first.pk, *STARTED), timeout=60)
        second = wait_for(lambda: waiting_for_cards(second.pk), timeout=30)
        assert second.wait_reason == WaitReason.NO_FREE_CARDS
        assert slurm_jobs()[int(second.engine_job_id)]["state_reason"] == "Resources"
        first = wait_for(lambda: job_in(first.pk, *ENDED), timeout=90)
        second = wait_for(lambda: job_in(second.pk, *ENDED), timeout=90)
    finally:
        worker.stop()
    assert (first.state, second.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED), (
        first.failure,
        second.failure,
        "".join(worker.output[-30:]),
    )
    jobs = slurm_jobs()
    first_slurm, second_slurm = jobs[int(first.engine_job_id)], jobs[int(second.engine_job_id)]
    assert second_slurm["start_time"] >= first_slurm["end_time"]
    assert second.started_at >= first.finished_at
