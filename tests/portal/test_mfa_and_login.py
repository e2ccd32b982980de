import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client
from django.urls import reverse

from tenants.roles import Role, TenantKind
from tests.conftest import member_client
from tests.factories import PASSWORD, TOTP_SECRET, MembershipFactory, TenantFactory, UserFactory


@pytest.mark.parametrize("kind,role", [(TenantKind.GOVERNMENT, Role.REVIEWER), (TenantKind.OPERATOR, Role.STAFF)])
def test_staff_without_mfa_are_sent_to_set_it_up(db, kind, role):
    membership = MembershipFactory(tenant=TenantFactory(kind=kind), role=role, staff_mfa=False)
    client = Client()
    client.post(reverse("account_login"), {"login": membership.user.email, "password": PASSWORD})
    for name in ("dashboard", "tenants:members"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    api = client.get(reverse("api:member-list"))
    assert api.status_code == 403 and api.json()["error"]["code"] == "mfa_required"
    # allauth asks for the password once more before MFA can be turned on; then the QR page shows.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200 and "svg" in page.content.decode()


@pytest.mark.parametrize("kind,role", [(TenantKind.GOVERNMENT, Role.REVIEWER), (TenantKind.OPERATOR, Role.STAFF)])
def test_staff_with_mfa_use_their_pages(db, kind, role):
    client = member_client(MembershipFactory(tenant=TenantFactory(kind=kind), role=role))
    assert client.get(reverse("dashboard")).status_code == 200


def test_company_people_may_skip_mfa(owner_client):
    assert owner_client.get(reverse("dashboard")).status_code == 200


def test_login_with_password_then_totp(db, client):
    membership = MembershipFactory(tenant=TenantFactory(kind=TenantKind.GOVERNMENT), role=Role.REVIEWER)
    response = client.post(reverse("account_login"), {"login": membership.user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("dashboard")).status_code == 302  # not yet signed in
    code = format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_repeated_failed_logins_lock_the_account(db, client):
    user = UserFactory(email="target@example.com")
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
        assert response.status_code == 200
    # Even the right password is refused while locked, and the person is told why.
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
