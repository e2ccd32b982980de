"""Who hears about money coming in."""

from django.db.models import Q

from tenants.models import Membership
from tenants.roles import GRANTS, Perm, Role, TenantKind

# People of a company told about its top-ups and transfers, besides whoever started one.
MONEY_ROLES = (Role.OWNER, Role.BILLING)


def company_recipients(tenant, *, starter=None) -> list:
    """The company's owners and billing members, and the person who started the payment if they
    are still a member; each once."""
    wanted = Q(role__in=MONEY_ROLES)
    if starter is not None:
        wanted |= Q(user=starter)
    members = Membership.unscoped.select_related("user").filter(wanted, tenant=tenant).order_by("pk")
    return list({m.user_id: m.user for m in members}.values())


def operator_recipients() -> list:
    """Operator staff who may confirm bank transfers."""
    members = Membership.unscoped.select_related("user").filter(
        tenant__kind=TenantKind.OPERATOR, role__in=GRANTS[Perm.OPERATE_PLATFORM]
    )
    return list({m.user_id: m.user for m in members}.values())
