import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEntry
from tenants.models import ApiKey, Membership
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tenants.services.members import member_change_role, member_remove
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory


def test_last_owner_cannot_be_removed_or_demoted(owner):
    with tenant_context(owner.tenant):
        with pytest.raises(ValidationError) as exc:
            member_remove(membership=owner, acting_membership=owner)
        assert exc.value.code == "last_owner"
        with pytest.raises(ValidationError):
            member_change_role(membership=owner, role=Role.ADMIN, acting_membership=owner)
        assert Membership.objects.get(pk=owner.pk).role == Role.OWNER
        assert not AuditEntry.objects.filter(action__startswith="member.").exists()


def test_with_a_second_owner_the_first_may_step_down(owner, make_member):
    second = make_member(owner.tenant, Role.OWNER)
    with tenant_context(owner.tenant):
        member_change_role(membership=owner, role=Role.ADMIN, acting_membership=second)
        assert Membership.objects.get(pk=owner.pk).role == Role.ADMIN
        entry = AuditEntry.objects.get(action="member.role_change")
    assert (entry.before, entry.after, entry.actor) == ({"role": "owner"}, {"role": "admin"}, second.user)


def test_admin_cannot_touch_an_owner_or_make_one(owner, make_member):
    admin = make_member(owner.tenant, Role.ADMIN)
    dev = make_member(owner.tenant, Role.DEVELOPER)
    with tenant_context(owner.tenant):
        with pytest.raises(PermissionDenied):
            member_remove(membership=owner, acting_membership=admin)
        with pytest.raises(PermissionDenied):
            member_change_role(membership=dev, role=Role.OWNER, acting_membership=admin)
        member_change_role(membership=dev, role=Role.BILLING, acting_membership=admin)
        assert Membership.objects.get(pk=dev.pk).role == Role.BILLING


def test_role_must_exist_in_the_tenants_kind(owner, make_member):
    dev = make_member(owner.tenant, Role.DEVELOPER)
    with tenant_context(owner.tenant), pytest.raises(ValidationError):
        member_change_role(membership=dev, role=Role.REVIEWER, acting_membership=owner)


def test_removing_a_member_revokes_their_api_keys_and_notifies_them(owner, make_member):
    admin = make_member(owner.tenant, Role.ADMIN)
    with tenant_context(owner.tenant):
        key, _ = api_key_create(name="ci", role=Role.DEVELOPER, acting_membership=admin)
        member_remove(membership=admin, acting_membership=owner)
        assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
        assert not Membership.objects.filter(pk=admin.pk).exists()
    assert admin.user.notifications.count() == 1


def test_members_page_change_role_and_remove(owner, owner_client, make_member):
    dev = make_member(owner.tenant, Role.DEVELOPER)
    response = owner_client.post(reverse("tenants:member-role", args=[dev.pk]), {"role": Role.VIEWER})
    assert response.status_code == 302
    with tenant_context(owner.tenant):
        assert Membership.objects.get(pk=dev.pk).role == Role.VIEWER
    owner_client.post(reverse("tenants:member-remove", args=[dev.pk]))
    with tenant_context(owner.tenant):
        assert not Membership.objects.filter(pk=dev.pk).exists()


def test_last_owner_removal_through_the_page_shows_a_message(owner, owner_client):
    response = owner_client.post(reverse("tenants:member-remove", args=[owner.pk]), follow=True)
    assert "last Owner" in response.content.decode()
    with tenant_context(owner.tenant):
        assert Membership.objects.filter(pk=owner.pk).exists()


def test_viewer_cannot_change_roles(owner, make_member):
    viewer = make_member(owner.tenant, Role.VIEWER)
    response = member_client(viewer).post(reverse("tenants:member-role", args=[owner.pk]), {"role": Role.VIEWER})
    assert response.status_code == 403


def test_switching_tenant(db):
    a = MembershipFactory(tenant=TenantFactory(name_zh="甲"))
    b = MembershipFactory(tenant=TenantFactory(name_zh="乙"), user=a.user)
    client = member_client(a)
    assert client.get(reverse("api:me")).json()["tenant"]["id"] == a.tenant_id
    client.post(reverse("tenants:switch"), {"tenant": b.tenant_id})
    assert client.get(reverse("api:me")).json()["tenant"]["id"] == b.tenant_id
    other = TenantFactory()
    assert client.post(reverse("tenants:switch"), {"tenant": other.pk}).status_code == 404
    assert client.post(reverse("tenants:switch"), {"tenant": "x"}).status_code == 404
    assert client.get(reverse("api:me")).json()["tenant"]["id"] == b.tenant_id


def test_government_roles(db):
    gov = TenantFactory(kind=TenantKind.GOVERNMENT)
    manager = MembershipFactory(tenant=gov, role=Role.PROGRAM_MANAGER)
    response = member_client(manager).get(reverse("tenants:members"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Reviewer" in body and "Auditor" in body and "Developer" not in body
