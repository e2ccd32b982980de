from django.urls import reverse

from tenants.models import Invitation, Membership, Tenant
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory, credit_code


def test_invite_and_change_role_through_the_api(owner, owner_client, make_member):
    response = owner_client.post(
        reverse("api:invitation-list"),
        {"email": "Dev@New.example", "role": Role.DEVELOPER},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["email"] == "dev@new.example" and response.json()["status"] == "pending"
    dev = make_member(owner.tenant, Role.DEVELOPER)
    response = owner_client.patch(
        reverse("api:member-detail", args=[dev.pk]), {"role": Role.BILLING}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["role"] == Role.BILLING


def test_errors_have_one_shape(owner, owner_client):
    response = owner_client.post(
        reverse("api:invitation-list"), {"email": "not-an-email", "role": "emperor"}, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == {"email", "role"}
    response = owner_client.delete(reverse("api:member-detail", args=[owner.pk]))
    assert response.status_code == 400
    assert "last" in response.json()["error"]["message"]
    missing = owner_client.get(reverse("api:member-detail", args=[999999]))
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    with tenant_context(owner.tenant):
        assert Membership.objects.count() == 1 and not Invitation.objects.exists()


def test_errors_are_in_the_callers_language(owner, owner_client):
    response = owner_client.patch(
        reverse("api:organisation"),
        {"credit_code": "91350100M000100Y44"},
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    assert "校验" in response.json()["error"]["fields"]["credit_code"][0]
    assert Tenant.objects.get(pk=owner.tenant_id).credit_code != "91350100M000100Y44"


def test_non_json_and_garbage_bodies_get_400(owner, owner_client):
    response = owner_client.post(reverse("api:invitation-list"), "{not json", content_type="application/json")
    assert response.status_code == 400
    response = owner_client.patch(
        reverse("api:member-detail", args=[owner.pk]), ["a list"], content_type="application/json"
    )
    assert response.status_code == 400
    assert owner_client.get(reverse("api:member-detail", args=["abc"])).status_code == 404


def test_changing_legal_identity_clears_verification(owner, owner_client):
    Tenant.objects.filter(pk=owner.tenant_id).update(is_verified=True)
    response = owner_client.patch(
        reverse("api:organisation"), {"credit_code": credit_code()}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["is_verified"] is False
    response = owner_client.patch(reverse("api:organisation"), {"city": "绵阳"}, content_type="application/json")
    assert response.json()["city"] == "绵阳"


def test_operator_verifies_a_company_and_its_admins_are_told(owner):
    staff = MembershipFactory(tenant=TenantFactory(kind=TenantKind.OPERATOR), role=Role.STAFF)
    client = member_client(staff)
    response = client.post(
        reverse("api:operator-tenant-verify", args=[owner.tenant_id]),
        {"verified": True},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["is_verified"] is True
    assert owner.user.notifications.get().title == "Your organisation has been verified"
    listing = client.get(reverse("api:operator-tenant-list"), {"kind": "company", "is_verified": "true"}).json()
    assert [t["id"] for t in listing["results"]] == [owner.tenant_id]


def test_operator_verify_through_the_page_with_htmx(owner):
    staff = MembershipFactory(tenant=TenantFactory(kind=TenantKind.OPERATOR), role=Role.STAFF)
    response = member_client(staff).post(
        reverse("tenants:operator-tenant-verify", args=[owner.tenant_id]),
        {"verified": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="verify-{owner.tenant_id}"' in response.content.decode() and "<html" not in response.content.decode()
    assert Tenant.objects.get(pk=owner.tenant_id).is_verified


def test_schema_is_served(anon):
    response = anon.get(reverse("api:schema"))
    assert response.status_code == 200
    assert b"/api/v1/members/" in response.content
    assert anon.get(reverse("api:docs")).status_code == 200
