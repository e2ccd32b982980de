"""Launch forms built from solution templates' JSON Schemas (jobs.schema_forms)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict
from django.utils.translation import override

from catalog.demo_data import TEMPLATES, knowledge_base_schema, summary_schema, tabular_schema
from jobs.schema_forms import MAX_UPLOAD_BYTES, build_form_class, split_file_params, validate_api_inputs

KB = knowledge_base_schema("知识库文档 / Knowledge-base documents", "客户问题 / Customer questions")
TABULAR = tabular_schema("缺陷标签列 / Defect label column", "classification")
SUMMARY = summary_schema("医疗文书 / Medical documents")
CSV_TEXT = "thickness_mm,temperature_c,defect\n1.20,182,0\n1.18,190,1\n"


def form_data(schema: dict, example: dict) -> tuple[dict, MultiValueDict]:
    """What a browser would post for `example`: lists as text, data files as uploads."""
    data, files = {}, MultiValueDict()
    for name, value in example.items():
        prop = schema["properties"][name]
        if "contentMediaType" in prop:
            files[name] = SimpleUploadedFile(
                f"{name}.csv", value.encode("utf-8"), content_type=prop["contentMediaType"]
            )
        elif isinstance(value, list):
            data[name] = ("\n" if prop["items"]["maxLength"] <= 500 else "\n\n").join(value)
        else:
            data[name] = str(value)
    return data, files


def bound(schema: dict, data: dict, files=None, language: str = "en"):
    form = build_form_class(schema, language=language)(data=data, files=files or MultiValueDict())
    form.is_valid()
    return form


def tabular_form(upload: SimpleUploadedFile | None = None, **data):
    files = MultiValueDict({"dataset_csv": [upload]}) if upload else MultiValueDict()
    return bound(TABULAR, {"target_column": "defect", "task": "classification", **data}, files)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["key"] for t in TEMPLATES])
def test_every_demo_example_round_trips_through_the_form(template):
    schema, example = template["schema"], template["example"]
    data, files = form_data(schema, example)

    with override("en"):
        form = bound(schema, data, files)
        assert form.errors == {}
        params, uploads = form.to_inputs()

    file_fields = [n for n, p in schema["properties"].items() if "contentMediaType" in p]
    assert params == {k: v for k, v in example.items() if k not in file_fields}
    assert {name: f.read().decode("utf-8") for name, f in uploads.items()} == {n: example[n] for n in file_fields}


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["key"] for t in TEMPLATES])
def test_every_demo_example_passes_the_api(template):
    assert validate_api_inputs(template["schema"], template["example"]) == (template["example"], {})


def test_params_are_typed():
    form = tabular_form(SimpleUploadedFile("d.csv", CSV_TEXT.encode()), test_fraction="0.3", time_budget_minutes="45")

    params, files = form.to_inputs()

    assert params == {
        "target_column": "defect",
        "task": "classification",
        "test_fraction": 0.3,
        "time_budget_minutes": 45,
    }
    assert type(params["test_fraction"]) is float and type(params["time_budget_minutes"]) is int
    assert list(files) == ["dataset_csv"]


@pytest.mark.parametrize(
    "language,label,help_text,top_k",
    [
        ("zh-hans", "知识库文档", "每项一段文本", "每题引用段落数"),
        ("en", "Knowledge-base documents", "One passage of text per item", "Passages per answer"),
    ],
)
def test_bilingual_titles_show_the_half_of_the_language(language, label, help_text, top_k):
    with override(language):
        form = build_form_class(KB, language=language)()
        documents = form["documents"]
        assert documents.label == label
        assert str(documents.help_text).startswith(help_text)
        assert form["top_k"].label == top_k
        assert form["language"].label == ("语言" if language.startswith("zh") else "Language")


def test_a_title_without_both_languages_is_shown_as_is():
    schema = {
        "type": "object",
        "properties": {"note": {"type": "string", "title": "Remarks", "description": "Free text"}},
    }

    form = build_form_class(schema, language="zh-hans")()

    assert (form["note"].label, form["note"].help_text) == ("Remarks", "Free text")


def test_defaults_become_initial_values():
    form = build_form_class(TABULAR, language="en")()

    assert (form["task"].value(), form["test_fraction"].value(), form["time_budget_minutes"].value()) == (
        "classification",
        0.2,
        30,
    )
    assert form.fields["dataset_csv"].required and not form.fields["time_budget_minutes"].required


def test_top_k_above_its_maximum_is_an_error_on_top_k():
    with override("en"):
        form = bound(KB, {"documents": "Doc", "questions": "Why?", "top_k": "99"})

    assert form.errors == {"top_k": ["Ensure this value is less than or equal to 10."]}


def test_top_k_error_is_in_chinese_for_a_chinese_page():
    with override("zh-hans"):
        form = bound(KB, {"documents": "Doc", "questions": "Why?", "top_k": "99"})

        assert form.errors["top_k"] == ["确保该值小于或等于10。"]


def test_a_target_column_that_breaks_the_pattern_is_an_error_on_that_field():
    with override("en"):
        form = tabular_form(SimpleUploadedFile("d.csv", CSV_TEXT.encode()), target_column="defect label")

    assert form.errors == {"target_column": ["Enter a valid value."]}


def test_too_many_questions_says_how_many():
    questions = "\n".join(f"Question {n}?" for n in range(101))

    with override("en"):
        form = bound(KB, {"documents": "Doc", "questions": questions})

    assert form.errors == {"questions": ["Enter at most 100 items (there are 101)."]}


def test_a_long_question_is_named_by_its_number():
    questions = "\n".join(["Short?", "Also short?", "x" * 501])

    with override("en"):
        form = bound(KB, {"documents": "Doc", "questions": questions})

    assert form.errors == {"questions": ["Item 3 is longer than 500 characters (it has 501)."]}


def test_documents_are_separated_by_blank_lines_and_questions_by_lines():
    form = bound(KB, {"documents": "First\npassage.\n\n \nSecond passage.", "questions": "A?\r\nB?\r\n\r\n"})

    params, _ = form.to_inputs()

    assert params["documents"] == ["First\npassage.", "Second passage."]
    assert params["questions"] == ["A?", "B?"]


def test_uploaded_text_files_become_documents_after_the_typed_ones():
    files = MultiValueDict(
        {
            "documents__files": [
                SimpleUploadedFile("a.txt", "甲方应于六月交付。\n\n逾期付违约金。".encode("gb18030")),
                SimpleUploadedFile("b.md", b"# Notes\n\nSecond file."),
            ]
        }
    )

    form = bound(KB, {"documents": "Typed passage.", "questions": "Q?"}, files)

    assert form.to_inputs()[0]["documents"] == [
        "Typed passage.",
        "甲方应于六月交付。\n\n逾期付违约金。",
        "# Notes\n\nSecond file.",
    ]


def test_an_empty_document_file_is_an_error_on_documents():
    files = MultiValueDict({"documents__files": [SimpleUploadedFile("empty.txt", b"  \n")]})

    with override("en"):
        form = bound(SUMMARY, {"documents": ""}, files)

    assert form.errors == {"documents": ["File “empty.txt” is empty."]}


def test_a_short_document_is_named_and_other_problems_are_listed_too():
    documents = "A long enough medical document text.\n\ntoo short"

    with override("en"):
        form = bound(SUMMARY, {"documents": documents, "max_sentences": "0"})

    assert form.errors == {
        "documents": ["Item 2 is shorter than 20 characters (it has 9)."],
        "max_sentences": ["Ensure this value is greater than or equal to 1."],
    }


def test_missing_required_inputs_use_djangos_message():
    with override("en"):
        form = bound(KB, {"documents": " \n\n ", "questions": ""})

    assert form.errors == {"documents": ["This field is required."], "questions": ["This field is required."]}


def test_a_gb18030_csv_is_accepted_and_handed_on_as_utf8():
    text = "厚度,温度,缺陷\n1.20,182,0\n1.18,190,1\n"

    form = tabular_form(SimpleUploadedFile("数据.csv", text.encode("gb18030")), target_column="defect")

    assert form.errors == {}
    assert form.to_inputs()[1]["dataset_csv"].read() == text.encode("utf-8")


def test_a_utf8_csv_with_bom_loses_the_bom():
    form = tabular_form(SimpleUploadedFile("d.csv", b"\xef\xbb\xbf" + CSV_TEXT.encode()))

    assert form.to_inputs()[1]["dataset_csv"].read() == CSV_TEXT.encode()


@pytest.mark.parametrize(
    "content,message",
    [
        (
            b"Dear team\nplease find the figures below, thanks.\nBest regards\n",
            "Row 2 does not have as many columns as the header row (2 instead of 1). Are the values separated by commas?",
        ),
        (
            b"1.20,182,0\n1.18,190,1\n",
            "The first row must hold the column names, but it holds numbers. Add a header row.",
        ),
        (b"a,b,c\n", "The CSV file has a header row but no data rows."),
        (b"a,,c\n1,2,3\n", "The first row must name every column; column 2 has no name."),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "“d.csv” is not a text file. Save it as plain text (UTF-8) and try again.",
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "“d.csv” is a Word or Excel file. Save it as plain text or as “CSV UTF-8” and upload that.",
        ),
        (b"", "The submitted file is empty."),
    ],
    ids=["prose", "no-header", "no-data", "unnamed-column", "binary", "excel", "empty"],
)
def test_a_file_that_is_not_a_usable_csv_gets_a_clear_error(content, message):
    with override("en"):
        form = tabular_form(SimpleUploadedFile("d.csv", content))

    assert form.errors == {"dataset_csv": [message]}


def test_a_csv_above_the_size_limit_is_refused_before_it_is_read():
    limit = min(TABULAR["properties"]["dataset_csv"]["maxLength"], MAX_UPLOAD_BYTES)
    content = b"a,b\n" + b"1,2\n" * (limit // 4)

    with override("en"):
        form = tabular_form(SimpleUploadedFile("big.csv", content))

    assert form.errors == {"dataset_csv": ["“big.csv” is too large (19.1\xa0MB); the limit is 19.1\xa0MB."]}


def test_a_csv_shorter_than_min_length_is_refused():
    with override("en"):
        form = tabular_form(SimpleUploadedFile("d.csv", b"a,b\n1,2\n"))

    assert form.errors == {"dataset_csv": ["Ensure this value has at least 20 characters (it has 8)."]}


def test_pasted_csv_works_and_cells_copied_from_excel_become_csv():
    form = tabular_form(dataset_csv__text="thickness\ttemperature\tdefect\r\n1.2\t182\t0\r\n1.18\t190\t1\r\n")

    files = form.to_inputs()[1]

    assert files["dataset_csv"].name == "dataset_csv.csv"
    assert files["dataset_csv"].read().decode() == "thickness,temperature,defect\n1.2,182,0\n1.18,190,1\n"


def test_uploading_and_pasting_at_once_is_refused():
    with override("en"):
        form = tabular_form(SimpleUploadedFile("d.csv", CSV_TEXT.encode()), dataset_csv__text=CSV_TEXT)

    assert form.errors == {"dataset_csv": ["Upload a file or paste the content, not both."]}


def test_rendered_form_has_the_right_inputs():
    form = build_form_class(TABULAR, language="en")()
    html = str(form)

    assert form.is_multipart()
    assert re.search(r'<input type="file" name="dataset_csv" accept=".csv,text/csv"[^>]*>', html)
    assert re.search(r'<textarea name="dataset_csv__text"', html)
    assert re.search(r'<input type="text" name="target_column"[^>]*required', html)
    assert re.search(r'<select name="task"[^>]*>\s*<option value="classification" selected>', html)
    assert re.search(r'<input type="number" name="test_fraction" value="0.2" min="0.05" max="0.5" step="any"', html)
    assert re.search(r'<input type="number" name="time_budget_minutes" value="30" min="1" max="240"', html)
    assert 'name="dataset_csv" accept=".csv,text/csv" required' not in html  # pasting instead must be possible


def test_rendered_knowledge_base_form_offers_text_files_for_documents_only():
    html = str(build_form_class(KB, language="en")())

    assert re.search(r'<textarea name="documents"', html)
    assert re.search(
        r'<input type="file" name="documents__files" accept=".txt,.md,text/plain,text/markdown"[^>]*multiple', html
    )
    assert re.search(r'<textarea name="questions"[^>]*required', html)
    assert "questions__files" not in html


def test_other_keywords_map_to_fitting_fields():
    schema = {
        "type": "object",
        "properties": {
            "notes": {"type": "string", "maxLength": 1000},
            "anonymise": {"type": "boolean", "title": "匿名 / Anonymise", "default": True},
            "level": {"oneOf": [{"const": 1, "title": "低 / Low"}, {"const": 2, "title": "高 / High"}]},
            "outputs": {"type": "array", "items": {"enum": ["pdf", "docx"]}},
            "weights": {"type": "array", "items": {"type": "number"}},
        },
    }
    form_class = build_form_class(schema, language="zh-hans")
    html = str(form_class())

    assert '<textarea name="notes"' in html and 'maxlength="1000"' in html
    assert re.search(r'<input type="checkbox" name="anonymise"[^>]*checked', html)
    assert '<option value="1">低</option>' in html
    assert 'type="checkbox" name="outputs" value="docx"' in html

    form = form_class(data={"notes": "ok", "level": "2", "outputs": ["docx"], "weights": "[0.5, 1]"})
    assert form.to_inputs() == (
        {"notes": "ok", "anonymise": False, "level": 2, "outputs": ["docx"], "weights": [0.5, 1]},
        {},
    )


def test_keywords_only_the_schema_knows_are_still_enforced_on_the_field():
    schema = {
        "type": "object",
        "properties": {
            "cards": {"type": "integer", "multipleOf": 2, "exclusiveMinimum": 0},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "uniqueItems": True},
        },
    }

    with override("en"):
        form = bound(schema, {"cards": "3", "tags": "a\na"})

    assert form.errors == {
        "cards": ["Ensure this value is a multiple of step size 2."],
        "tags": ["The items must all be different."],
    }


def test_a_schema_with_an_unknown_type_degrades_to_a_text_input():
    schema = {
        "type": "object",
        "properties": {"when": {"type": "date", "title": "日期 / Date"}, "anything": {}, "n": {"type": "integer"}},
        "required": ["when"],
    }
    form_class = build_form_class(schema, language="en")

    assert re.search(r'<input type="text" name="when"[^>]*required', str(form_class()))
    form = form_class(data={"when": "2025-12-01", "anything": "x", "n": "3"})
    assert form.to_inputs() == ({"when": "2025-12-01", "anything": "x", "n": 3}, {})
    assert validate_api_inputs(schema, {"when": "2025-12-01", "n": "3"}) == ({}, {"n": ["Enter a whole number."]})


def test_a_schema_that_is_not_a_schema_gives_an_empty_form():
    form_class = build_form_class({"properties": ["not", "a", "dict"]}, language="en")

    assert form_class(data={}).to_inputs() == ({}, {})


# ---------------------------------------------------------------------------------------------
# JSON API
# ---------------------------------------------------------------------------------------------


def test_api_mirrors_the_form_errors():
    body = {"documents": ["Doc", ""], "questions": [f"Q{n}?" for n in range(101)], "top_k": 99, "colour": "red"}

    with override("en"):
        params, errors = validate_api_inputs(KB, body)

    assert params == {}
    assert errors == {
        "colour": ["Unknown input: the launch form has no such field."],
        "documents": ["Item 2 is empty."],
        "questions": ["Enter at most 100 items (there are 101)."],
        "top_k": ["Ensure this value is less than or equal to 10."],
    }


def test_api_refuses_wrong_json_types_that_a_form_would_coerce():
    with override("en"):
        _, errors = validate_api_inputs(
            TABULAR, {"dataset_csv": CSV_TEXT, "target_column": 5, "task": "classification", "test_fraction": "0.2"}
        )

    assert errors == {"target_column": ["Expected text."], "test_fraction": ["Enter a number."]}


def test_api_checks_file_content_like_an_upload():
    with override("en"):
        _, errors = validate_api_inputs(
            TABULAR, {"dataset_csv": "just some words", "target_column": "y", "task": "regression"}
        )

    assert errors == {"dataset_csv": ["The CSV file has a header row but no data rows."]}


def test_api_errors_are_translated():
    with override("zh-hans"):
        _, errors = validate_api_inputs(KB, {"documents": ["Doc"]})

    assert errors == {"questions": ["该字段是必填项。"]}


def test_api_nulls_count_as_not_given_and_missing_booleans_stay_missing():
    schema = {"type": "object", "properties": {"flag": {"type": "boolean", "default": True}, "k": {"type": "integer"}}}

    assert validate_api_inputs(schema, {"k": None}) == ({}, {})
    assert validate_api_inputs(schema, {"flag": False, "k": 2.0}) == ({"flag": False, "k": 2}, {})


def test_api_body_that_is_not_an_object():
    with override("en"):
        assert validate_api_inputs(KB, ["documents"]) == (
            {},
            {"non_field_errors": ["Send the inputs as a JSON object."]},
        )


def test_a_required_input_without_a_property_is_a_form_error_not_a_crash():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "ghost"]}

    with override("en"):
        form = bound(schema, {"a": "x"})

    assert form.errors == {"__all__": ["ghost: This field is required."]}


def test_api_data_files_split_off_like_form_uploads():
    body = {"dataset_csv": CSV_TEXT, "target_column": "defect", "task": "classification"}
    params, errors = validate_api_inputs(TABULAR, body)

    params, files = split_file_params(TABULAR, params)

    assert (params, errors) == ({"target_column": "defect", "task": "classification"}, {})
    assert (files["dataset_csv"].name, files["dataset_csv"].read()) == ("dataset_csv.csv", CSV_TEXT.encode())
