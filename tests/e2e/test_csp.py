"""The Content-Security-Policy breaks no page: a real Chromium visits a representative set of pages,
uses their scripts (htmx filtering and estimates, Chart.js, Bootstrap, confirmations, Swagger UI) and
must see no CSP violation or script error at all. Style attributes are refused, so progress bars and
score colours are classes: the bars must still be drawn as wide as their values say and the heat
map's cells in their score's colour, also after an htmx swap."""

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
# Each bar under `selector` (a role="progressbar" track): the share its aria values give, clamped to
# 0..100, and the share of the track the bar is drawn across.
BARS = """
(selector) => [...document.querySelectorAll(selector)].map((track) => {
  const [now, min, max] = ["now", "min", "max"].map((a) => parseFloat(track.getAttribute(`aria-value${a}`)));
  const bar = track.querySelector(".progress-bar");
  return {
    expected: Math.max(0, Math.min(100, (100 * (now - min)) / (max - min))),
    drawn: (100 * bar.getBoundingClientRect().width) / track.getBoundingClientRect().width,
    classes: bar.className,
  };
})
"""
# Each element under `selector` that shows a score (its last number): its background colour and the
# colour of its score's band (hue 1.2 × the middle of the band, as static/css/portal.css has it),
# which Chromium converts through a probe element styled by script (the CSSOM, which the CSP allows).
SCORE_COLOURS = """
(selector) => [...document.querySelectorAll(selector)].map((el) => {
  const score = parseInt(el.textContent.trim().match(/(\\d+)$/)[1], 10);
  const band = Math.min(10, Math.floor(score / 10));
  const probe = document.createElement("span");
  probe.style.backgroundColor = `hsl(${band === 10 ? 120 : Math.round(1.2 * (10 * band + 4.5))}, 70%, 78%)`;
  document.body.append(probe);
  const expected = getComputedStyle(probe).backgroundColor;
  probe.remove();
  return {score, classes: el.className, expected, drawn: getComputedStyle(el).backgroundColor};
})
"""
BAR_TOLERANCE = 0.6  # widths are whole percents: rounding, plus sub-pixel layout


def assert_bars_drawn(page, selector: str, *, at_least: int = 1) -> list[dict]:
    bars = page.evaluate(BARS, selector)
    assert len(bars) >= at_least, (page.url, selector)
    for bar in bars:
        assert abs(bar["drawn"] - bar["expected"]) <= BAR_TOLERANCE, (page.url, bar)
    return bars


def assert_score_colours(page, selector: str) -> int:
    cells = page.evaluate(SCORE_COLOURS, selector)
    assert cells, (page.url, selector)
    for cell in cells:
        assert cell["drawn"] == cell["expected"], (page.url, cell)
    assert len({cell["expected"] for cell in cells}) == len({min(10, cell["score"] // 10) for cell in cells})
    return len(cells)


def test_pages_work_under_the_content_security_policy(browser, live_server, settings, tmp_path):
    settings.JOBS_ROOT = tmp_path / "jobs"
    shop = make_shop()
    job = shop.launch(name="CSP check")
    shop.use(job, 3600)  # a charge today, so the spending chart has a bar to draw
    template, model = shop.w.kb.offering, shop.w.catalog.model.offering
    Job.unscoped.filter(pk=job.pk).update(progress=37.4)
    page = logged_in_page(browser, live_server, shop.owner)
    page.emulate_media(reduced_motion="reduce")  # Bootstrap's bars then change width without a transition
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
    meters = assert_bars_drawn(page, ".quota-meters [role=progressbar]", at_least=3)  # the job uses quota
    assert any(0 < m["expected"] < 100 for m in meters), meters
    heights = page.evaluate(
        "() => [...document.querySelectorAll('.quota-meters .progress')].map((e) => e.offsetHeight)"
    )
    assert set(heights) == {8}  # .progress-thin: .5rem

    visit(reverse("catalog:browse"))
    with page.expect_response(lambda r: "q=Template" in r.url and "hx-request" in r.request.headers) as results:
        page.locator("#q").press_sequentially("Template")  # live filtering: htmx swaps the results
    assert results.value.status == 200
    page.wait_for_url(re.compile(r"[?&]q=Template"))  # htmx pushed the filter into the URL
    visit(reverse("catalog:compatibility"))  # the heat map colours cells with classes
    assert_score_colours(page, "#heatmap td[class*='score-']:not(.score-unsupported)")
    unsupported = page.evaluate(
        "() => [...document.querySelectorAll('#heatmap td.score-unsupported')].map((td) => getComputedStyle(td).backgroundColor)"
    )
    assert set(unsupported) <= {"rgb(238, 238, 238)"}
    visit(reverse("catalog:detail", args=[model.slug]))
    assert_score_colours(page, "#compat span[class*='score-']")
    page.click("#tenant-switcher > a")  # Bootstrap's dropdown
    page.wait_for_selector("#tenant-switcher .dropdown-menu.show")

    visit(reverse("jobs:launch", args=[template.slug]))
    with page.expect_response(lambda r: "/jobs/launch/" in r.url and "hx-request" in r.request.headers) as estimate:
        page.check(f"[data-pool='{shop.w.a100_pool.pk}'] input[type=radio]")  # htmx fetches the new estimate
    assert estimate.value.status == 200
    page.wait_for_selector("#estimate-total")

    visit(reverse("jobs:list"))
    assert_bars_drawn(page, "#jobs [role=progressbar]")
    visit(reverse("jobs:detail", args=[job.pk]))
    [bar] = assert_bars_drawn(page, "#job-status [role=progressbar]")
    assert "pct-37" in bar["classes"] and round(bar["drawn"]) == 37
    Job.unscoped.filter(pk=job.pk).update(progress=81.6)
    with page.expect_response(lambda r: r.url.endswith(reverse("jobs:status", args=[job.pk]))):
        pass  # the page polls the job's status every 2 s and htmx swaps the card in
    page.wait_for_selector("#job-status [role=progressbar][aria-valuenow='82']")
    [bar] = assert_bars_drawn(page, "#job-status [role=progressbar]")
    assert "pct-82" in bar["classes"] and round(bar["drawn"]) == 82
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
