import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import audit_record
from tenants.roles import Role
from tenants.scoping import tenant_context
from tests.conftest import member_client


def test_database_refuses_update_and_delete(owner):
    entry = audit_record(action="test.thing", tenant=owner.tenant, actor=owner.user)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.unscoped.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.unscoped.filter(pk=entry.pk).delete()
    assert AuditEntry.unscoped.get(pk=entry.pk).action == "test.thing"


def test_audit_row_is_written_in_the_same_transaction(owner):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back", tenant=owner.tenant, actor=owner.user)
        raise RuntimeError
    assert not AuditEntry.unscoped.filter(action="test.rolled_back").exists()


def test_audit_records_ip_and_actor(owner, owner_client):
    owner_client.post(
        reverse("tenants:members"), {"email": "x@b.example", "role": Role.VIEWER}, REMOTE_ADDR="203.0.113.7"
    )
    with tenant_context(owner.tenant):
        entry = AuditEntry.objects.get(action="invitation.create")
    assert (entry.ip, entry.actor, entry.after) == (
        "203.0.113.7",
        owner.user,
        {"email": "x@b.example", "role": "viewer"},
    )


def test_audit_page_filters(owner, owner_client):
    audit_record(action="member.add", tenant=owner.tenant, actor=owner.user)
    audit_record(action="api_key.create", tenant=owner.tenant, actor=owner.user)
    body = owner_client.get(
        reverse("audit:list"), {"action": "api_key"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "api_key.create" in body and "member.add" not in body
    assert "<html" not in body  # the table fragment only
    bad = owner_client.get(reverse("audit:list"), {"since": "not-a-date"})
    assert bad.status_code == 200


def test_auditor_reads_government_log(db):
    from tests.factories import MembershipFactory, TenantFactory

    gov = TenantFactory(kind="government")
    auditor = MembershipFactory(tenant=gov, role=Role.AUDITOR)
    audit_record(action="program.create", tenant=gov, actor=auditor.user)
    assert "program.create" in member_client(auditor).get(reverse("audit:list")).content.decode()
