"""/api/v1/billing/: spending summary, statements and the budget."""

import pytest
from django.urls import reverse

from statements.models import MonthlyBudget
from statements.periods import Month
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory

pytestmark = pytest.mark.django_db

THIS_MONTH = str(Month.current())
SUMMARY = "/api/v1/billing/spending/summary/"
BUDGET = "/api/v1/billing/budget/"


def statement_url(month: str = THIS_MONTH) -> str:
    return f"/api/v1/billing/statements/{month}/"


@pytest.fixture
def charged(shop):
    job = shop.launch(name="API job")
    shop.use(job, 3600)
    return shop, job


def test_routes_are_named():
    assert reverse("api:statements-spending-summary") == SUMMARY
    assert reverse("api:statements-budget") == BUDGET
    assert reverse("api:statements-statement", args=[THIS_MONTH]) == statement_url()


def test_spending_summary(charged):
    shop, _job = charged
    response = member_client(shop.owner).get(SUMMARY)
    assert response.status_code == 200
    body = response.json()
    available, held = shop.funds_now()
    assert body["summary"] == {
        "month": THIS_MONTH,
        "balance_fen": available + held,
        "available_fen": available,
        "held_fen": held,
        "vouchers_fen": 0,
        "month_spend_fen": 800,
        "budget_fen": None,
        "budget_percent": None,
    }
    daily = body["daily"]
    assert len(daily["days"]) == 30 and daily["total_fen"][-1] == 800
    assert [(s["name"], s["spend_fen"][-1], s["total_fen"]) for s in daily["by_pool"]] == [
        ("Chengdu Ascend pool", 800, 800)
    ]
    assert [s["name"] for s in daily["by_template"]] == ["Template knowledge_base"]
    assert body["statements"] == [THIS_MONTH]


def test_spending_summary_window(charged):
    shop, _job = charged
    client = member_client(shop.owner)
    assert len(client.get(SUMMARY, {"days": 90}).json()["daily"]["days"]) == 90
    response = client.get(SUMMARY, {"days": 7})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "days" in response.json()["error"]["fields"]


def test_statement(charged):
    shop, job = charged
    response = member_client(shop.owner).get(statement_url())
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == THIS_MONTH and body["complete"] is False and body["reconciles"] is True
    assert (body["opening_fen"], body["topups_fen"], body["other_fen"]) == (0, 100_000, 0)
    assert body["lines"] == [
        {
            "job": job.pk,
            "job_name": "API job",
            "template": "Template knowledge_base",
            "pool": "Chengdu Ascend pool",
            "usage": {
                "card_seconds": 3600,
                "card_hours": "1.00",
                "amount_fen": 800,
                "voucher_fen": 0,
                "paid_fen": 800,
                "unpaid_fen": 0,
            },
        }
    ]
    assert body["usage"]["amount_fen"] == 800
    available, held = shop.funds_now()
    assert (body["closing_fen"], body["closing_held_fen"]) == (available + held, held)
    assert body["by_pool"] == [{"name": "Chengdu Ascend pool", "jobs": 1, "usage": body["usage"]}]
    assert [t["amount_fen"] for t in body["topups"]] == [100_000]


def test_statement_in_chinese(charged):
    shop, _job = charged
    body = member_client(shop.owner).get(statement_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert (body["lines"][0]["template"], body["lines"][0]["pool"]) == ("模板 knowledge_base", "成都昇腾推理池")


def test_statement_of_another_company_or_month_is_not_found(charged):
    shop, _job = charged
    other = member_client(MembershipFactory(tenant=TenantFactory(kind=TenantKind.COMPANY), role=Role.OWNER))
    assert other.get(statement_url()).status_code == 404
    owner = member_client(shop.owner)
    assert owner.get(statement_url(str(Month.current().previous()))).status_code == 404
    assert owner.get(statement_url("2026-13")).status_code == 404


def test_budget_get_put_delete(shop):
    client = member_client(shop.owner)
    assert client.get(BUDGET).json() == {"amount_fen": None, "month": THIS_MONTH, "month_spend_fen": 0, "percent": None}
    response = client.put(BUDGET, {"amount_fen": 200_000}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"amount_fen": 200_000, "month": THIS_MONTH, "month_spend_fen": 0, "percent": 0}
    assert client.delete(BUDGET).status_code == 204
    assert not MonthlyBudget.unscoped.filter(tenant=shop.company).exists()


@pytest.mark.parametrize("body", [{"amount_fen": 0}, {"amount_fen": -1}, {"amount_fen": "x"}, {}])
def test_invalid_budget_is_a_400_and_changes_nothing(shop, body):
    client = member_client(shop.owner)
    client.put(BUDGET, {"amount_fen": 5000}, content_type="application/json")
    response = client.put(BUDGET, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["amount_fen"]
    assert MonthlyBudget.unscoped.get(tenant=shop.company).amount_fen == 5000


def test_viewer_reads_but_cannot_change_the_budget(shop, viewer):
    client = member_client(viewer)
    assert client.get(BUDGET).status_code == 200
    assert client.get(SUMMARY).status_code == 200
    assert client.put(BUDGET, {"amount_fen": 5000}, content_type="application/json").status_code == 403
    assert client.delete(BUDGET).status_code == 403
    assert not MonthlyBudget.unscoped.exists()


def test_api_key_with_billing_role(charged):
    shop, _job = charged
    with tenant_context(shop.company):
        _key, raw = api_key_create(name="books", role=Role.BILLING, acting_membership=shop.owner)
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get(statement_url()).json()["usage"]["amount_fen"] == 800
    assert client.put(BUDGET, {"amount_fen": 1000}, content_type="application/json").status_code == 200
    assert MonthlyBudget.unscoped.get(tenant=shop.company).amount_fen == 1000


def test_developers_anonymous_and_partners_are_refused(charged):
    shop, _job = charged
    from django.test import Client

    partner = MembershipFactory(tenant=TenantFactory(kind=TenantKind.PARTNER), role=Role.OWNER)
    for client in (member_client(shop.member(Role.DEVELOPER)), member_client(partner), Client()):
        for target in (SUMMARY, statement_url(), BUDGET):
            assert client.get(target).status_code in (401, 403)


def test_schema_documents_the_endpoints(db):
    schema = member_client(MembershipFactory(role=Role.OWNER)).get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/billing/budget/"]) == {"get", "put", "delete"}
    assert "get" in paths["/api/v1/billing/spending/summary/"]
    parameters = paths["/api/v1/billing/statements/{month}/"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["schema"]["type"]) for p in parameters] == [("month", "path", "string")]


def test_statement_downloads(charged):
    shop, _job = charged
    client = member_client(shop.owner)

    csv_response = client.get(statement_url() + "csv/")
    pdf_response = client.get(statement_url() + "pdf/")

    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == f'attachment; filename="statement-{THIS_MONTH}-{shop.company.pk}.csv"'
    assert "API job" in csv_response.content.decode("utf-8-sig")
    assert pdf_response.status_code == 200
    assert pdf_response["Content-Type"] == "application/pdf"
    assert pdf_response.content.startswith(b"%PDF-")
    assert reverse("api:statements-statement-csv", args=[THIS_MONTH]) == statement_url() + "csv/"


def test_statement_downloads_are_the_companys_own_and_for_billing_roles(charged):
    shop, _job = charged
    other = member_client(MembershipFactory(tenant=TenantFactory(kind=TenantKind.COMPANY), role=Role.OWNER))
    developer = member_client(shop.member(Role.DEVELOPER))
    for suffix in ("csv/", "pdf/"):
        assert other.get(statement_url() + suffix).status_code == 404
        assert developer.get(statement_url() + suffix).status_code == 403
        assert member_client(shop.owner).get(statement_url("2026-13") + suffix).status_code == 404
