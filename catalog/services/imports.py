"""Bulk import and export of a partner's listings as CSV or XLSX.

One column per content field (plus `kind` and `slug`); lists are comma-separated, the chip type and
the model are given by slug, JSON fields as JSON text. A row without a slug becomes a new draft; a row
with the slug of one of the partner's own listings changes that listing (its open version, or a new
version of the published one) or, when its content is what the listing has, changes nothing. Every
row is checked before anything is written, and either every row is imported or none is. Export
writes the same columns with each listing's slug, so a file exported here imports back unchanged.
"""

import codecs
import csv
import io
import json
import logging
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.models import ChipType, Offering, OfferingVersion
from catalog.selectors_partner import with_versions
from catalog.services.listings import create_draft, start_version, submit_draft, update_draft
from catalog.validation import COMMON_FIELDS, KIND_FIELDS, apply_content, content_fields, validate_version
from tenants.models import Membership
from tenants.roles import Perm, has_perm

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_XLSX_UNPACKED_BYTES = 40 * 1024 * 1024  # a 2 MB zip may not unpack into a zip bomb
EXTENSIONS = (".csv", ".xlsx")

# The file format: `kind`, the listing's `slug` (empty for a new one), then every content field once,
# in a stable order.
CONTENT_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        COMMON_FIELDS
        + KIND_FIELDS[OfferingKind.COMPUTE]
        + KIND_FIELDS[OfferingKind.MODEL]
        + KIND_FIELDS[OfferingKind.SOLUTION]
    )
)
COLUMNS: tuple[str, ...] = ("kind", "slug", *CONTENT_COLUMNS)
REQUIRED_COLUMNS = ("kind", "name_zh", "name_en")

PROSE = {"description_zh", "description_en"}  # kept exactly as written (Markdown)
CODES = {"province", "modality", "industry", "platform", "workload"}
WORD_LISTS = {"tags", "tasks"}
CODE_LISTS = {"industries"}
INT_LISTS = {"card_sizes"}
INTEGERS = {"total_cards", "context_length", "default_cards", "typical_runtime_minutes"}
DECIMALS = {"price_per_card_hour", "parameters_b", "price_per_run"}
BOOLEANS = {"is_foundation"}
OBJECTS = {"launch_schema", "example_inputs"}

TRUE_WORDS = {"true", "yes", "y", "1", "是", "真"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "假"}
# A spreadsheet runs a cell that starts with one of these as a formula; the CSV export prefixes
# such text with an apostrophe and the import takes it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATORS = (",", "，", "、")


class ImportFileError(Exception):
    """The upload as a whole cannot be read (wrong type, encoding, columns, size)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    field: str  # a column name, or "" for the row as a whole
    message: str


@dataclass
class ImportRow:
    number: int
    kind: str
    content: dict  # the row's non-empty cells, parsed
    errors: list[RowError] = field(default_factory=list)
    slug: str = ""  # the listing the row changes; "" for a new one
    columns: frozenset[str] = frozenset()  # the kind's content columns the file has (empty cells too)


@dataclass
class ImportResult:
    rows: int
    created: list[Offering] = field(default_factory=list)
    updated: list[Offering] = field(default_factory=list)
    unchanged: list[Offering] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    submitted: int = 0
    dry_run: bool = False  # nothing was kept: `created` holds listings that do not exist
    # The file's row number of each listing above, in the same order.
    created_rows: list[int] = field(default_factory=list)
    updated_rows: list[int] = field(default_factory=list)
    unchanged_rows: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Reading a file -----------------------------------------------------------------------------


def parse_listings_file(*, name: str, data: bytes) -> list[ImportRow]:
    """An uploaded CSV or XLSX → one `ImportRow` per non-empty data row, cells parsed into content
    (cell-level problems are attached to the row). Raises `ImportFileError` for a file that cannot
    be read as a listing table at all."""
    lower = (name or "").lower()
    if not lower.endswith(EXTENSIONS):
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("The file is too large (%(size)s); the limit is 2 MB.") % {"size": f"{len(data) / 1048576:.1f} MB"}
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    records = _read_csv(data) if lower.endswith(".csv") else _read_xlsx(data)
    return rows_from_records(records)


def _read_csv(data: bytes) -> list[tuple[int, list]]:
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This is an Excel workbook, not a CSV file. Save it with the .xlsx extension."))
    if b"\x00" in data:
        raise ImportFileError(_("This is not a CSV text file."))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    text = None
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 text. Save it as “CSV UTF-8”."))
    try:
        return [(n, cells) for n, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)]
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


def _read_xlsx(data: bytes) -> list[tuple[int, list]]:
    import openpyxl

    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This is not an Excel .xlsx workbook."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise ImportFileError(_("The workbook is too large once unpacked."))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        logger.info("unreadable xlsx upload", exc_info=True)
        raise ImportFileError(_("This Excel workbook cannot be read. Is it a valid .xlsx file?")) from None
    try:
        sheet = workbook.worksheets[0]
        records = []
        for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if n > MAX_ROWS + 1 and any(c not in (None, "") for c in cells):
                raise ImportFileError(_("At most %(n)d listings per file.") % {"n": MAX_ROWS})
            records.append((n, list(cells)))
        return records
    except ImportFileError:
        raise
    except Exception:
        logger.info("unreadable xlsx sheet", exc_info=True)
        raise ImportFileError(_("This Excel workbook cannot be read. Is it a valid .xlsx file?")) from None
    finally:
        workbook.close()


def _is_blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header(records: list[tuple[int, list]]) -> list[str]:
    if not records or all(_is_blank(c) for c in records[0][1]):
        raise ImportFileError(_("The first row must name the columns (kind, name_zh, name_en, …)."))
    header = [str(c).strip().lstrip("\ufeff").lower() if not _is_blank(c) else "" for c in records[0][1]]
    named = [h for h in header if h]
    duplicates = sorted({h for h in named if named.count(h) > 1})
    if duplicates:
        raise ImportFileError(_("These columns appear twice: %(cols)s.") % {"cols": ", ".join(duplicates)})
    unknown = [h for h in named if h not in COLUMNS]
    if unknown:
        raise ImportFileError(
            _("Unknown columns: %(cols)s. The columns are: %(known)s.")
            % {"cols": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in named]
    if missing:
        raise ImportFileError(_("The file has no %(cols)s column.") % {"cols": ", ".join(missing)})
    return header


def rows_from_records(records: list[tuple[int, list]]) -> list[ImportRow]:
    header = _header(records)
    data_records = [(n, cells) for n, cells in records[1:] if not all(_is_blank(c) for c in cells)]
    if not data_records:
        raise ImportFileError(_("The file has a header row but no listings."))
    if len(data_records) > MAX_ROWS:
        raise ImportFileError(_("At most %(n)d listings per file.") % {"n": MAX_ROWS})
    lookups = _Lookups.for_records(header, data_records)
    return [_parse_row(n, header, cells, lookups) for n, cells in data_records]


@dataclass
class _Lookups:
    """Chip types and models named in the file, fetched once."""

    chips: dict[str, ChipType]
    models: dict[str, Offering]

    @classmethod
    def for_records(cls, header: list[str], records: list[tuple[int, list]]) -> "_Lookups":
        def slugs(column: str) -> set[str]:
            if column not in header:
                return set()
            i = header.index(column)
            return {_text(cells[i]).strip() for _, cells in records if i < len(cells) and not _is_blank(cells[i])}

        chips = {c.slug: c for c in ChipType.objects.filter(slug__in=slugs("chip_type"))}
        models = {
            m.slug: m
            # Any partner's model may be built on once it has been published (public by design).
            for m in Offering.unscoped.filter(
                slug__in=slugs("model_offering"), kind=OfferingKind.MODEL, live_version__isnull=False
            ).only("pk", "slug", "kind", "live_version_id", "tenant_id")
        }
        return cls(chips, models)


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = str(cell)
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        text = text[1:]
    return text


def _split(text: str) -> list[str]:
    for sep in LIST_SEPARATORS[1:]:
        text = text.replace(sep, LIST_SEPARATORS[0])
    return [p.strip() for p in text.split(LIST_SEPARATORS[0]) if p.strip()]


def _integer(text: str) -> int:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Enter a whole number.")) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(_("Enter a whole number."))
    return int(number)


def _parse_cell(column: str, cell, lookups: _Lookups):
    """One cell → its content value. Raises ValueError with a message for a bad cell."""
    if column in PROSE:
        return _text(cell)
    text = _text(cell).strip()
    if column in CODES:
        return text.lower() if column != "province" else text
    if column in WORD_LISTS:
        return _split(text)
    if column in CODE_LISTS:
        return [p.lower() for p in _split(text)]
    if column in INT_LISTS:
        return [_integer(p) for p in _split(text)]
    if column in INTEGERS:
        return _integer(text)
    if column in DECIMALS:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return number
    if column in BOOLEANS:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(_("Enter true or false."))
    if column in OBJECTS:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(_("This is not valid JSON: %(error)s") % {"error": exc.msg}) from None
        if not isinstance(value, dict):
            raise ValueError(_("Enter a JSON object: {…}."))
        return value
    if column == "chip_type":
        if text not in lookups.chips:
            raise ValueError(_("Unknown chip type “%(slug)s”.") % {"slug": text})
        return lookups.chips[text]
    if column == "model_offering":
        if text not in lookups.models:
            raise ValueError(_("Unknown model “%(slug)s”.") % {"slug": text})
        return lookups.models[text]
    return text.strip()


def _parse_row(number: int, header: list[str], cells: list, lookups: _Lookups) -> ImportRow:
    cells = list(cells) + [None] * (len(header) - len(cells))
    values = dict(zip(header, cells, strict=False))
    errors: list[RowError] = []
    if any(not name and not _is_blank(cell) for name, cell in zip(header, cells, strict=False)) or any(
        not _is_blank(c) for c in cells[len(header) :]
    ):
        errors.append(RowError(number, "", _("A cell has a value but its column has no name.")))
    kind = _text(values.get("kind")).strip().lower()
    slug = _text(values.get("slug")).strip()
    if kind not in OfferingKind.values:
        errors.append(RowError(number, "kind", _("Choose compute, model or solution.")))
        return ImportRow(number, kind, {}, errors, slug=slug)
    allowed = set(content_fields(kind))
    content = {}
    for column, cell in values.items():
        if not column or column in ("kind", "slug") or _is_blank(cell):
            continue
        if column not in allowed:
            errors.append(
                RowError(
                    number,
                    column,
                    _("Not a field of a %(kind)s; leave it empty.") % {"kind": OfferingKind(kind).label},
                )
            )
            continue
        try:
            content[column] = _parse_cell(column, cell, lookups)
        except ValueError as exc:
            errors.append(RowError(number, column, str(exc)))
    return ImportRow(number, kind, content, errors, slug=slug, columns=frozenset(c for c in header if c in allowed))


def parse_listings_upload(upload) -> list[ImportRow]:
    """An uploaded file (the page's form or the API) → rows; its size is checked before it is read."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is too large; the limit is %(n)d MB.") % {"n": MAX_UPLOAD_BYTES // 1048576})
    return parse_listings_file(name=upload.name, data=upload.read())


# --- Importing ----------------------------------------------------------------------------------


def _check(row: ImportRow, version: OfferingVersion) -> list[RowError]:
    """Everything wrong with a row whose content is on `version`, as if it were submitted for
    review (complete=True)."""
    errors = list(row.errors)
    bad_cells = {e.field for e in errors}
    try:
        validate_version(version, complete=True)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            column = "" if name == "__all__" else name
            if column in bad_cells:
                continue  # the cell itself is already reported
            # One problem per cell is enough to fix it ("cannot be blank" and "required" say the same).
            errors.append(RowError(row.number, column, str(messages[0])))
    return errors


def _validate(row: ImportRow, tenant) -> list[RowError]:
    """A row without a slug: a new listing."""
    if not row.kind or row.kind not in OfferingKind.values:
        return list(row.errors)
    version = OfferingVersion(tenant=tenant, kind=row.kind, number=1, state=VersionState.DRAFT)
    try:
        apply_content(version, row.content)
    except ValidationError as exc:
        return [*row.errors, *_row_errors(row, exc)]
    return _check(row, version)


@dataclass
class _Plan:
    """What importing one row does."""

    row: ImportRow
    offering: Offering | None = None  # the listing the row changes; None: a new listing
    version: OfferingVersion | None = None  # its open version to change; None: start one from the live one
    changes: dict = field(default_factory=dict)  # field → new value; empty: the row changes nothing


def _raw(version: OfferingVersion, name: str):
    return getattr(version, OfferingVersion._meta.get_field(name).attname)


def _cleared(version: OfferingVersion, name: str):
    """What an empty cell makes of a field: nothing changes if it is empty already, else it goes
    back to what a new listing has (an empty text or list, no value, the default engine)."""
    if _raw(version, name) in (None, "", [], {}):
        return getattr(version, name)
    return OfferingVersion._meta.get_field(name).get_default()


def _plan_update(row: ImportRow, offering: Offering) -> tuple[_Plan, list[RowError]]:
    """A row with the slug of one of the partner's listings: what it changes against the version the
    partner is working on (the open one, else the live one). A row that changes nothing is fine
    whatever the listing's state, so an exported file always imports back."""
    plan = _Plan(row, offering)
    if row.kind not in OfferingKind.values:
        return plan, list(row.errors)
    if row.kind != offering.kind:
        message = _("“%(slug)s” is a %(kind)s; a listing’s kind cannot change.") % {
            "slug": row.slug,
            "kind": OfferingKind(offering.kind).label,
        }
        return plan, [*row.errors, RowError(row.number, "kind", message)]
    open_version = offering.open_versions[0] if offering.open_versions else None
    base = open_version or offering.live_version
    if base is None:
        message = _("“%(slug)s” has no version to change.") % {"slug": row.slug}
        return plan, [*row.errors, RowError(row.number, "slug", message)]
    candidate = OfferingVersion(
        **{f.attname: getattr(base, f.attname) for f in OfferingVersion._meta.concrete_fields if f.name != "id"}
    )
    bad_cells = {e.field for e in row.errors}
    content = {c: row.content[c] if c in row.content else _cleared(base, c) for c in row.columns if c not in bad_cells}
    try:
        apply_content(candidate, content)
    except ValidationError as exc:
        return plan, [*row.errors, *_row_errors(row, exc)]
    names = content_fields(offering.kind)
    plan.changes = {f: getattr(candidate, f) for f in names if _raw(candidate, f) != _raw(base, f)}
    if not plan.changes:
        return plan, list(row.errors)  # nothing is written, so there is nothing to check
    if offering.status == OfferingStatus.RETIRED:
        message = _("“%(slug)s” is retired and can no longer be changed.") % {"slug": row.slug}
        return plan, [*row.errors, RowError(row.number, "slug", message)]
    if open_version is not None and open_version.state == VersionState.IN_REVIEW:
        message = _(
            "Version %(n)d of “%(slug)s” is in review. Wait for the decision, or withdraw it from review, then import the row again."
        ) % {
            "n": open_version.number,
            "slug": row.slug,
        }
        return plan, [*row.errors, RowError(row.number, "slug", message)]
    plan.version = open_version
    return plan, _check(row, candidate)


def _row_errors(row: ImportRow, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(row.number, "", m) for m in exc.messages]
    return [RowError(row.number, "" if f == "__all__" else f, str(m)) for f, ms in exc.message_dict.items() for m in ms]


def _plan(rows: Sequence[ImportRow], tenant) -> tuple[list[_Plan], list[RowError]]:
    """Every row's plan and every problem. The listings the file names are locked first (in one
    order), so what is checked here is still true when it is written."""
    slugs = {row.slug for row in rows if row.slug}
    targets: dict[str, Offering] = {}
    if slugs:
        pks = list(
            Offering.objects.select_for_update()
            .filter(tenant=tenant, slug__in=slugs)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        targets = {o.slug: o for o in with_versions(Offering.objects.filter(pk__in=pks))}
    plans: list[_Plan] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}  # slug → the row that names it first
    for row in rows:
        if not row.slug:
            plans.append(_Plan(row))
            errors += _validate(row, tenant)
        elif row.slug in first_row:
            message = _("The slug “%(slug)s” is on row %(n)d already; a listing can be in the file once.") % {
                "slug": row.slug,
                "n": first_row[row.slug],
            }
            errors += [*row.errors, RowError(row.number, "slug", message)]
        elif row.slug not in targets:
            first_row[row.slug] = row.number
            # The same words for another partner's listing as for none at all.
            message = _("None of your listings has the slug “%(slug)s”.") % {"slug": row.slug}
            errors += [*row.errors, RowError(row.number, "slug", message)]
        else:
            first_row[row.slug] = row.number
            plan, row_errors = _plan_update(row, targets[row.slug])
            plans.append(plan)
            errors += row_errors
    return plans, errors


class _RollBack(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors


class _DryRun(Exception):
    def __init__(self, result: ImportResult):
        self.result = result


def listings_import(
    *, acting_membership: Membership, rows: Sequence[ImportRow], submit: bool = False, dry_run: bool = False
) -> ImportResult:
    """Import every row — all of them or, if any row is wrong, none.

    A row without a slug becomes a new draft. A row with a slug changes that listing of the
    partner's: its draft or rejected version, or a new version of the published one (the live
    version stays in the catalog until the new one is approved); a row with the listing's current
    content is left alone. Each new or changed version is checked as a complete listing, so it can
    be submitted; with `submit` they are submitted for review in the same transaction. With
    `dry_run` everything is done and checked, then undone."""
    if not has_perm(acting_membership, Perm.MANAGE_LISTINGS):
        raise PermissionDenied(_("Your role does not allow this."))
    tenant = acting_membership.tenant
    result = ImportResult(rows=len(rows), dry_run=dry_run)
    try:
        with transaction.atomic(durable=True):
            plans, errors = _plan(rows, tenant)
            if errors:
                raise _RollBack(errors)
            for plan in plans:
                _write(plan, acting_membership, result, submit=submit)
            if result.created or result.updated:
                audit_record(
                    action="offering.import",
                    tenant=tenant,
                    actor=acting_membership.user,
                    after={
                        "created": len(result.created),
                        "slugs": [o.slug for o in result.created][:50],
                        "updated": len(result.updated),
                        "updated_slugs": [o.slug for o in result.updated][:50],
                        "unchanged": len(result.unchanged),
                        "submitted": result.submitted,
                    },
                )
            if dry_run:
                raise _DryRun(result)
    except _RollBack as exc:
        return ImportResult(rows=len(rows), errors=exc.errors, dry_run=dry_run)
    except _DryRun as exc:
        return exc.result
    return result


def _write(plan: _Plan, acting_membership: Membership, result: ImportResult, *, submit: bool) -> None:
    row = plan.row
    try:
        if plan.offering is None:
            offering = create_draft(
                acting_membership=acting_membership, kind=row.kind, content=row.content, complete=True
            )
            result.created.append(offering)
            result.created_rows.append(row.number)
        elif not plan.changes:
            result.unchanged.append(plan.offering)
            result.unchanged_rows.append(row.number)
            return
        else:
            offering = plan.offering
            version = plan.version or start_version(offering=offering, acting_membership=acting_membership)
            update_draft(version=version, acting_membership=acting_membership, content=plan.changes)
            result.updated.append(offering)
            result.updated_rows.append(row.number)
    except ValidationError as exc:  # changed since it was checked (e.g. a model retired)
        raise _RollBack(_row_errors(row, exc)) from None
    if submit:
        try:
            submit_draft(offering=offering, acting_membership=acting_membership)
        except ValidationError as exc:
            raise _RollBack([RowError(row.number, "", m) for m in exc.messages]) from None
        result.submitted += 1


# --- Exporting ----------------------------------------------------------------------------------


def export_record(version: OfferingVersion) -> list:
    """One version as a row of `COLUMNS` (typed values; `export_csv` turns them into text). Expects
    the version's offering to be loaded with it (`export_versions`)."""
    own = set(content_fields(version.kind))
    row: list = [version.kind, version.offering.slug]
    for column in CONTENT_COLUMNS:
        value = getattr(version, column) if column in own else None
        if value in (None, "", [], {}):
            row.append(None)
        elif column == "chip_type" or column == "model_offering":
            row.append(value.slug)
        elif isinstance(value, list):
            row.append(", ".join(str(v) for v in value))
        elif isinstance(value, dict):
            row.append(json.dumps(value, ensure_ascii=False))
        elif isinstance(value, bool):
            row.append("true" if value else "false")
        else:
            row.append(value)
    return row


def _csv_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def export_csv(versions: Iterable[OfferingVersion]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs on Chinese Windows read it right."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for version in versions:
        writer.writerow([_csv_cell(v) for v in export_record(version)])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def export_xlsx(versions: Iterable[OfferingVersion]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = "listings"
    sheet.append(list(COLUMNS))
    for r, version in enumerate(versions, start=2):
        for c, value in enumerate(export_record(version), start=1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text is text, even when it starts with "="
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
