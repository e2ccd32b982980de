import pytest

from tenants.models import ApiKey, Membership
from tenants.roles import Role
from tenants.scoping import TenantScopeError, tenant_context, tenant_task
from tests.factories import MembershipFactory, TenantFactory


def test_scoped_manager_fails_closed_without_a_tenant(db):
    MembershipFactory()
    with pytest.raises(TenantScopeError):
        list(Membership.objects.all())


def test_scoped_manager_returns_only_the_active_tenants_rows(db):
    a, b = MembershipFactory(), MembershipFactory()
    with tenant_context(a.tenant):
        assert list(Membership.objects.values_list("pk", flat=True)) == [a.pk]
    with tenant_context(b.tenant):
        assert not Membership.objects.filter(pk=a.pk).exists()


def test_context_is_restored_after_nesting(db):
    a, b = TenantFactory(), TenantFactory()
    with tenant_context(a):
        with tenant_context(b):
            pass
        assert Membership.objects.all().query.where  # still scoped to a, no error
    with pytest.raises(TenantScopeError):
        ApiKey.objects.count()


def test_none_needs_no_tenant(db):
    assert list(Membership.objects.none()) == []


def test_tenant_task_refuses_to_run_without_a_tenant(db):
    @tenant_task
    def body(*, tenant):
        return Membership.objects.count()

    with pytest.raises(TenantScopeError):
        body()


def test_tenant_task_runs_inside_its_tenant(db):
    a = MembershipFactory(role=Role.OWNER)
    MembershipFactory()

    @tenant_task
    def body(*, tenant):
        return list(Membership.objects.values_list("pk", flat=True))

    assert body(tenant_id=a.tenant_id) == [a.pk]
    assert body(tenant_id=999_999) is None  # a deleted tenant: nothing to do
