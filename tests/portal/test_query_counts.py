"""Query counts per page stay constant as data grows (measured at two sizes)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.services import audit_record
from notifications.services import notify
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tenants.services.invitations import invitation_create
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory

_seq = itertools.count()


def grow(owner, n: int) -> None:
    tenant = owner.tenant
    with tenant_context(tenant):
        for _ in range(n):
            i = next(_seq)
            member = MembershipFactory(tenant=tenant, role=Role.DEVELOPER)
            invitation_create(
                tenant=tenant, email=f"inv{i}-{tenant.pk}@x.example", role=Role.VIEWER, acting_membership=owner
            )
            api_key_create(name=f"key {i}", role=Role.DEVELOPER, acting_membership=owner)
            audit_record(action="test.row", tenant=tenant, actor=member.user)
            notify(recipients=[owner.user], tenant=tenant, title=f"note {i}")
            TenantFactory(kind=TenantKind.COMPANY)


ROUTES = [
    "dashboard",
    "tenants:members",
    "tenants:api-keys",
    "audit:list",
    "notifications:list",
    "notifications:bell",
    "api:member-list",
    "api:invitation-list",
    "api:api-key-list",
    "api:audit-list",
    "api:notification-list",
]


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ROUTES)
def test_query_count_does_not_grow_with_rows(name, owner):
    client = member_client(owner)
    grow(owner, 2)
    small = count(client, reverse(name))
    grow(owner, 30)
    assert count(client, reverse(name)) == small


def test_operator_tenant_list_query_count_is_pinned(db):
    staff = MembershipFactory(tenant=TenantFactory(kind=TenantKind.OPERATOR), role=Role.STAFF)
    client = member_client(staff)
    TenantFactory.create_batch(3)
    small = count(client, reverse("tenants:operator-tenants"))
    TenantFactory.create_batch(60)
    assert count(client, reverse("tenants:operator-tenants")) == small
    assert count(client, reverse("api:operator-tenant-list")) == count(client, reverse("api:operator-tenant-list"))


def test_members_page_query_count_is_pinned(owner):
    client = member_client(owner)
    grow(owner, 10)
    # session, user, memberships (switcher), MFA check, members, invitations, count for the dashboard-free page
    assert count(client, reverse("tenants:members")) <= 8
