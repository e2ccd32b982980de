"""Settlement API: partners read their own statements, operator staff read every partner's and
mark them paid; the schema builds without warnings."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from billing.models import Transaction, TxnKind
from settlements import periods
from settlements.choices import SettlementState
from settlements.models import Settlement
from settlements.services.statements import settlements_generate, settlements_issue
from tenants.roles import Role
from tests.conftest import member_client
from tests.factories import MembershipFactory
from tests.settlements.conftest import FEB, JAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(w, charged):
    settlements_issue(month=JAN, acting_membership=w.staff)
    settlements_issue(month=FEB, acting_membership=w.staff)
    return {
        "jan": Settlement.unscoped.get(tenant=w.idc, period__month=JAN),
        "feb": Settlement.unscoped.get(tenant=w.idc, period__month=FEB),
        "health": Settlement.unscoped.get(tenant=w.health, period__month=FEB),
    }


def test_partner_lists_and_reads_their_settlements(w, issued):
    client = member_client(MembershipFactory(tenant=w.idc, role=Role.VIEWER))
    response = client.get(reverse("api:partner-settlement-list"))
    assert response.status_code == 200
    assert [(r["month"], r["net_fen"]) for r in response.json()["results"]] == [("2025-02", 2380), ("2025-01", 680)]
    assert "lines" not in response.json()["results"][0]

    body = client.get(reverse("api:partner-settlement-detail", args=[issued["feb"].pk])).json()
    assert body["partner"] == {"id": w.idc.pk, "name": "Tianfu Compute Ltd.", "credit_code": w.idc.credit_code}
    assert (body["state"], body["card_hours"], body["gross_fen"], body["fee_fen"], body["voucher_fen"]) == (
        "issued",
        "3.50",
        2800,
        420,
        1000,
    )
    assert body["issued_at"] is not None and body["paid_at"] is None
    [line] = body["lines"]
    assert (line["offering"], line["name"], line["runs"], line["net_fen"]) == (
        w.flow.pool.offering_id,
        "Chengdu Ascend pool",
        2,
        2380,
    )


def test_partner_api_isolation(w, issued, anon):
    other = member_client(w.health_owner)
    assert other.get(reverse("api:partner-settlement-detail", args=[issued["feb"].pk])).status_code == 404
    assert [r["id"] for r in other.get(reverse("api:partner-settlement-list")).json()["results"]] == [
        issued["health"].pk
    ]
    assert member_client(w.flow.owner).get(reverse("api:partner-settlement-list")).status_code == 403
    assert member_client(w.staff).get(reverse("api:partner-settlement-list")).status_code == 403
    assert anon.get(reverse("api:partner-settlement-list")).status_code == 401


def test_partner_api_hides_drafts(w, charged):
    settlements_generate(month=JAN, acting_membership=w.staff)
    draft = Settlement.unscoped.get(tenant=w.idc)
    client = member_client(w.idc_owner)
    assert client.get(reverse("api:partner-settlement-list")).json()["results"] == []
    assert client.get(reverse("api:partner-settlement-detail", args=[draft.pk])).status_code == 404


def test_operator_lists_a_month_and_marks_paid(w, issued):
    client = member_client(w.staff)
    response = client.get(reverse("api:operator-settlement-list"), {"month": "2025-02"})
    assert sorted(r["id"] for r in response.json()["results"]) == sorted([issued["feb"].pk, issued["health"].pk])
    response = client.get(reverse("api:operator-settlement-list"), {"month": "Feb"})
    assert response.status_code == 400 and response.json()["error"]["fields"] == {
        "month": ["Give the month as YYYY-MM."]
    }

    url = reverse("api:operator-settlement-mark-paid", args=[issued["jan"].pk])
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 400 and "reference" in response.json()["error"]["fields"]
    for _ in range(2):
        response = client.post(url, {"reference": "BOC-9"}, content_type="application/json")
        assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["bank_reference"], len(body["lines"])) == (SettlementState.PAID, "BOC-9", 1)
    assert Transaction.objects.filter(kind=TxnKind.PAYOUT).count() == 1
    response = client.post(url, {"reference": "BOC-10"}, content_type="application/json")
    assert response.status_code == 400 and "already paid" in response.json()["error"]["message"]

    paid = client.get(reverse("api:operator-settlement-list"), {"state": "paid"}).json()["results"]
    assert [r["id"] for r in paid] == [issued["jan"].pk]


def test_operator_api_is_for_operator_staff_only(w, issued):
    url = reverse("api:operator-settlement-mark-paid", args=[issued["jan"].pk])
    for membership in (w.idc_owner, w.flow.owner):
        client = member_client(membership)
        assert client.get(reverse("api:operator-settlement-list")).status_code == 403
        assert client.post(url, {"reference": "X"}, content_type="application/json").status_code == 403
    assert not Transaction.objects.filter(kind=TxnKind.PAYOUT).exists()


def test_schema_has_no_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/partner/settlements/{id}/" in schema["paths"]
    assert "/api/v1/operator/settlements/{id}/mark-paid/" in schema["paths"]
    assert "SettlementStateEnum" in schema["components"]["schemas"]
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_partner_downloads_their_settlement_csv(w, issued):
    url = reverse("api:partner-settlement-csv", args=[issued["feb"].pk])

    response = member_client(MembershipFactory(tenant=w.idc, role=Role.VIEWER)).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="settlement-2025-02-{w.idc.pk}.csv"'
    assert len(rows_of(response)) > 1
    assert member_client(w.health_owner).get(url).status_code == 404
    assert member_client(w.flow.owner).get(url).status_code == 403


def test_operator_generates_issues_and_downloads_a_month(w, charged):
    client = member_client(w.staff)
    months = client.get(reverse("api:operator-settlement-period-list")).json()
    assert {"month": "2025-01", "state": ""} not in months  # nothing computed for it yet: not listed as a period

    before = client.get(reverse("api:operator-settlement-period-detail", args=["2025-01"])).json()
    assert (before["state"], before["closed"], before["can_settle"]) == ("", True, True)
    assert client.get(reverse("api:operator-settlement-period-csv", args=["2025-01"])).status_code == 404
    this_month = f"{periods.month_of(timezone.now()):%Y-%m}"  # not over: refused with the error shape
    refused = client.post(reverse("api:operator-settlement-period-issue", args=[this_month]))
    assert refused.status_code == 400 and refused.json()["error"]["message"]

    generated = client.post(reverse("api:operator-settlement-period-generate", args=["2025-01"]))
    assert generated.status_code == 200
    assert (generated.json()["state"], generated.json()["totals"]["partners"]) == ("draft", 1)
    assert Settlement.unscoped.get(tenant=w.idc).state == SettlementState.DRAFT
    issued = client.post(reverse("api:operator-settlement-period-issue", args=["2025-01"])).json()
    assert (issued["state"], issued["totals"]["net"]) == ("issued", 680)
    assert {"month": "2025-01", "state": "issued"} in client.get(reverse("api:operator-settlement-period-list")).json()

    response = client.get(reverse("api:operator-settlement-period-csv", args=["2025-01"]))
    assert response["Content-Disposition"] == 'attachment; filename="settlements-2025-01.csv"'
    assert len(rows_of(response)) > 1
    settlement = Settlement.unscoped.get(tenant=w.idc)
    assert rows_of(client.get(reverse("api:operator-settlement-csv", args=[settlement.pk])))


def test_operator_books_check(w, issued):
    rows = member_client(w.staff).get(reverse("api:operator-settlement-books-check")).json()

    partners = {r["partner"]["id"]: r for r in rows}
    assert w.idc.pk in partners
    assert all(r["difference_fen"] == r["balance_fen"] - r["owed_fen"] - r["unsettled_fen"] == 0 for r in rows)


def test_operator_month_routes_are_for_operator_staff_only(w, charged):
    for membership in (w.idc_owner, w.flow.owner):
        client = member_client(membership)
        assert client.get(reverse("api:operator-settlement-period-list")).status_code == 403
        assert client.get(reverse("api:operator-settlement-books-check")).status_code == 403
        assert client.post(reverse("api:operator-settlement-period-generate", args=["2025-01"])).status_code == 403
        assert client.post(reverse("api:operator-settlement-period-issue", args=["2025-01"])).status_code == 403
    assert not Settlement.unscoped.exists()
    assert member_client(w.staff).get("/api/v1/operator/settlement-periods/2025-13/").status_code == 404
