"""The jobs API, called with API keys as programs would."""

import json
import os

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from jobs.models import Job, JobState
from tenants.roles import Role
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.jobs.world import (
    CSV_TEXT,
    LOG_TEXT,
    ONE_CARD_ESTIMATE_FEN,
    build,
    finish,
    launch_job,
    use_own_job_files,
)


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    use_own_job_files(settings, tmp_path)


@pytest.fixture
def world(db):
    return build()


def api(membership, role: str | None = None) -> Client:
    """A client sending an API key of `membership`'s tenant acting as `role` (default: their own)."""
    with tenant_context(membership.tenant):
        _key, plaintext = api_key_create(name="ci", role=role or membership.role, acting_membership=membership)
    return Client(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")


def body(w, **overrides) -> dict:
    inputs = {"dataset_csv": CSV_TEXT, "target_column": "defect", "task": "classification", "test_fraction": 0.25}
    return {"template": w.slug, "pool": w.pool.pk, "cards": 1, "inputs": inputs, "name": "nightly", **overrides}


def post(client: Client, data: dict, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(reverse("api:job-list"), json.dumps(data), content_type="application/json", **headers)


def jobs_of(tenant) -> list[Job]:
    with tenant_context(tenant):
        return list(Job.objects.order_by("pk"))


def test_launch_through_the_api(world):
    response = post(api(world.developer), body(world))

    assert response.status_code == 201
    (job,) = jobs_of(world.company)
    data = response.json()
    assert data["id"] == job.pk and data["template"] == world.slug and data["pool"] == world.pool.pk
    assert data["state"] == JobState.QUEUED and data["estimate_fen"] == ONE_CARD_ESTIMATE_FEN
    assert data["inputs"]["dataset_csv"] == "inputs/dataset_csv.csv"
    assert job.params["target_column"] == "defect" and job.name == "nightly"


def test_same_idempotency_key_and_body_returns_the_same_job(world):
    client = api(world.owner)

    first = post(client, body(world), key="nightly-2026-01-01")
    again = post(client, body(world), key="nightly-2026-01-01")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert (first.get("Idempotent-Replayed"), again["Idempotent-Replayed"]) == (None, "true")
    assert len(jobs_of(world.company)) == 1


def test_after_the_api_forgot_the_key_the_job_still_answers_for_it(world):
    from idempotency.models import IdempotentRequest

    client = api(world.owner)
    first = post(client, body(world), key="nightly-2026-01-01")
    IdempotentRequest.unscoped.all().delete()  # what expiry does after a day

    again = post(client, body(world), key="nightly-2026-01-01")
    other = post(client, body(world, cards=2), key="nightly-2026-01-01")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(jobs_of(world.company)) == 1


def test_same_idempotency_key_with_another_body_is_refused_with_422(world):
    client = api(world.owner)
    first = post(client, body(world), key="k-1")

    response = post(client, body(world, cards=2), key="k-1")

    assert first.status_code == 201 and response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert len(jobs_of(world.company)) == 1


def test_validation_errors_have_the_projects_shape_and_create_nothing(world):
    inputs = {"dataset_csv": CSV_TEXT, "target_column": "1 bad", "task": "guess", "colour": "red"}

    response = post(api(world.owner), body(world, inputs=inputs))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"inputs.target_column", "inputs.task", "inputs.colour"}
    assert error["fields"]["inputs.colour"] == ["Unknown input: the launch form has no such field."]
    assert jobs_of(world.company) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"template": "no-such-template"}, "template"),
        ({"pool": 999999}, "pool"),
        ({"cards": 3}, "cards"),
        ({"cards": "many"}, "cards"),
        ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),
        ({"inputs": "not an object"}, "inputs"),
    ],
)
def test_request_errors_name_their_field(world, change, field):
    response = post(api(world.owner), body(world, **change))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert jobs_of(world.company) == []


def test_an_unusable_pool_is_refused_with_the_reason(world):
    response = post(api(world.owner), body(world, pool=world.bad_pool.pk))

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"pool": ["Kernels missing on this chip"]}


def test_a_csv_without_the_target_column_is_refused_on_that_input(world):
    inputs = {"dataset_csv": CSV_TEXT.replace("defect", "label"), "target_column": "defect", "task": "classification"}

    response = post(api(world.owner), body(world, inputs=inputs))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["inputs.target_column"]
    assert jobs_of(world.company) == []


def test_too_little_money_is_402(db):
    w = build(wallet_fen=300)

    response = post(api(w.owner), body(w))

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_funds"
    assert jobs_of(w.company) == []


def test_viewers_may_read_but_not_launch(world):
    launch_job(world.owner, world.template, world.pool)
    client = api(world.owner, role=Role.VIEWER)

    assert client.get(reverse("api:job-list")).status_code == 200
    assert post(client, body(world)).status_code == 403
    assert len(jobs_of(world.company)) == 1


def test_list_is_ours_only_and_filters(world):
    waiting = launch_job(world.owner, world.template, world.pool)
    done = finish(launch_job(world.owner, world.template, world.pool))
    launch_job(world.other_owner, world.template, world.pool)
    client = api(world.owner)

    everything = client.get(reverse("api:job-list")).json()
    succeeded = client.get(reverse("api:job-list"), {"state": "succeeded", "template": world.slug}).json()
    bad = client.get(reverse("api:job-list"), {"state": "sleeping"})

    assert [j["id"] for j in everything["results"]] == [done.pk, waiting.pk]
    assert [j["id"] for j in succeeded["results"]] == [done.pk]
    assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["state"]


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("api:job-detail", "get", ()),
        ("api:job-cancel", "post", ()),
        ("api:job-retry", "post", ()),
        ("api:job-events", "get", ()),
        ("api:job-logs", "get", ()),
        ("api:job-artifacts", "get", ()),
        ("api:job-artifact-download", "get", (1, "answers.md")),
    ],
)
def test_another_companys_job_is_404(world, name, method, extra):
    theirs = finish(launch_job(world.other_owner, world.template, world.pool), outputs={"answers.md": "secret"})

    response = getattr(api(world.owner), method)(reverse(name, args=[theirs.pk, *extra]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_cancel_then_cancel_again(world):
    job = launch_job(world.owner, world.template, world.pool)
    client = api(world.developer)

    first = client.post(reverse("api:job-cancel", args=[job.pk]))
    again = client.post(reverse("api:job-cancel", args=[job.pk]))

    assert first.status_code == 200 and first.json()["state"] == JobState.CANCELLED
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_finished"


def test_retry_a_failed_job(world):
    job = finish(launch_job(world.owner, world.template, world.pool), JobState.FAILED, failure="lost")
    client = api(world.owner)

    response = client.post(reverse("api:job-retry", args=[job.pk]))
    events = client.get(reverse("api:job-events", args=[job.pk])).json()

    assert response.status_code == 200 and response.json()["attempt"] == 2
    assert [e["reason"] for e in events] == ["launched", "admitted", "lost", "retry", "admitted"]
    assert events[2]["reason_text"] == "The compute engine lost track of the job."


def test_logs_by_offset(world):
    job = finish(launch_job(world.owner, world.template, world.pool))
    client = api(world.owner)

    whole = client.get(reverse("api:job-logs", args=[job.pk])).json()
    tail = client.get(reverse("api:job-logs", args=[job.pk]), {"offset": 10}).json()
    bad = client.get(reverse("api:job-logs", args=[job.pk]), {"offset": "-1"})

    assert whole == {"text": LOG_TEXT, "next_offset": len(LOG_TEXT.encode()), "done": True}
    assert tail["text"] == LOG_TEXT.encode()[10:].decode()
    assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["offset"]


def test_artifacts_list_and_download(world):
    job = finish(launch_job(world.owner, world.template, world.pool), outputs={"answers.md": "# 答案"})
    client = api(world.owner)

    (listed,) = client.get(reverse("api:job-artifacts", args=[job.pk])).json()
    download = client.get(listed["download_url"])

    assert listed["name"] == "answers.md" and listed["size"] == len("# 答案".encode())
    assert listed["download_url"].endswith(f"/api/v1/jobs/{job.pk}/artifacts/1/answers.md/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == "# 答案".encode()
    assert download["Content-Disposition"] == 'attachment; filename="answers.md"'


def test_openapi_schema_has_no_warnings(db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)
