"""Early input checks the web process runs before it creates a job (stdlib only, cheap to import).

The jobs run the same checks again, so a problem found here is exactly what the job would report
with exit code 2.
"""

from pathlib import Path
from typing import Any

from workloads.csvdata import dataset_problems, read_table
from workloads.problems import PROBLEM_CODES, InputError, Problem, render
from workloads.registry import REGISTRY

__all__ = ["PROBLEM_CODES", "Problem", "check_inputs", "render", "text_problems"]

TEXT_LIST_PARAMS = ("documents", "questions")


def check_inputs(workload_id: str, params: dict[str, Any], files: dict[str, Path]) -> list[Problem]:
    """Problems with a launch's inputs (empty when the job can run).

    `params` are the form values, already valid against the template's JSON schema; `files` maps
    each file param (see `REGISTRY[workload_id].file_params`) to the uploaded file on disk.
    """
    if workload_id not in REGISTRY:
        raise ValueError(f"Unknown workload {workload_id!r}")
    if workload_id == "tabular_train":
        return _tabular_problems(params, files)
    return text_problems(params)


def text_problems(params: dict[str, Any]) -> list[Problem]:
    """Blank documents or questions: the schema's minLength lets whitespace-only items through."""
    return [
        Problem(name, "blank_item", {"position": position})
        for name in TEXT_LIST_PARAMS
        for position, item in enumerate(params.get(name) or [], start=1)
        if not str(item).strip()
    ]


def _tabular_problems(params: dict[str, Any], files: dict[str, Path]) -> list[Problem]:
    path = files.get("dataset_csv")
    if path is None:
        return [Problem("dataset_csv", "file_missing")]
    target = params.get("target_column", "")
    try:
        table = read_table(Path(path), "dataset_csv", only=target)
    except InputError as exc:
        return [exc.problem]
    return dataset_problems(table, "dataset_csv", target, params.get("task", "classification"))
