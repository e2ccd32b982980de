"""Settlement pages: a partner's own statements and CSV, the operator's month (compute, issue, mark
paid, CSV, books check), who may reach which page, and query counts."""

import codecs
import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Transaction, TxnKind
from settlements.choices import PeriodState, SettlementState
from settlements.models import Settlement, SettlementPeriod
from settlements.services.payouts import settlement_mark_paid
from settlements.services.statements import settlements_generate, settlements_issue
from tenants.roles import Role
from tests.conftest import member_client
from tests.factories import MembershipFactory
from tests.settlements import world as settle_world
from tests.settlements.conftest import FEB, JAN

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8) :].decode("utf-8"))))


@pytest.fixture
def issued(w, charged):
    """January issued and paid; February issued; nothing else."""
    settlements_issue(month=JAN, acting_membership=w.staff)
    settlements_issue(month=FEB, acting_membership=w.staff)
    jan = Settlement.unscoped.get(tenant=w.idc, period__month=JAN)
    settlement_mark_paid(settlement=jan, acting_membership=w.staff, reference="BOC-1")
    return {
        "jan": jan,
        "feb": Settlement.unscoped.get(tenant=w.idc, period__month=FEB),
        "health": Settlement.unscoped.get(tenant=w.health, period__month=FEB),
    }


# --- Partner pages -------------------------------------------------------------------------------


def test_partner_sees_their_settlements_and_totals(w, issued):
    viewer = MembershipFactory(tenant=w.idc, role=Role.VIEWER)
    response = member_client(viewer).get(reverse("settlements:list"))
    assert response.status_code == 200
    assert [s.pk for s in response.context["page"]] == [issued["feb"].pk, issued["jan"].pk]
    assert response.context["summary"] == {"paid": 680, "owed": 2380, "gross": 3600}
    body = response.content.decode()
    assert "2025-02" in body and "¥23.80" in body and "BOC-1" not in body


def test_drafts_are_not_shown_to_partners(w, charged):
    settlements_issue(month=JAN, acting_membership=w.staff)
    settlements_generate(month=FEB, acting_membership=w.staff)
    draft = Settlement.unscoped.get(tenant=w.idc, period__month=FEB)
    client = member_client(w.idc_owner)
    assert [s.period.month for s in client.get(reverse("settlements:list")).context["page"]] == [JAN]
    assert client.get(reverse("settlements:detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("settlements:csv", args=[draft.pk])).status_code == 404


def test_partner_detail_and_csv(w, issued):
    client = member_client(w.idc_owner)
    feb = issued["feb"]
    response = client.get(reverse("settlements:detail", args=[feb.pk]))
    assert response.status_code == 200
    assert "Chengdu Ascend pool" in response.content.decode()
    response = client.get(reverse("settlements:csv", args=[feb.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="settlement-2025-02-{w.idc.pk}.csv"'
    assert rows_of(response) == [
        [
            "Month",
            "Offering",
            "Kind",
            "Card-hours",
            "Runs",
            "Gross (¥)",
            "Platform fee (¥)",
            "Paid by vouchers (¥)",
            "Net payable (¥)",
        ],
        ["2025-02", "Chengdu Ascend pool", "Compute pool", "3.50", "2", "28.00", "4.20", "10.00", "23.80"],
        ["2025-02", "Total", "", "3.50", "2", "28.00", "4.20", "10.00", "23.80"],
    ]


def test_in_chinese_offerings_have_their_chinese_names(w, issued):
    client = member_client(w.idc_owner)
    client.cookies["django_language"] = "zh-hans"
    assert "成都昇腾推理池" in client.get(reverse("settlements:detail", args=[issued["feb"].pk])).content.decode()
    rows = rows_of(client.get(reverse("settlements:csv", args=[issued["feb"].pk])))
    assert rows[1][1] == "成都昇腾推理池"


@pytest.mark.parametrize("route", ["settlements:detail", "settlements:csv"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_another_partners_settlement_is_a_404_for_every_method(w, issued, route, method):
    client = member_client(w.health_owner)
    assert getattr(client, method)(reverse(route, args=[issued["feb"].pk])).status_code == 404
    own = getattr(client, method)(reverse(route, args=[issued["health"].pk])).status_code
    assert own == (200 if method == "get" else 405)


@pytest.mark.parametrize(
    "route,args",
    [("settlements:list", []), ("settlements:detail", ["feb"]), ("settlements:csv", ["feb"])],
)
def test_partner_pages_refuse_companies_operators_and_strangers(w, issued, anon, route, args):
    url = reverse(route, args=[issued[a].pk for a in args])
    company_member = MembershipFactory(tenant=w.company, role=Role.VIEWER)
    assert member_client(w.flow.owner).get(url).status_code == 403
    assert member_client(company_member).get(url).status_code == 403
    assert member_client(w.staff).get(url).status_code == 403
    response = anon.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Operator pages ------------------------------------------------------------------------------


OPERATOR_ROUTES = [
    ("get", "settlements-operator:list", []),
    ("get", "settlements-operator:csv", []),
    ("get", "settlements-operator:check", []),
    ("get", "settlements-operator:detail", ["feb"]),
    ("get", "settlements-operator:settlement-csv", ["feb"]),
    ("post", "settlements-operator:mark-paid", ["feb"]),
    ("post", "settlements-operator:generate", []),
    ("post", "settlements-operator:issue", []),
]


@pytest.mark.parametrize("method,route,args", OPERATOR_ROUTES)
def test_operator_pages_are_for_operator_staff_only(w, issued, method, route, args):
    url = reverse(route, args=[issued[a].pk for a in args])
    for membership in (w.idc_owner, w.flow.owner):
        client = member_client(membership)
        response = getattr(client, method)(url, {"month": "2025-02", "reference": "X"})
        assert response.status_code == 403
    assert Settlement.unscoped.get(pk=issued["feb"].pk).state == SettlementState.ISSUED


def test_operator_month_page(w, issued):
    client = member_client(w.staff)
    response = client.get(reverse("settlements-operator:list"), {"month": "2025-02"})
    assert response.status_code == 200
    assert {s.pk for s in response.context["page"]} == {issued["feb"].pk, issued["health"].pk}
    assert response.context["totals"] == {
        "partners": 2,
        "paid": 0,
        "seconds": 12600,
        "gross": 3000,
        "fee": 450,
        "voucher": 1000,
        "net": 2550,
        "unpaid": 2550,
    }
    assert response.context["can_settle"] is False
    fragment = client.get(
        reverse("settlements-operator:list"),
        {"month": "2025-02", "state": "issued", "q": "Tianfu"},
        headers={"HX-Request": "true"},
    )
    assert fragment.content.decode().lstrip().startswith('<div id="settlements">')
    assert [s.pk for s in fragment.context["page"]] == [issued["feb"].pk]


def test_operator_computes_and_issues_a_month(w, charged):
    client = member_client(w.staff)
    response = client.get(reverse("settlements-operator:list"), {"month": "2025-01"})
    assert response.context["can_settle"] is True and response.context["period"] is None
    response = client.post(reverse("settlements-operator:generate"), {"month": "2025-01"})
    assert response.status_code == 302 and response["Location"].endswith("?month=2025-01")
    assert SettlementPeriod.objects.get(month=JAN).state == PeriodState.DRAFT
    response = client.post(reverse("settlements-operator:issue"), {"month": "2025-01"}, headers={"HX-Request": "true"})
    assert response["HX-Redirect"].endswith("?month=2025-01")
    assert SettlementPeriod.objects.get(month=JAN).state == PeriodState.ISSUED
    # Out of order: refused with a message, nothing computed.
    response = client.post(reverse("settlements-operator:issue"), {"month": "2025-03"}, follow=True)
    assert "settle 2025-02 first" in response.content.decode()
    assert not SettlementPeriod.objects.filter(month__gt=JAN).exists()
    response = client.post(reverse("settlements-operator:generate"), {"month": "March"}, follow=True)
    assert "Give the month as YYYY-MM." in response.content.decode()


def test_operator_marks_paid_from_a_row(w, issued):
    client = member_client(w.staff)
    feb = issued["feb"]
    url = reverse("settlements-operator:mark-paid", args=[feb.pk])
    htmx = {"HX-Request": "true", "HX-Target": f"settlement-row-{feb.pk}"}
    response = client.post(url, {"reference": ""}, headers=htmx)
    assert response.content.decode().lstrip().startswith(f'<tr id="settlement-row-{feb.pk}"')
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"reference": "ICBC-778"}, headers=htmx)
    assert "ICBC-778" in response.content.decode() and "Mark paid" not in response.content.decode()
    assert Settlement.unscoped.get(pk=feb.pk).state == SettlementState.PAID
    # A second click from the statement page: nothing more is posted.
    response = client.post(url, {"reference": "ICBC-778"})
    assert response.status_code == 302 and response["Location"] == reverse("settlements-operator:detail", args=[feb.pk])
    assert Transaction.objects.filter(kind=TxnKind.PAYOUT).count() == 2  # January's and this one


def test_operator_statement_and_csvs(w, issued):
    client = member_client(w.staff)
    response = client.get(reverse("settlements-operator:detail", args=[issued["jan"].pk]))
    assert response.status_code == 200 and "BOC-1" in response.content.decode()
    rows = rows_of(client.get(reverse("settlements-operator:settlement-csv", args=[issued["jan"].pk])))
    assert rows[-1] == ["2025-01", "Total", "", "1.00", "1", "8.00", "1.20", "0.00", "6.80"]

    response = client.get(reverse("settlements-operator:csv"), {"month": "2025-01"})
    assert response["Content-Disposition"] == 'attachment; filename="settlements-2025-01.csv"'
    [header, row] = rows_of(response)
    assert header[:4] == ["Month", "Partner", "Unified social credit code", "State"]
    assert row[:10] == [
        "2025-01",
        "天府算力有限公司",
        w.idc.credit_code,
        "Paid",
        "1.00",
        "1",
        "8.00",
        "1.20",
        "0.00",
        "6.80",
    ]
    assert row[11] == "BOC-1"
    [_header, *rows] = rows_of(client.get(reverse("settlements-operator:csv"), {"month": "2025-02"}))
    assert sorted(r[1] for r in rows) == ["华西医疗智能有限公司", "天府算力有限公司"]
    assert client.get(reverse("settlements-operator:csv"), {"month": "2024-06"}).status_code == 404


def test_books_check_page(w, issued):
    response = member_client(w.staff).get(reverse("settlements-operator:check"))
    assert response.status_code == 200 and response.context["mismatches"] == 0
    assert len(response.context["rows"]) == 2


# --- Query counts --------------------------------------------------------------------------------


def grow(w, n: int, month) -> None:
    """`n` more partners, each with a pool used for one card-hour in `month`."""
    for i in range(n):
        _partner, pool = settle_world.add_partner_pool(w, f"伙伴{month:%m}{i}")
        job = settle_world.launch_tabular(w, pool)
        settle_world.use(job, settle_world.at(month, 5), 3600)
    settle_world.rate()


def page_queries(client, month) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("settlements-operator:list"), {"month": f"{month:%Y-%m}"})
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["page"])


def test_operator_page_queries_do_not_grow_with_partners(w):
    grow(w, 3, JAN)
    grow(w, 30, FEB)
    for month in (JAN, FEB):
        settlements_issue(month=month, acting_membership=w.staff)
        first = Settlement.unscoped.filter(period__month=month).order_by("pk").first()
        settlement_mark_paid(settlement=first, acting_membership=w.staff, reference=f"R-{month:%m}")
    client = member_client(w.staff)
    small, small_rows = page_queries(client, JAN)
    large, large_rows = page_queries(client, FEB)
    assert (small_rows, large_rows) == (3, 30)
    assert small == large
