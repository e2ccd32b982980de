"""Tenant isolation over every URL pattern in the resolver.

Every route must appear in exactly one group below; a new route without an entry fails
`test_every_route_is_classified`. Each group is then checked as anonymous, as a member of another
tenant (by session and by API key), as a low-privileged member, as another kind of tenant (company
routes against a partner and a government office, operator, partner and government routes against a
company), and against vacuous passes (the owner does reach the object and does see its marker;
operators do get in; the role above a refused one does get in).

The world (tests/isolation_world.py) is built once for the module; every check runs in its own
transaction inside it.
"""

import io
import re
import shutil
import subprocess

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from catalog.models import Offering, OfferingVersion
from compute.models import QuotaRequest
from jobs.models import Job
from notifications.models import Notification
from payments.models import BankTransfer, TopUp
from settlements.choices import SettlementState
from settlements.models import Settlement
from statements.periods import Month
from tenants.models import ApiKey, Invitation, Membership
from tenants.roles import ROLES_BY_KIND, Role, TenantKind
from tenants.scoping import SharedScopedManager, tenant_context
from tenants.services.api_keys import api_key_create
from tests.conftest import member_client
from tests.isolation_world import ARTIFACT, SECRET, kept
from tests.routes import all_routes
from vouchers.models import Application, ApplicationState, Program, ProgramStatus, Voucher, VoucherState


@pytest.fixture(scope="module")
def kept_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once (it takes longer than most checks), not once per check."""
    with kept(tmp_path_factory.mktemp("isolation"), django_db_blocker.unblock) as world:
        yield world


@pytest.fixture
def world(db, kept_world):
    return kept_world


# --- The matrix -------------------------------------------------------------------------------

# Reachable without signing in (auth flows, the invitation link, the API schema).
PUBLIC = {
    "landing",
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",
    "account_email_verification_sent",
    "account_reset_password",
    "account_confirm_login_code",
    "account_confirm_email",
    "account_reset_password_from_key_done",
    "account_reset_password_from_key",
    "account_reset_password_done",
    "mfa_authenticate",
    "set_language",
    "tenants:invitation",
    "api:schema",
    "api:root",
    "api:docs",
    "api:docs-accounts",
    # The public catalog: published listings only (drafts are tested in tests/catalog).
    "catalog:browse",
    "catalog:detail",
    "catalog:compare",
    "catalog:compare-toggle",
    "catalog:compare-clear",
    "catalog:partners",
    "catalog:partner",
    "catalog:compatibility",
    "api:catalog-offering-list",
    "api:catalog-offering-detail",
    "api:catalog-facets",
    "api:catalog-compare",
    "api:catalog-chip-list",
    "api:catalog-chip-detail",
    "api:catalog-partner-list",
    "api:catalog-partner-detail",
    "api:catalog-compatibility-list",
    "api:catalog-compatibility-detail",
    # Stripe authenticates itself by signing the body (tested below: GET 405, unsigned POST 400).
    "payments:stripe-webhook",
}
# A signed-in person's own pages, not tied to a tenant.
PERSONAL_PAGES = {
    "account_reauthenticate",
    "account_email",
    "account_change_password",
    "account_set_password",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "tenants:onboarding",
    "tenants:switch",
    "notifications:list",
    "notifications:bell",
    "notifications:read-all",
    "notifications:preferences",
    "catalog:favourites",
    "catalog:favourite",
}
# Tenant pages listing the active tenant's data (the other tenant's markers must never appear).
# Value: the role that may *not* open it (None: every member may).
TENANT_PAGES = {
    "dashboard": None,
    "tenants:members": None,
    "tenants:organisation": None,
    "tenants:api-keys": Role.VIEWER,
    "audit:list": Role.VIEWER,
    "jobs:list": None,
    "jobs:webhook": Role.VIEWER,
    "jobs:launch": Role.VIEWER,
    "compute:quotas": None,
    "compute:quota-request": Role.VIEWER,
    "payments:wallet": Role.VIEWER,
    "payments:bank-transfer-create": Role.VIEWER,
    # Billing is for owner/admin/billing/viewer; the budget form for owner/admin/billing.
    "statements:spending": Role.DEVELOPER,
    "statements:budget": Role.VIEWER,
    # A statement is addressed by month and always built for the active company (no object to reach).
    "statements:statement": Role.DEVELOPER,
    "statements:statement-pdf": Role.DEVELOPER,
    "statements:statement-csv": Role.DEVELOPER,
    "vouchers:list": None,
}
# Tenant objects: another tenant's member gets 404 for every method.
TENANT_OBJECT_PAGES = {
    "tenants:member-role": lambda w: {"pk": w.a_member.pk},
    "tenants:member-remove": lambda w: {"pk": w.a_member.pk},
    "tenants:invitation-revoke": lambda w: {"pk": w.invitation.pk},
    "tenants:api-key-revoke": lambda w: {"pk": w.api_key.pk},
    "jobs:detail": lambda w: {"pk": w.job.pk},
    "jobs:status": lambda w: {"pk": w.job.pk},
    "jobs:logs": lambda w: {"pk": w.job.pk},
    "jobs:cancel": lambda w: {"pk": w.job.pk},
    "jobs:retry": lambda w: {"pk": w.job.pk},
    "jobs:artifact": lambda w: {"pk": w.job.pk, "attempt": w.job.attempt, "name": ARTIFACT},
    "payments:topup-success": lambda w: {"pk": w.topup.pk},
    "payments:topup-cancelled": lambda w: {"pk": w.topup.pk},
    "payments:bank-transfer-receipt": lambda w: {"pk": w.transfer.pk},
    "vouchers:withdraw": lambda w: {"pk": w.application.pk},
    "vouchers:attachment": lambda w: {"pk": w.attachment.pk},  # the program's office's too (below)
}
PERSONAL_OBJECT_PAGES = {"notifications:read": lambda w: {"pk": w.note.pk}}
OPERATOR_PAGES = {
    "tenants:operator-tenants": None,
    "tenants:operator-tenant-verify": lambda w: {"pk": w.a_owner.tenant_id},
    "compute:quota-requests": None,  # a redirect to the operators' page, from their notifications
    "compute-operator:pools": None,
    "compute-operator:pool-engine": lambda w: {"pk": w.job.pool_id},
    "compute-operator:quotas": None,
    "compute-operator:quota-default-set": None,
    "compute-operator:quota-override-set": None,
    "compute-operator:quota-requests": None,
    "compute-operator:quota-request-approve": lambda w: {"pk": w.quota_request.pk},
    "compute-operator:quota-request-reject": lambda w: {"pk": w.quota_request.pk},
    "payments:operator-bank-transfers": None,
    "payments:operator-bank-transfer-confirm": lambda w: {"pk": w.transfer.pk},
    "payments:operator-bank-transfer-reject": lambda w: {"pk": w.transfer.pk},
    "payments:operator-bank-transfer-receipt": lambda w: {"pk": w.transfer.pk},
    "settlements-operator:list": None,  # the month comes in the query (QUERIES)
    "settlements-operator:generate": None,
    "settlements-operator:issue": None,
    "settlements-operator:csv": None,
    "settlements-operator:check": None,
    "settlements-operator:detail": lambda w: {"pk": w.settlement.pk},
    "settlements-operator:settlement-csv": lambda w: {"pk": w.settlement.pk},
    "settlements-operator:mark-paid": lambda w: {"pk": w.settlement.pk},
}

API_TENANT_LISTS = {
    "api:me": None,
    "api:organisation": None,
    "api:member-list": None,
    "api:invitation-list": Role.VIEWER,
    "api:api-key-list": Role.VIEWER,
    "api:audit-list": Role.VIEWER,
    "api:job-list": None,
    "api:job-quote": Role.VIEWER,
    "api:job-webhook": Role.VIEWER,
    "api:compute-quota-list": None,
    "api:quota-request-list": None,
    "api:payments-topup-list": Role.VIEWER,
    "api:payments-bank-transfer-list": Role.VIEWER,
    "api:payments-wallet": Role.VIEWER,
    "api:statements-spending-summary": Role.DEVELOPER,
    "api:statements-statement": Role.DEVELOPER,
    "api:statements-statement-pdf": Role.DEVELOPER,
    "api:statements-statement-csv": Role.DEVELOPER,
    "api:statements-budget": Role.DEVELOPER,
    "api:voucher-program-list": None,  # every office's open programs (OPEN_PROGRAMS)
    "api:voucher-application-list": None,
    "api:voucher-list": None,
}
API_TENANT_OBJECTS = {
    "api:member-detail": lambda w: {"pk": w.a_member.pk},
    "api:invitation-detail": lambda w: {"pk": w.invitation.pk},
    "api:invitation-revoke": lambda w: {"pk": w.invitation.pk},
    "api:api-key-detail": lambda w: {"pk": w.api_key.pk},
    "api:audit-detail": lambda w: {"pk": w.audit.pk},
    "api:job-detail": lambda w: {"pk": w.job.pk},
    "api:job-cancel": lambda w: {"pk": w.job.pk},
    "api:job-retry": lambda w: {"pk": w.job.pk},
    "api:job-events": lambda w: {"pk": w.job.pk},
    "api:job-logs": lambda w: {"pk": w.job.pk},
    "api:job-artifacts": lambda w: {"pk": w.job.pk},
    "api:job-artifact-download": lambda w: {"pk": w.job.pk, "attempt": w.job.attempt, "name": ARTIFACT},
    "api:quota-request-detail": lambda w: {"pk": w.quota_request.pk},
    "api:payments-topup-detail": lambda w: {"pk": w.topup.pk},
    "api:payments-bank-transfer-detail": lambda w: {"pk": w.transfer.pk},
    "api:payments-bank-transfer-receipt": lambda w: {"pk": w.transfer.pk},
    "api:voucher-application-detail": lambda w: {"pk": w.application.pk},
    "api:voucher-application-withdraw": lambda w: {"pk": w.application.pk},
    "api:voucher-detail": lambda w: {"pk": w.voucher.pk},
    "api:voucher-attachment-detail": lambda w: {"pk": w.attachment.pk},  # the program's office's too (below)
}
API_PERSONAL = {
    "api:notification-list": None,
    "api:notification-read-all": None,
    "api:notification-preferences": None,
    "api:catalog-favourite-list": None,
    "api:catalog-favourite-detail": None,  # by slug (SAMPLE_KWARGS); one's own favourites only
    "api:invitation-accept": None,
    "api:organisation-register": None,  # creates a new tenant owned by the person (tests/tenants/test_onboarding_api.py)
}
API_PERSONAL_OBJECTS = {
    "api:notification-detail": lambda w: {"pk": w.note.pk},
    "api:notification-read": lambda w: {"pk": w.note.pk},
}
API_OPERATOR = {
    "api:operator-tenant-list": None,
    "api:operator-tenant-detail": lambda w: {"pk": w.a_owner.tenant_id},
    "api:operator-tenant-verify": lambda w: {"pk": w.a_owner.tenant_id},
    "api:operator-quota-request-list": None,
    "api:operator-quota-request-detail": lambda w: {"pk": w.quota_request.pk},
    "api:operator-quota-request-approve": lambda w: {"pk": w.quota_request.pk},
    "api:operator-quota-request-reject": lambda w: {"pk": w.quota_request.pk},
    "api:operator-pool-list": None,
    "api:operator-pool-history": None,
    "api:operator-pool-engine": lambda w: {"pk": w.job.pool_id},
    "api:operator-quota-default-list": None,
    "api:operator-quota-override-list": None,
    "api:payments-operator-bank-transfer-list": None,
    "api:payments-operator-bank-transfer-detail": lambda w: {"pk": w.transfer.pk},
    "api:payments-operator-bank-transfer-confirm": lambda w: {"pk": w.transfer.pk},
    "api:payments-operator-bank-transfer-reject": lambda w: {"pk": w.transfer.pk},
    "api:operator-settlement-list": None,
    "api:operator-settlement-detail": lambda w: {"pk": w.settlement.pk},
    "api:operator-settlement-mark-paid": lambda w: {"pk": w.settlement.pk},
    "api:operator-settlement-csv": lambda w: {"pk": w.settlement.pk},
    "api:operator-settlement-books-check": None,
    "api:operator-settlement-period-list": None,
    # The draft month: a POST that got through would compute or issue it.
    "api:operator-settlement-period-detail": lambda w: {"month": f"{w.draft_settlement.period.month:%Y-%m}"},
    "api:operator-settlement-period-generate": lambda w: {"month": f"{w.draft_settlement.period.month:%Y-%m}"},
    "api:operator-settlement-period-issue": lambda w: {"month": f"{w.draft_settlement.period.month:%Y-%m}"},
    "api:operator-settlement-period-csv": lambda w: {"month": f"{w.draft_settlement.period.month:%Y-%m}"},
}

# Partner self-service: the other *partner* must see none of it. Value: role that may not open it.
PARTNER_PAGES = {
    "partner:listings": None,
    "partner:listing-export-csv": None,
    "partner:listing-export-xlsx": None,
    "partner:listing-create": Role.VIEWER,
    "partner:listing-import": Role.VIEWER,
    "settlements:list": None,
}
LISTING_ROUTES = (
    "partner:listing-detail",
    "partner:listing-edit",
    "partner:listing-preview",
    "partner:listing-submit",
    "partner:listing-withdraw",
    "partner:listing-new-version",
    "partner:listing-retire",
    "api:partner-listing-detail",
    "api:partner-listing-submit",
    "api:partner-listing-withdraw",
    "api:partner-listing-new-version",
    "api:partner-listing-retire",
    "api:partner-listing-compatibility",
    "api:partner-listing-preview",
    "api:partner-listing-stats",
)
SETTLEMENT_ROUTES = (
    "settlements:detail",
    "settlements:csv",
    "api:partner-settlement-detail",
    "api:partner-settlement-csv",
)
PARTNER_OBJECTS = {
    **{name: (lambda w: {"pk": w.listing.pk}) for name in LISTING_ROUTES},
    **{name: (lambda w: {"pk": w.settlement.pk}) for name in SETTLEMENT_ROUTES},
}
API_PARTNER_LISTS = {
    "api:partner-listing-list": None,
    "api:partner-listing-export": None,  # ?fmt: PAGE_KWARGS
    "api:partner-settlement-list": None,
}
# POST only, into the partner's own listings (a slug of another partner's is refused: below). Value:
# role that may not use it.
API_PARTNER_ACTIONS = {"api:partner-listing-import": Role.VIEWER}
REVIEW_ROUTES = {
    "review:queue": None,
    "review:version": lambda w: {"pk": w.listing_version.pk},
    "review:approve": lambda w: {"pk": w.listing_version.pk},
    "review:reject": lambda w: {"pk": w.listing_version.pk},
}
API_REVIEW_ROUTES = {
    "api:partner-review-list": None,
    "api:partner-review-detail": lambda w: {"pk": w.listing_version.pk},
    "api:partner-review-approve": lambda w: {"pk": w.listing_version.pk},
    "api:partner-review-reject": lambda w: {"pk": w.listing_version.pk},
}

# An open program is a public call for applications: every company reads it, the other company too
# (a draft is nobody's but its office's, which reads it under /gov/; both are tested below).
OPEN_PROGRAMS = {
    "vouchers:program": lambda w: {"pk": w.program.pk},
    "api:voucher-program-detail": lambda w: {"pk": w.program.pk},
    "api:voucher-program-eligibility": lambda w: {"pk": w.program.pk},
}

# Government offices: the other *office* must see none of it, its open programs included. Value: the
# most privileged role that may not open it (nor may the roles below it in ROLES_BY_KIND).
GOV_PAGES = {
    "vouchers-gov:programs": None,
    "vouchers-gov:program-new": Role.REVIEWER,
    "vouchers-gov:queue": None,
    "vouchers-gov:vouchers": None,
}
# POST only; the applications come in the body (below).
GOV_ACTIONS = {"vouchers-gov:bulk": Role.AUDITOR, "api:gov-application-bulk": Role.AUDITOR}


def open_program(world) -> dict:
    return {"pk": world.program.pk}


def draft_program(world) -> dict:
    return {"pk": world.draft_program.pk}


GOV_OBJECTS = {
    "vouchers-gov:program": open_program,
    "vouchers-gov:program-edit": draft_program,
    "vouchers-gov:program-action": lambda w: {**open_program(w), "action": "close"},
    "vouchers-gov:report-export": lambda w: {**open_program(w), "fmt": "csv"},
    "vouchers-gov:application": lambda w: {"pk": w.application.pk},
    "vouchers-gov:revoke": lambda w: {"pk": w.voucher.pk},
}
API_GOV_LISTS = {"api:gov-program-list": None, "api:gov-application-list": None, "api:gov-voucher-list": None}
API_GOV_OBJECTS = {
    "api:gov-program-detail": open_program,
    "api:gov-program-open-program": draft_program,
    "api:gov-program-close-program": open_program,
    "api:gov-program-archive-program": open_program,
    "api:gov-program-report": open_program,
    "api:gov-program-report-export": lambda w: {**open_program(w), "fmt": "csv"},
    "api:gov-application-detail": lambda w: {"pk": w.application.pk},
    "api:gov-application-approve": lambda w: {"pk": w.application.pk},
    "api:gov-application-reject": lambda w: {"pk": w.application.pk},
    "api:gov-voucher-detail": lambda w: {"pk": w.voucher.pk},
    "api:gov-voucher-revoke": lambda w: {"pk": w.voucher.pk},
}
GOV_ROUTES = sorted([*GOV_PAGES, *GOV_ACTIONS, *GOV_OBJECTS, *API_GOV_LISTS, *API_GOV_OBJECTS])
# Routes of one program under /gov/ (the open one of office A is office A's alone there, as is the draft).
GOV_PROGRAM_ROUTES = sorted(n for n in {**GOV_OBJECTS, **API_GOV_OBJECTS} if "program" in n)

# The accounts API for programs (django-allauth headless, app client): a person's own account only,
# by the X-Session-Token it hands out (tested below and in tests/tenants/test_onboarding_api.py).
ACCOUNTS_API = {r.name for r in all_routes() if r.name.startswith("headless:")}
ACCOUNTS_API_OPEN = {  # answer without a session: configuration, the schema, and the ways in
    "headless:app:config",
    "headless:openapi_json",
    "headless:openapi_yaml",
}

GROUPS = [
    PUBLIC,
    ACCOUNTS_API,
    PERSONAL_PAGES,
    TENANT_PAGES,
    TENANT_OBJECT_PAGES,
    PERSONAL_OBJECT_PAGES,
    OPERATOR_PAGES,
    API_TENANT_LISTS,
    API_TENANT_OBJECTS,
    API_PERSONAL,
    API_PERSONAL_OBJECTS,
    API_OPERATOR,
    PARTNER_PAGES,
    PARTNER_OBJECTS,
    API_PARTNER_LISTS,
    API_PARTNER_ACTIONS,
    REVIEW_ROUTES,
    API_REVIEW_ROUTES,
    OPEN_PROGRAMS,
    GOV_PAGES,
    GOV_ACTIONS,
    GOV_OBJECTS,
    API_GOV_LISTS,
    API_GOV_OBJECTS,
]
API_PREFIXES = ("api:",)
SAMPLE_KWARGS = {
    "account_confirm_email": {"key": "nope"},
    "account_reset_password_from_key": {"uidb36": "1", "key": "set-password"},
    "tenants:invitation": {"token": "not-a-token"},
    "partner:listing-create": {"kind": "compute"},
    "catalog:detail": {"slug": "no-such-offering"},
    "catalog:favourite": {"slug": "no-such-offering"},
    "catalog:compare-toggle": {"slug": "no-such-offering"},
    "catalog:partner": {"pk": 999999},
    "api:catalog-offering-detail": {"slug": "no-such-offering"},
    "api:catalog-favourite-detail": {"slug": "no-such-offering"},
    "api:catalog-chip-detail": {"slug": "no-such-chip"},
    "api:catalog-partner-detail": {"id": 999999},
    "api:catalog-compatibility-detail": {"pk": 999999},
}
OBJECT_GROUPS = {
    **TENANT_OBJECT_PAGES,
    **PERSONAL_OBJECT_PAGES,
    **API_TENANT_OBJECTS,
    **API_PERSONAL_OBJECTS,
    **PARTNER_OBJECTS,
    **GOV_OBJECTS,
    **API_GOV_OBJECTS,
}


def this_month(world) -> dict:
    return {"month": str(Month.current())}


# URL parameters of tenant pages and lists that need some (none is another tenant's object).
PAGE_KWARGS = {
    "api:partner-listing-export": lambda w: {"fmt": "xlsx"},
    "jobs:launch": lambda w: {"slug": w.template_slug},
    "statements:statement": this_month,
    "statements:statement-pdf": this_month,
    "statements:statement-csv": this_month,
    "api:statements-statement": this_month,
    "api:statements-statement-pdf": this_month,
    "api:statements-statement-csv": this_month,
}


def settled_month(world) -> str:
    return f"month={world.settlement.period.month:%Y-%m}"


# Query strings of routes that need one: the operators' pages of a month show the settled month.
QUERIES = {
    "api:job-quote": lambda w: f"template={w.template_slug}",
    "settlements-operator:list": settled_month,
    "settlements-operator:csv": settled_month,
    "api:operator-settlement-list": settled_month,
}
OPERATOR_ROUTES = sorted([*OPERATOR_PAGES, *API_OPERATOR, *REVIEW_ROUTES, *API_REVIEW_ROUTES])

# Low roles on their own tenant's objects and lists, beyond the "may not open it" pages and lists above.
# Objects the viewer may not even read (paying in is for owner/admin/billing only):
READ_DENIED_OBJECTS = {
    "payments:topup-success": Role.VIEWER,
    "payments:topup-cancelled": Role.VIEWER,
    "payments:bank-transfer-receipt": Role.VIEWER,
    "api:payments-topup-detail": Role.VIEWER,
    "api:payments-bank-transfer-detail": Role.VIEWER,
    "api:payments-bank-transfer-receipt": Role.VIEWER,
}
# Routes the viewer (an office's reviewer or auditor) may read but not write to (create, act on an
# object, change a setting):
WRITE_DENIED = {
    "tenants:member-role": Role.VIEWER,
    "tenants:invitation-revoke": Role.VIEWER,
    "tenants:api-key-revoke": Role.VIEWER,
    "api:invitation-revoke": Role.VIEWER,
    "jobs:cancel": Role.VIEWER,
    "jobs:retry": Role.VIEWER,
    "api:job-list": Role.VIEWER,
    "api:job-cancel": Role.VIEWER,
    "api:job-retry": Role.VIEWER,
    "api:quota-request-list": Role.VIEWER,
    "api:statements-budget": Role.VIEWER,
    # Applying and withdrawing is for owner/admin/billing.
    "vouchers:program": Role.VIEWER,
    "vouchers:withdraw": Role.VIEWER,
    "api:voucher-application-list": Role.VIEWER,
    "api:voucher-application-withdraw": Role.VIEWER,
    # Programs and vouchers are the program manager's; deciding is the reviewers', not the auditors'.
    "vouchers-gov:program-edit": Role.REVIEWER,
    "vouchers-gov:program-action": Role.REVIEWER,
    "vouchers-gov:revoke": Role.REVIEWER,
    "vouchers-gov:application": Role.AUDITOR,
    "api:gov-program-list": Role.REVIEWER,
    "api:gov-program-open-program": Role.REVIEWER,
    "api:gov-program-close-program": Role.REVIEWER,
    "api:gov-program-archive-program": Role.REVIEWER,
    "api:gov-voucher-revoke": Role.REVIEWER,
    "api:gov-application-approve": Role.AUDITOR,
    "api:gov-application-reject": Role.AUDITOR,
}
# Company self-service (jobs, quotas, paying in, spending, vouchers): partners and offices have none of it.
COMPANY_APPS = ("job", "compute", "quota", "payments", "statements", "voucher")  # "jobs:list", "api:job-list", …
COMPANY_ONLY = sorted(n for n in [*TENANT_PAGES, *API_TENANT_LISTS] if n.removeprefix("api:").startswith(COMPANY_APPS))


def intruder(name, world):
    """Who tries another tenant's object: the other partner for partner routes, the other office's
    program manager for government routes, else the other company."""
    if name in PARTNER_OBJECTS or name in PARTNER_PAGES or name in API_PARTNER_LISTS or name in API_PARTNER_ACTIONS:
        return world.pb_owner
    return world.gb_manager if name in GOV_ROUTES else world.b_owner


def owner_of(name, world):
    if name in PARTNER_OBJECTS or name in PARTNER_PAGES or name in API_PARTNER_LISTS or name in API_PARTNER_ACTIONS:
        return world.pa_manager
    return world.ga_manager if name in GOV_ROUTES else world.a_owner


def url_for(name, world):
    path = reverse(name, kwargs=_kwargs(name, world))
    return f"{path}?{QUERIES[name](world)}" if name in QUERIES else path


def _kwargs(name, world) -> dict | None:
    if name in PAGE_KWARGS:
        return PAGE_KWARGS[name](world)
    for group in GROUPS:
        spec = group.get(name) if isinstance(group, dict) else None
        if callable(spec):
            return spec(world)
    return SAMPLE_KWARGS.get(name)


def is_api(name):
    return name.startswith(API_PREFIXES)


ROUTE_NAMES = sorted({r.name for r in all_routes()})


def test_every_route_is_classified():
    classified = [name for group in GROUPS for name in group]
    assert len(classified) == len(set(classified)), "a route is in two groups"
    missing = set(ROUTE_NAMES) - set(classified)
    assert not missing, f"routes with no entry in the isolation matrix: {sorted(missing)}"
    stale = set(classified) - set(ROUTE_NAMES)
    assert not stale, f"matrix entries for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("name", [n for n in ROUTE_NAMES if n not in PUBLIC and n not in ACCOUNTS_API])
def test_anonymous_is_sent_to_login_or_gets_401(name, world, anon):
    url = url_for(name, world)
    for method in ("get", "post"):
        response = getattr(anon, method)(url)
        if is_api(name):
            assert response.status_code == 401, (method, url, response.status_code)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith(reverse("account_login")), response["Location"]


@pytest.mark.parametrize("name", sorted(ACCOUNTS_API))
def test_the_accounts_api_shows_no_account_without_a_session(name, world, anon):
    url = url_for(name, world)
    for method in ("get", "post"):
        response = getattr(anon, method)(url)
        assert response.status_code < 500, (method, url, response.status_code)
        if name not in ACCOUNTS_API_OPEN:
            assert response.status_code != 200 or not response.json().get("data", {}).get("user"), (method, url)
        if "/account/" in url:  # a person's own account: nobody's without a session
            assert response.status_code in (401, 405, 409), (method, url, response.status_code)


def test_the_accounts_api_needs_no_csrf_but_a_valid_token(world, anon):
    response = anon.get("/_allauth/app/v1/account/email", headers={"x-session-token": "not-a-session"})
    assert response.status_code in (401, 410)
    response = anon.get(reverse("api:me"), headers={"x-session-token": "not-a-session"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_routes_answer_without_server_error(name, world, anon):
    response = anon.get(url_for(name, world))
    assert response.status_code < 500


def test_the_stripe_webhook_is_public_but_needs_a_signature(anon, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_isolation"
    url = reverse("payments:stripe-webhook")
    assert anon.get(url).status_code == 405
    assert (
        anon.post(url, data=b'{"type": "checkout.session.completed"}', content_type="application/json").status_code
        == 400
    )


# Wrong behaviour found in the app and reported to its owners. Strict: the fix turns the expected
# failure into a failure of this file, so the entry is removed with the fix.
KNOWN_APP_BUGS: dict = {}


def known_bugs(cases):
    """`cases` as pytest params, those in KNOWN_APP_BUGS marked as strict expected failures."""
    return [
        pytest.param(*case, marks=pytest.mark.xfail(strict=True, reason=KNOWN_APP_BUGS[case]))
        if case in KNOWN_APP_BUGS
        else case
        for case in cases
    ]


@pytest.mark.parametrize(
    "name,method", known_bugs([(n, m) for n in sorted(OBJECT_GROUPS) for m in ("get", "post", "patch", "delete")])
)
def test_other_tenants_objects_are_404_for_every_method(name, method, world):
    client = member_client(intruder(name, world))
    url = url_for(name, world)
    response = (
        getattr(client, method)(url, content_type="application/json")
        if method in ("patch", "delete")
        else getattr(client, method)(url)
    )
    assert response.status_code == 404, (method, url, response.status_code)


@pytest.mark.parametrize("name", sorted(OBJECT_GROUPS))
def test_own_objects_are_reachable(name, world):
    """Guard against a vacuous 404: the same URL works for the object's own tenant."""
    client = member_client(owner_of(name, world))
    response = client.get(url_for(name, world))
    assert response.status_code != 404


LIST_ROUTES = sorted(
    [
        *TENANT_PAGES,
        *API_TENANT_LISTS,
        "notifications:list",
        "notifications:bell",
        "api:notification-list",
        *PARTNER_PAGES,
        *API_PARTNER_LISTS,
        *GOV_PAGES,
        *API_GOV_LISTS,
    ]
)


def shows_secret(text: str) -> bool:
    """Whether A's marker is in the text, also where a line break has split it at its hyphen."""
    return SECRET.replace("-", "") in re.sub(r"[\s-]", "", text)


def visible_text(response) -> str:
    """What a person reads in the response: the cells of a spreadsheet, the text of a PDF."""
    content_type = response["Content-Type"]
    if content_type.startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
    if content_type == "application/pdf":
        pdftotext = shutil.which("pdftotext")
        assert pdftotext, "pdftotext (Debian's poppler-utils) is needed to read PDFs"
        return subprocess.run(
            [pdftotext, "-", "-"], input=response.content, capture_output=True, check=True
        ).stdout.decode()
    return response.content.decode()


@pytest.mark.parametrize("name", LIST_ROUTES)
@pytest.mark.parametrize("htmx", [False, True])
def test_lists_and_fragments_show_none_of_another_tenants_data(name, htmx, world):
    client = member_client(intruder(name, world))
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(url_for(name, world), headers=headers)
    assert response.status_code == 200, response.status_code
    body = visible_text(response)
    assert not shows_secret(body)
    models = ROW_MODELS.get(name, ())
    own = _own_ids(intruder(name, world), models)
    for obj in world.a_objects():
        if isinstance(obj, models):
            assert f'data-id="{obj.pk}"' not in body or obj.pk in own, obj
    for code in world.a_codes():
        assert f'data-code="{code}"' not in body, code


# The models whose rows a list page marks with `data-id` (the attribute does not say which model).
ROW_MODELS = {
    "tenants:members": (Membership, Invitation),
    "tenants:api-keys": (ApiKey,),
    "audit:list": (AuditEntry,),
    "notifications:list": (Notification,),
    "jobs:list": (Job,),
    "compute:quotas": (QuotaRequest,),
    "payments:wallet": (TopUp, BankTransfer),
    "settlements:list": (Settlement,),
    "vouchers:list": (Application,),
    "vouchers-gov:queue": (Application,),
}


def _own_ids(membership, models) -> set[int]:
    """Ids of B's own rows of the page's models: the same number may be one of those, not A's row."""
    ids: set[int] = set()
    for model in models:
        if model is Notification:
            rows = Notification.objects.filter(recipient=membership.user)
        elif isinstance(model.objects, SharedScopedManager):  # the holder's and the program's office's
            rows = model.unscoped.filter(Q(tenant=membership.tenant) | Q(**{model.objects.also: membership.tenant}))
        else:
            rows = model.unscoped.filter(tenant=membership.tenant)
        ids |= set(rows.values_list("pk", flat=True))
    return ids


def test_own_lists_do_show_own_data(world):
    """Guard against a vacuous "no SECRET" above: the lists do show A's data to A."""
    client = member_client(world.a_owner)
    for name in (
        "tenants:members",
        "tenants:api-keys",
        "audit:list",
        "api:member-list",
        "api:invitation-list",
        "jobs:list",
        "jobs:webhook",
        "api:job-list",
        "compute:quotas",
        "api:quota-request-list",
        "payments:wallet",
        "api:payments-topup-list",
        "api:payments-bank-transfer-list",
        "statements:statement",
        "statements:statement-pdf",
        "statements:statement-csv",
        "api:statements-statement",
        "api:statements-statement-pdf",
        "api:statements-statement-csv",
        "api:payments-wallet",
    ):
        assert shows_secret(visible_text(client.get(url_for(name, world)))), name
    client = member_client(world.pa_manager)
    for name in (
        "partner:listings",
        "partner:listing-export-csv",
        "partner:listing-export-xlsx",
        "api:partner-listing-list",
    ):
        assert shows_secret(visible_text(client.get(reverse(name)))), name
    for fmt in ("csv", "xlsx"):
        export = client.get(reverse("api:partner-listing-export", kwargs={"fmt": fmt}))
        assert shows_secret(visible_text(export)), fmt
    assert f'data-id="{world.settlement.pk}"' in client.get(reverse("settlements:list")).content.decode()
    results = client.get(reverse("api:partner-settlement-list")).json()["results"]
    assert [s["id"] for s in results] == [world.settlement.pk]
    for name in SETTLEMENT_ROUTES:  # the statement's line is A's pool, named with the marker
        assert shows_secret(visible_text(client.get(url_for(name, world)))), name


def test_own_voucher_lists_do_show_own_data(world):
    """Guard against a vacuous pass of the voucher lists: company A sees its application and voucher;
    office A, down to its auditor, sees its programs (the draft is named with the marker), company
    A's application and voucher (company A's name is), and the report with company A in it. Office
    A's own name and its open program's are plain, as they are public."""
    body = member_client(world.a_owner).get(reverse("vouchers:list")).content.decode()
    assert f'data-id="{world.application.pk}"' in body and f'data-code="{world.voucher.code}"' in body
    for name in ("api:voucher-application-list", "api:voucher-list"):
        assert shows_secret(member_client(world.a_owner).get(reverse(name)).content.decode()), name
    client = member_client(world.ga_auditor)
    body = client.get(reverse("vouchers-gov:programs")).content.decode()
    assert shows_secret(body)
    assert f'data-code="{world.program.code}"' in body and f'data-code="{world.draft_program.code}"' in body
    body = client.get(reverse("vouchers-gov:queue")).content.decode()
    assert shows_secret(body) and f'data-id="{world.application.pk}"' in body
    body = client.get(reverse("vouchers-gov:vouchers")).content.decode()
    assert shows_secret(body) and f'data-code="{world.voucher.code}"' in body
    for name in ("vouchers-gov:program", "vouchers-gov:report-export", "vouchers-gov:application"):
        assert shows_secret(visible_text(client.get(url_for(name, world)))), name
    for name in (*API_GOV_LISTS, "api:gov-program-report", "api:gov-application-detail", "api:gov-voucher-detail"):
        assert shows_secret(client.get(url_for(name, world)).content.decode()), name


def test_operators_see_the_settled_month(world):
    """Guard against a vacuous pass of the operators' month pages: the month in QUERIES is the one
    with A's settlement (and the draft month's is not in it)."""
    client = member_client(world.operator)
    assert (
        f'data-id="{world.settlement.pk}"' in client.get(url_for("settlements-operator:list", world)).content.decode()
    )
    assert shows_secret(visible_text(client.get(url_for("settlements-operator:csv", world))))
    results = client.get(url_for("api:operator-settlement-list", world)).json()["results"]
    assert [s["id"] for s in results] == [world.settlement.pk]


def test_partners_do_not_see_their_draft_settlements(world):
    """A draft may still change: its own partner gets 404 for it, as for a missing one."""
    client = member_client(world.pa_manager)
    for name in SETTLEMENT_ROUTES:
        response = client.get(reverse(name, kwargs={"pk": world.draft_settlement.pk}))
        assert response.status_code == 404, (name, response.status_code)
    assert f'data-id="{world.draft_settlement.pk}"' not in client.get(reverse("settlements:list")).content.decode()


GOV_ROLES = ROLES_BY_KIND[TenantKind.GOVERNMENT]


def gov_member(world, role):
    return {Role.PROGRAM_MANAGER: world.ga_manager, Role.REVIEWER: world.ga_reviewer, Role.AUDITOR: world.ga_auditor}[
        role
    ]


def members_in_role(world, role) -> list:
    """A's member in `role`; in an office also those in the roles below it (what a reviewer may not
    do, an auditor may not either)."""
    if role in GOV_ROLES:
        return [gov_member(world, r) for r in GOV_ROLES[GOV_ROLES.index(role) :]]
    return [{Role.VIEWER: world.a_viewer, Role.DEVELOPER: world.a_member}[role]]


@pytest.mark.parametrize(
    "name,denied_role",
    [
        (n, r)
        for n, r in {**TENANT_PAGES, **API_TENANT_LISTS, **GOV_PAGES, **GOV_ACTIONS, **API_GOV_LISTS}.items()
        if r is not None
    ],
)
def test_roles_without_the_permission_get_403(name, denied_role, world):
    for membership in members_in_role(world, denied_role):
        client = member_client(membership)
        for method in ("get", "post"):
            response = getattr(client, method)(url_for(name, world))
            assert response.status_code == 403, (membership.role, method, response.status_code)


@pytest.mark.parametrize("name,denied_role", sorted(READ_DENIED_OBJECTS.items()))
def test_roles_without_the_permission_cannot_open_own_tenants_objects(name, denied_role, world):
    for membership in members_in_role(world, denied_role):
        client = member_client(membership)
        for method in ("get", "post"):
            response = getattr(client, method)(url_for(name, world))
            assert response.status_code == 403, (membership.role, method, response.status_code)


@pytest.mark.parametrize("name,denied_role", sorted(WRITE_DENIED.items()))
def test_roles_without_the_permission_cannot_change_anything(name, denied_role, world):
    for membership in members_in_role(world, denied_role):
        client = member_client(membership)
        for method in ("post", "put", "delete"):
            response = getattr(client, method)(url_for(name, world), content_type="application/json")
            assert response.status_code == 403, (membership.role, method, response.status_code)


@pytest.mark.parametrize(
    "name,denied_role",
    sorted((n, r) for n, r in {**GOV_PAGES, **GOV_ACTIONS, **WRITE_DENIED}.items() if r in GOV_ROLES),
)
def test_the_role_above_a_refused_one_gets_in(name, denied_role, world):
    """Guard against a vacuous 403 in an office: the role right above the refused one is let in (its
    empty POST is answered: a form error, a redirect, or done; the test's transaction undoes it)."""
    above = GOV_ROLES[GOV_ROLES.index(denied_role) - 1]
    client = member_client(gov_member(world, above))
    url = url_for(name, world)
    response = client.post(url, {}, content_type="application/json") if is_api(name) else client.post(url)
    assert response.status_code not in (401, 403, 404, 405), response.status_code


# A company's voucher routes for one object (the attachment is the program's office's too: below).
ATTACHMENT_ROUTES = ("vouchers:attachment", "api:voucher-attachment-detail")
COMPANY_VOUCHER_OBJECTS = sorted(
    n
    for n in [*OPEN_PROGRAMS, *TENANT_OBJECT_PAGES, *API_TENANT_OBJECTS]
    if n.removeprefix("api:").startswith("voucher") and n not in ATTACHMENT_ROUTES
)


@pytest.mark.parametrize("name", [*COMPANY_ONLY, *COMPANY_VOUCHER_OBJECTS])
def test_company_routes_refuse_other_kinds(name, world):
    """A partner, and an office: the other one, and the one reviewing company A's application (it
    does so under /gov/, never through the company's routes)."""
    for membership in (world.pa_manager, world.ga_manager, world.gb_manager):
        client = member_client(membership)
        for method in ("get", "post"):
            response = getattr(client, method)(url_for(name, world))
            assert response.status_code == 403, (membership.tenant, method, response.status_code)


@pytest.mark.parametrize("name", [n for n, r in PARTNER_PAGES.items() if r is not None])
def test_partner_viewers_cannot_change_listings(name, world):
    assert member_client(world.pa_viewer).get(url_for(name, world)).status_code == 403
    assert member_client(world.pa_viewer).post(url_for(name, world)).status_code == 403


@pytest.mark.parametrize("name", sorted(API_PARTNER_ACTIONS))
def test_partner_api_actions_refuse_viewers(name, world):
    """A viewer's POST is refused; the listing manager's (empty) one gets past the permission check."""
    assert member_client(world.pa_viewer).post(url_for(name, world)).status_code == 403
    assert member_client(world.pa_manager).post(url_for(name, world)).status_code == 400


@pytest.mark.parametrize("name", sorted([*PARTNER_PAGES, *API_PARTNER_LISTS, *API_PARTNER_ACTIONS]))
def test_partner_routes_refuse_other_kinds(name, world):
    assert member_client(world.a_owner).get(url_for(name, world)).status_code == 403


def test_another_partner_cannot_import_into_a_listing_by_its_slug(world):
    """Partner B's owner names A's listing in an import, by API and by page: the row is refused with the
    words for an unknown slug, and nothing of A's or B's changes. Guard against a vacuous refusal: the
    same file with B's own new listing row does import (checked in a dry run)."""
    slug = world.listing.slug
    data = (
        f"kind,slug,name_zh,name_en,family,modality,license,is_foundation\r\nmodel,{slug},夺,Taken,X,text,MIT,true\r\n"
    )
    before = list(OfferingVersion.unscoped.filter(offering=world.listing).values())
    client = member_client(world.pb_owner)
    response = client.post(reverse("api:partner-listing-import"), {"file": _upload(data)})
    assert response.status_code == 400, response.status_code
    assert response.json()["error"]["rows"] == [
        {"row": 2, "field": "slug", "message": f"None of your listings has the slug “{slug}”."}
    ]
    response = client.post(reverse("partner:listing-import"), {"file": _upload(data)})
    assert response.status_code == 400
    assert [e["message"] for e in response.context["report"]] == [f"None of your listings has the slug “{slug}”."]
    assert list(OfferingVersion.unscoped.filter(offering=world.listing).values()) == before
    assert not Offering.unscoped.filter(tenant=world.pb_owner.tenant).exists()
    own = client.post(
        reverse("api:partner-listing-import"), {"file": _upload(data.replace(slug, "")), "dry_run": "true"}
    )
    assert own.status_code == 200 and own.json()["created"] == [{"row": 2, "slug": None}]


def _upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("listings.csv", text.encode())


@pytest.mark.parametrize("name", OPERATOR_ROUTES)
def test_operator_routes_refuse_other_kinds(name, world):
    """A company's owner and a partner's manager (whose settlement it is) alike; a POST that got
    through would change something (verify, confirm, issue the draft month, mark paid)."""
    data = {"verified": "1", "month": f"{world.draft_settlement.period.month:%Y-%m}", "reference": "r"}
    for membership in (world.a_owner, world.pa_manager):
        client = member_client(membership)
        response = client.get(url_for(name, world))
        assert response.status_code in (403, 405) if name.endswith("verify") else response.status_code == 403
        assert client.post(url_for(name, world), data).status_code == 403
    assert QuotaRequest.unscoped.get(pk=world.quota_request.pk).state == "pending"
    assert BankTransfer.unscoped.get(pk=world.transfer.pk).state == "submitted"
    assert Settlement.unscoped.get(pk=world.settlement.pk).state == SettlementState.ISSUED
    assert Settlement.unscoped.get(pk=world.draft_settlement.pk).state == SettlementState.DRAFT


@pytest.mark.parametrize("name", OPERATOR_ROUTES)
def test_operator_routes_serve_operators(name, world):
    """Guard against a vacuous 403: operator staff do get in (a POST-only action answers GET with 405)."""
    response = member_client(world.operator).get(url_for(name, world))
    assert response.status_code in (200, 302, 405), response.status_code


@pytest.mark.parametrize("name", GOV_ROUTES)
def test_government_routes_refuse_other_kinds(name, world):
    """Company A (whose application and voucher they are), a partner and the operator; a POST that
    got through would change something (close the program, decide, revoke)."""
    for membership in (world.a_owner, world.pa_manager, world.operator):
        client = member_client(membership)
        for method in ("get", "post"):
            response = getattr(client, method)(url_for(name, world), {"action": "approve", "reason": "r"})
            assert response.status_code == 403, (membership.tenant, method, response.status_code)
    assert_office_as_data_unchanged(world)


def assert_office_as_data_unchanged(world):
    assert Program.unscoped.get(pk=world.program.pk).status == ProgramStatus.OPEN
    assert Program.unscoped.get(pk=world.draft_program.pk).status == ProgramStatus.DRAFT
    application = Application.unscoped.get(pk=world.application.pk)
    assert (application.state, application.first_reviewer_id) == (ApplicationState.SUBMITTED, None)
    assert Voucher.unscoped.get(pk=world.voucher.pk).state == VoucherState.ACTIVE


@pytest.mark.parametrize("name", sorted(OPEN_PROGRAMS))
def test_open_programs_are_public_to_companies_but_drafts_are_not(name, world):
    """By design the other company reads office A's open program; nobody reads the draft outside
    /gov/, company A neither."""
    assert member_client(world.b_owner).get(url_for(name, world)).status_code == 200
    draft = reverse(name, kwargs=draft_program(world))
    for membership in (world.a_owner, world.b_owner):
        client = member_client(membership)
        for method in ("get", "post"):
            assert getattr(client, method)(draft).status_code == 404, (membership.tenant, method)


@pytest.mark.parametrize("program", ["program", "draft_program"])
@pytest.mark.parametrize("name", GOV_PROGRAM_ROUTES)
def test_another_offices_programs_are_404_open_or_draft(name, program, world):
    """The open program is public to companies (above), never to another office under /gov/."""
    url = reverse(name, kwargs={**_kwargs(name, world), "pk": getattr(world, program).pk})
    client = member_client(world.gb_manager)
    for method in ("get", "post"):
        assert getattr(client, method)(url).status_code == 404, method


def test_another_office_decides_and_revokes_nothing(world):
    """Office B's program manager (who may decide, close and revoke in office B) tries it all on office
    A's program, application and voucher, by page, bulk and API: nothing changes."""
    client = member_client(world.gb_manager)
    ids = {"ids": [world.application.pk], "note": "n"}
    assert client.post(reverse("vouchers-gov:bulk"), {**ids, "action": "approve"}).status_code == 302
    assert client.post(reverse("vouchers-gov:bulk"), {**ids, "action": "reject"}).status_code == 302
    for name in ("vouchers-gov:application", "vouchers-gov:revoke", "vouchers-gov:program-action"):
        assert client.post(url_for(name, world), {"action": "approve", "reason": "r"}).status_code == 404
    for name in ("api:gov-application-approve", "api:gov-application-reject", "api:gov-voucher-revoke"):
        response = client.post(url_for(name, world), {"note": "n", "reason": "r"}, content_type="application/json")
        assert response.status_code == 404, name
    for name in ("api:gov-program-open-program", "api:gov-program-close-program"):
        assert client.post(url_for(name, world)).status_code == 404, name
    assert_office_as_data_unchanged(world)


def test_the_programs_office_does_decide_in_bulk(world):
    """Guard against a vacuous pass above: the same bulk POST by office A's reviewer issues the voucher."""
    data = {"ids": [world.application.pk], "action": "approve", "note": "n"}
    assert member_client(world.ga_reviewer).post(reverse("vouchers-gov:bulk"), data).status_code == 302
    assert Application.unscoped.get(pk=world.application.pk).state == ApplicationState.ISSUED


@pytest.mark.parametrize("name", ATTACHMENT_ROUTES)
def test_attachments_are_the_companys_and_its_programs_offices_only(name, world):
    url = url_for(name, world)
    client = member_client(world.gb_manager)
    for method in ("get", "post", "patch", "delete"):
        response = getattr(client, method)(url, content_type="application/json")
        assert response.status_code == 404, (method, response.status_code)
    for membership in (world.a_owner, world.ga_auditor):
        response = member_client(membership).get(url)
        assert response.status_code == 200
        assert SECRET.encode() in b"".join(response.streaming_content)


def test_voucher_api_lists_hold_only_own_rows(world):
    """By id: B's own rows are listed (the list is not vacuously empty), none of A's."""
    company, office = world.b_owner.tenant, world.gb_manager.tenant
    cases = [
        (world.b_owner, "api:voucher-application-list", Application.unscoped.filter(tenant=company)),
        (world.b_owner, "api:voucher-list", Voucher.unscoped.filter(tenant=company)),
        (world.gb_manager, "api:gov-program-list", Program.unscoped.filter(tenant=office)),
        (world.gb_manager, "api:gov-application-list", Application.unscoped.filter(program__tenant=office)),
        (world.gb_manager, "api:gov-voucher-list", Voucher.unscoped.filter(program__tenant=office)),
    ]
    for membership, name, own in cases:
        results = member_client(membership).get(reverse(name)).json()["results"]
        own_ids = set(own.values_list("pk", flat=True))
        assert own_ids and {r["id"] for r in results} == own_ids, name


def test_api_key_of_tenant_a_cannot_reach_tenant_b(world):
    with tenant_context(world.b_owner.tenant):
        _, plaintext = api_key_create(name="reader", role=Role.VIEWER, acting_membership=world.b_owner)
    client = member_client(world.b_owner)
    client.logout()
    headers = {"Authorization": f"Api-Key {plaintext}"}
    assert (
        client.get(reverse("api:member-detail", kwargs={"pk": world.a_member.pk}), headers=headers).status_code == 404
    )
    listing = client.get(reverse("api:member-list"), headers=headers)
    assert listing.status_code == 200
    assert SECRET not in listing.content.decode()
    assert {m["email"] for m in listing.json()["results"]} == {"owner@b.example", "dev@b.example"}


@pytest.mark.parametrize("name", sorted([*API_TENANT_OBJECTS, *filter(is_api, PARTNER_OBJECTS), *API_GOV_OBJECTS]))
def test_api_key_of_another_tenant_gets_404_for_every_object(name, world):
    """The same as a signed-in member, with the tenant taken from an API key of the other company,
    partner or office, in its most privileged role (owner, program manager)."""
    other = intruder(name, world)
    with tenant_context(other.tenant):
        _, plaintext = api_key_create(name="reader", role=other.role, acting_membership=other)
    client = Client(headers={"Authorization": f"Api-Key {plaintext}"})
    url = url_for(name, world)
    for method in ("get", "post"):
        assert getattr(client, method)(url).status_code == 404, method


def test_invitation_pk_cannot_be_revoked_across_tenants(world):
    client = member_client(world.b_owner)
    client.post(reverse("tenants:invitation-revoke", kwargs={"pk": world.invitation.pk}))
    assert Invitation.unscoped.get(pk=world.invitation.pk).status == "pending"
