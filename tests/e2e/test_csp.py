"""The Content-Security-Policy breaks no page: a real Chromium visits a representative set of pages,
uses their scripts (htmx filtering and estimates, Chart.js, Bootstrap, confirmations, Swagger UI) and
must see no CSP violation or script error at all."""

import re

import pytest
from django.urls import reverse

from jobs.models import Job
from tests.e2e.conftest import logged_in_page
from tests.statements.conftest import make_shop

pytestmark = pytest.mark.django_db(transaction=True)

# Injected by Playwright (outside the page's policy): a violation is reported even where Chromium
# would only count it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.sourceFile}:${e.lineNumber}`);
});
"""


def test_pages_work_under_the_content_security_policy(browser, live_server, settings, tmp_path):
    settings.JOBS_ROOT = tmp_path / "jobs"
    shop = make_shop()
    job = shop.launch(name="CSP check")
    shop.use(job, 3600)  # a charge today, so the spending chart has a bar to draw
    template, model = shop.w.kb.offering, shop.w.catalog.model.offering
    page = logged_in_page(browser, live_server, shop.owner)
    page.add_init_script(REPORT_VIOLATIONS)
    problems: list[str] = []

    def console(message) -> None:
        if message.type in ("error", "warning") and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{page.url}: {message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))

    def visit(path: str) -> None:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path

    visit(reverse("landing"))
    visit(reverse("dashboard"))
    page.wait_for_selector("#bell .nav-link")  # the bell is loaded by htmx

    visit(reverse("catalog:browse"))
    with page.expect_response(lambda r: "q=Template" in r.url and "hx-request" in r.request.headers) as results:
        page.locator("#q").press_sequentially("Template")  # live filtering: htmx swaps the results
    assert results.value.status == 200
    page.wait_for_url(re.compile(r"[?&]q=Template"))  # htmx pushed the filter into the URL
    visit(reverse("catalog:compatibility"))  # the heat map colours cells with style attributes
    visit(reverse("catalog:detail", args=[model.slug]))
    page.click("#tenant-switcher > a")  # Bootstrap's dropdown
    page.wait_for_selector("#tenant-switcher .dropdown-menu.show")

    visit(reverse("jobs:launch", args=[template.slug]))
    with page.expect_response(lambda r: "/jobs/launch/" in r.url and "hx-request" in r.request.headers) as estimate:
        page.check(f"[data-pool='{shop.w.a100_pool.pk}'] input[type=radio]")  # htmx fetches the new estimate
    assert estimate.value.status == 200
    page.wait_for_selector("#estimate-total")

    visit(reverse("jobs:detail", args=[job.pk]))
    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.click("form[data-confirm] button[type=submit]")  # cancel the job? no
    assert dialogs == ["Cancel this job? Card-time used so far is still charged."]
    assert Job.unscoped.get(pk=job.pk).state == job.state

    visit(reverse("statements:spending"))
    page.wait_for_selector("#spending-chart[style*='box-sizing']")  # Chart.js has sized its canvas
    assert page.evaluate("() => window.Chart.getChart('spending-chart').data.datasets.length") > 0

    visit(reverse("api:docs"))
    page.wait_for_selector(".swagger-ui .information-container .title", timeout=15_000)
    page.wait_for_selector(".opblock-tag", timeout=15_000)  # the schema was fetched and rendered

    page.context.close()
    assert problems == []
