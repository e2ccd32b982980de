"""The spending page, statement pages and downloads (HTML, CSV, PDF in English and Chinese)."""

import csv
import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import OfferingVersion
from statements.exports import statement_rows
from statements.periods import Month
from statements.selectors import daily_spend, statement
from tenants.roles import Role, TenantKind
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory
from tests.flows.world import fund

pytestmark = pytest.mark.django_db

THIS_MONTH = str(Month.current())
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def charged(shop):
    """A knowledge-base job on the Ascend pool (1 card-hour, ¥8) and a summary job on the A100
    pool (half a card-hour, ¥10.75, plus ¥2 per run)."""
    kb = shop.launch(name="客服知识库")
    shop.use(kb, 3600)
    summary = shop.launch(shop.w.summary, pool=shop.w.a100_pool, name="=SUM(A1)")
    shop.use(summary, 1800)
    shop.finish(summary)
    return shop, kb, summary


def url(name: str, month: str = THIS_MONTH) -> str:
    return reverse(f"statements:{name}", args=[month])


# --- Spending page ------------------------------------------------------------------------------


def test_spending_page_shows_money_budget_chart_and_months(charged):
    shop, _kb, _summary = charged
    response = member_client(shop.owner).get(reverse("statements:spending"), **EN)
    assert response.status_code == 200
    summary = response.context["summary"]
    available, held = shop.funds_now()
    assert (summary.funds.available_fen, summary.funds.held_fen, summary.funds.vouchers_fen) == (available, held, 0)
    assert summary.month_spend_fen == 800 + 1075 + 200
    assert summary.budget_fen is None
    body = response.content.decode()
    assert f"¥{(available + held) // 100:,}." in body
    assert "No monthly budget set." in body and reverse("statements:budget") in body
    assert response.context["months"] == [(Month.current(), 2075)]
    assert url("statement") in body and url("statement-pdf") in body and url("statement-csv") in body
    chart = response.context["chart"]
    assert [d["label"] for d in chart["by_pool"]] == ["Shanghai A100 pool", "Chengdu Ascend pool"]
    assert [d["data"][-1] for d in chart["by_pool"]] == [12.75, 8.0]
    assert 'id="spending-data"' in body and "js/spending-chart.js" in body


def test_spending_page_in_chinese(charged):
    shop, *_ = charged
    response = member_client(shop.owner).get(reverse("statements:spending"), **ZH)
    body = response.content.decode()
    assert "支出" in body and "为运行中任务冻结" in body and "未设置月度预算。" in body
    assert [d["label"] for d in response.context["chart"]["by_template"]] == [
        "模板 text_summary",
        "模板 knowledge_base",
    ]


def test_chart_window_is_30_or_90_days(charged):
    shop, *_ = charged
    client = member_client(shop.owner)
    assert len(client.get(reverse("statements:spending") + "?days=90").context["chart"]["labels"]) == 90
    assert len(client.get(reverse("statements:spending") + "?days=7").context["chart"]["labels"]) == 30


def test_daily_spend_is_placed_on_its_day_per_pool_and_template(charged):
    shop, *_ = charged
    today = timezone.localdate()
    chart = daily_spend(shop.company, days=30)
    assert chart.days[0] == today - timedelta(days=29) and chart.days[-1] == today
    assert [(s.name, s.values[-1], sum(s.values)) for s in chart.by_pool] == [
        ("Shanghai A100 pool", 1275, 1275),
        ("Chengdu Ascend pool", 800, 800),
    ]
    assert [(s.name, s.total_fen) for s in chart.by_template] == [
        ("Template text_summary", 1275),
        ("Template knowledge_base", 800),
    ]
    assert chart.totals == [0] * 29 + [2075]
    # Seen from tomorrow, the same spend is yesterday's bar; from 30 days on it has left the window.
    later = daily_spend(shop.company, days=30, today=today + timedelta(days=1))
    assert later.totals == [0] * 28 + [2075, 0]
    assert sum(daily_spend(shop.company, days=30, today=today + timedelta(days=30)).totals) == 0
    assert chart.as_json()["by_pool"][0] == {"label": "Shanghai A100 pool", "data": [0.0] * 29 + [12.75]}


def test_spending_page_query_count_does_not_grow_with_jobs(shop):
    client = member_client(shop.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("statements:spending")).status_code == 200
        return len(ctx.captured_queries)

    def grow(n: int) -> None:
        for i in range(n):
            job = shop.launch(shop.w.kb if i % 2 else shop.w.summary, pool=shop.w.a100_pool if i % 3 else None)
            shop.use(job, 600)

    grow(3)
    small = count()
    grow(27)
    assert count() == small


# --- Statement pages and downloads ---------------------------------------------------------------


def test_statement_page(charged):
    shop, kb, summary = charged
    response = member_client(shop.owner).get(url("statement"), **EN)
    assert response.status_code == 200
    st = response.context["statement"]
    assert [line.job_id for line in st.lines] == [kb.pk, summary.pk]
    body = response.content.decode()
    assert "客服知识库" in body and "Chengdu Ascend pool" in body and "Template text_summary" in body
    assert "Month in progress" in body and 'id="reconciled"' in body
    assert url("statement-pdf") in body and url("statement-csv") in body


def test_statement_csv_in_english(charged):
    shop, kb, summary = charged
    response = member_client(shop.owner).get(url("statement-csv"), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="statement-{THIS_MONTH}-{shop.company.pk}.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Section",
        "Date",
        "Description",
        "Template",
        "Pool",
        "Card-hours",
        "Amount (¥)",
        "Paid by vouchers (¥)",
        "Paid from balance (¥)",
        "Not covered (¥)",
    ]
    assert rows[1] == ["Opening balance", Month.current().first_day.isoformat(), "", "", "", "", "0.00"]
    assert rows[2][0] == "Top-up" and rows[2][6] == "1000.00"
    assert rows[3] == [
        "Job",
        "",
        f"#{kb.pk} 客服知识库",
        "Template knowledge_base",
        "Chengdu Ascend pool",
        "1.00",
        "8.00",
        "0.00",
        "8.00",
        "0.00",
    ]
    # A name that would be a formula in Excel is kept as text.
    assert rows[4][2] == f"#{summary.pk} =SUM(A1)"
    assert rows[4][3:7] == ["Template text_summary", "Shanghai A100 pool", "0.50", "12.75"]
    assert rows[5] == ["Total usage", "", "", "", "", "1.50", "20.75", "0.00", "20.75", "0.00"]
    available, held = shop.funds_now()
    assert rows[6][0] == "Closing balance" and rows[6][6] == f"{(available + held) / 100:.2f}"
    assert rows[7][0] == "of which held for running jobs" and rows[7][6] == f"{held / 100:.2f}"
    assert len(rows) == 8


def test_csv_cells_never_start_a_formula(shop):
    """A partner could name a template "=HYPERLINK(…)": Excel must show it, not run it."""
    OfferingVersion.unscoped.filter(pk=shop.w.kb.pk).update(name_en="=HYPERLINK(1)")
    shop.use(shop.launch(), 60)
    rows = statement_rows(statement(shop.company, Month.current()))
    assert [r[3] for r in rows if r[0] == "Job"] == ["'=HYPERLINK(1)"]


def test_statement_csv_in_chinese(charged):
    shop, kb, _summary = charged
    response = member_client(shop.owner).get(url("statement-csv"), **ZH)
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff类别,日期,")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][3:] == ["模板", "算力池", "卡时", "金额（¥）", "算力券支付（¥）", "余额支付（¥）", "未覆盖（¥）"]
    assert rows[1][0] == "期初余额" and rows[2][0] == "充值"
    assert rows[3][:5] == ["任务", "", f"#{kb.pk} 客服知识库", "模板 knowledge_base", "成都昇腾推理池"]
    assert [r[0] for r in rows[-3:]] == ["用量合计", "期末余额", "其中为运行中任务冻结"]


def embedded_fonts(pdf: bytes, tmp_path) -> str | None:
    """`pdffonts`' list of the fonts in the PDF (poppler-utils), or None where it is not installed."""
    if shutil.which("pdffonts") is None:
        return None
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_statement_pdf(charged, headers, tmp_path):
    shop, *_ = charged
    response = member_client(shop.owner).get(url("statement-pdf"), **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="statement-{THIS_MONTH}-{shop.company.pk}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert response.content.rstrip().endswith(b"%%EOF")
    fonts = embedded_fonts(response.content, tmp_path)
    if fonts is not None:
        # Chinese names (and, in zh, every label) are drawn with the embedded Noto CJK font.
        assert "Noto-Sans-CJK-SC" in fonts


# --- Who may see what -----------------------------------------------------------------------------


def test_viewer_sees_but_cannot_open_the_budget_page(charged, viewer):
    client = member_client(viewer)
    response = client.get(reverse("statements:spending"))
    assert response.status_code == 200
    assert reverse("statements:budget") not in response.content.decode()
    assert client.get(url("statement")).status_code == 200
    assert client.get(url("statement-csv")).status_code == 200
    assert client.get(reverse("statements:budget")).status_code == 403


def test_developer_and_partner_members_cannot_see_billing(charged):
    shop, *_ = charged
    developer = member_client(shop.member(Role.DEVELOPER))
    partner = member_client(MembershipFactory(tenant=TenantFactory(kind=TenantKind.PARTNER), role=Role.OWNER))
    for client in (developer, partner):
        assert client.get(reverse("statements:spending")).status_code == 403
        assert client.get(url("statement")).status_code == 403


def test_anonymous_is_sent_to_log_in(charged, anon):
    for target in (
        reverse("statements:spending"),
        url("statement"),
        url("statement-pdf"),
        reverse("statements:budget"),
    ):
        response = anon.get(target)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_another_company_cannot_see_the_statement(charged):
    # A company with no money movements has no statement for the month: 404, not the other's.
    other = MembershipFactory(tenant=TenantFactory(kind=TenantKind.COMPANY), role=Role.OWNER)
    client = member_client(other)
    for name in ("statement", "statement-pdf", "statement-csv"):
        assert client.get(url(name)).status_code == 404
    # A company with its own money sees only its own figures at the same address.
    rival = MembershipFactory(tenant=TenantFactory(kind=TenantKind.COMPANY), role=Role.OWNER)
    fund(rival.tenant, 5_000)
    response = member_client(rival).get(url("statement"))
    assert response.status_code == 200
    assert response.context["statement"].lines == [] and response.context["statement"].topups_fen == 5_000
    assert "客服知识库" not in response.content.decode()


def test_months_outside_the_history_are_not_found(charged):
    shop, *_ = charged
    client = member_client(shop.owner)
    assert client.get(url("statement", str(Month.current().previous()))).status_code == 404
    assert client.get(url("statement", str(Month.current().next()))).status_code == 404
    assert client.get(f"/billing/statements/{Month.current().year}-13/").status_code == 404
