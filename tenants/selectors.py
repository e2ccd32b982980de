"""Reads about tenants that are more than one filter."""

from tenants.models import Membership, Tenant
from tenants.roles import GRANTS, Perm


def memberships_for_user(user) -> list[Membership]:
    """All of a person's memberships (across tenants) for the switcher: one query."""
    return list(Membership.unscoped.select_related("tenant").filter(user=user).order_by("tenant__name_zh", "pk"))


def pick_active_membership(memberships: list[Membership], tenant_id: int | None) -> Membership | None:
    for membership in memberships:
        if membership.tenant_id == tenant_id:
            return membership
    return memberships[0] if memberships else None


def tenant_admins(tenant: Tenant) -> list:
    """People in `tenant` who manage it (receive its administrative notifications)."""
    return [
        m.user
        for m in Membership.unscoped.select_related("user").filter(tenant=tenant, role__in=GRANTS[Perm.MANAGE_MEMBERS])
    ]
