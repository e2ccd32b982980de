"""Main navigation per tenant kind. Items whose permission the member lacks are hidden."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from tenants.roles import Perm, TenantKind, has_perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: Perm
    kinds: tuple[str, ...] | None = None  # None: every kind
    in_settings: bool = False  # shown under the organisation menu rather than on the bar


NAV = (
    NavItem(_("Dashboard"), "dashboard", Perm.VIEW_DASHBOARD),
    NavItem(_("Organisations"), "tenants:operator-tenants", Perm.OPERATE_PLATFORM, (TenantKind.OPERATOR,)),
    NavItem(_("Listing review"), "review:queue", Perm.REVIEW_LISTINGS, (TenantKind.OPERATOR,)),
    NavItem(_("Our listings"), "partner:listings", Perm.VIEW_LISTINGS, (TenantKind.PARTNER,)),
    NavItem(_("Settlements"), "settlements:list", Perm.VIEW_SETTLEMENTS, (TenantKind.PARTNER,)),
    NavItem(_("Jobs"), "jobs:list", Perm.VIEW_JOBS, (TenantKind.COMPANY,)),
    NavItem(_("Quotas"), "compute:quotas", Perm.VIEW_JOBS, (TenantKind.COMPANY,)),
    NavItem(_("Spending"), "statements:spending", Perm.VIEW_BILLING, (TenantKind.COMPANY,)),
    NavItem(_("Vouchers"), "vouchers:list", Perm.VIEW_VOUCHERS, (TenantKind.COMPANY,)),
    NavItem(_("Programs"), "vouchers-gov:programs", Perm.VIEW_PROGRAMS, (TenantKind.GOVERNMENT,)),
    NavItem(_("Review queue"), "vouchers-gov:queue", Perm.VIEW_PROGRAMS, (TenantKind.GOVERNMENT,)),
    NavItem(_("Issued vouchers"), "vouchers-gov:vouchers", Perm.VIEW_PROGRAMS, (TenantKind.GOVERNMENT,)),
    NavItem(_("Wallet"), "payments:wallet", Perm.MANAGE_BILLING, (TenantKind.COMPANY,)),
    NavItem(_("Pools"), "compute-operator:pools", Perm.OPERATE_PLATFORM, (TenantKind.OPERATOR,)),
    NavItem(_("Quota requests"), "compute-operator:quota-requests", Perm.OPERATE_PLATFORM, (TenantKind.OPERATOR,)),
    NavItem(_("Bank transfers"), "payments:operator-bank-transfers", Perm.OPERATE_PLATFORM, (TenantKind.OPERATOR,)),
    NavItem(_("Partner settlements"), "settlements-operator:list", Perm.OPERATE_PLATFORM, (TenantKind.OPERATOR,)),
    NavItem(_("Organisation"), "tenants:organisation", Perm.VIEW_MEMBERS, in_settings=True),
    NavItem(_("Members"), "tenants:members", Perm.VIEW_MEMBERS, in_settings=True),
    NavItem(_("API keys"), "tenants:api-keys", Perm.MANAGE_API_KEYS, in_settings=True),
    NavItem(_("Job webhook"), "jobs:webhook", Perm.MANAGE_API_KEYS, (TenantKind.COMPANY,), in_settings=True),
    NavItem(_("Audit log"), "audit:list", Perm.VIEW_AUDIT, in_settings=True),
)


def nav_for(membership) -> list[NavItem]:
    if membership is None:
        return []
    kind = membership.tenant.kind
    return [i for i in NAV if (i.kinds is None or kind in i.kinds) and has_perm(membership, i.permission)]
