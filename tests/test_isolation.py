"""Tenant isolation over every URL pattern in the resolver.

Every route must appear in exactly one group below; a new route without an entry fails
`test_every_route_is_classified`. Each group is then checked as anonymous, as a member of another
tenant, as a low-privileged member and (for operator routes) as a non-operator.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from catalog.services.listings import offering_create, offering_submit
from notifications.models import Notification
from notifications.services import notify
from tenants.models import Invitation
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tenants.services.invitations import invitation_create
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.routes import all_routes

SECRET = "secret-marker"  # appears only in tenant A's data


@dataclass
class World:
    a_owner: object
    a_member: object
    a_viewer: object
    b_owner: object
    operator: object
    invitation: object
    api_key: object
    audit: object
    note: object
    pa_manager: object = None
    pa_viewer: object = None
    pb_owner: object = None
    listing: object = None
    listing_version: object = None


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    a = TenantFactory(kind=TenantKind.COMPANY, name_zh=f"甲公司{SECRET}")
    b = TenantFactory(kind=TenantKind.COMPANY, name_zh="乙公司")
    o = TenantFactory(kind=TenantKind.OPERATOR, name_zh="运营方")
    a_owner = MembershipFactory(tenant=a, role=Role.OWNER, user__email=f"owner-{SECRET}@a.example")
    a_member = MembershipFactory(tenant=a, role=Role.DEVELOPER, user__email=f"dev-{SECRET}@a.example")
    a_viewer = MembershipFactory(tenant=a, role=Role.VIEWER, user__email=f"viewer-{SECRET}@a.example")
    b_owner = MembershipFactory(tenant=b, role=Role.OWNER, user__email="owner@b.example")
    MembershipFactory(tenant=b, role=Role.DEVELOPER, user__email="dev@b.example")
    operator = MembershipFactory(tenant=o, role=Role.STAFF, user=UserFactory(mfa=True))
    with tenant_context(a):
        invitation, _ = invitation_create(
            tenant=a, email=f"invitee-{SECRET}@a.example", role=Role.VIEWER, acting_membership=a_owner
        )
        api_key, _ = api_key_create(name=f"key-{SECRET}", role=Role.DEVELOPER, acting_membership=a_owner)
        notify(recipients=[a_owner.user], tenant=a, title=f"note-{SECRET}")
        audit = AuditEntry.objects.filter(action="api_key.create").get()
    note = Notification.objects.get(recipient=a_owner.user)
    world = World(a_owner, a_member, a_viewer, b_owner, operator, invitation, api_key, audit, note)
    pa = TenantFactory(kind=TenantKind.PARTNER, name_zh=f"甲伙伴{SECRET}")
    pb = TenantFactory(kind=TenantKind.PARTNER, name_zh="乙伙伴")
    world.pa_manager = MembershipFactory(tenant=pa, role=Role.LISTING_MANAGER)
    world.pa_viewer = MembershipFactory(tenant=pa, role=Role.VIEWER)
    world.pb_owner = MembershipFactory(tenant=pb, role=Role.OWNER)
    with tenant_context(pa):
        world.listing = offering_create(
            acting_membership=world.pa_manager,
            kind="model",
            content={
                "name_zh": f"草稿{SECRET}",
                "name_en": f"draft {SECRET}",
                "family": "X",
                "modality": "text",
                "license": "MIT",
                "is_foundation": True,
            },
        )
        world.listing_version = offering_submit(offering=world.listing, acting_membership=world.pa_manager)
    return world


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
}
# Tenant objects: another tenant's member gets 404 for every method.
TENANT_OBJECT_PAGES = {
    "tenants:member-role": lambda w: {"pk": w.a_member.pk},
    "tenants:member-remove": lambda w: {"pk": w.a_member.pk},
    "tenants:invitation-revoke": lambda w: {"pk": w.invitation.pk},
    "tenants:api-key-revoke": lambda w: {"pk": w.api_key.pk},
}
PERSONAL_OBJECT_PAGES = {"notifications:read": lambda w: {"pk": w.note.pk}}
OPERATOR_PAGES = {
    "tenants:operator-tenants": None,
    "tenants:operator-tenant-verify": lambda w: {"pk": w.a_owner.tenant_id},
}

API_TENANT_LISTS = {
    "api:me": None,
    "api:organisation": None,
    "api:member-list": None,
    "api:invitation-list": Role.VIEWER,
    "api:api-key-list": Role.VIEWER,
    "api:audit-list": Role.VIEWER,
}
API_TENANT_OBJECTS = {
    "api:member-detail": lambda w: {"pk": w.a_member.pk},
    "api:invitation-detail": lambda w: {"pk": w.invitation.pk},
    "api:invitation-revoke": lambda w: {"pk": w.invitation.pk},
    "api:api-key-detail": lambda w: {"pk": w.api_key.pk},
    "api:audit-detail": lambda w: {"pk": w.audit.pk},
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
}

# Partner self-service: the other *partner* must see none of it. Value: role that may not open it.
PARTNER_PAGES = {
    "partner:listings": None,
    "partner:listing-export-csv": None,
    "partner:listing-export-xlsx": None,
    "partner:listing-create": Role.VIEWER,
    "partner:listing-import": Role.VIEWER,
}
PARTNER_OBJECTS = {
    name: (lambda w: {"pk": w.listing.pk})
    for name in (
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
}
API_PARTNER_LISTS = {"api:partner-listing-list": None}
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
API_GROUPS = [
    API_TENANT_LISTS,
    API_TENANT_OBJECTS,
    API_PERSONAL,
    API_PERSONAL_OBJECTS,
    API_OPERATOR,
    API_REVIEW_ROUTES,
    API_PARTNER_LISTS,
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
    for group in GROUPS:
        spec = group.get(name) if isinstance(group, dict) else None
        if callable(spec):
            return reverse(name, kwargs=spec(world))
    return reverse(name, kwargs=SAMPLE_KWARGS.get(name))


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


@pytest.mark.parametrize("name", sorted(OBJECT_GROUPS))
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
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


def visible_text(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
    return response.content.decode()


@pytest.mark.parametrize("name", LIST_ROUTES)
@pytest.mark.parametrize("htmx", [False, True])
def test_lists_and_fragments_show_none_of_another_tenants_data(name, htmx, world):
    client = member_client(intruder(name, world))
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(url_for(name, world), headers=headers)
    assert response.status_code == 200, response.status_code
    body = visible_text(response)
    assert SECRET not in body
    for obj in (world.a_member, world.invitation, world.api_key, world.audit, world.note):
        assert f'data-id="{obj.pk}"' not in body or obj.pk in _own_ids(world.b_owner, obj)


def _own_ids(membership, obj):
    """Ids of B's own rows of the same model (ids may coincide across models, not within one)."""
    model = type(obj)
    if model is Notification:
        return set(Notification.objects.filter(recipient=membership.user).values_list("pk", flat=True))
    return set(model.unscoped.filter(tenant=membership.tenant).values_list("pk", flat=True))


def test_own_lists_do_show_own_data(world):
    client = member_client(world.a_owner)
    for name in ("tenants:members", "tenants:api-keys", "audit:list", "api:member-list", "api:invitation-list"):
        assert SECRET in client.get(reverse(name)).content.decode(), name
    client = member_client(world.pa_manager)
    for name in (
        "partner:listings",
        "partner:listing-export-csv",
        "partner:listing-export-xlsx",
        "api:partner-listing-list",
    ):
        assert SECRET in visible_text(client.get(reverse(name))), name


@pytest.mark.parametrize(
    "name,denied_role",
    [(n, r) for n, r in {**TENANT_PAGES, **API_TENANT_LISTS}.items() if r is not None],
)
def test_roles_without_the_permission_get_403(name, denied_role, world):
    assert world.a_viewer.role == denied_role
    response = member_client(world.a_viewer).get(reverse(name))
    assert response.status_code == 403


@pytest.mark.parametrize("name", [n for n, r in PARTNER_PAGES.items() if r is not None])
def test_partner_viewers_cannot_change_listings(name, world):
    assert member_client(world.pa_viewer).get(url_for(name, world)).status_code == 403
    assert member_client(world.pa_viewer).post(url_for(name, world)).status_code == 403


@pytest.mark.parametrize("name", sorted([*PARTNER_PAGES, *API_PARTNER_LISTS]))
def test_partner_routes_refuse_other_kinds(name, world):
    assert member_client(world.a_owner).get(url_for(name, world)).status_code == 403


@pytest.mark.parametrize("name", sorted([*OPERATOR_PAGES, *API_OPERATOR, *REVIEW_ROUTES, *API_REVIEW_ROUTES]))
def test_operator_routes_refuse_other_kinds(name, world):
    response = member_client(world.a_owner).get(url_for(name, world))
    assert response.status_code in (403, 405) if name.endswith("verify") else response.status_code == 403
    response = member_client(world.a_owner).post(url_for(name, world), {"verified": "1"})
    assert response.status_code == 403


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


def test_invitation_pk_cannot_be_revoked_across_tenants(world):
    client = member_client(world.b_owner)
    client.post(reverse("tenants:invitation-revoke", kwargs={"pk": world.invitation.pk}))
    assert Invitation.unscoped.get(pk=world.invitation.pk).status == "pending"
