from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tenants.models import Invitation, InvitationStatus, Membership
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tenants.services.invitations import invitation_create, invitations_expire
from tenants.tasks import send_invitation_email
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory, UserFactory


def _invite(owner, email="new@b.example", role=Role.DEVELOPER):
    with tenant_context(owner.tenant):
        return invitation_create(tenant=owner.tenant, email=email, role=role, acting_membership=owner)


def test_invite_accept_creates_membership_once(owner):
    _, token = _invite(owner)
    invitee = UserFactory(email="new@b.example")
    client = member_client(MembershipFactory(user=invitee))  # already in another tenant
    response = client.post(reverse("tenants:invitation", args=[token]))
    assert response.status_code == 302
    with tenant_context(owner.tenant):
        membership = Membership.objects.get(user=invitee)
        assert membership.role == Role.DEVELOPER
        assert Invitation.objects.get().status == InvitationStatus.ACCEPTED
        assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
            "invitation.create",
            "invitation.accept",
            "member.add",
        }
    # The token is one-time.
    again = client.post(reverse("tenants:invitation", args=[token]))
    assert "already been used" in again.content.decode()
    # Accepting switched the active tenant to the new one.
    assert client.get(reverse("api:me")).json()["tenant"]["id"] == owner.tenant_id


def test_only_the_tokens_hash_is_stored(owner):
    invitation, token = _invite(owner)
    assert token not in str(Invitation.unscoped.filter(pk=invitation.pk).values().get())


def test_expired_invitation_is_refused_with_a_translated_message(owner):
    invitation, token = _invite(owner)
    Invitation.unscoped.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    invitee = UserFactory(email="new@b.example")
    client = member_client(MembershipFactory(user=invitee))
    response = client.post(reverse("tenants:invitation", args=[token]))
    assert "expired" in response.content.decode()
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("tenants:invitation", args=[token]))
    assert "过期" in response.content.decode()
    with tenant_context(owner.tenant):
        assert not Membership.objects.filter(user=invitee).exists()
        assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_invitation_for_someone_else_is_refused(owner):
    _, token = _invite(owner)
    stranger = UserFactory(email="stranger@example.com")
    client = member_client(MembershipFactory(user=stranger))
    response = client.post(reverse("tenants:invitation", args=[token]))
    assert "new@b.example" in response.content.decode()
    with tenant_context(owner.tenant):
        assert not Membership.objects.filter(user=stranger).exists()


def test_duplicate_member_gets_a_clear_error_and_nothing_is_saved(owner, owner_client, make_member):
    make_member(owner.tenant, Role.VIEWER, email="already@a.example")
    response = owner_client.post(
        reverse("tenants:members"), {"email": "Already@A.example", "role": Role.VIEWER}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert 'id="invite-card"' in response.content.decode()  # the form fragment, for htmx to swap
    owner_client.cookies["django_language"] = "zh-hans"
    response = owner_client.post(reverse("tenants:members"), {"email": "already@a.example", "role": Role.VIEWER})
    assert "已是本组织成员" in response.content.decode()
    with tenant_context(owner.tenant):
        assert not Invitation.objects.exists()
        assert not AuditEntry.objects.filter(action="invitation.create").exists()


def test_second_pending_invitation_to_same_address_is_refused(owner, owner_client):
    owner_client.post(reverse("tenants:members"), {"email": "x@b.example", "role": Role.VIEWER})
    response = owner_client.post(reverse("tenants:members"), {"email": "X@b.example", "role": Role.VIEWER})
    assert response.status_code == 400
    assert "already been invited" in response.content.decode()
    with tenant_context(owner.tenant):
        assert Invitation.objects.count() == 1


def test_admin_cannot_invite_an_owner(owner, make_member):
    admin = make_member(owner.tenant, Role.ADMIN)
    response = member_client(admin).post(reverse("tenants:members"), {"email": "x@b.example", "role": Role.OWNER})
    assert response.status_code == 400  # owner is not among the offered roles
    with tenant_context(owner.tenant):
        assert not Invitation.objects.exists()


def test_invitation_email_carries_a_working_link(owner):
    invitation, token = _invite(owner)
    send_invitation_email(invitation.pk, token, tenant_id=owner.tenant_id)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@b.example"]
    assert f"/invitations/{token}/" in mail.outbox[0].body


def test_invitation_email_task_fails_closed_without_tenant(owner):
    invitation, token = _invite(owner)
    with pytest.raises(Exception, match="tenant_id"):
        send_invitation_email(invitation.pk, token)
    assert mail.outbox == []


def test_sweep_marks_expired_invitations(owner):
    invitation, _ = _invite(owner)
    Invitation.unscoped.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert invitations_expire() == 1
    assert Invitation.unscoped.get(pk=invitation.pk).status == InvitationStatus.EXPIRED
    assert invitations_expire() == 0


def test_revoked_invitation_cannot_be_used(owner, owner_client):
    invitation, token = _invite(owner)
    owner_client.post(reverse("tenants:invitation-revoke", args=[invitation.pk]))
    invitee = UserFactory(email="new@b.example")
    response = member_client(MembershipFactory(user=invitee)).post(reverse("tenants:invitation", args=[token]))
    assert "withdrawn" in response.content.decode()


def test_anonymous_visitor_is_asked_to_log_in(owner, anon):
    _, token = _invite(owner)
    page = anon.get(reverse("tenants:invitation", args=[token]))
    assert page.status_code == 200 and "Log in" in page.content.decode()
    assert anon.get(reverse("tenants:invitation", args=["bogus"])).status_code == 404


def test_operator_registers_a_government_body_and_invites_its_manager(db):
    operator = MembershipFactory(tenant=TenantFactory(kind=TenantKind.OPERATOR), role=Role.STAFF)
    client = member_client(operator)
    from tests.factories import credit_code

    response = client.post(
        reverse("tenants:operator-tenants"),
        {
            "kind": TenantKind.GOVERNMENT,
            "name_zh": "杭州市数据资源局",
            "name_en": "Hangzhou Data Bureau",
            "credit_code": credit_code(),
            "province": "33",
            "city": "杭州",
            "industry": "government",
            "size_class": "large",
            "first_member_email": "boss@hz.example",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invitation = Invitation.unscoped.get(email="boss@hz.example")
    assert invitation.role == Role.PROGRAM_MANAGER and invitation.tenant.name_zh == "杭州市数据资源局"
