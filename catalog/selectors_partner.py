"""Reads for partner self-service and operator review: more than one filter each, a constant
number of queries whatever the number of listings."""

import json
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.models import Offering, OfferingDailyStat, OfferingVersion
from catalog.rendering import render_markdown
from catalog.validation import content_fields
from tenants.choices import Industry

OPEN_STATES = (VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.REJECTED)
# Shown apart from the field table (the title and the rendered Markdown).
PROSE_FIELDS = ("name_zh", "name_en", "description_zh", "description_en")


# --- The partner's own listings (scoped to the active tenant) ----------------------------------


def with_versions(offerings: QuerySet) -> QuerySet:
    """Attach the live version (`live_version`) and the open one (`open_versions`, 0 or 1 items)
    to each offering, in two queries for any number of offerings."""
    return offerings.select_related(
        "live_version__chip_type", "live_version__model_offering__live_version"
    ).prefetch_related(
        Prefetch(
            "versions",
            queryset=OfferingVersion.objects.filter(state__in=OPEN_STATES).select_related(
                "chip_type", "model_offering__live_version"
            ),
            to_attr="open_versions",
        )
    )


def partner_listings() -> QuerySet:
    """The active partner's listings in every state, most recently changed first."""
    return with_versions(Offering.objects.all()).order_by("-updated_at", "-pk")


def listing_status_counts(offerings: QuerySet) -> dict[str, int]:
    """How many of `offerings` are in each status, plus `all`."""
    rows = offerings.order_by().values("status").annotate(n=Count("pk", distinct=True))
    counts = dict.fromkeys(OfferingStatus.values, 0)
    counts.update({r["status"]: r["n"] for r in rows})
    counts["all"] = sum(counts.values())
    return counts


def current_version(offering: Offering) -> OfferingVersion | None:
    """What the partner is working on: the open version if there is one, else the live one.
    Expects `with_versions()`."""
    open_versions = getattr(offering, "open_versions", None)
    if open_versions is None:
        open_versions = list(offering.versions.filter(state__in=OPEN_STATES))
    return open_versions[0] if open_versions else offering.live_version


def listing_for_page(pk: int) -> Offering:
    """One of the active partner's listings with its versions attached (404s come from the
    caller's scoped lookup)."""
    return with_versions(Offering.objects.all()).get(pk=pk)


def listing_history(offering: Offering) -> list[OfferingVersion]:
    return list(
        OfferingVersion.objects.filter(offering=offering)
        .select_related("reviewed_by")
        .only("pk", "number", "state", "review_note", "submitted_at", "reviewed_at", "created_at", "reviewed_by")
        .order_by("-number")
    )


def export_versions() -> list[OfferingVersion]:
    """The current (open, else live) version of each of the active partner's listings, oldest
    listing first, ready for the export columns (chip and model slugs joined in, and the listing
    itself for its slug)."""
    versions = []
    for offering in with_versions(Offering.objects.all()).order_by("created_at", "pk"):
        version = current_version(offering)
        if version is not None:
            version.offering = offering  # the live version does not know it yet: no query per row
            versions.append(version)
    return versions


@dataclass(frozen=True)
class ListingPreview:
    """A version as the public catalog shows it."""

    offering: Offering
    version: OfferingVersion
    rows: list["FieldRow"]  # the non-empty structured fields
    description_html: str  # the description in the active language, rendered and sanitised


def listing_preview(offering: Offering) -> ListingPreview | None:
    """The open version (else the live one) of one of the partner's listings, laid out for the
    preview; None when it has neither. Expects `with_versions()`."""
    version = current_version(offering)
    if version is None:
        return None
    return ListingPreview(
        offering=offering,
        version=version,
        rows=[r for r in content_rows(version) if r.value],
        description_html=render_markdown(version.description),
    )


def listing_daily_stats(offering: Offering, *, days: int = 30, today: date | None = None) -> dict:
    """Views and launches per day over the last `days` days (missing days are zero), shaped for
    the chart."""
    today = today or timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = {
        s.day: s
        for s in OfferingDailyStat.objects.filter(offering=offering, day__gte=start, day__lte=today).only(
            "day", "views", "launches"
        )
    }
    days_list = [start + timedelta(days=i) for i in range(days)]
    views = [rows[d].views if d in rows else 0 for d in days_list]
    launches = [rows[d].launches if d in rows else 0 for d in days_list]
    return {
        "labels": [d.isoformat() for d in days_list],
        "views": views,
        "launches": launches,
        "total_views": sum(views),
        "total_launches": sum(launches),
        "series": {"views": _("Views"), "launches": _("Launches")},
    }


# --- Options offered to partners ----------------------------------------------------------------


def published_models() -> QuerySet:
    """Models a solution template may build on: published by any partner (public by design)."""
    return (
        Offering.unscoped.filter(kind=OfferingKind.MODEL, status=OfferingStatus.PUBLISHED, live_version__isnull=False)
        .select_related("live_version")
        .order_by("live_version__name_en", "pk")
    )


# --- Operator review (cross-tenant by design: operator staff review every partner) --------------


def review_queue(*, kind: str | None = None) -> QuerySet:
    """Versions waiting for review across all partners, oldest submission first."""
    qs = OfferingVersion.unscoped.filter(state=VersionState.IN_REVIEW).select_related("offering__tenant")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("submitted_at", "pk")


def reviewable_versions() -> QuerySet:
    """Versions operator staff may open: every partner's, once submitted. A draft that has never
    been submitted (or is being reworked after a rejection) stays the partner's own."""
    return OfferingVersion.unscoped.exclude(state=VersionState.DRAFT)


def review_version(pk: int) -> OfferingVersion:
    return (
        reviewable_versions()
        .select_related(
            "offering__tenant",
            "offering__live_version__chip_type",
            "offering__live_version__model_offering__live_version",
            "chip_type",
            "model_offering__live_version",
            "reviewed_by",
        )
        .get(pk=pk)
    )


# --- Showing a version's content ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    field: str
    label: str
    value: str


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    old: str
    new: str


def field_label(field: str) -> str:
    return capfirst(str(OfferingVersion._meta.get_field(field).verbose_name))


def display_value(version: OfferingVersion, field: str) -> str:
    """A content field as a person reads it ('' when empty)."""
    value = getattr(version, field)
    if value in (None, "", [], {}):
        return ""
    if field == "chip_type":
        return str(value)
    if field == "model_offering":
        return value.live_version.name if value.live_version_id else value.slug
    if field == "industries":
        return ", ".join(str(Industry(i).label) if i in Industry.values else str(i) for i in value)
    if field == "is_foundation":
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, indent=2)
    model_field = OfferingVersion._meta.get_field(field)
    if model_field.choices:
        return str(getattr(version, f"get_{field}_display")())
    return str(value)


def content_rows(version: OfferingVersion) -> list[FieldRow]:
    """The kind's structured fields (names and descriptions are shown apart)."""
    return [
        FieldRow(f, field_label(f), display_value(version, f))
        for f in content_fields(version.kind)
        if f not in PROSE_FIELDS
    ]


def _raw(version: OfferingVersion, field: str):
    attname = OfferingVersion._meta.get_field(field).attname
    return getattr(version, attname)


def version_diff(version: OfferingVersion) -> list[DiffRow] | None:
    """What `version` changes against its listing's live version (None: nothing is live yet)."""
    live = version.offering.live_version
    if live is None or live.pk == version.pk:
        return None
    return [
        DiffRow(f, field_label(f), display_value(live, f), display_value(version, f))
        for f in content_fields(version.kind)
        if _raw(live, f) != _raw(version, f)
    ]
