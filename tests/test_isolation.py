"""Tenant isolation over every URL pattern in the resolver.

Every route must appear in exactly one group below; a new route without an entry fails
`test_every_route_is_classified`. Each group is then checked as anonymous, as a member of another
tenant (by session and by API key), as a low-privileged member, as another kind of tenant (company
routes against a partner, operator and partner routes against a company), and against vacuous
passes (the owner does reach the object and does see its marker; operators do get in).

The world (tests/isolation_world.py) is built once for the module; every check runs in its own
transaction inside it.
"""

import io
import re
import shutil
import subprocess

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from compute.models import QuotaRequest
from jobs.models import Job
from notifications.models import Notification
from payments.models import BankTransfer, TopUp
from settlements.choices import SettlementState
from settlements.models import Settlement
from statements.periods import Month
from tenants.models import ApiKey, Invitation, Membership
from tenants.roles import Role
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.conftest import member_client
from tests.isolation_world import ARTIFACT, SECRET, kept
from tests.routes import all_routes


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
    "api:docs",
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
    "api:compute-quota-list": None,
    "api:quota-request-list": None,
    "api:payments-topup-list": Role.VIEWER,
    "api:payments-bank-transfer-list": Role.VIEWER,
    "api:statements-spending-summary": Role.DEVELOPER,
    "api:statements-statement": Role.DEVELOPER,
    "api:statements-budget": Role.DEVELOPER,
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
}
API_PERSONAL = {"api:notification-list": None, "api:notification-read-all": None, "api:invitation-accept": None}
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
    "api:payments-operator-bank-transfer-list": None,
    "api:payments-operator-bank-transfer-detail": lambda w: {"pk": w.transfer.pk},
    "api:payments-operator-bank-transfer-confirm": lambda w: {"pk": w.transfer.pk},
    "api:payments-operator-bank-transfer-reject": lambda w: {"pk": w.transfer.pk},
    "api:operator-settlement-list": None,
    "api:operator-settlement-detail": lambda w: {"pk": w.settlement.pk},
    "api:operator-settlement-mark-paid": lambda w: {"pk": w.settlement.pk},
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
    "partner:listing-new-version",
    "partner:listing-retire",
    "api:partner-listing-detail",
    "api:partner-listing-submit",
    "api:partner-listing-new-version",
    "api:partner-listing-retire",
    "api:partner-listing-compatibility",
)
SETTLEMENT_ROUTES = ("settlements:detail", "settlements:csv", "api:partner-settlement-detail")
PARTNER_OBJECTS = {
    **{name: (lambda w: {"pk": w.listing.pk}) for name in LISTING_ROUTES},
    **{name: (lambda w: {"pk": w.settlement.pk}) for name in SETTLEMENT_ROUTES},
}
API_PARTNER_LISTS = {"api:partner-listing-list": None, "api:partner-settlement-list": None}
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

GROUPS = [
    PUBLIC,
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
    REVIEW_ROUTES,
    API_REVIEW_ROUTES,
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
}


def this_month(world) -> dict:
    return {"month": str(Month.current())}


# URL parameters of tenant pages and lists that need some (none is another tenant's object).
PAGE_KWARGS = {
    "jobs:launch": lambda w: {"slug": w.template_slug},
    "statements:statement": this_month,
    "statements:statement-pdf": this_month,
    "statements:statement-csv": this_month,
    "api:statements-statement": this_month,
}


def settled_month(world) -> str:
    return f"month={world.settlement.period.month:%Y-%m}"


# Query strings of routes that need one: the operators' pages of a month show the settled month.
QUERIES = {
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
}
# Routes the viewer may read but not write to (create, act on an object, change a setting):
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
}
# Company self-service (jobs, quotas, paying in, spending): a partner has none of it.
COMPANY_APPS = ("job", "compute", "quota", "payments", "statements")  # "jobs:list", "api:job-list", …
COMPANY_ONLY = sorted(n for n in [*TENANT_PAGES, *API_TENANT_LISTS] if n.removeprefix("api:").startswith(COMPANY_APPS))


def intruder(name, world):
    """Who tries another tenant's object: the other partner for partner routes, else the other company."""
    return (
        world.pb_owner
        if name in PARTNER_OBJECTS or name in PARTNER_PAGES or name in API_PARTNER_LISTS
        else world.b_owner
    )


def owner_of(name, world):
    return (
        world.pa_manager
        if name in PARTNER_OBJECTS or name in PARTNER_PAGES or name in API_PARTNER_LISTS
        else world.a_owner
    )


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


@pytest.mark.parametrize("name", [n for n in ROUTE_NAMES if n not in PUBLIC])
def test_anonymous_is_sent_to_login_or_gets_401(name, world, anon):
    url = url_for(name, world)
    for method in ("get", "post"):
        response = getattr(anon, method)(url)
        if is_api(name):
            assert response.status_code == 401, (method, url, response.status_code)
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith(reverse("account_login")), response["Location"]


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
}


def _own_ids(membership, models) -> set[int]:
    """Ids of B's own rows of the page's models: the same number may be one of those, not A's row."""
    ids: set[int] = set()
    for model in models:
        rows = (
            Notification.objects.filter(recipient=membership.user)
            if model is Notification
            else model.unscoped.filter(tenant=membership.tenant)
        )
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
    assert f'data-id="{world.settlement.pk}"' in client.get(reverse("settlements:list")).content.decode()
    results = client.get(reverse("api:partner-settlement-list")).json()["results"]
    assert [s["id"] for s in results] == [world.settlement.pk]
    for name in SETTLEMENT_ROUTES:  # the statement's line is A's pool, named with the marker
        assert shows_secret(visible_text(client.get(url_for(name, world)))), name


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


def member_in_role(world, role):
    return {Role.VIEWER: world.a_viewer, Role.DEVELOPER: world.a_member}[role]


@pytest.mark.parametrize(
    "name,denied_role",
    [(n, r) for n, r in {**TENANT_PAGES, **API_TENANT_LISTS}.items() if r is not None],
)
def test_roles_without_the_permission_get_403(name, denied_role, world):
    client = member_client(member_in_role(world, denied_role))
    for method in ("get", "post"):
        response = getattr(client, method)(url_for(name, world))
        assert response.status_code == 403, (method, response.status_code)


@pytest.mark.parametrize("name,denied_role", sorted(READ_DENIED_OBJECTS.items()))
def test_roles_without_the_permission_cannot_open_own_tenants_objects(name, denied_role, world):
    client = member_client(member_in_role(world, denied_role))
    for method in ("get", "post"):
        response = getattr(client, method)(url_for(name, world))
        assert response.status_code == 403, (method, response.status_code)


@pytest.mark.parametrize("name,denied_role", sorted(WRITE_DENIED.items()))
def test_roles_without_the_permission_cannot_change_anything(name, denied_role, world):
    client = member_client(member_in_role(world, denied_role))
    for method in ("post", "put", "delete"):
        response = getattr(client, method)(url_for(name, world), content_type="application/json")
        assert response.status_code == 403, (method, response.status_code)


@pytest.mark.parametrize("name", COMPANY_ONLY)
def test_company_routes_refuse_partners(name, world):
    assert member_client(world.pa_manager).get(url_for(name, world)).status_code == 403


@pytest.mark.parametrize("name", [n for n, r in PARTNER_PAGES.items() if r is not None])
def test_partner_viewers_cannot_change_listings(name, world):
    assert member_client(world.pa_viewer).get(url_for(name, world)).status_code == 403
    assert member_client(world.pa_viewer).post(url_for(name, world)).status_code == 403


@pytest.mark.parametrize("name", sorted([*PARTNER_PAGES, *API_PARTNER_LISTS]))
def test_partner_routes_refuse_other_kinds(name, world):
    assert member_client(world.a_owner).get(url_for(name, world)).status_code == 403


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


@pytest.mark.parametrize("name", sorted([*API_TENANT_OBJECTS, *filter(is_api, PARTNER_OBJECTS)]))
def test_api_key_of_another_tenant_gets_404_for_every_object(name, world):
    """The same as a signed-in member, with the tenant taken from an (owner-role) API key of the
    other company or partner."""
    other = intruder(name, world)
    with tenant_context(other.tenant):
        _, plaintext = api_key_create(name="reader", role=Role.OWNER, acting_membership=other)
    client = Client(headers={"Authorization": f"Api-Key {plaintext}"})
    url = url_for(name, world)
    for method in ("get", "post"):
        assert getattr(client, method)(url).status_code == 404, method


def test_invitation_pk_cannot_be_revoked_across_tenants(world):
    client = member_client(world.b_owner)
    client.post(reverse("tenants:invitation-revoke", kwargs={"pk": world.invitation.pk}))
    assert Invitation.unscoped.get(pk=world.invitation.pk).status == "pending"
