"""What can be wrong with a job's inputs, as stable codes the web side translates.

Stdlib only: the web process imports this (through `workloads.checks`) on every launch.
"""

import dataclasses
from typing import Any

# Every code a check or a workload can report, with the English text. The web side translates by
# code and fills the placeholders with `render` (list params are shown comma-separated; extra
# params are ignored by the template).
PROBLEM_CODES: dict[str, str] = {
    "file_missing": "No file was uploaded for {field}.",
    "not_text": "The file is not a text CSV file (UTF-8 or GB18030).",
    "csv_parse_error": "The CSV file could not be parsed near line {line}.",
    "empty_file": "The CSV file is empty.",
    "no_header": "The first row of the CSV must name the columns, but it holds data: {found}.",
    "blank_column_name": "Column {position} of the CSV has no name in the header row.",
    "duplicate_columns": "The CSV names these columns more than once: {columns}.",
    "ragged_rows": "Line {line} of the CSV has {found} values, but the header names {expected} columns.",
    "too_few_columns": "The CSV has {columns} column(s); at least {minimum} are needed (features and the target).",
    "missing_column": "The CSV has no column {column}; it has: {found}.",
    "too_few_rows": "The CSV has {rows} row(s) with a value in {column}; at least {minimum} are needed.",
    "target_not_numeric": "Regression needs numbers in {column}, but it holds values such as: {examples}.",
    "single_class": "Every row of {column} has the same value ({label}); classification needs at least two classes.",
    "too_many_classes": "{column} has {classes} different values; at most {maximum} classes fit this data.",
    "no_features": "No column besides {column} carries usable information (the others are empty, constant or IDs).",
    "blank_item": "Item {position} of {field} is blank.",
}


@dataclasses.dataclass(frozen=True)
class Problem:
    """One reason the inputs are unusable, pointing at the launch-form field it concerns."""

    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def message(self) -> str:
        """The English text; the web side prefers its own translation of `code`."""
        return render(PROBLEM_CODES[self.code], self)


def render(template: str, problem: Problem) -> str:
    """Fill a (possibly translated) template with the problem's params and field name."""
    values = {
        key: ", ".join(map(str, value)) if isinstance(value, list) else value for key, value in problem.params.items()
    }
    return template.format_map({"field": problem.field, **values})


class InputError(Exception):
    """Inputs no retry can fix: the job ends with exit code 2 and `error.json`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message())
        self.problem = problem
