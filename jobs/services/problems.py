"""Translations of the workloads' input problem codes (workloads/problems.py is stdlib-only and
cannot translate; the English originals live there, these are the same texts through gettext)."""

from django.utils.translation import gettext as _

from workloads.problems import PROBLEM_CODES, Problem, render


def _messages() -> dict[str, str]:
    return {
        "file_missing": _("No file was uploaded for {field}."),
        "not_text": _("The file is not a text CSV file (UTF-8 or GB18030)."),
        "csv_parse_error": _("The CSV file could not be parsed near line {line}."),
        "empty_file": _("The CSV file is empty."),
        "no_header": _("The first row of the CSV must name the columns, but it holds data: {found}."),
        "blank_column_name": _("Column {position} of the CSV has no name in the header row."),
        "duplicate_columns": _("The CSV names these columns more than once: {columns}."),
        "ragged_rows": _("Line {line} of the CSV has {found} values, but the header names {expected} columns."),
        "too_few_columns": _(
            "The CSV has {columns} column(s); at least {minimum} are needed (features and the target)."
        ),
        "missing_column": _("The CSV has no column {column}; it has: {found}."),
        "too_few_rows": _("The CSV has {rows} row(s) with a value in {column}; at least {minimum} are needed."),
        "target_not_numeric": _("Regression needs numbers in {column}, but it holds values such as: {examples}."),
        "single_class": _(
            "Every row of {column} has the same value ({label}); classification needs at least two classes."
        ),
        "too_many_classes": _("{column} has {classes} different values; at most {maximum} classes fit this data."),
        "no_features": _(
            "No column besides {column} carries usable information (the others are empty, constant or IDs)."
        ),
        "blank_item": _("Item {position} of {field} is blank."),
    }


def problem_message(problem: Problem) -> str:
    """The problem in the active language (English if a new code has no translation yet)."""
    template = _messages().get(problem.code) or PROBLEM_CODES.get(problem.code, problem.code)
    return render(template, problem)
