"""The jobs pages: launching a template, following a job, the list and the webhook settings."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.services import ledger
from jobs.models import Job, JobState, WaitReason, WebhookEndpoint
from tenants.scoping import tenant_context
from tests.conftest import member_client
from tests.jobs.world import (
    CSV_TEXT,
    LOG_TEXT,
    METRICS,
    ONE_CARD_ESTIMATE_FEN,
    WALLET_FEN,
    build,
    finish,
    launch_job,
    use_own_job_files,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    use_own_job_files(settings, tmp_path)


@pytest.fixture
def world(db):
    return build()


def launch_url(w) -> str:
    return reverse("jobs:launch", args=[w.slug])


def form_data(w, **overrides) -> dict:
    """What the launch page posts for the example data pasted into the form."""
    data = {
        "in-dataset_csv__text": CSV_TEXT,
        "in-target_column": "defect",
        "in-task": "classification",
        "in-test_fraction": "0.25",
        "in-time_budget_minutes": "30",
        "pool": str(w.pool.pk),
        "cards": "1",
        "deadline": "",
        "name": "My first job",
        "launch_key": "0123456789abcdef0123456789abcdef",
    }
    return {**data, **overrides}


def job_count(w) -> int:
    with tenant_context(w.company):
        return Job.objects.count()


# --- Launch page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "developer"])
def test_launch_page_shows_pools_estimate_and_balance(world, role):
    response = member_client(getattr(world, role)).get(launch_url(world))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Defect classification" in page
    assert f'name="pool" value="{world.pool.pk}" checked' in page
    assert f'name="pool" value="{world.bad_pool.pk}" disabled' in page
    assert "Kernels missing on this chip" in page
    assert 'id="estimate-total">¥10.00<' in page
    assert "¥1,000.00" in page
    assert 'id="funds-warning"' not in page


def test_viewer_cannot_launch(world):
    client = member_client(world.viewer)

    assert client.get(launch_url(world)).status_code == 403
    assert client.post(launch_url(world), form_data(world)).status_code == 403
    assert job_count(world) == 0


def test_only_live_templates_and_models_have_a_launch_page(world):
    client = member_client(world.owner)

    assert client.get(reverse("jobs:launch", args=[world.model.offering.slug])).status_code == 200  # a trial
    assert client.get(reverse("jobs:launch", args=[world.pool.offering.slug])).status_code == 404
    assert client.get(reverse("jobs:launch", args=["no-such-template"])).status_code == 404


def test_use_the_example_fills_the_form(world):
    page = member_client(world.owner).get(launch_url(world) + "?example=1").content.decode()

    assert "thickness_mm,temperature_c,defect" in page  # in the paste box
    assert 'name="in-target_column" value="defect"' in page
    assert 'name="in-test_fraction" value="0.25"' in page


def test_estimate_fragment_follows_pool_and_size(world):
    response = member_client(world.owner).get(launch_url(world), {"pool": world.pool.pk, "cards": 2}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'id="estimate-total">¥15.00<' in page  # ¥10 × 2 cards × 0.5 h + ¥5
    assert '<option value="2" selected>' in page


def test_estimate_warns_when_the_wallet_is_short(db, job_files):
    w = build(wallet_fen=300)

    page = member_client(w.owner).get(launch_url(w), {"pool": w.pool.pk, "cards": 1}, **HTMX).content.decode()

    assert 'id="funds-warning"' in page and "¥7.00 is missing" in page


def test_estimate_says_the_job_will_wait_for_quota(world):
    for _ in range(4):  # the built-in quota runs 4 jobs at once
        launch_job(world.owner, world.template, world.pool)

    page = member_client(world.owner).get(launch_url(world), {"pool": world.pool.pk}, **HTMX).content.decode()

    assert 'id="quota-wait"' in page and "4 of 4 jobs" in page


def test_launch_creates_the_job_and_holds_the_estimate(world):
    response = member_client(world.developer).post(launch_url(world), form_data(world))

    with tenant_context(world.company):
        job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.name, job.pool, job.cards, job.estimate_fen) == ("My first job", world.pool, 1, ONE_CARD_ESTIMATE_FEN)
    assert job.params == {
        "dataset_csv": "inputs/dataset_csv.csv",
        "target_column": "defect",
        "task": "classification",
        "test_fraction": 0.25,
        "time_budget_minutes": 30,
    }
    assert ledger.balance(world.company) == WALLET_FEN - ONE_CARD_ESTIMATE_FEN


def test_a_double_click_launches_once(world):
    client = member_client(world.owner)

    first = client.post(launch_url(world), form_data(world))
    second = client.post(launch_url(world), form_data(world))

    assert first["Location"] == second["Location"]
    assert job_count(world) == 1


def test_bad_input_shows_the_error_keeps_the_values_and_creates_nothing(world):
    response = member_client(world.owner).post(launch_url(world), form_data(world, **{"in-target_column": "1 bad"}))

    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid value." in page
    assert 'value="1 bad"' in page and 'value="My first job"' in page
    assert "thickness_mm,temperature_c,defect" in page  # the pasted data is kept
    assert job_count(world) == 0


def test_csv_with_ragged_rows_is_refused_on_the_file_field(world):
    ragged = "a,b,defect\n1,2,0\n3,4\n"
    files = {"in-dataset_csv": SimpleUploadedFile("data.csv", ragged.encode(), content_type="text/csv")}
    data = form_data(world, **{"in-dataset_csv__text": ""}) | files

    response = member_client(world.owner).post(launch_url(world), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Row 3 does not have as many columns as the header row (2 instead of 3)" in page
    assert job_count(world) == 0


def test_csv_without_the_target_column_is_refused_on_that_field(world):
    response = member_client(world.owner).post(launch_url(world), form_data(world, **{"in-target_column": "label"}))

    page = response.content.decode()
    assert response.status_code == 400
    field = page[page.index('name="in-target_column"') :]
    assert re.search(r"The CSV has no column .?label.?; it has", field)
    assert job_count(world) == 0


def test_an_unusable_pool_is_refused(world):
    response = member_client(world.owner).post(launch_url(world), form_data(world, pool=str(world.bad_pool.pk)))

    assert response.status_code == 400
    assert "Choose one of the usable pools." in response.content.decode()
    assert job_count(world) == 0


def test_a_size_the_pool_does_not_sell_is_refused(world):
    response = member_client(world.owner).post(launch_url(world), form_data(world, cards="3"))

    assert response.status_code == 400 and job_count(world) == 0


def test_a_past_deadline_is_refused_on_its_field(world):
    response = member_client(world.owner).post(launch_url(world), form_data(world, deadline="2001-01-01T10:00"))

    assert response.status_code == 400
    assert "The deadline must be in the future." in response.content.decode()
    assert job_count(world) == 0


def test_too_little_money_is_a_form_error_and_nothing_is_created(db, job_files):
    w = build(wallet_fen=300)

    response = member_client(w.owner).post(launch_url(w), form_data(w))

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="launch-errors"' in page and "Top up your wallet and launch again." in page
    assert job_count(w) == 0 and ledger.balance(w.company) == 300


def test_garbage_posts_never_fail(world):
    client = member_client(world.owner)

    for data in ({}, {"pool": "x", "cards": "many", "deadline": "tomorrow", "in-test_fraction": "lots"}):
        assert client.post(launch_url(world), data).status_code == 400
    assert job_count(world) == 0


# --- Job page ------------------------------------------------------------------------------------


def test_job_page_of_a_waiting_job_says_why_and_polls(world):
    jobs = [launch_job(world.owner, world.template, world.pool) for _ in range(5)]
    waiting = jobs[-1]
    assert waiting.wait_reason == WaitReason.QUOTA

    page = member_client(world.viewer).get(reverse("jobs:detail", args=[waiting.pk])).content.decode()

    assert "Your quota is in use by other jobs" in page
    assert f'hx-get="{reverse("jobs:status", args=[waiting.pk])}" hx-trigger="every 2s"' in page
    assert reverse("jobs:logs", args=[waiting.pk]) + "?offset=0" in page
    assert 'id="cancel-job"' not in page  # a viewer may look, not act


def test_a_job_waiting_for_cards_says_how_many_are_ahead(world):
    from compute.engines.base import EngineState, EngineStatus
    from jobs.services.lifecycle import _apply

    job = launch_job(world.owner, world.template, world.pool)
    Job.unscoped.filter(pk=job.pk).update(state=JobState.QUEUED, engine_job_id="e-1")
    job = Job.unscoped.get(pk=job.pk)
    _apply(job, EngineStatus(EngineState.QUEUED, reason="no_free_cards", ahead=2))
    assert Job.unscoped.get(pk=job.pk).queue_ahead == 2
    client = member_client(world.owner)

    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "All cards in the pool are busy" in page and "2 jobs are ahead of yours in the pool's queue." in page
    assert "· 2 ahead" in client.get(reverse("jobs:list")).content.decode()
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["queue_ahead"] == 2
    zh = member_client(world.owner)
    zh.cookies["django_language"] = "zh-hans"
    assert "前面还有 2 个任务" in zh.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    _apply(job, EngineStatus(EngineState.RUNNING, started_at=timezone.now()))
    assert Job.unscoped.get(pk=job.pk).queue_ahead is None


def test_job_page_of_a_succeeded_job_shows_results(world):
    job = launch_job(world.owner, world.template, world.pool, name="Line 3")
    outputs = {"metrics.json": json.dumps(METRICS), "answers.md": "# Answers\n\n**Yes**, it works."}
    finish(job, outputs=outputs)

    page = member_client(world.owner).get(reverse("jobs:detail", args=[job.pk])).content.decode()

    assert "<h1>Answers</h1>" in page and "<strong>Yes</strong>" in page
    assert "87.5%" in page and "F1 score (macro average)" in page
    assert "random_forest" in page
    assert "训练模型" in page  # the log, in full
    assert 'hx-trigger="every 2s"' not in page
    assert reverse("jobs:artifact", args=[job.pk, 1, "metrics.json"]) in page
    assert "Finished successfully." in page


def test_artifact_download_is_an_attachment(world):
    job = finish(launch_job(world.owner, world.template, world.pool), outputs={"answers.md": "# Hello"})

    response = member_client(world.viewer).get(reverse("jobs:artifact", args=[job.pk, 1, "answers.md"]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="answers.md"'
    assert b"".join(response.streaming_content) == b"# Hello"


def test_artifact_names_outside_the_output_folder_are_404(world):
    job = finish(launch_job(world.owner, world.template, world.pool), outputs={"answers.md": "# Hello"})
    client = member_client(world.owner)

    for name in ("../params.json", "missing.md", "../../../../etc/passwd"):
        assert client.get(reverse("jobs:artifact", args=[job.pk, 1, name])).status_code == 404
    assert client.get(reverse("jobs:artifact", args=[job.pk, 2, "answers.md"])).status_code == 404


def test_logs_fragment_sends_new_text_and_stops_when_done(world):
    job = finish(launch_job(world.owner, world.template, world.pool))
    client = member_client(world.owner)
    offset = len(LOG_TEXT.encode()) - len(b"10:00:02 [100%] Done\n")

    response = client.get(reverse("jobs:logs", args=[job.pk]), {"offset": offset}, **HTMX)

    assert response.status_code == 286
    assert response.content.decode().startswith('10:00:02 [100%] Done\n<div id="log-poller" hx-swap-oob="true">')
    assert client.get(reverse("jobs:logs", args=[job.pk]), {"offset": "junk"}, **HTMX).status_code == 286


def test_logs_fragment_keeps_polling_while_the_job_waits(world):
    job = launch_job(world.owner, world.template, world.pool)

    response = member_client(world.owner).get(reverse("jobs:logs", args=[job.pk]), {"offset": 0}, **HTMX)

    assert response.status_code == 200
    assert f'hx-get="{reverse("jobs:logs", args=[job.pk])}?offset=0" hx-trigger="every 2s"' in response.content.decode()


def test_status_fragment_polls_while_active_and_reloads_the_page_at_the_end(world):
    job = launch_job(world.owner, world.template, world.pool)
    client = member_client(world.owner)

    active = client.get(reverse("jobs:status", args=[job.pk]), **HTMX)
    assert active.status_code == 200 and 'hx-trigger="every 2s"' in active.content.decode()

    finish(job, JobState.FAILED, failure="lost")
    done = client.get(reverse("jobs:status", args=[job.pk]), **HTMX)
    assert done.status_code == 286 and done["HX-Refresh"] == "true"
    assert "The compute engine lost track of the job." in done.content.decode()


def test_cancel_a_waiting_job(world):
    job = launch_job(world.owner, world.template, world.pool)

    response = member_client(world.developer).post(reverse("jobs:cancel", args=[job.pk]))

    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    with tenant_context(world.company):
        assert Job.objects.get().state == JobState.CANCELLED


def test_cancel_a_finished_job_says_so(world):
    job = finish(launch_job(world.owner, world.template, world.pool))

    response = member_client(world.owner).post(reverse("jobs:cancel", args=[job.pk]), follow=True)

    assert "This job has already finished." in response.content.decode()


def test_retry_a_failed_job_starts_attempt_two(world):
    job = finish(launch_job(world.owner, world.template, world.pool), JobState.FAILED, failure="lost")

    member_client(world.owner).post(reverse("jobs:retry", args=[job.pk]))

    job.refresh_from_db()
    assert job.attempt == 2 and job.state in (JobState.PENDING, JobState.QUEUED)
    page = member_client(world.owner).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'id="attempts"' in page and "Retried as a new attempt." in page


def test_viewer_cannot_cancel(world):
    job = launch_job(world.owner, world.template, world.pool)

    assert member_client(world.viewer).post(reverse("jobs:cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.state != JobState.CANCELLED


@pytest.mark.parametrize(
    ("name", "method", "extra"),
    [
        ("jobs:detail", "get", ()),
        ("jobs:status", "get", ()),
        ("jobs:logs", "get", ()),
        ("jobs:cancel", "post", ()),
        ("jobs:retry", "post", ()),
        ("jobs:cancel", "get", ()),
        ("jobs:artifact", "get", (1, "answers.md")),
    ],
)
def test_another_companys_job_is_404(world, name, method, extra):
    theirs = finish(launch_job(world.other_owner, world.template, world.pool), outputs={"answers.md": "secret"})

    response = getattr(member_client(world.owner), method)(reverse(name, args=[theirs.pk, *extra]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == JobState.SUCCEEDED and theirs.attempt == 1


# --- Jobs list -----------------------------------------------------------------------------------


def test_list_shows_only_our_jobs_and_filters_by_state(world):
    ours = launch_job(world.owner, world.template, world.pool, name="ours-waiting")
    done = finish(launch_job(world.owner, world.template, world.pool, name="ours-done"))
    launch_job(world.other_owner, world.template, world.pool, name="theirs")
    client = member_client(world.viewer)

    everything = client.get(reverse("jobs:list")).content.decode()
    assert "ours-waiting" in everything and "ours-done" in everything and "theirs" not in everything

    filtered = client.get(reverse("jobs:list"), {"state": "succeeded"}, **HTMX).content.decode()
    assert f'data-id="{done.pk}"' in filtered and f'data-id="{ours.pk}"' not in filtered
    assert "<html" not in filtered


def test_list_filters_by_template_pool_and_dates_and_ignores_nonsense(world):
    job = launch_job(world.owner, world.template, world.pool)
    client = member_client(world.owner)
    today = timezone.localtime(job.created_at).date().isoformat()

    def shown(**params) -> bool:
        return f'data-id="{job.pk}"' in client.get(reverse("jobs:list"), params).content.decode()

    assert shown(template=world.slug, pool=world.pool.pk, created_from=today, created_to=today)
    assert not shown(pool=world.bad_pool.pk)
    assert not shown(created_from="2999-01-01")
    assert shown(state="nonsense", template="no-such-template", created_from="yesterday")


def test_list_query_count_does_not_grow_with_jobs(world):
    client = member_client(world.owner)
    client.get(reverse("jobs:list"))  # the session and caches are warm for both counts

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("jobs:list"), {"template": world.slug}).status_code == 200
        return len(queries)

    for _ in range(3):
        launch_job(world.owner, world.template, world.pool)
    with_3 = queries_for_list()
    for _ in range(27):
        launch_job(world.owner, world.template, world.pool)
    assert queries_for_list() == with_3


# --- Webhook settings ----------------------------------------------------------------------------


def test_webhook_secret_is_shown_once(world):
    client = member_client(world.developer)

    made = client.post(reverse("jobs:webhook"), {"action": "save", "url": "https://hooks.example.com/portal"})

    with tenant_context(world.company):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == "https://hooks.example.com/portal" and endpoint.secret.startswith("whsec_")
    assert endpoint.secret in made.content.decode()
    assert endpoint.secret not in client.get(reverse("jobs:webhook")).content.decode()
    assert "Portal-Signature" in made.content.decode()


def test_webhook_rotate_and_clear(world):
    client = member_client(world.owner)
    client.post(reverse("jobs:webhook"), {"url": "https://hooks.example.com/a"})
    with tenant_context(world.company):
        old = WebhookEndpoint.objects.get().secret

    rotated = client.post(reverse("jobs:webhook"), {"action": "rotate"})
    client.post(reverse("jobs:webhook"), {"action": "clear"})

    with tenant_context(world.company):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret != old and endpoint.secret in rotated.content.decode()
    assert not endpoint.is_active


def test_webhook_rejects_a_bad_url_and_viewers(world):
    response = member_client(world.owner).post(reverse("jobs:webhook"), {"url": "not a url"})
    assert response.status_code == 400 and "Enter a valid URL." in response.content.decode()
    assert member_client(world.viewer).get(reverse("jobs:webhook")).status_code == 403
    with tenant_context(world.company):
        assert not WebhookEndpoint.objects.exists()


def test_pages_render_in_chinese(world, settings):
    job = finish(launch_job(world.owner, world.template, world.pool), outputs={"answers.md": "# 答案"})
    client = member_client(world.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    for url in (launch_url(world), reverse("jobs:detail", args=[job.pk]), reverse("jobs:list")):
        response = client.get(url)
        assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode()
    assert "制造缺陷分类" in client.get(launch_url(world)).content.decode()
