"""Import keeps listings up to date by slug: a row with the slug of one of the partner's listings
changes it (its draft or rejected version, or a new version of a published one), a row that is what
the listing has changes nothing, and an exported file imports back unchanged."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.models import Offering, OfferingVersion
from catalog.services.imports import COLUMNS, listings_import, parse_listings_file
from catalog.services.listings import offering_new_version, offering_retire, version_reject
from tenants.scoping import tenant_context
from tests.catalog.conftest import compute_content, make_listing, model_content, publish, solution_content, submit
from tests.catalog.test_import_export import csv_bytes, make_three_kinds, upload, xlsx_bytes
from tests.conftest import member_client


def exported(client, fmt="csv") -> list[dict]:
    """The page's export as one dict per listing, keyed by column."""
    data = client.get(reverse(f"partner:listing-export-{fmt}")).content
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    else:
        rows = [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]
    assert tuple(rows[0]) == COLUMNS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def file_of(records: list[dict], columns=COLUMNS) -> bytes:
    return csv_bytes([list(columns), *([r.get(c, "") for c in columns] for r in records)])


def report(response):
    return [(e["row"], e["field"], e["message"]) for e in response.context["report"]]


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def versions_of(offering) -> list[tuple]:
    return list(
        OfferingVersion.unscoped.filter(offering=offering)
        .order_by("number")
        .values_list("number", "state", "name_en", "price_per_card_hour")
    )


def reject(staff, offering, reason="Say which data centre."):
    version = OfferingVersion.unscoped.get(offering=offering, state=VersionState.IN_REVIEW)
    with tenant_context(staff.tenant):
        version_reject(version=version, acting_membership=staff, reason=reason)


def pool(manager, chip, **overrides) -> Offering:
    return make_listing(manager, OfferingKind.COMPUTE, compute_content(chip, **overrides))


def changed(record: dict, **cells) -> dict:
    return {**record, **cells}


# --- Which version a row changes ------------------------------------------------------------------


def test_a_draft_is_changed_in_place(manager, chip):
    offering = pool(manager, chip)
    client = member_client(manager)
    [row] = exported(client)
    assert row["slug"] == offering.slug

    response = upload(client, "listings.csv", file_of([changed(row, name_en="Renamed pool", price_per_card_hour="9")]))

    assert response.status_code == 302, response.context and report(response)
    assert versions_of(offering) == [(1, VersionState.DRAFT, "Renamed pool", Decimal("9.00"))]
    assert said(response) == ["1 listing updated."]
    entry = AuditEntry.unscoped.get(action="offering.import", tenant=manager.tenant)
    assert entry.after == {
        "created": 0,
        "slugs": [],
        "updated": 1,
        "updated_slugs": [offering.slug],
        "unchanged": 0,
        "submitted": 0,
    }
    edit = AuditEntry.unscoped.get(action="offering.edit", tenant=manager.tenant)
    assert edit.after == {"version": 1, "fields": ["name_en", "price_per_card_hour"]}


def test_a_rejected_version_is_changed_and_is_a_draft_again(manager, staff, chip):
    offering = pool(manager, chip)
    submit(manager, offering)
    reject(staff, offering)
    client = member_client(manager)
    [row] = exported(client)

    response = upload(client, "listings.csv", file_of([changed(row, data_centre="天府二号")]))

    assert response.status_code == 302, response.context and report(response)
    version = OfferingVersion.unscoped.get(offering=offering)
    assert (version.number, version.state, version.data_centre) == (1, VersionState.DRAFT, "天府二号")


@pytest.mark.parametrize("submit_for_review", [False, True])
def test_a_published_listing_gets_a_new_version_and_the_live_one_stays(manager, staff, chip, submit_for_review):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip, name_en="Live pool"))
    live = offering.live_version
    client = member_client(manager)
    [row] = exported(client)

    response = upload(
        client,
        "listings.csv",
        file_of([changed(row, name_en="Next pool", total_cards="128")]),
        submit=submit_for_review,
    )

    assert response.status_code == 302, response.context and report(response)
    state = VersionState.IN_REVIEW if submit_for_review else VersionState.DRAFT
    assert versions_of(offering) == [
        (1, VersionState.LIVE, "Live pool", Decimal("8.50")),
        (2, state, "Next pool", Decimal("8.50")),
    ]
    offering.refresh_from_db()
    assert (offering.live_version_id, offering.status) == (live.pk, OfferingStatus.PUBLISHED)
    assert OfferingVersion.unscoped.get(offering=offering, number=2).total_cards == 128
    assert OfferingVersion.unscoped.get(pk=live.pk).total_cards == 64
    expected = ["1 listing updated."] + (["1 listing submitted for review."] if submit_for_review else [])
    assert said(response) == expected


def test_a_published_listing_with_an_open_draft_changes_the_draft(manager, staff, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip, name_en="Live pool"))
    with tenant_context(manager.tenant):
        offering_new_version(offering=offering, acting_membership=manager)
    client = member_client(manager)
    [row] = exported(client)

    response = upload(client, "listings.csv", file_of([changed(row, name_en="Draft pool")]))

    assert response.status_code == 302, response.context and report(response)
    assert [v[:3] for v in versions_of(offering)] == [
        (1, VersionState.LIVE, "Live pool"),
        (2, VersionState.DRAFT, "Draft pool"),
    ]


def test_left_out_columns_are_kept_and_empty_cells_clear(manager, chip):
    offering = pool(manager, chip)
    columns = ("kind", "slug", "name_zh", "name_en", "tags", "description_en", "price_per_card_hour")
    row = {
        "kind": "compute",
        "slug": offering.slug,
        "name_zh": "成都昇腾推理池",
        "name_en": "Chengdu inference pool",
        "price_per_card_hour": "7.5",
    }

    response = upload(member_client(manager), "listings.csv", file_of([row], columns))

    assert response.status_code == 302, response.context and report(response)
    version = OfferingVersion.unscoped.get(offering=offering)
    assert (version.tags, version.description_en, version.price_per_card_hour) == ([], "", Decimal("7.50"))
    assert (version.total_cards, version.card_sizes, version.description_zh) == (64, [1, 2, 4, 8], "**昇腾** 推理")


# --- Rows that cannot change their listing --------------------------------------------------------


def assert_nothing_changed(tenant, before):
    assert list(OfferingVersion.unscoped.filter(tenant=tenant).order_by("pk").values()) == before
    assert not AuditEntry.unscoped.filter(action="offering.import").exists()


def snapshot(tenant):
    return list(OfferingVersion.unscoped.filter(tenant=tenant).order_by("pk").values())


def test_a_listing_in_review_cannot_be_changed(manager, chip):
    offering = pool(manager, chip)
    submit(manager, offering)
    client = member_client(manager)
    [row] = exported(client)
    before = snapshot(manager.tenant)

    response = upload(client, "listings.csv", file_of([changed(row, name_en="Too late")]))

    assert response.status_code == 400
    assert report(response) == [
        (
            2,
            "slug",
            f"Version 1 of “{offering.slug}” is in review. Wait for the decision, or withdraw it from review, then import the row again.",
        )
    ]
    assert_nothing_changed(manager.tenant, before)


def test_a_retired_listing_cannot_be_changed(manager, staff, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip))
    with tenant_context(manager.tenant):
        offering_retire(offering=offering, acting_membership=manager)
    client = member_client(manager)
    [row] = exported(client)
    before = snapshot(manager.tenant)

    response = upload(client, "listings.csv", file_of([changed(row, name_en="Back again")]))

    assert response.status_code == 400
    assert report(response) == [(2, "slug", f"“{offering.slug}” is retired and can no longer be changed.")]
    assert_nothing_changed(manager.tenant, before)


def test_another_partners_slug_is_refused_like_an_unknown_one(manager, other_manager, chip):
    theirs = make_listing(other_manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Their pool"))
    ours = pool(manager, chip)
    client = member_client(manager)
    [row] = exported(client)
    theirs_before = snapshot(other_manager.tenant)
    ours_before = snapshot(manager.tenant)

    response = upload(
        client,
        "listings.csv",
        file_of([changed(row, slug=theirs.slug, name_en="Mine now"), changed(row, slug="no-such-listing")]),
    )

    assert response.status_code == 400
    assert report(response) == [
        (2, "slug", f"None of your listings has the slug “{theirs.slug}”."),
        (3, "slug", "None of your listings has the slug “no-such-listing”."),
    ]
    assert snapshot(other_manager.tenant) == theirs_before
    assert snapshot(manager.tenant) == ours_before
    assert Offering.unscoped.filter(tenant=manager.tenant).get() == ours


def test_a_listing_can_be_in_the_file_once(manager, chip):
    offering = pool(manager, chip)
    client = member_client(manager)
    [row] = exported(client)
    before = snapshot(manager.tenant)

    response = upload(client, "listings.csv", file_of([changed(row, name_en="One"), changed(row, name_en="Two")]))

    assert response.status_code == 400
    assert report(response) == [
        (3, "slug", f"The slug “{offering.slug}” is on row 2 already; a listing can be in the file once.")
    ]
    assert_nothing_changed(manager.tenant, before)


def test_a_listings_kind_cannot_change(manager, chip):
    offering = pool(manager, chip)
    row = {"kind": "model", "slug": offering.slug, **{k: str(v) for k, v in model_content().items()}}

    response = upload(member_client(manager), "listings.csv", file_of([row]))

    assert response.status_code == 400
    assert report(response) == [(2, "kind", f"“{offering.slug}” is a Compute pool; a listing’s kind cannot change.")]


def test_a_changed_row_must_still_be_a_complete_listing(manager, chip):
    offering = pool(manager, chip)
    client = member_client(manager)
    [row] = exported(client)
    before = snapshot(manager.tenant)

    response = upload(client, "listings.csv", file_of([changed(row, data_centre="", card_sizes="1, 3")]))

    assert response.status_code == 400
    assert [(r, f) for r, f, _m in report(response)] == [(2, "card_sizes"), (2, "data_centre")]
    assert snapshot(manager.tenant) == before
    assert OfferingVersion.unscoped.get(offering=offering).data_centre == "天府智算中心"


# --- The round trip, and files that do several things --------------------------------------------


def every_kind_and_state(manager, staff, chip, published_model):
    """Drafts of the three kinds, a rejected one, one in review, a published one, one with an open
    draft and a retired one."""
    make_three_kinds(manager, chip, published_model)
    rejected = pool(manager, chip, name_en="Rejected pool")
    submit(manager, rejected)
    reject(staff, rejected)
    submit(manager, pool(manager, chip, name_en="Pool in review"))
    publish(manager, staff, OfferingKind.MODEL, model_content(name_en="Live model"))
    reworked = publish(manager, staff, OfferingKind.SOLUTION, solution_content(published_model))
    retired = publish(manager, staff, OfferingKind.MODEL, model_content(name_en="Old model"))
    with tenant_context(manager.tenant):
        offering_new_version(offering=reworked, acting_membership=manager)
        offering_retire(offering=retired, acting_membership=manager)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_file_imports_back_unchanged_and_writes_nothing(manager, staff, chip, published_model, fmt):
    every_kind_and_state(manager, staff, chip, published_model)
    client = member_client(manager)
    data = client.get(reverse(f"partner:listing-export-{fmt}")).content
    before = snapshot(manager.tenant)
    offerings_before = list(Offering.unscoped.filter(tenant=manager.tenant).order_by("pk").values())
    audit_before = AuditEntry.unscoped.count()

    with CaptureQueriesContext(connection) as queries:
        response = upload(client, f"listings.{fmt}", data, submit=True)

    assert response.status_code == 302, response.context and report(response)
    assert said(response) == ["8 listings unchanged: their rows are what they have already."]
    assert snapshot(manager.tenant) == before
    assert list(Offering.unscoped.filter(tenant=manager.tenant).order_by("pk").values()) == offerings_before
    assert AuditEntry.unscoped.count() == audit_before
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and ("catalog_" in q["sql"] or "audit_" in q["sql"])
    ]
    assert writes == []


def test_one_file_creates_and_updates_and_submits_both(manager, chip):
    offering = pool(manager, chip)
    client = member_client(manager)
    [row] = exported(client)
    new_row = changed(row, slug="", name_en="Brand new pool")

    response = upload(client, "listings.csv", file_of([changed(row, name_en="Updated pool"), new_row]), submit=True)

    assert response.status_code == 302, response.context and report(response)
    assert said(response) == ["1 draft imported.", "1 listing updated.", "2 listings submitted for review."]
    versions = OfferingVersion.unscoped.filter(tenant=manager.tenant).order_by("offering__created_at")
    assert [(v.offering_id == offering.pk, v.name_en, v.state) for v in versions] == [
        (True, "Updated pool", VersionState.IN_REVIEW),
        (False, "Brand new pool", VersionState.IN_REVIEW),
    ]
    entry = AuditEntry.unscoped.get(action="offering.import")
    assert (entry.after["created"], entry.after["updated"], entry.after["submitted"]) == (1, 1, 2)
    assert entry.after["updated_slugs"] == [offering.slug]


def test_one_bad_row_and_the_good_update_is_not_made_either(manager, chip):
    pool(manager, chip)
    client = member_client(manager)
    [row] = exported(client)
    before = snapshot(manager.tenant)

    response = upload(
        client,
        "listings.csv",
        file_of([changed(row, name_en="Updated pool"), changed(row, slug="", chip_type="no-such-chip")]),
    )

    assert response.status_code == 400
    assert [(r, f) for r, f, _m in report(response)] == [(3, "chip_type")]
    assert "Nothing was imported." in response.content.decode()
    assert snapshot(manager.tenant) == before
    assert Offering.unscoped.filter(tenant=manager.tenant).count() == 1


def test_unchanged_and_updated_rows_in_one_file(manager, chip):
    first, second = pool(manager, chip, name_en="First"), pool(manager, chip, name_en="Second")
    client = member_client(manager)
    rows = exported(client)

    response = upload(client, "listings.xlsx", xlsx_bytes([list(COLUMNS), *([*r.values()] for r in rows)]))
    assert said(response) == ["2 listings unchanged: their rows are what they have already."]

    client = member_client(manager)  # the first import's messages are not shown yet
    response = upload(client, "listings.csv", file_of([rows[0], changed(rows[1], name_en="Second, renamed")]))
    assert said(response) == ["1 listing updated.", "1 listing unchanged: its row is what it has already."]
    assert [v[2] for v in versions_of(first) + versions_of(second)] == ["First", "Second, renamed"]


def test_the_service_dry_run_reports_and_keeps_nothing(manager, staff, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip))
    with tenant_context(manager.tenant):
        [row] = exported(member_client(manager))
        rows = parse_listings_file(
            name="l.csv", data=file_of([changed(row, name_en="Next"), changed(row, slug="", name_en="New")])
        )
        before = snapshot(manager.tenant)
        result = listings_import(acting_membership=manager, rows=rows, submit=True, dry_run=True)
    assert result.ok and result.dry_run
    assert ([o.pk for o in result.updated], len(result.created), result.submitted) == ([offering.pk], 1, 2)
    assert snapshot(manager.tenant) == before
    assert Offering.unscoped.filter(tenant=manager.tenant).count() == 1
    assert not AuditEntry.unscoped.filter(action__in=["offering.import", "offering.new_version"]).exists()
