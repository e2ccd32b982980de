"""Onboarding without a browser: sign up and verify through the accounts API (django-allauth
headless, app client), register the organisation with `POST /api/v1/organisations/`, make an API
key — then work with the key. Isolation holds for session tokens as for sessions and keys."""

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.test import Client

from audit.models import AuditEntry
from tenants.models import ApiKey, Membership, Tenant
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tests.factories import PASSWORD, TOTP_SECRET, MembershipFactory, UserFactory, credit_code
from tests.tenants.test_onboarding import PROFILE

AUTH = "/_allauth/app/v1"


def token_of(response) -> str:
    return response.json()["meta"]["session_token"]


def sign_in(client: Client, email: str, password: str = PASSWORD) -> str:
    response = client.post(
        f"{AUTH}/auth/login", {"email": email, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return token_of(response)


def register(client: Client, token: str, **overrides):
    body = {**PROFILE, "credit_code": credit_code(), **overrides}
    return client.post(
        "/api/v1/organisations/", body, content_type="application/json", headers={"x-session-token": token}
    )


def test_sign_up_verify_register_and_work_with_an_api_key(db):
    client = Client()
    signup = client.post(
        f"{AUTH}/auth/signup",
        {"email": "Shop@Example.com", "password": "a-good-long-pass-42"},
        content_type="application/json",
    )
    # Verification is mandatory: the session is pending until the emailed key comes back.
    assert signup.status_code == 401, signup.content
    assert any(f["id"] == "verify_email" and f.get("is_pending") for f in signup.json()["data"]["flows"])
    token = token_of(signup)
    early = client.get("/api/v1/me/", headers={"x-session-token": token})
    assert early.status_code == 401
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[0].body).group(1)
    verified = client.post(
        f"{AUTH}/auth/email/verify", {"key": key}, content_type="application/json", headers={"x-session-token": token}
    )
    assert verified.status_code == 200, verified.content
    token = verified.json()["meta"].get("session_token", token)

    me = client.get("/api/v1/me/", headers={"x-session-token": token}).json()
    assert me["email"] == "shop@example.com" and me["tenant"] is None

    created = register(client, token)
    assert created.status_code == 201, created.content
    assert created.json()["role"] == Role.OWNER
    tenant = Tenant.objects.get(pk=created.json()["organisation"]["id"])
    me = client.get("/api/v1/me/", headers={"x-session-token": token}).json()
    assert me["tenant"]["id"] == tenant.pk and me["role"] == Role.OWNER
    with tenant_context(tenant):
        assert AuditEntry.objects.filter(action="tenant.create").count() == 1

    made = client.post(
        "/api/v1/api-keys/",
        {"name": "shop backend", "role": Role.ADMIN},
        content_type="application/json",
        headers={"x-session-token": token},
    )
    assert made.status_code == 201, made.content
    keyed = Client(headers={"authorization": f"Api-Key {made.json()['key']}"})
    assert keyed.get("/api/v1/organisation/").json()["name_zh"] == "成都小茶馆有限公司"


def test_bad_input_is_explained_in_the_persons_language_and_saves_nothing(db):
    client = Client()
    UserFactory(email="a@example.com")
    token = sign_in(client, "a@example.com")
    code = credit_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = register(client, token, credit_code=bad, founded_on="not a date", province="99")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"credit_code", "founded_on", "province"} <= set(fields)
    chinese = client.post(
        "/api/v1/organisations/",
        {**PROFILE, "credit_code": bad},
        content_type="application/json",
        headers={"x-session-token": token, "accept-language": "zh-hans"},
    )
    assert "校验" in chinese.json()["error"]["fields"]["credit_code"][0]
    assert not Tenant.objects.exists()
    assert register(client, token, kind=TenantKind.GOVERNMENT).json()["error"]["fields"]["kind"]
    assert not Tenant.objects.exists()


def test_one_credit_code_one_organisation(db):
    client = Client()
    UserFactory(email="a@example.com")
    token = sign_in(client, "a@example.com")
    code = credit_code()
    assert register(client, token, credit_code=code).status_code == 201
    again = register(client, token, credit_code=code.lower())
    assert again.status_code == 400
    assert "already" in again.json()["error"]["fields"]["credit_code"][0]
    assert Tenant.objects.count() == 1


def test_an_api_key_cannot_register_organisations_and_nobody_anonymous(db):
    owner = MembershipFactory(role=Role.OWNER)
    from tenants.services.api_keys import api_key_create

    with tenant_context(owner.tenant):
        _key, plaintext = api_key_create(acting_membership=owner, name="k", role=Role.ADMIN)
    response = Client().post(
        "/api/v1/organisations/",
        {**PROFILE, "credit_code": credit_code()},
        content_type="application/json",
        headers={"authorization": f"Api-Key {plaintext}"},
    )
    assert response.status_code == 403
    assert "API key" in response.json()["error"]["message"]
    assert Client().post("/api/v1/organisations/", PROFILE, content_type="application/json").status_code == 401
    assert Tenant.objects.count() == 1


def test_a_session_token_acts_only_in_the_persons_own_organisations(db):
    a = MembershipFactory(role=Role.OWNER, tenant__kind=TenantKind.COMPANY)
    b = MembershipFactory(role=Role.OWNER, tenant__kind=TenantKind.COMPANY)
    client = Client()
    token = sign_in(client, a.user.email)
    members = client.get("/api/v1/members/", headers={"x-session-token": token}).json()["results"]
    assert [m["email"] for m in members] == [a.user.email]
    other = client.get("/api/v1/members/", headers={"x-session-token": token, "x-tenant": str(b.tenant_id)})
    assert other.status_code == 403
    assert client.get(f"/api/v1/members/{b.pk}/", headers={"x-session-token": token}).status_code == 404
    assert client.get("/api/v1/members/", headers={"x-session-token": token, "x-tenant": "b"}).status_code == 400


def test_x_tenant_picks_among_the_persons_organisations_with_their_role_there(db):
    a = MembershipFactory(role=Role.OWNER, tenant__kind=TenantKind.COMPANY)
    MembershipFactory(user=a.user, role=Role.VIEWER, tenant__kind=TenantKind.COMPANY)
    second = Membership.unscoped.exclude(pk=a.pk).get(user=a.user)
    client = Client()
    token = sign_in(client, a.user.email)
    me = client.get("/api/v1/me/", headers={"x-session-token": token, "x-tenant": str(second.tenant_id)}).json()
    assert me["tenant"]["id"] == second.tenant_id and me["role"] == Role.VIEWER
    refused = client.post(
        "/api/v1/api-keys/",
        {"name": "x", "role": Role.VIEWER},
        content_type="application/json",
        headers={"x-session-token": token, "x-tenant": str(second.tenant_id)},
    )
    assert refused.status_code == 403
    assert not ApiKey.unscoped.exists()


@pytest.mark.parametrize("kind", [TenantKind.GOVERNMENT, TenantKind.OPERATOR])
def test_staff_need_two_factor_before_the_api_answers_them(db, kind):
    staff = MembershipFactory(tenant__kind=kind, staff_mfa=False)
    client = Client()
    token = sign_in(client, staff.user.email)
    response = client.get("/api/v1/me/", headers={"x-session-token": token})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_staff_with_two_factor_sign_in_with_their_code(db):
    staff = MembershipFactory(tenant__kind=TenantKind.GOVERNMENT)
    client = Client()
    first = client.post(
        f"{AUTH}/auth/login", {"email": staff.user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert first.status_code == 401
    assert any(f["id"] == "mfa_authenticate" and f.get("is_pending") for f in first.json()["data"]["flows"])
    token = token_of(first)
    assert client.get("/api/v1/me/", headers={"x-session-token": token}).status_code == 401
    code = format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))
    second = client.post(
        f"{AUTH}/auth/2fa/authenticate",
        {"code": code},
        content_type="application/json",
        headers={"x-session-token": token},
    )
    assert second.status_code == 200, second.content
    token = second.json()["meta"].get("session_token", token)
    me = client.get("/api/v1/me/", headers={"x-session-token": token})
    assert me.status_code == 200 and me.json()["tenant"]["id"] == staff.tenant_id


def test_the_api_root_says_where_to_start(db):
    client = Client()
    links = client.get("/api/v1/").json()
    assert set(links) == {"docs", "schema", "accounts_docs", "accounts", "me", "catalog"}
    for name in ("docs", "schema", "accounts_docs", "catalog"):
        assert client.get(links[name]).status_code == 200, name
    assert client.get(links["accounts"] + "config").status_code == 200
    assert client.get(links["me"]).status_code == 401
