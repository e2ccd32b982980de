"""Bulk import (CSV and XLSX, all rows or none, a per-row report) and export in the same format."""

import codecs
import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from catalog.choices import OfferingKind, VersionState
from catalog.models import Offering, OfferingVersion
from catalog.services.imports import COLUMNS, ImportFileError, listings_import, parse_listings_file
from catalog.validation import content_fields
from tenants.scoping import tenant_context
from tests.catalog.conftest import LAUNCH_SCHEMA, compute_content, make_listing, model_content, solution_content
from tests.conftest import member_client

HEADER = ["kind", "name_zh", "name_en", "chip_type", "data_centre", "province", "total_cards", "card_sizes"]


def csv_bytes(rows, encoding="utf-8", bom=False) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode(encoding)
    return (codecs.BOM_UTF8 + data) if bom else data


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pool_rows(chip, n=2):
    header = [*HEADER, "price_per_card_hour", "tags", "industries"]
    rows = [header]
    for i in range(n):
        rows.append(
            [
                "compute",
                f"导入池{i}",
                f"Imported pool {i}",
                chip.slug,
                "天府智算中心",
                "51",
                "32",
                "1, 2, 4",
                "7.25",
                "推理，训练",
                "health, education",
            ]
        )
    return rows


def upload(client, name, data, submit=False):
    payload = {"file": SimpleUploadedFile(name, data)}
    if submit:
        payload["submit_for_review"] = "on"
    return client.post(reverse("partner:listing-import"), payload)


def report(response):
    return [(e["row"], e["field"]) for e in response.context["report"]]


def own_drafts(tenant):
    return list(OfferingVersion.unscoped.filter(tenant=tenant).order_by("offering__created_at", "offering_id"))


# --- Import -------------------------------------------------------------------------------------


def test_one_bad_row_imports_nothing_and_reports_that_row_and_field(manager, chip):
    rows = pool_rows(chip, 3)
    rows[2][7] = "1, 3"  # row 3: no 3-card size
    rows[3][3] = "no-such-chip"  # row 4: unknown chip
    client = member_client(manager)

    response = upload(client, "pools.csv", csv_bytes(rows))

    assert response.status_code == 400
    assert report(response) == [(3, "card_sizes"), (4, "chip_type")]
    body = response.content.decode()
    assert "Nothing was imported." in body and "Unknown chip type “no-such-chip”." in body
    assert not Offering.unscoped.exists()
    assert not AuditEntry.unscoped.filter(action__startswith="offering.").exists()


def test_rows_must_be_complete_listings_and_of_one_kind(manager, chip):
    rows = [
        ["kind", "name_zh", "name_en", "family", "modality", "license", "is_foundation", "chip_type"],
        ["model", "模型", "Model", "Qwen", "text", "MIT", "maybe", ""],
        ["model", "模型二", "Model two", "", "text", "MIT", "false", chip.slug],
        ["spaceship", "飞船", "Ship", "", "", "", "", ""],
        ["model", "", "No Chinese name", "GLM", "text", "MIT", "true", ""],
    ]
    response = upload(member_client(manager), "models.csv", csv_bytes(rows))
    assert response.status_code == 400
    assert report(response) == [
        (2, "is_foundation"),
        (3, "chip_type"),
        (3, "family"),
        (4, "kind"),
        (5, "name_zh"),
    ]
    assert not Offering.unscoped.exists()


def test_good_csv_imports_every_row_as_a_draft(manager, chip):
    response = upload(member_client(manager), "pools.csv", csv_bytes(pool_rows(chip, 2)))
    assert response.status_code == 302 and response["Location"] == reverse("partner:listings")
    versions = own_drafts(manager.tenant)
    assert [v.name_en for v in versions] == ["Imported pool 0", "Imported pool 1"]
    v = versions[0]
    assert (v.state, v.chip_type_id, v.total_cards, v.card_sizes) == ("draft", chip.pk, 32, [1, 2, 4])
    assert (v.price_per_card_hour, v.tags, v.industries) == (Decimal("7.25"), ["推理", "训练"], ["health", "education"])
    assert AuditEntry.unscoped.filter(action="offering.import", tenant=manager.tenant).count() == 1


def test_import_can_submit_everything_for_review(manager, chip):
    response = upload(member_client(manager), "pools.csv", csv_bytes(pool_rows(chip, 2)), submit=True)
    assert response.status_code == 302
    assert {v.state for v in own_drafts(manager.tenant)} == {VersionState.IN_REVIEW}
    assert set(Offering.unscoped.values_list("status", flat=True)) == {"in_review"}


def test_good_xlsx_imports(manager, chip, published_model):
    header = [
        "kind",
        "name_zh",
        "name_en",
        "industry",
        "platform",
        "model_offering",
        "default_cards",
        "workload",
        "launch_schema",
        "example_inputs",
        "typical_runtime_minutes",
        "price_per_run",
        "chip_type",
        "data_centre",
        "province",
        "total_cards",
        "card_sizes",
        "price_per_card_hour",
    ]
    solution_row = [
        "solution",
        "门诊知识库",
        "Clinic KB",
        "health",
        "traditional",
        published_model.slug,
        2,  # numbers as numbers, the way a spreadsheet stores them
        "knowledge_base",
        json.dumps(LAUNCH_SCHEMA),
        '{"docs": "门诊时间"}',
        30.0,
        5.5,
        *[None] * 6,
    ]
    pool_row = ["compute", "池", "Pool", *[None] * 9, chip.slug, "DC", 51, 8, 8, 3]
    blank_row = [None] * len(header)  # skipped
    response = upload(member_client(manager), "listings.xlsx", xlsx_bytes([header, solution_row, blank_row, pool_row]))
    assert response.status_code == 302, response.context and response.context["report"]
    solution, pool = own_drafts(manager.tenant)
    assert (solution.model_offering_id, solution.default_cards, solution.typical_runtime_minutes) == (
        published_model.pk,
        2,
        30,
    )
    assert solution.price_per_run == Decimal("5.50") and solution.launch_schema == LAUNCH_SCHEMA
    assert (pool.province, pool.total_cards, pool.card_sizes, pool.price_per_card_hour) == ("51", 8, [8], Decimal("3"))


@pytest.mark.parametrize("encoding,bom", [("gb18030", False), ("utf-8", True), ("utf-8", False)])
def test_csv_encodings(manager, chip, encoding, bom):
    response = upload(member_client(manager), "pools.csv", csv_bytes(pool_rows(chip, 1), encoding=encoding, bom=bom))
    assert response.status_code == 302
    assert [(v.name_zh, v.tags) for v in own_drafts(manager.tenant)] == [("导入池0", ["推理", "训练"])]


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("pools.pdf", b"%PDF-1.4 whatever", "Upload a .csv or .xlsx file."),
        ("pools.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
        ("pools.csv", b"\xff\xfe\xfa\xfb\x80\x81", "neither UTF-8 nor GB18030"),
        ("pools.csv", b"", "The file is empty."),
        ("pools.csv", b"   \r\n", "The file is empty."),
        ("pools.csv", b"kind,name_zh\r\ncompute,x\r\n", "no name_en column"),
        ("pools.csv", "名称,价格\r\n池,1\r\n".encode(), "Unknown columns: 名称, 价格"),
        ("pools.csv", b"kind,name_zh,name_en,name_en\r\n", "appear twice: name_en"),
        ("pools.csv", b"kind,name_zh,name_en\r\n", "no listings"),
        ("pools.xlsx", b"kind,name_zh,name_en\r\ncompute,a,b\r\n", "not an Excel .xlsx workbook"),
        ("pools.xlsx", b"PK\x03\x04garbage-not-a-zip", "cannot be read"),
        ("pools.csv", b"PK\x03\x04\x14\x00", "Excel workbook, not a CSV file"),
    ],
)
def test_malformed_files_get_a_clear_message_and_import_nothing(manager, name, data, message):
    response = upload(member_client(manager), name, data)
    assert response.status_code == 400
    assert message in response.context["file_error"] if response.context["file_error"] else False
    assert 'id="file-error"' in response.content.decode()
    assert not Offering.unscoped.exists()


def test_oversize_upload_is_refused(manager, chip):
    rows = pool_rows(chip, 1)
    big = csv_bytes(rows) + b"#" * (2 * 1024 * 1024)
    response = upload(member_client(manager), "pools.csv", big)
    assert response.status_code == 400 and "too large" in response.context["file_error"]
    assert not Offering.unscoped.exists()


def test_service_refuses_a_viewer_and_parser_raises_for_bad_files(viewer, manager, chip):
    rows = parse_listings_file(name="p.csv", data=csv_bytes(pool_rows(chip, 1)))
    from django.core.exceptions import PermissionDenied

    with tenant_context(viewer.tenant), pytest.raises(PermissionDenied):
        listings_import(acting_membership=viewer, rows=rows)
    with pytest.raises(ImportFileError):
        parse_listings_file(name="p.csv", data=b"only,unknown\r\n1,2\r\n")
    with tenant_context(manager.tenant):
        result = listings_import(acting_membership=manager, rows=rows)
    assert result.ok and len(result.created) == 1 and result.rows == 1


# --- Export and the round trip ------------------------------------------------------------------


def make_three_kinds(manager, chip, published_model):
    make_listing(
        manager,
        OfferingKind.COMPUTE,
        compute_content(
            chip,
            name_en='=HYPERLINK("http://evil")',  # a formula must stay text
            description_en="- first line\n- second, with a comma\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        ),
    )
    make_listing(manager, OfferingKind.MODEL, model_content(is_foundation=True, parameters_b=Decimal("671")))
    make_listing(manager, OfferingKind.SOLUTION, solution_content(published_model))


def content_of(version) -> dict:
    return {f: getattr(version, f) for f in content_fields(version.kind)}


def without_slugs(fmt: str, data: bytes) -> bytes:
    """The exported file with its slug cells emptied: each row is then a new listing."""
    column = COLUMNS.index("slug")
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        return csv_bytes([rows[0], *([*r[:column], "", *r[column + 1 :]] for r in rows[1:])])
    workbook = load_workbook(io.BytesIO(data))
    for row in workbook.active.iter_rows(min_row=2):
        row[column].value = None
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_creates_equal_drafts(manager, chip, published_model, fmt):
    make_three_kinds(manager, chip, published_model)
    originals = own_drafts(manager.tenant)
    client = member_client(manager)

    exported = client.get(reverse(f"partner:listing-export-{fmt}"))
    assert exported.status_code == 200
    assert exported["Content-Disposition"].startswith("attachment;") and exported["Content-Disposition"].endswith(
        f'.{fmt}"'
    )

    response = upload(client, f"listings.{fmt}", without_slugs(fmt, exported.content))
    assert response.status_code == 302, response.context and response.context["report"]
    copies = own_drafts(manager.tenant)[3:]
    assert len(copies) == 3
    for original, copy in zip(originals, copies, strict=True):
        assert copy.offering_id != original.offering_id and copy.state == VersionState.DRAFT
        assert content_of(copy) == content_of(original)


def test_export_format_is_the_import_format(manager, chip, published_model):
    make_three_kinds(manager, chip, published_model)
    client = member_client(manager)
    data = client.get(reverse("partner:listing-export-csv")).content
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    pool = dict(zip(rows[0], rows[1], strict=True))
    assert [r[1] for r in rows[1:]] == list(
        Offering.unscoped.filter(tenant=manager.tenant).order_by("created_at", "pk").values_list("slug", flat=True)
    )
    assert pool["name_en"] == '\'=HYPERLINK("http://evil")'  # guarded against formula injection
    assert (pool["kind"], pool["chip_type"], pool["card_sizes"], pool["tags"]) == (
        "compute",
        chip.slug,
        "1, 2, 4, 8",
        "推理, inference",
    )
    assert pool["family"] == "" and pool["launch_schema"] == ""
    solution = dict(zip(rows[0], rows[3], strict=True))
    assert solution["model_offering"] == published_model.slug
    assert json.loads(solution["launch_schema"]) == LAUNCH_SCHEMA

    workbook = load_workbook(io.BytesIO(client.get(reverse("partner:listing-export-xlsx")).content))
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    name_cell = sheet.cell(row=2, column=COLUMNS.index("name_en") + 1)
    assert name_cell.value == '=HYPERLINK("http://evil")' and name_cell.data_type == "s"


def test_export_shows_the_open_version_of_a_published_listing(manager, staff, chip):
    from tests.catalog.conftest import publish

    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip, name_en="Live name"))
    rows = lambda: list(  # noqa: E731
        csv.reader(
            io.StringIO(member_client(manager).get(reverse("partner:listing-export-csv")).content.decode("utf-8-sig"))
        )
    )
    assert rows()[1][COLUMNS.index("name_en")] == "Live name"
    member_client(manager).post(reverse("partner:listing-new-version", args=[offering.pk]))
    with tenant_context(manager.tenant):
        from catalog.services.listings import version_update

        draft = OfferingVersion.objects.get(offering=offering, number=2)
        version_update(version=draft, acting_membership=manager, content={"name_en": "Draft name"})
    assert [r[COLUMNS.index("name_en")] for r in rows()[1:]] == ["Draft name"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_query_count_does_not_grow_with_listings(manager, chip, published_model, fmt):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = member_client(manager)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(f"partner:listing-export-{fmt}")).status_code == 200
        return len(ctx.captured_queries)

    make_three_kinds(manager, chip, published_model)
    small = count()
    for _ in range(10):
        make_three_kinds(manager, chip, published_model)
    assert count() == small
