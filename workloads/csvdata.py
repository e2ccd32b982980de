"""Reading an uploaded CSV, shared by the early web check and the training job.

Stdlib only, so the web process can run the same checks the job runs before a job is created.
"""

import csv
import io
import math
from _csv import Reader  # the type csv.reader returns; the csv module does not re-export it
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workloads.problems import InputError, Problem

MIN_ROWS = 10
MIN_COLUMNS = 2
MAX_CLASSES = 50
# Spreadsheet exports spell "no value" in many ways; all of them mean missing, not a category.
MISSING_VALUES = frozenset({"", "na", "n/a", "nan", "null", "none"})
# Excel in Chinese locales saves CSV as GBK, which GB18030 decodes.
ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", "\t", ";")


@dataclass
class Table:
    """A parsed CSV: the full header and the data rows, restricted to `kept` columns."""

    columns: list[str]
    kept: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> list[str]:
        """All values of one kept column, in row order."""
        position = self.kept.index(name)
        return [row[position] for row in self.rows]


def is_missing(value: str) -> bool:
    """True for an empty cell or a spelled-out missing value."""
    return value.strip().lower() in MISSING_VALUES


def parse_number(value: str) -> float | None:
    """The cell as a finite float, or None when it is not a number."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_table(path: Path, field: str, only: str | None = None) -> Table:
    """Parse the CSV at `path`; with `only`, keep just that column's values (to save memory).

    Raises InputError for a file that is not a CSV with a usable header row.
    """
    if not path.is_file():
        raise InputError(Problem(field, "file_missing"))
    text = _decode(path.read_bytes(), field)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = _header(reader, field)
        keep = [header.index(only)] if only in header else [] if only else list(range(len(header)))
        rows = [[cells[i] for i in keep] for cells in _data_rows(reader, len(header), field)]
    except csv.Error as exc:
        raise InputError(Problem(field, "csv_parse_error", {"line": reader.line_num})) from exc
    return Table(columns=header, kept=[header[i] for i in keep], rows=rows)


def dataset_problems(table: Table, field: str, target: str, task: str) -> list[Problem]:
    """What makes the table unusable for training `task` on `target` (empty when it is fine)."""
    if len(table.columns) < MIN_COLUMNS:
        return [Problem(field, "too_few_columns", {"columns": len(table.columns), "minimum": MIN_COLUMNS})]
    if target not in table.columns:
        return [Problem("target_column", "missing_column", {"column": target, "found": table.columns})]
    values = [value.strip() for value in table.column(target) if not is_missing(value)]
    if len(values) < MIN_ROWS:
        return [Problem(field, "too_few_rows", {"rows": len(values), "minimum": MIN_ROWS, "column": target})]
    if task == "regression":
        return _regression_target_problems(values, target)
    return _classification_target_problems(values, target)


def _regression_target_problems(values: list[str], target: str) -> list[Problem]:
    bad = [value for value in values if parse_number(value) is None]
    if bad:
        examples = list(dict.fromkeys(bad))[:3]
        return [Problem("target_column", "target_not_numeric", {"column": target, "examples": examples})]
    return []


def _classification_target_problems(values: list[str], target: str) -> list[Problem]:
    classes = set(values)
    if len(classes) < 2:
        return [Problem("target_column", "single_class", {"column": target, "label": values[0]})]
    maximum = min(MAX_CLASSES, len(values) // 2)
    if len(classes) > maximum:
        return [
            Problem(
                "target_column", "too_many_classes", {"column": target, "classes": len(classes), "maximum": maximum}
            )
        ]
    return []


def _decode(data: bytes, field: str) -> str:
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise InputError(Problem(field, "not_text"))


def _delimiter(text: str) -> str:
    """The delimiter used most in the first line; csv.Sniffer guesses wrong on numeric data."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=first_line.count)


def _header(reader: Reader, field: str) -> list[str]:
    header = next((cells for cells in reader if any(cell.strip() for cell in cells)), None)
    if header is None:
        raise InputError(Problem(field, "empty_file"))
    names = [cell.strip() for cell in header]
    while names and not names[-1]:
        names.pop()  # trailing delimiters that spreadsheets leave behind
    if all(parse_number(name) is not None for name in names):
        raise InputError(Problem(field, "no_header", {"found": names[:5]}))
    if "" in names:
        raise InputError(Problem(field, "blank_column_name", {"position": names.index("") + 1}))
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(Problem(field, "duplicate_columns", {"columns": duplicates}))
    return names


def _data_rows(reader: Reader, width: int, field: str) -> Iterator[list[str]]:
    """Yield each non-blank data row; only empty cells may follow the header's last column."""
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if len(cells) != width:
            params = {"line": reader.line_num, "expected": width, "found": len(cells)}
            raise InputError(Problem(field, "ragged_rows", params))
        yield cells
