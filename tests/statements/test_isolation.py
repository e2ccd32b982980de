"""Every statements route against every kind of caller (the app's share of the isolation matrix)."""

import pytest
from django.test import Client
from django.urls import reverse

from statements.periods import Month
from tenants.roles import Role, TenantKind
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory
from tests.flows.world import fund
from tests.routes import all_routes

pytestmark = pytest.mark.django_db

SECRET = "secret-job-名"  # appears only in the company's own data
MONTH = {"month": str(Month.current())}
# Route → URL kwargs. Month routes are 404 for a company without a statement that month.
PAGES = {
    "statements:spending": {},
    "statements:budget": {},
    "statements:statement": MONTH,
    "statements:statement-pdf": MONTH,
    "statements:statement-csv": MONTH,
}
API = {
    "api:statements-spending-summary": {},
    "api:statements-budget": {},
    "api:statements-statement": MONTH,
    "api:statements-statement-pdf": MONTH,
    "api:statements-statement-csv": MONTH,
}
ALL = PAGES | API
MANAGE_ONLY = {"statements:budget"}  # pages a viewer may not open (the API budget is readable)


@pytest.fixture
def company(shop):
    shop.use(shop.launch(name=SECRET), 600)
    return shop


def urls():
    return [(name, reverse(name, kwargs=kwargs)) for name, kwargs in ALL.items()]


def test_every_statements_route_is_classified():
    mine = {r.name for r in all_routes() if r.name.startswith(("statements:", "api:statements-"))}
    assert mine == set(ALL)


def test_anonymous_gets_nothing(company):
    for name, target in urls():
        response = Client().get(target)
        expected = (401, 403) if name.startswith("api:") else (302,)
        assert response.status_code in expected, name


@pytest.mark.parametrize("role", [Role.DEVELOPER])
def test_members_without_billing_rights_are_refused(company, role):
    client = member_client(company.member(role))
    for name, target in urls():
        assert client.get(target).status_code == 403, name


def test_partner_members_are_refused(company):
    client = member_client(MembershipFactory(tenant=TenantFactory(kind=TenantKind.PARTNER), role=Role.OWNER))
    for name, target in urls():
        assert client.get(target).status_code == 403, name


def test_viewer_reads_everything_but_the_budget_form(company, viewer):
    client = member_client(viewer)
    for name, target in urls():
        expected = 403 if name in MANAGE_ONLY else 200
        assert client.get(target).status_code == expected, name


@pytest.mark.parametrize("funded", [False, True], ids=["no-history", "own-history"])
def test_another_company_never_sees_the_companys_data(company, funded):
    other = MembershipFactory(tenant=TenantFactory(kind=TenantKind.COMPANY), role=Role.OWNER)
    if funded:
        fund(other.tenant, 2_000)
    client = member_client(other)
    for name, target in urls():
        response = client.get(target)
        if "month" in ALL[name] and not funded:
            assert response.status_code == 404, name
            continue
        assert response.status_code == 200, name
        assert SECRET.encode() not in response.content, name
