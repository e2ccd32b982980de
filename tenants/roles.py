"""Tenant kinds, the roles people hold in each, and what each role may do.

This is the one place permissions are declared; page views, API views and templates all ask
`has_perm()`.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class TenantKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PARTNER = "partner", _("Partner")
    GOVERNMENT = "government", _("Government")
    OPERATOR = "operator", _("Operator")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    DEVELOPER = "developer", _("Developer")
    BILLING = "billing", _("Billing")
    VIEWER = "viewer", _("Viewer")
    LISTING_MANAGER = "listing_manager", _("Listing manager")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    REVIEWER = "reviewer", _("Reviewer")
    AUDITOR = "auditor", _("Auditor")
    STAFF = "staff", _("Staff")


# Most privileged first: a role may only hand out roles at or below its own position.
ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    TenantKind.COMPANY: (Role.OWNER, Role.ADMIN, Role.DEVELOPER, Role.BILLING, Role.VIEWER),
    TenantKind.PARTNER: (Role.OWNER, Role.LISTING_MANAGER, Role.VIEWER),
    TenantKind.GOVERNMENT: (Role.PROGRAM_MANAGER, Role.REVIEWER, Role.AUDITOR),
    TenantKind.OPERATOR: (Role.STAFF,),
}

# The role a tenant must never be left without (the "last owner" rule).
OWNER_ROLE: dict[str, str] = {
    TenantKind.COMPANY: Role.OWNER,
    TenantKind.PARTNER: Role.OWNER,
    TenantKind.GOVERNMENT: Role.PROGRAM_MANAGER,
    TenantKind.OPERATOR: Role.STAFF,
}

# Staff of these kinds must have MFA before they can use their pages.
MFA_REQUIRED_KINDS = frozenset({TenantKind.GOVERNMENT, TenantKind.OPERATOR})


class Perm(StrEnum):
    VIEW_DASHBOARD = "dashboard.view"
    VIEW_MEMBERS = "members.view"
    MANAGE_MEMBERS = "members.manage"
    MANAGE_ORGANISATION = "organisation.manage"
    MANAGE_API_KEYS = "api_keys.manage"
    VIEW_AUDIT = "audit.view"
    OPERATE_PLATFORM = "platform.operate"
    VIEW_LISTINGS = "listings.view"
    MANAGE_LISTINGS = "listings.manage"
    REVIEW_LISTINGS = "listings.review"
    VIEW_JOBS = "jobs.view"
    LAUNCH_JOBS = "jobs.launch"
    REQUEST_QUOTA = "quota.request"
    VIEW_BILLING = "billing.view"
    MANAGE_BILLING = "billing.manage"
    VIEW_SETTLEMENTS = "settlements.view"
    VIEW_VOUCHERS = "vouchers.view"
    APPLY_VOUCHERS = "vouchers.apply"
    VIEW_PROGRAMS = "programs.view"
    MANAGE_PROGRAMS = "programs.manage"
    REVIEW_APPLICATIONS = "programs.review"


_EVERYONE = frozenset(Role.values)

GRANTS: dict[Perm, frozenset[str]] = {
    Perm.VIEW_DASHBOARD: _EVERYONE,
    Perm.VIEW_MEMBERS: _EVERYONE,
    Perm.MANAGE_MEMBERS: frozenset({Role.OWNER, Role.ADMIN, Role.PROGRAM_MANAGER, Role.STAFF}),
    Perm.MANAGE_ORGANISATION: frozenset({Role.OWNER, Role.ADMIN, Role.PROGRAM_MANAGER, Role.STAFF}),
    Perm.MANAGE_API_KEYS: frozenset(
        {Role.OWNER, Role.ADMIN, Role.DEVELOPER, Role.LISTING_MANAGER, Role.PROGRAM_MANAGER, Role.STAFF}
    ),
    Perm.VIEW_AUDIT: frozenset({Role.OWNER, Role.ADMIN, Role.PROGRAM_MANAGER, Role.AUDITOR, Role.STAFF}),
    Perm.OPERATE_PLATFORM: frozenset({Role.STAFF}),
    Perm.VIEW_LISTINGS: frozenset({Role.OWNER, Role.LISTING_MANAGER, Role.VIEWER}),
    Perm.MANAGE_LISTINGS: frozenset({Role.OWNER, Role.LISTING_MANAGER}),
    Perm.REVIEW_LISTINGS: frozenset({Role.STAFF}),
    Perm.VIEW_JOBS: frozenset({Role.OWNER, Role.ADMIN, Role.DEVELOPER, Role.BILLING, Role.VIEWER}),
    Perm.LAUNCH_JOBS: frozenset({Role.OWNER, Role.ADMIN, Role.DEVELOPER}),
    Perm.REQUEST_QUOTA: frozenset({Role.OWNER, Role.ADMIN, Role.DEVELOPER}),
    Perm.VIEW_BILLING: frozenset({Role.OWNER, Role.ADMIN, Role.BILLING, Role.VIEWER}),
    Perm.MANAGE_BILLING: frozenset({Role.OWNER, Role.ADMIN, Role.BILLING}),
    Perm.VIEW_SETTLEMENTS: frozenset({Role.OWNER, Role.LISTING_MANAGER, Role.VIEWER}),
    Perm.VIEW_VOUCHERS: frozenset({Role.OWNER, Role.ADMIN, Role.DEVELOPER, Role.BILLING, Role.VIEWER}),
    Perm.APPLY_VOUCHERS: frozenset({Role.OWNER, Role.ADMIN, Role.BILLING}),
    Perm.VIEW_PROGRAMS: frozenset({Role.PROGRAM_MANAGER, Role.REVIEWER, Role.AUDITOR}),
    Perm.MANAGE_PROGRAMS: frozenset({Role.PROGRAM_MANAGER}),
    Perm.REVIEW_APPLICATIONS: frozenset({Role.PROGRAM_MANAGER, Role.REVIEWER}),
}

# Permissions that only make sense in some kinds of tenant (e.g. a company owner lists nothing).
PERM_KINDS: dict[Perm, frozenset[str]] = {
    Perm.VIEW_LISTINGS: frozenset({TenantKind.PARTNER}),
    Perm.MANAGE_LISTINGS: frozenset({TenantKind.PARTNER}),
    Perm.REVIEW_LISTINGS: frozenset({TenantKind.OPERATOR}),
    Perm.OPERATE_PLATFORM: frozenset({TenantKind.OPERATOR}),
    Perm.VIEW_JOBS: frozenset({TenantKind.COMPANY}),
    Perm.LAUNCH_JOBS: frozenset({TenantKind.COMPANY}),
    Perm.REQUEST_QUOTA: frozenset({TenantKind.COMPANY}),
    Perm.VIEW_BILLING: frozenset({TenantKind.COMPANY}),
    Perm.MANAGE_BILLING: frozenset({TenantKind.COMPANY}),
    Perm.VIEW_SETTLEMENTS: frozenset({TenantKind.PARTNER}),
    Perm.VIEW_VOUCHERS: frozenset({TenantKind.COMPANY}),
    Perm.APPLY_VOUCHERS: frozenset({TenantKind.COMPANY}),
    Perm.VIEW_PROGRAMS: frozenset({TenantKind.GOVERNMENT}),
    Perm.MANAGE_PROGRAMS: frozenset({TenantKind.GOVERNMENT}),
    Perm.REVIEW_APPLICATIONS: frozenset({TenantKind.GOVERNMENT}),
}


def has_perm(membership, perm: Perm) -> bool:
    """Whether the membership (or None) grants `perm` in its tenant."""
    if membership is None:
        return False
    kind = membership.tenant.kind
    if perm in PERM_KINDS and kind not in PERM_KINDS[perm]:
        return False
    return membership.role in GRANTS[perm] and membership.role in ROLES_BY_KIND[kind]


def role_rank(kind: str, role: str) -> int:
    return ROLES_BY_KIND[kind].index(role)


def assignable_roles(kind: str, acting_role: str) -> tuple[str, ...]:
    """Roles `acting_role` may give to others: its own and those below it."""
    roles = ROLES_BY_KIND[kind]
    return roles[roles.index(acting_role) :]


def role_choices(kind: str, acting_role: str | None = None) -> list[tuple[str, str]]:
    roles = assignable_roles(kind, acting_role) if acting_role else ROLES_BY_KIND[kind]
    return [(r, Role(r).label) for r in roles]
