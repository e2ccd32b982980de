"""Three user journeys in real Chromium, typed and clicked the way a person would, with a screenshot
of every step written to docs/screenshots/ (the README shows them; each run rewrites them).

1. A company signs up, registers, applies for a voucher; a government reviewer (real login with
   TOTP) approves it; the company launches a template that a real Celery worker runs on the local
   engine, downloads the result and sees the voucher's part on its monthly statement.
2. A partner lists a model and submits it; an operator approves it; a Chinese search finds it.
3. A program manager (real login with TOTP) creates and opens a program and sees its report chart.
"""

import contextlib
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.models import User
from billing.models import Hold, HoldState
from billing.services import pricebook
from billing.services.ledger import format_fen
from catalog.choices import OfferingKind, OfferingStatus
from catalog.demo_data import tabular_schema
from catalog.models import Offering
from catalog.services.indexing import reindex_versions
from jobs.models import Job, JobState
from tenants.models import Tenant
from tenants.roles import Role, TenantKind
from tests.catalog import world as catalog_world
from tests.celery_worker import Worker
from tests.e2e.conftest import logged_in_page
from tests.factories import PASSWORD, TOTP_SECRET, MembershipFactory, TenantFactory, UserFactory, credit_code
from tests.flows import world as flows_world
from tests.vouchers import world as vouchers_world
from vouchers.models import Program, Voucher

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
BROWSER_LOCALE = {"en": "en-US", "zh-hans": "zh-CN"}  # date inputs and the like follow the browser


# --- helpers -------------------------------------------------------------------------------------


def t(language: str, message: str) -> str:
    """What the page says for `message` in `language`: the test finds links and buttons by it."""
    with translation.override(language):
        return gettext(message)


def shot(page, name: str, *, full_page: bool = True) -> None:
    """docs/screenshots/<journey>-<nn>-<step>.png"""
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect(page.locator(".htmx-request")).to_have_count(0)  # no half-swapped fragment, no spinner
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def new_page(browser, live_server, language: str):
    """A fresh browser window (its own cookies) showing the site in `language`."""
    context = browser.new_context(locale=BROWSER_LOCALE[language], viewport=VIEWPORT, accept_downloads=True)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    return context.new_page()


def signed_in_page(browser, live_server, membership, language: str):
    """A window of someone already signed in (when signing in is not what the step is about)."""
    page = logged_in_page(browser, live_server, membership, language)
    page.set_viewport_size(VIEWPORT)
    return page


def log_in_with_totp(page, live_server, email: str) -> None:
    """The real login form, then the authenticator app's code, as government and operator staff do."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/2fa/authenticate/**")
    page.fill("input[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30)))
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard/")


def person(membership, full_name: str):
    User.objects.filter(pk=membership.user_id).update(full_name=full_name)
    return membership


def wait_for(predicate, timeout: float = 60, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


@contextlib.contextmanager
def worker_starting(worker: Worker):
    """Start the worker while the first steps run (it is needed from the launch on); yields a
    function that waits until it is ready."""
    executor = ThreadPoolExecutor(max_workers=1)
    starting = executor.submit(worker.start)
    try:
        yield lambda: starting.result(timeout=90)
    finally:
        with contextlib.suppress(Exception):
            starting.result(timeout=90)
        executor.shutdown()
        worker.stop()


# --- journey 1 -----------------------------------------------------------------------------------


def test_company_signs_up_gets_a_voucher_runs_a_template_and_sees_the_deduction(
    browser, live_server, job_dirs, tmp_path
):
    lang = "en"
    w = flows_world.build(wallet_fen=0)
    template = catalog_world.live(
        w.catalog.health,
        OfferingKind.SOLUTION,
        name_zh="质检缺陷分类",
        name_en="Defect classifier for quality control",
        description_en="Train a classifier on your inspection records; get its metrics and the model file.",
        industry="manufacturing",
        platform="traditional",
        model_offering=w.catalog.model.offering,
        default_cards=1,
        workload="tabular_train",
        launch_schema=tabular_schema("标签列 / Label column", "classification"),
        typical_runtime_minutes=1,
        price_per_run=Decimal("20.00"),
    )
    pricebook.sync_from_version(template)
    reindex_versions([template.pk])
    gov = vouchers_world.office()
    person(gov.reviewer, "Li Na")
    program = vouchers_world.program(gov, name="2026 成都算力券 / Chengdu compute vouchers 2026", ratio_bp=5000)
    csv_file = tmp_path / "inspections.csv"
    csv_file.write_text(flows_world.CSV)
    # Jobs are reconciled and usage is rated every second, so the statement is ready soon after.
    env = {**job_dirs, "JOBS_TICK_SECONDS": "1", "BILLING_TICK_SECONDS": "1"}
    worker = Worker(tmp_path / "mail", beat=True, env=env)

    with worker_starting(worker) as worker_ready:
        # 1. Sign up from the landing page.
        page = new_page(browser, live_server, lang)
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name=t(lang, "Sign up")).first.click()
        page.fill("input[name=email]", "founder@teahouse.example")
        page.fill("input[name=password1]", "a-good-long-pass-42")
        page.fill("input[name=password2]", "a-good-long-pass-42")
        shot(page, "j1-01-sign-up")
        page.click("main button[type=submit]")
        page.wait_for_url("**/accounts/confirm-email/**")

        # 2. Open the link in the verification email and confirm the address.
        body = mail.outbox[-1].body
        path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", body).group(1)
        page.goto(live_server.url + path)
        shot(page, "j1-02-confirm-email")
        page.click("main button[type=submit]")

        # 3. Register the company: someone without an organisation is sent to the registration page.
        page.wait_for_url("**/onboarding/")
        page.fill("input[name=name_zh]", "成都小茶馆有限公司")
        page.fill("input[name=name_en]", "Chengdu Little Teahouse Ltd.")
        page.fill("input[name=credit_code]", credit_code())
        page.select_option("select[name=province]", "51")
        page.fill("input[name=city]", "成都")
        page.select_option("select[name=industry]", "manufacturing")
        page.select_option("select[name=size_class]", "micro")
        shot(page, "j1-03-register-company")
        page.click("main button[type=submit]")
        page.wait_for_url("**/dashboard/")
        company = Tenant.objects.get(name_en="Chengdu Little Teahouse Ltd.")
        # Money in: a bank transfer the operator confirmed (paying in has its own tests).
        flows_world.fund(company, 500_00)

        # 4. Apply for a voucher from the open program's page.
        page.get_by_role("link", name=t(lang, "Vouchers"), exact=True).first.click()
        page.get_by_role("link", name=program.name).click()
        expect(page.locator("#precheck [data-passed=no]")).to_have_count(0)
        page.get_by_label(t(lang, "Amount (¥)")).fill("5000")
        page.get_by_label(t(lang, "What the compute is for")).fill("Train a defect classifier on inspection data.")
        page.get_by_label(t(lang, "Expected outcome")).fill("Half the manual inspection hours.")
        shot(page, "j1-04-apply-for-voucher")
        page.click("#apply-form button[type=submit]")
        expect(page.locator("#applications tbody tr[data-id]")).to_have_count(1)
        shot(page, "j1-05-application-sent")

        # 5. A reviewer signs in with password and authenticator code and approves it in the queue
        #    (an htmx swap reports each row's outcome).
        reviewer = new_page(browser, live_server, lang)
        log_in_with_totp(reviewer, live_server, gov.reviewer.user.email)
        reviewer.get_by_role("link", name=t(lang, "Review queue"), exact=True).first.click()
        row = reviewer.locator("#applications tbody tr", has_text="Chengdu Little Teahouse Ltd.")
        row.locator("input[name=ids]").check()
        reviewer.get_by_role("button", name=t(lang, "Approve selected")).click()
        expect(row.locator("[data-result] .text-success")).to_be_visible()
        shot(reviewer, "j1-06-reviewer-approves")
        reviewer.context.close()

        # 6. The company sees its voucher.
        page.reload()
        expect(page.locator("#vouchers tbody tr[data-code]")).to_have_count(1)
        expect(page.locator("#voucher-balance")).to_have_text("¥5,000.00")
        shot(page, "j1-07-voucher-issued")

        # 7. Find the template in the catalog and launch it; the estimate shows the voucher's part.
        page.get_by_role("link", name=t(lang, "Catalog"), exact=True).first.click()
        page.get_by_role("searchbox").first.fill("defect")
        page.get_by_role("searchbox").first.press("Enter")
        page.get_by_role("link", name="Defect classifier for quality control").click()
        page.get_by_role("link", name=t(lang, "Launch this template")).click()
        page.wait_for_url("**/jobs/launch/**")
        page.set_input_files("input[name$=dataset_csv][type=file]", str(csv_file))
        page.fill("input[name$=target_column]", "label")
        page.check(f"[data-pool='{w.pool.pk}'] input[type=radio]")
        expect(page.locator("#estimate-split")).to_be_visible()
        page.fill("input[name$=name]", "Inspection records, March")
        shot(page, "j1-08-launch-template")
        worker_ready()
        page.click("main button[type=submit]")
        page.wait_for_url("**/jobs/*/")

        # 8. Watch it run to the end (the page polls with htmx) and download the metrics.
        job = Job.unscoped.get(tenant=company)
        expect(page.locator("#job-status[data-state=succeeded]")).to_be_visible(timeout=90_000)
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED, (job.failure, "".join(worker.output[-40:]))
        page.reload()
        with page.expect_download() as download:
            page.get_by_role("link", name="metrics.json").click()
        assert json.loads(Path(download.value.path()).read_text())["target"] == "label"
        shot(page, "j1-09-job-succeeded")

        # 9. Once the usage is rated and the hold settled, the month's statement shows what the
        #    voucher paid: exactly what left the voucher.
        hold = wait_for(lambda: Hold.unscoped.filter(job=job, state=HoldState.SETTLED).first())
        assert hold.drawn_fen + hold.released_fen == hold.amount_fen
        voucher = Voucher.unscoped.select_related("account").get(tenant=company)
        paid_by_voucher = voucher.amount_fen - voucher.account.balance_fen
        assert paid_by_voucher > 0
        page.get_by_role("link", name=t(lang, "Spending"), exact=True).first.click()
        page.get_by_role("link", name=t(lang, "This month's statement")).click()
        expect(page.locator("#total-vouchers")).to_have_text(f"¥{format_fen(paid_by_voucher)}")
        shot(page, "j1-10-statement-voucher-deduction")


# --- journey 2 -----------------------------------------------------------------------------------


def test_partner_lists_a_model_operator_approves_it_is_found_in_chinese(browser, live_server):
    lang = "zh-hans"
    catalog_world.build()  # other offerings, which the search must leave out
    partner = catalog_world.partner("health", "蜀山智能科技有限公司", "Shushan AI Ltd.")
    lister = person(MembershipFactory(tenant=partner, role=Role.LISTING_MANAGER), "张伟")
    operator = TenantFactory(kind=TenantKind.OPERATOR, name_zh="智算工厂运营中心", name_en="AI Factory Operations")
    staff = person(MembershipFactory(tenant=operator, user=UserFactory(mfa=True)), "陈静")

    # 1. The partner's listing manager writes a model listing.
    page = signed_in_page(browser, live_server, lister, lang)
    page.goto(f"{live_server.url}/partner/listings/")
    page.get_by_role("link", name=t(lang, "New model")).click()
    page.get_by_label(t(lang, "Name (Chinese)")).fill("蜀山中医问诊大模型")
    page.get_by_label(t(lang, "Name (English)")).fill("Shushan TCM consultation model")
    page.get_by_label(t(lang, "Description (Chinese)")).fill("面向基层诊所的**中医问诊**模型，支持国产芯片推理。")
    page.get_by_label(t(lang, "Tags")).fill("中医, 问诊")
    page.get_by_label(t(lang, "Model family")).fill("Qwen")
    page.get_by_label(t(lang, "Parameters (billions)")).fill("14")
    page.get_by_label(t(lang, "Modality")).select_option("text")
    page.get_by_label(t(lang, "Licence")).fill("Apache-2.0")
    page.get_by_label(t(lang, "Foundation model?")).select_option("false")
    shot(page, "j2-01-new-listing")
    page.click("#listing-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/partner/listings/\d+/$"))

    # 2. It submits the draft for review.
    page.get_by_role("button", name=t(lang, "Submit for review")).click()
    expect(page.locator("#listing-actions").get_by_role("button", name=t(lang, "Submit for review"))).to_have_count(0)
    shot(page, "j2-02-submitted-for-review")
    offering = Offering.unscoped.get(tenant=partner)
    assert offering.status == OfferingStatus.IN_REVIEW

    # 3. An operator opens it from the review queue and approves it.
    op = signed_in_page(browser, live_server, staff, lang)
    op.goto(f"{live_server.url}/operator/listings/")
    op.get_by_role("link", name="蜀山中医问诊大模型").click()
    shot(op, "j2-03-operator-review")
    op.get_by_role("button", name=t(lang, "Approve and publish")).click()
    expect(op.locator(".alert-success", has_text="蜀山中医问诊大模型")).to_be_visible()
    shot(op, "j2-04-operator-approved")
    offering.refresh_from_db()
    assert offering.status == OfferingStatus.PUBLISHED

    # 4. A visitor searches the Chinese catalog for a two-character term and finds only it.
    visitor = new_page(browser, live_server, lang)
    visitor.goto(f"{live_server.url}/catalog/")
    search = visitor.get_by_role("searchbox").first
    search.fill("中医")
    search.press("Enter")
    results = visitor.locator("#catalog-results")
    expect(results.get_by_role("link", name="蜀山中医问诊大模型")).to_be_visible()
    expect(results.get_by_role("link", name="华西医疗影像大模型")).to_have_count(0)
    assert "q=%E4%B8%AD%E5%8C%BB" in visitor.url  # the search is in the address, to share
    shot(visitor, "j2-05-catalog-search-zh")


# --- journey 3 -----------------------------------------------------------------------------------


def test_government_creates_a_program_and_sees_its_report_chart(browser, live_server):
    lang = "zh-hans"
    gov = vouchers_world.office()
    person(gov.manager, "王芳")
    companies = [
        TenantFactory(kind=TenantKind.COMPANY, name_zh="成都云杉精密机械有限公司", industry="manufacturing"),
        TenantFactory(
            kind=TenantKind.COMPANY, name_zh="绵阳青禾医疗科技有限公司", industry="health", size_class="micro"
        ),
    ]
    for company in companies:
        MembershipFactory(tenant=company, role=Role.OWNER)
    today = timezone.localdate()

    # 1. The program manager signs in with password and authenticator code and writes a program.
    page = new_page(browser, live_server, lang)
    log_in_with_totp(page, live_server, gov.manager.user.email)
    page.get_by_role("link", name=t(lang, "Programs"), exact=True).first.click()
    page.get_by_role("link", name=t(lang, "New program")).click()
    page.fill("input[name=name]", "2026 年中小企业算力券")
    page.fill("input[name=code]", "CD-2026-SME")
    page.fill("input[name=budget]", "1000000")
    page.fill("input[name=ratio]", "30")
    page.fill("input[name=max_per_voucher]", "50000")
    page.fill("input[name=four_eyes_above]", "20000")
    page.fill("input[name=applications_open_on]", today.isoformat())
    page.fill("input[name=applications_close_on]", (today + timedelta(days=90)).isoformat())
    shot(page, "j3-01-new-program")
    page.click("#program-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/gov/programs/\d+/$"))

    # 2. It opens the program for applications.
    page.get_by_role("button", name=t(lang, "Open for applications")).click()
    expect(page.locator("#open-program")).to_have_count(0)
    shot(page, "j3-02-program-open")
    program = Program.unscoped.get(code="CD-2026-SME")
    assert program.status == "open" and program.budget_fen == 1_000_000_00 and program.ratio_bp == 3000

    # Companies apply and reviewers decide (through the services: journey 1 does it in the browser).
    for company, amount in zip(companies, (30_000_00, 12_000_00), strict=True):
        vouchers_world.issue(gov, company, program, amount)

    # 3. The report shows the figures and the chart of money issued and redeemed.
    page.reload()
    expect(page.locator("#fig-issued")).to_have_text("¥42,000.00")
    expect(page.locator("canvas#program-chart")).to_be_visible()
    # Chart.js draws after the deferred scripts load and then animates: wait for the final picture.
    totals = wait_for(
        lambda: page.evaluate(
            """() => {
                const chart = window.Chart && window.Chart.getChart("program-chart");
                if (!chart || window.Chart.animator.running(chart)) return null;
                return chart.data.datasets.map((d) => d.data.reduce((a, b) => a + b, 0));
            }"""
        ),
        timeout=15,
        every=0.2,
    )
    assert totals == [42_000, 0]  # issued, redeemed (yuan)
    shot(page, "j3-03-program-report-chart")
