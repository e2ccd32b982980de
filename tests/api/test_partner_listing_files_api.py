"""The partner listing API's files: import (multipart, dry run, the per-row report as the API's
error), export (the page's bytes) and preview (the version as the catalog shows it)."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from catalog.choices import OfferingKind, VersionState
from catalog.models import Offering, OfferingVersion
from catalog.services.imports import COLUMNS, MAX_UPLOAD_BYTES
from tenants.roles import Role, TenantKind
from tests.catalog import conftest as catalog
from tests.catalog.conftest import compute_content, make_listing, publish
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory

IMPORT = "api:partner-listing-import"

# The partner fixtures of tests/catalog.
chip, partner, manager, viewer, other_partner, other_manager, staff = (
    catalog.chip,
    catalog.partner,
    catalog.manager,
    catalog.viewer,
    catalog.other_partner,
    catalog.other_manager,
    catalog.staff,
)


def export_url(fmt: str) -> str:
    return reverse("api:partner-listing-export", kwargs={"fmt": fmt})


def csv_file(rows) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def post_import(client, name: str, data: bytes, **fields):
    return client.post(reverse(IMPORT), {"file": SimpleUploadedFile(name, data), **fields})


def exported_rows(client) -> list[dict]:
    data = client.get(export_url("csv")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data, newline="")))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def file_of(records: list[dict]) -> bytes:
    return csv_file([list(COLUMNS), *([r.get(c, "") for c in COLUMNS] for r in records)])


def snapshot(tenant):
    return list(OfferingVersion.unscoped.filter(tenant=tenant).order_by("pk").values())


@pytest.fixture
def pool(manager, chip):
    return make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))


# --- Import -------------------------------------------------------------------------------------


def test_import_csv_creates_and_updates(manager, pool):
    client = member_client(manager)
    [row] = exported_rows(client)
    data = file_of([{**row, "name_en": "Renamed"}, {**row, "slug": "", "name_en": "New pool"}])

    response = post_import(client, "listings.csv", data, submit_for_review="true")

    assert response.status_code == 201, response.json()
    new = Offering.unscoped.filter(tenant=manager.tenant).exclude(pk=pool.pk).get()
    assert response.json() == {
        "rows": 2,
        "created": [{"row": 3, "slug": new.slug}],
        "updated": [{"row": 2, "slug": pool.slug}],
        "unchanged": [],
        "submitted": 2,
        "dry_run": False,
    }
    states = OfferingVersion.unscoped.filter(tenant=manager.tenant).order_by("offering_id")
    assert [(v.name_en, v.state) for v in states] == [("Renamed", VersionState.IN_REVIEW), ("New pool", "in_review")]


def test_import_xlsx_that_only_updates_is_200(manager, pool):
    from openpyxl import Workbook

    client = member_client(manager)
    [row] = exported_rows(client)
    workbook = Workbook()
    workbook.active.append(list(COLUMNS))
    workbook.active.append([{**row, "total_cards": 128}[c] or None for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)

    response = post_import(client, "listings.xlsx", out.getvalue())

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "rows": 1,
        "created": [],
        "updated": [{"row": 2, "slug": pool.slug}],
        "unchanged": [],
        "submitted": 0,
        "dry_run": False,
    }
    assert OfferingVersion.unscoped.get(offering=pool).total_cards == 128


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_apis_export_imports_back_unchanged(manager, staff, chip, pool, fmt):
    published = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip, name_en="Live"))
    client = member_client(manager)
    data = client.get(export_url(fmt)).content
    before = snapshot(manager.tenant)

    response = post_import(client, f"listings.{fmt}", data)

    assert response.status_code == 200, response.json()
    assert response.json()["unchanged"] == [{"row": 2, "slug": pool.slug}, {"row": 3, "slug": published.slug}]
    assert (response.json()["created"], response.json()["updated"]) == ([], [])
    assert snapshot(manager.tenant) == before


def test_a_dry_run_says_what_would_happen_and_keeps_nothing(manager, staff, chip):
    published = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip))
    client = member_client(manager)
    [row] = exported_rows(client)
    before = snapshot(manager.tenant)
    audit_before = AuditEntry.unscoped.count()
    data = file_of([{**row, "name_en": "Next"}, {**row, "slug": "", "name_en": "New"}])

    response = post_import(client, "listings.csv", data, dry_run="true", submit_for_review="true")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "rows": 2,
        "created": [{"row": 3, "slug": None}],
        "updated": [{"row": 2, "slug": published.slug}],
        "unchanged": [],
        "submitted": 2,
        "dry_run": True,
    }
    assert snapshot(manager.tenant) == before
    assert Offering.unscoped.filter(tenant=manager.tenant).count() == 1
    assert AuditEntry.unscoped.count() == audit_before


def test_bad_rows_are_a_400_with_the_report_of_every_row(manager, pool):
    client = member_client(manager)
    [row] = exported_rows(client)
    before = snapshot(manager.tenant)
    data = file_of(
        [
            {**row, "name_en": "Fine"},
            {**row, "slug": "", "chip_type": "no-such-chip"},
            {**row, "slug": "someone-elses", "card_sizes": "1, 3"},
        ]
    )

    for dry_run in ("false", "true"):
        response = post_import(client, "listings.csv", data, dry_run=dry_run)

        assert response.status_code == 400
        assert response.json() == {
            "error": {
                "code": "import_rejected",
                "message": "Nothing was imported: 2 of 3 rows have problems.",
                "fields": {},
                "rows": [
                    {"row": 3, "field": "chip_type", "message": "Unknown chip type “no-such-chip”."},
                    {"row": 4, "field": "slug", "message": "None of your listings has the slug “someone-elses”."},
                ],
            }
        }
    assert snapshot(manager.tenant) == before


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("listings.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
        ("listings.csv", b"", "The file is empty."),
        ("listings.csv", b"kind,name_zh\r\ncompute,x\r\n", "The file has no name_en column."),
        ("listings.csv", b"a," * (MAX_UPLOAD_BYTES // 2 + 1), "The file is too large; the limit is 2 MB."),
    ],
)
def test_a_file_that_cannot_be_read_is_a_400(manager, name, data, message):
    response = post_import(member_client(manager), name, data)

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "import_file_invalid", "message": message, "fields": {"file": [message]}, "rows": []}
    }
    assert not Offering.unscoped.exists()


def test_no_file_or_not_multipart_is_refused(manager):
    client = member_client(manager)
    response = client.post(reverse(IMPORT), {"dry_run": "true"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "file" in response.json()["error"]["fields"]
    response = client.post(reverse(IMPORT), {"file": "x"}, content_type="application/json")
    assert response.status_code == 415


def test_a_viewer_may_export_and_preview_but_not_import(viewer, pool, chip):
    client = member_client(viewer)
    response = post_import(client, "listings.csv", csv_file([["kind", "name_zh", "name_en"], ["model", "a", "b"]]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.get(export_url("csv")).status_code == 200
    assert client.get(reverse("api:partner-listing-preview", args=[pool.pk])).status_code == 200
    assert Offering.unscoped.count() == 1


@pytest.mark.parametrize("kind,role", [(TenantKind.COMPANY, Role.OWNER), (TenantKind.GOVERNMENT, Role.PROGRAM_MANAGER)])
def test_other_kinds_of_tenant_get_403(kind, role, pool):
    client = member_client(MembershipFactory(tenant=TenantFactory(kind=kind), role=role))
    data = csv_file([["kind", "name_zh", "name_en"], ["model", "a", "b"]])
    assert post_import(client, "listings.csv", data).status_code == 403
    assert client.get(export_url("xlsx")).status_code == 403
    assert client.get(reverse("api:partner-listing-preview", args=[pool.pk])).status_code == 403


# --- Export -------------------------------------------------------------------------------------


def unzipped(data: bytes) -> dict[str, bytes]:
    """An XLSX's parts but its creation time."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_is_the_pages_file(manager, other_manager, chip, pool, fmt):
    make_listing(other_manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Not ours"))
    client = member_client(manager)

    api = client.get(export_url(fmt))
    page = client.get(reverse(f"partner:listing-export-{fmt}"))

    assert api.status_code == 200
    assert (api["Content-Type"], api["Content-Disposition"]) == (page["Content-Type"], page["Content-Disposition"])
    assert api["Content-Disposition"].startswith("attachment;")
    if fmt == "csv":
        assert api.content == page.content
        assert pool.slug in api.content.decode() and "Not ours" not in api.content.decode()
    else:
        assert unzipped(api.content) == unzipped(page.content)


def test_export_of_another_format_is_404(manager):
    response = member_client(manager).get("/api/v1/partner/listings/export/pdf/")
    assert response.status_code == 404


# --- Preview ------------------------------------------------------------------------------------


def test_preview_is_the_open_version_as_the_catalog_shows_it(manager, staff, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip, name_en="Live"))
    client = member_client(manager)
    url = reverse("api:partner-listing-preview", args=[offering.pk])
    assert client.get(url).json()["name_en"] == "Live"
    client.post(reverse("api:partner-listing-new-version", args=[offering.pk]))
    client.patch(
        reverse("api:partner-listing-detail", args=[offering.pk]),
        {"content": {"name_en": "Next", "description_en": "**New** <script>alert(1)</script>", "tags": []}},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )

    response = client.get(url, headers={"Accept-Language": "en"})

    assert response.status_code == 200
    body = response.json()
    rows = body.pop("rows")
    assert body == {
        "id": offering.pk,
        "slug": offering.slug,
        "kind": "compute",
        "version": 2,
        "state": "draft",
        "name_zh": "成都昇腾推理池",
        "name_en": "Next",
        "description_zh": "**昇腾** 推理",
        "description_en": "**New** <script>alert(1)</script>",
        "description_html": "<p><strong>New</strong> </p>",
    }
    assert {r["field"]: r["value"] for r in rows} == {
        "industries": "Health, Education",
        "chip_type": "Huawei Ascend 910B",
        "data_centre": "天府智算中心",
        "province": "Sichuan",
        "total_cards": "64",
        "card_sizes": "1, 2, 4, 8",
        "price_per_card_hour": "8.50",
        "engine": "local",
    }
    assert {r["field"]: r["label"] for r in rows}["total_cards"] == "Total cards"


def test_another_partners_listing_has_no_preview(manager, other_manager, chip):
    theirs = make_listing(other_manager, OfferingKind.COMPUTE, compute_content(chip))
    response = member_client(manager).get(reverse("api:partner-listing-preview", args=[theirs.pk]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Stats --------------------------------------------------------------------------------------


def test_stats_are_the_listing_pages_chart(manager, pool, other_manager):
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import OfferingDailyStat

    today = timezone.localdate()
    OfferingDailyStat.objects.create(offering=pool, day=today, views=7, launches=2)
    OfferingDailyStat.objects.create(offering=pool, day=today - timedelta(days=3), views=4, launches=0)
    OfferingDailyStat.objects.create(offering=pool, day=today - timedelta(days=40), views=99, launches=9)
    client = member_client(manager)
    url = reverse("api:partner-listing-stats", args=[pool.pk])

    data = client.get(url).json()
    assert len(data["days"]) == 30 and data["days"][-1] == today.isoformat()
    assert data["views"][-1] == 7 and data["views"][-4] == 4 and data["total_views"] == 11
    assert data["total_launches"] == 2
    assert client.get(url, {"days": 60}).json()["total_views"] == 110
    bad = client.get(url, {"days": 0})
    assert bad.status_code == 400 and "days" in bad.json()["error"]["fields"]
    assert member_client(other_manager).get(url).status_code == 404
