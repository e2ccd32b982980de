import re

from django.core import mail
from django.urls import reverse

from audit.models import AuditEntry
from tenants.models import Membership, Tenant
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tests.factories import credit_code

PROFILE = {
    "kind": TenantKind.COMPANY,
    "name_zh": "成都小茶馆有限公司",
    "name_en": "Chengdu Little Teahouse Ltd.",
    "province": "51",
    "city": "成都",
    "industry": "retail",
    "size_class": "micro",
}


def test_sign_up_verify_email_and_register_a_company(db, client):
    response = client.post(
        reverse("account_signup"),
        {"email": "Shop@Example.com", "password1": "a-good-long-pass-42", "password2": "a-good-long-pass-42"},
    )
    assert response.status_code == 302
    # Email verification is mandatory: the dashboard is out of reach until the link is opened.
    assert client.get(reverse("dashboard")).status_code == 302
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[0].body).group(1)
    client.post(link)
    client.post(reverse("account_login"), {"login": "shop@example.com", "password": "a-good-long-pass-42"})
    # Signed in without an organisation: the dashboard sends them to register one.
    assert client.get(reverse("dashboard"))["Location"] == reverse("tenants:onboarding")
    response = client.post(reverse("tenants:onboarding"), {**PROFILE, "credit_code": credit_code()})
    assert response.status_code == 302
    tenant = Tenant.objects.get(name_zh="成都小茶馆有限公司")
    with tenant_context(tenant):
        assert Membership.objects.get().role == Role.OWNER
        assert AuditEntry.objects.filter(action="tenant.create").count() == 1
    assert client.get(reverse("dashboard")).status_code == 200


def test_bad_credit_code_is_explained_and_nothing_is_saved(db, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    client.cookies["django_language"] = "zh-hans"
    code = credit_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = client.post(reverse("tenants:onboarding"), {**PROFILE, "credit_code": bad})
    assert response.status_code == 200
    body = response.content.decode()
    assert "统一社会信用代码" in body and "校验" in body
    assert 'value="成都小茶馆有限公司"' in body  # what they typed is kept
    assert not Tenant.objects.exists()
    assert not AuditEntry.unscoped.exists()


def test_same_credit_code_twice_is_refused(db, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    code = credit_code()
    client.post(reverse("tenants:onboarding"), {**PROFILE, "credit_code": code})
    response = client.post(reverse("tenants:onboarding"), {**PROFILE, "credit_code": code.lower()})
    assert "already" in response.content.decode()
    assert Tenant.objects.count() == 1


def test_people_cannot_register_government_bodies_themselves(db, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post(
        reverse("tenants:onboarding"), {**PROFILE, "kind": TenantKind.GOVERNMENT, "credit_code": credit_code()}
    )
    assert response.status_code == 200
    assert not Tenant.objects.exists()
