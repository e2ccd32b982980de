"""Tenant isolation over every payments route (pages and API), as in tests/test_isolation.py.

Every payments route must be in exactly one group; each group is then checked as anonymous, as
another company, as a member without the permission and (for operator routes) as a company."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from payments.models import BankTransfer, TopUp
from payments.services.bank_transfers import bank_transfer_submit
from tenants.roles import Role, TenantKind
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.routes import all_routes

SECRET = "secret-marker"

PUBLIC = {"payments:stripe-webhook"}
COMPANY_PAGES = {"payments:wallet", "payments:bank-transfer-create"}
COMPANY_OBJECTS = {
    "payments:topup-success": "topup",
    "payments:topup-cancelled": "topup",
    "payments:bank-transfer-receipt": "transfer",
    "api:payments-topup-detail": "topup",
    "api:payments-bank-transfer-detail": "transfer",
    "api:payments-bank-transfer-receipt": "transfer",
}
API_COMPANY_LISTS = {"api:payments-topup-list", "api:payments-bank-transfer-list", "api:payments-wallet"}
OPERATOR_ROUTES = {
    "payments:operator-bank-transfers": None,
    "payments:operator-bank-transfer-confirm": "transfer",
    "payments:operator-bank-transfer-reject": "transfer",
    "payments:operator-bank-transfer-receipt": "transfer",
    "api:payments-operator-bank-transfer-list": None,
    "api:payments-operator-bank-transfer-detail": "transfer",
    "api:payments-operator-bank-transfer-confirm": "transfer",
    "api:payments-operator-bank-transfer-reject": "transfer",
}
GROUPS = [PUBLIC, COMPANY_PAGES, COMPANY_OBJECTS, API_COMPANY_LISTS, OPERATOR_ROUTES]
OURS = sorted({r.name for r in all_routes() if r.name.startswith(("payments:", "api:payments-"))}) or ["<none found>"]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = TenantFactory(kind=TenantKind.COMPANY, name_zh=f"甲公司{SECRET}")
    b = TenantFactory(kind=TenantKind.COMPANY, name_zh="乙公司")
    w = {
        "a_owner": MembershipFactory(tenant=a, role=Role.OWNER),
        "a_viewer": MembershipFactory(tenant=a, role=Role.VIEWER),
        "b_owner": MembershipFactory(tenant=b, role=Role.OWNER),
        "operator": MembershipFactory(
            tenant=TenantFactory(kind=TenantKind.OPERATOR), role=Role.STAFF, user=UserFactory(mfa=True)
        ),
    }
    w["topup"] = TopUp.unscoped.create(
        tenant=a, amount_fen=4_321, stripe_session_id=f"cs_test_{SECRET}", checkout_url=f"http://x/pay/{SECRET}"
    )
    w["transfer"] = bank_transfer_submit(
        acting_membership=w["a_owner"],
        amount_fen=100_000,
        payer_account_name=f"payer-{SECRET}",
        bank_reference=f"ref-{SECRET}",
        transferred_on=timezone.localdate(),
        receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 " + SECRET.encode()),
    )
    return w


def url_for(name: str, world) -> str:
    obj = COMPANY_OBJECTS.get(name) or OPERATOR_ROUTES.get(name)
    return reverse(name, kwargs={"pk": world[obj].pk}) if obj else reverse(name)


def is_api(name: str) -> bool:
    return name.startswith("api:")


def test_every_payments_route_is_classified():
    classified = [name for group in GROUPS for name in group]
    assert len(classified) == len(set(classified))
    assert sorted(classified) == OURS


@pytest.mark.parametrize("name", [n for n in OURS if n not in PUBLIC])
def test_anonymous_is_sent_to_login_or_gets_401(name, world, client):
    for method in ("get", "post"):
        response = getattr(client, method)(url_for(name, world))
        if is_api(name):
            assert response.status_code == 401, (method, name)
        else:
            assert response.status_code == 302, (method, name)
            assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", sorted(COMPANY_OBJECTS))
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_another_companys_objects_are_404_for_every_method(name, method, world):
    client = member_client(world["b_owner"])
    response = getattr(client, method)(url_for(name, world), content_type="application/json")
    assert response.status_code == 404, (method, name, response.status_code)


@pytest.mark.parametrize("name", sorted(COMPANY_OBJECTS))
def test_own_objects_are_reachable(name, world):
    assert member_client(world["a_owner"]).get(url_for(name, world)).status_code == 200


@pytest.mark.parametrize("name", sorted(COMPANY_PAGES | API_COMPANY_LISTS))
@pytest.mark.parametrize("htmx", [False, True])
def test_lists_show_none_of_another_companys_data(name, htmx, world):
    headers = {"HX-Request": "true"} if htmx else {}
    response = member_client(world["b_owner"]).get(url_for(name, world), headers=headers)
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert SECRET in member_client(world["a_owner"]).get(url_for(name, world)).content.decode() or (
        name == "payments:bank-transfer-create"
    )


@pytest.mark.parametrize("name", sorted(COMPANY_PAGES | API_COMPANY_LISTS | set(COMPANY_OBJECTS)))
def test_members_without_the_permission_get_403(name, world):
    client = member_client(world["a_viewer"])
    assert client.get(url_for(name, world)).status_code == 403
    assert client.post(url_for(name, world)).status_code in (403, 405)


@pytest.mark.parametrize("name", sorted(OPERATOR_ROUTES))
def test_operator_routes_refuse_companies(name, world):
    client = member_client(world["a_owner"])
    assert client.get(url_for(name, world)).status_code in (403, 405)
    assert client.post(url_for(name, world)).status_code == 403
    assert BankTransfer.unscoped.get().state == "submitted"


@pytest.mark.parametrize("name", sorted(OPERATOR_ROUTES))
def test_operator_routes_serve_operators(name, world):
    response = member_client(world["operator"]).get(url_for(name, world))
    assert response.status_code in (200, 405)


def test_the_webhook_is_public_but_needs_a_signature(world, client):
    assert client.get(reverse("payments:stripe-webhook")).status_code == 405
    assert (
        client.post(reverse("payments:stripe-webhook"), data=b"{}", content_type="application/json").status_code == 400
    )
