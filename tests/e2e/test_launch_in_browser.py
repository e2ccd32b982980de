"""A shop owner launches a template in a real browser; a real Celery worker runs the workload on the
local engine; the job page streams its log, shows it succeeded, and its artifact downloads."""

import json

import pytest
from playwright.sync_api import expect

from jobs.models import Job, JobState
from tests.celery_worker import Worker
from tests.e2e.conftest import logged_in_page
from tests.flows import world

pytestmark = pytest.mark.django_db(transaction=True)


def test_launch_a_template_in_the_browser_and_download_its_result(browser, live_server, job_dirs, tmp_path):
    w = world.build()
    csv_file = tmp_path / "defects.csv"
    csv_file.write_text(world.CSV)
    worker = Worker(tmp_path / "mail", beat=True, env={**job_dirs, "JOBS_TICK_SECONDS": "1"}).start()
    try:
        page = logged_in_page(browser, live_server, w.owner)
        page.goto(f"{live_server.url}/jobs/launch/{w.tabular.offering.slug}/")
        assert "/jobs/launch/" in page.url, (page.url, page.content()[:2000])
        page.set_input_files("input[name$=dataset_csv][type=file]", str(csv_file))
        page.fill("input[name$=target_column]", "label")
        # The unsupported pool is shown but cannot be picked.
        assert page.locator(f"[data-pool='{w.a100_pool.pk}'] input[type=radio]").is_disabled()
        page.check(f"[data-pool='{w.pool.pk}'] input[type=radio]")
        page.wait_for_selector("#estimate-total")
        page.fill("input[name$=name]", "Defects, first try")
        page.click("main button[type=submit]")
        page.wait_for_url("**/jobs/*/")
        job = Job.unscoped.get(tenant=w.company)
        assert job.name == "Defects, first try" and job.pool_id == w.pool.pk

        # (not wait_for_function: Playwright evaluates its string with eval, which the CSP refuses)
        expect(page.locator("body")).to_contain_text("Succeeded", timeout=120_000)
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED, job.failure
        page.reload()
        log_text = page.locator("pre").first.inner_text()
        assert "tabular" in log_text.lower() or "train" in log_text.lower()
        with page.expect_download() as download_info:
            page.click("a:has-text('metrics.json')")
        metrics = json.loads(open(download_info.value.path()).read())
        assert metrics
        page.screenshot(path=str(tmp_path / "job-page.png"), full_page=True)
    finally:
        worker.stop()
