"""A partner's listings: drafts, review by operator staff, immutable published versions."""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.models import Offering, OfferingVersion
from catalog.selectors import bump_catalog_generation
from catalog.services.indexing import reindex_versions
from catalog.validation import apply_content, content_fields, is_frozen, validate_version
from notifications.services import notify
from tenants.models import Membership
from tenants.roles import GRANTS, Perm, has_perm

COPY_EXCLUDE = {
    "id",
    "pk",
    "number",
    "state",
    "review_note",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "created_at",
}


def _require(membership: Membership, perm: Perm) -> None:
    if not has_perm(membership, perm):
        raise PermissionDenied(_("Your role does not allow this."))


def _new_slug(name: str) -> str:
    base = slugify(name)[:60] or "offering"
    return f"{base}-{secrets.token_hex(3)}"


def create_draft(*, acting_membership: Membership, kind: str, content: dict, complete: bool = False) -> Offering:
    """`offering_create` for use inside another transaction (bulk import)."""
    _require(acting_membership, Perm.MANAGE_LISTINGS)
    if kind not in OfferingKind.values:
        raise ValidationError({"kind": _("Choose compute pool, model or solution template.")})
    tenant = acting_membership.tenant
    offering = Offering(tenant=tenant, kind=kind, slug=_new_slug(content.get("name_en") or content.get("name_zh", "")))
    version = OfferingVersion(tenant=tenant, kind=kind, number=1, state=VersionState.DRAFT)
    apply_content(version, content)
    validate_version(version, complete=complete)
    offering.save()
    version.offering = offering
    version.save()
    audit_record(
        action="offering.create", tenant=tenant, actor=acting_membership.user, obj=offering, after={"kind": kind}
    )
    return offering


@transaction.atomic(durable=True)
def offering_create(*, acting_membership: Membership, kind: str, content: dict) -> Offering:
    return create_draft(acting_membership=acting_membership, kind=kind, content=content)


def open_version(offering: Offering) -> OfferingVersion | None:
    """The version being edited or reviewed, if any."""
    return (
        OfferingVersion.unscoped.filter(
            offering=offering, state__in=[VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.REJECTED]
        )
        .order_by("-number")
        .first()
    )


def update_draft(*, version: OfferingVersion, acting_membership: Membership, content: dict) -> OfferingVersion:
    _require(acting_membership, Perm.MANAGE_LISTINGS)
    version = OfferingVersion.objects.select_for_update().get(pk=version.pk)
    if is_frozen(version):
        raise ValidationError(_("This version is frozen (submitted or published). Start a new version to change it."))
    apply_content(version, content)
    validate_version(version, complete=False)
    if version.state == VersionState.REJECTED:
        version.state = VersionState.DRAFT
    version.save()
    audit_record(
        action="offering.edit",
        tenant=version.tenant,
        actor=acting_membership.user,
        obj=version.offering,
        after={"version": version.number, "fields": sorted(content)},
    )
    return version


@transaction.atomic(durable=True)
def version_update(*, version: OfferingVersion, acting_membership: Membership, content: dict) -> OfferingVersion:
    return update_draft(version=version, acting_membership=acting_membership, content=content)


@transaction.atomic(durable=True)
def offering_new_version(*, offering: Offering, acting_membership: Membership) -> OfferingVersion:
    """Start editing a published listing: a draft copy of the live version (the live one stays up)."""
    return start_version(offering=offering, acting_membership=acting_membership)


def start_version(*, offering: Offering, acting_membership: Membership) -> OfferingVersion:
    """`offering_new_version` for use inside another transaction (bulk import)."""
    _require(acting_membership, Perm.MANAGE_LISTINGS)
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    existing = open_version(offering)
    if existing is not None:
        return existing
    if offering.live_version_id is None:
        raise ValidationError(_("This listing has no published version to start from."))
    live = offering.live_version
    data = {
        f.attname: getattr(live, f.attname) for f in OfferingVersion._meta.concrete_fields if f.name not in COPY_EXCLUDE
    }
    draft = OfferingVersion(**{**data, "number": live.number + 1, "state": VersionState.DRAFT})
    draft.save()
    audit_record(
        action="offering.new_version",
        tenant=offering.tenant,
        actor=acting_membership.user,
        obj=offering,
        after={"version": draft.number},
    )
    return draft


@transaction.atomic(durable=True)
def offering_submit(*, offering: Offering, acting_membership: Membership) -> OfferingVersion:
    return submit_draft(offering=offering, acting_membership=acting_membership)


def submit_draft(*, offering: Offering, acting_membership: Membership) -> OfferingVersion:
    """`offering_submit` for use inside another transaction (bulk import)."""
    _require(acting_membership, Perm.MANAGE_LISTINGS)
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    version = open_version(offering)
    if version is None or version.state == VersionState.IN_REVIEW:
        raise ValidationError(_("There is nothing new to submit."))
    validate_version(version, complete=True)
    version.state = VersionState.IN_REVIEW
    version.submitted_at = timezone.now()
    version.review_note = ""
    version.save(update_fields=["state", "submitted_at", "review_note"])
    if offering.live_version_id is None:
        offering.status = OfferingStatus.IN_REVIEW
        offering.save(update_fields=["status", "updated_at"])
    audit_record(
        action="offering.submit",
        tenant=offering.tenant,
        actor=acting_membership.user,
        obj=offering,
        after={"version": version.number},
    )
    return version


@transaction.atomic(durable=True)
def offering_withdraw(*, offering: Offering, acting_membership: Membership) -> OfferingVersion:
    """Take the version in review back to a draft (to fix something before the decision); the
    live version, if any, stays in the catalog. Locks the version before the listing, in the
    order approval takes them, so a withdrawal racing an approval waits for it instead of
    deadlocking (and then finds nothing in review)."""
    _require(acting_membership, Perm.MANAGE_LISTINGS)
    version = (
        OfferingVersion.objects.select_for_update()
        .filter(offering_id=offering.pk, state=VersionState.IN_REVIEW)
        .first()
    )
    if version is None:
        raise ValidationError(_("No version of this listing is waiting for review."))
    offering = Offering.objects.select_for_update().get(pk=offering.pk)
    version.state = VersionState.DRAFT
    version.submitted_at = None
    version.save(update_fields=["state", "submitted_at"])
    if offering.live_version_id is None and offering.status == OfferingStatus.IN_REVIEW:
        offering.status = OfferingStatus.DRAFT
        offering.save(update_fields=["status", "updated_at"])
    audit_record(
        action="offering.withdraw",
        tenant=offering.tenant,
        actor=acting_membership.user,
        obj=offering,
        after={"version": version.number},
    )
    return version


def _review_target(version: OfferingVersion, acting_membership: Membership) -> OfferingVersion:
    _require(acting_membership, Perm.REVIEW_LISTINGS)
    version = OfferingVersion.unscoped.select_for_update().select_related("offering__tenant").get(pk=version.pk)
    if version.state != VersionState.IN_REVIEW:
        raise ValidationError(_("This version is not waiting for review."))
    return version


@transaction.atomic(durable=True)
def version_approve(*, version: OfferingVersion, acting_membership: Membership) -> OfferingVersion:
    """Publish a reviewed version: it becomes live, the previous live version is superseded."""
    version = _review_target(version, acting_membership)
    offering = Offering.unscoped.select_for_update().get(pk=version.offering_id)
    if offering.live_version_id:
        OfferingVersion.unscoped.filter(pk=offering.live_version_id).update(state=VersionState.SUPERSEDED)
    version.state = VersionState.LIVE
    version.reviewed_at = timezone.now()
    version.reviewed_by = acting_membership.user
    version.save(update_fields=["state", "reviewed_at", "reviewed_by"])
    offering.live_version = version
    if offering.status != OfferingStatus.RETIRED:
        offering.status = OfferingStatus.PUBLISHED
    offering.save(update_fields=["live_version", "status", "updated_at"])
    _make_runnable(offering, version, acting_membership.user)
    reindex_versions([version.pk])
    if offering.kind == OfferingKind.COMPUTE:  # templates' typical-run cost depends on pool prices
        reindex_versions(
            OfferingVersion.unscoped.live().filter(kind=OfferingKind.SOLUTION).values_list("pk", flat=True)
        )
    audit_record(
        action="offering.approve",
        tenant=offering.tenant,
        actor=acting_membership.user,
        obj=offering,
        after={"version": version.number},
    )
    _tell_partner(offering, title=format_lazy(_("“{name}” is published"), name=version.name_zh))
    return version


def _make_runnable(offering: Offering, version: OfferingVersion, actor) -> None:
    """A live version's prices enter the price book; a live compute offering gets its pool."""
    from billing.services.pricebook import sync_from_version
    from compute.pools import ensure_pool

    sync_from_version(version, actor=actor)
    if offering.kind == OfferingKind.COMPUTE:
        ensure_pool(offering)


@transaction.atomic(durable=True)
def version_reject(*, version: OfferingVersion, acting_membership: Membership, reason: str) -> OfferingVersion:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the partner why, so they can fix it.")})
    version = _review_target(version, acting_membership)
    version.state = VersionState.REJECTED
    version.review_note = reason
    version.reviewed_at = timezone.now()
    version.reviewed_by = acting_membership.user
    version.save(update_fields=["state", "review_note", "reviewed_at", "reviewed_by"])
    offering = Offering.unscoped.select_for_update().get(pk=version.offering_id)
    if offering.live_version_id is None:
        offering.status = OfferingStatus.DRAFT
        offering.save(update_fields=["status", "updated_at"])
    audit_record(
        action="offering.reject",
        tenant=offering.tenant,
        actor=acting_membership.user,
        obj=offering,
        after={"version": version.number, "reason": reason},
    )
    _tell_partner(offering, title=format_lazy(_("“{name}” was not approved"), name=version.name_zh), body=reason)
    return version


@transaction.atomic(durable=True)
def offering_retire(*, offering: Offering, acting_membership: Membership) -> Offering:
    """Take a listing out of the catalog. Its versions stay (jobs keep what they ran)."""
    if not (has_perm(acting_membership, Perm.MANAGE_LISTINGS) or has_perm(acting_membership, Perm.REVIEW_LISTINGS)):
        raise PermissionDenied(_("Your role does not allow this."))
    manager = Offering.objects if acting_membership.tenant.kind == "partner" else Offering.unscoped
    offering = manager.select_for_update().get(pk=offering.pk)
    offering.status = OfferingStatus.RETIRED
    offering.save(update_fields=["status", "updated_at"])
    transaction.on_commit(bump_catalog_generation)
    audit_record(action="offering.retire", tenant=offering.tenant, actor=acting_membership.user, obj=offering)
    return offering


def _tell_partner(offering: Offering, *, title, body: str = "") -> None:
    """Notify the partner's owners and listing managers about a review decision."""
    people = [
        m.user
        for m in Membership.unscoped.select_related("user").filter(
            tenant=offering.tenant, role__in=GRANTS[Perm.MANAGE_LISTINGS]
        )
    ]
    notify(recipients=people, tenant=offering.tenant, title=title, body=body, url=f"/partner/listings/{offering.pk}/")


__all__ = [
    "content_fields",
    "create_draft",
    "offering_create",
    "offering_new_version",
    "offering_retire",
    "offering_submit",
    "open_version",
    "start_version",
    "submit_draft",
    "update_draft",
    "version_approve",
    "version_reject",
    "version_update",
]
