"""A solution template's launch form, built from its JSON Schema.

Partners describe a template's launch inputs as a JSON Schema (draft 2020-12,
`catalog.models.OfferingVersion.launch_schema`); customers are not going to type JSON. `build_form_class`
turns the schema's properties into ordinary Django form fields: a file upload (or a paste box) for data
files, one-per-line or blank-line-separated lists, numbers with their limits. The JSON API goes through
the very same form (`validate_api_inputs`), so the page and the API accept and refuse the same inputs.
The schema has the last word: after field cleaning the assembled inputs are checked with `jsonschema`,
and whatever it still refuses is reported on the field it concerns.
"""

import csv
import io
import json
import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    RegexValidator,
    StepValueValidator,
)
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # one data file; larger data belongs in a dataset, not a launch form
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves "CSV" as GB18030
TEXTAREA_ABOVE = 200  # strings allowed to be longer than this get a textarea
ONE_PER_LINE_UP_TO = 500  # list items at most this long (questions) are typed one per line
MAX_ITEM_ERRORS = 10  # a list with 500 bad items would bury the page
API_NON_FIELD_KEY = "non_field_errors"  # the API's key for errors of no single field (as in portal.api)
ACCEPT = {
    "text/csv": ".csv",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/tab-separated-values": ".tsv",
    "application/json": ".json",
}
ITEM_FILE_ACCEPT = ".txt,.md,text/plain,text/markdown"
OFFICE_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx/.docx (zip) and .xls/.doc (OLE)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # never in a text file; tab, CR, LF, FF are
BLANK_LINE = re.compile(r"\n[ \t]*\n")

ITEM = _("Item %(number)d")
FILE = _("File “%(name)s”")
MIN_ITEMS = ngettext_lazy(
    "Enter at least %(limit)d item (there are %(count)d).",
    "Enter at least %(limit)d items (there are %(count)d).",
    "limit",
)
MAX_ITEMS = ngettext_lazy(
    "Enter at most %(limit)d item (there are %(count)d).",
    "Enter at most %(limit)d items (there are %(count)d).",
    "limit",
)
ITEM_TOO_SHORT = ngettext_lazy(
    "%(item)s is shorter than %(limit)d character (it has %(length)d).",
    "%(item)s is shorter than %(limit)d characters (it has %(length)d).",
    "limit",
)
ITEM_TOO_LONG = ngettext_lazy(
    "%(item)s is longer than %(limit)d character (it has %(length)d).",
    "%(item)s is longer than %(limit)d characters (it has %(length)d).",
    "limit",
)
PREFIXED = _("%(item)s: %(problem)s")
REQUIRED = forms.Field.default_error_messages["required"]
# What jsonschema still refuses after field cleaning, said in our words (its own messages quote the
# whole value, which may be a 20 MB file, and are not translated). Django's wording where it has one.
SCHEMA_MESSAGES = {
    "minimum": MinValueValidator.message,
    "maximum": MaxValueValidator.message,
    "exclusiveMinimum": _("Ensure this value is greater than %(limit_value)s."),
    "exclusiveMaximum": _("Ensure this value is less than %(limit_value)s."),
    "multipleOf": StepValueValidator.message,
    "minLength": MinLengthValidator.message,
    "maxLength": MaxLengthValidator.message,
    "pattern": RegexValidator.message,
    "format": RegexValidator.message,
    "enum": forms.ModelChoiceField.default_error_messages["invalid_choice"],
    "const": forms.ModelChoiceField.default_error_messages["invalid_choice"],
    "type": _("This value has the wrong type."),
    "minItems": MIN_ITEMS,
    "maxItems": MAX_ITEMS,
    "uniqueItems": _("The items must all be different."),
}
SCHEMA_FALLBACK = _("This value does not fit the launch form (rule “%(rule)s”).")
API_TYPE_MESSAGES = {
    "string": _("Expected text."),
    "integer": forms.IntegerField.default_error_messages["invalid"],
    "number": forms.DecimalField.default_error_messages["invalid"],
    "boolean": _("Expected true or false."),
    "array": _("Expected a list."),
    "object": _("Expected a JSON object."),
}


# ---------------------------------------------------------------------------------------------
# Text files
# ---------------------------------------------------------------------------------------------


def pick_language(text: Any, language: str) -> str:
    """'中文 / English' (how the demo templates write titles) → the half for `language`."""
    chinese, separator, english = str(text).partition(" / ")
    if not separator:
        return str(text)
    return chinese.strip() if language.lower().startswith("zh") else english.strip()


def _too_large(what: str, size: int, limit: int) -> ValidationError:
    return ValidationError(
        _("%(what)s is too large (%(size)s); the limit is %(limit)s."),
        code="too_large",
        params={"what": what, "size": filesizeformat(size), "limit": filesizeformat(limit)},
    )


def decode_text(data: bytes, *, name: str) -> str:
    """The bytes of an uploaded text file as text, or an error a person can act on."""
    if data.startswith(OFFICE_MAGIC):
        raise ValidationError(
            _("“%(name)s” is a Word or Excel file. Save it as plain text or as “CSV UTF-8” and upload that."),
            code="office",
            params={"name": name},
        )
    for encoding in TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not CONTROL_CHARACTERS.search(text):
            return text
        break
    raise ValidationError(
        _("“%(name)s” is not a text file. Save it as plain text (UTF-8) and try again."),
        code="not_text",
        params={"name": name},
    )


def read_upload(upload: UploadedFile, *, limit: int) -> str:
    """An upload's content as text; the size is checked before anything is read."""
    name = upload.name or "upload"
    if upload.size is not None and upload.size > limit:
        raise _too_large(f"“{name}”", upload.size, limit)
    upload.seek(0)
    data = upload.read()
    if not data:
        raise ValidationError(forms.FileField.default_error_messages["empty"], code="empty")
    return decode_text(data, name=name)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_csv(text: str) -> None:
    """Refuse text that a training job could not read as a table with named columns."""
    try:
        rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1) if any(row)]
    except csv.Error as exc:
        raise ValidationError(
            _("This is not a readable CSV file (%(error)s)."), code="csv", params={"error": exc}
        ) from None
    if not rows:
        raise ValidationError(_("The CSV file has no rows."), code="csv_empty")
    header = [cell.strip() for cell in rows[0][1]]
    for number, name in enumerate(header, 1):
        if not name:
            raise ValidationError(
                _("The first row must name every column; column %(number)d has no name."),
                code="csv_header",
                params={"number": number},
            )
        if header.index(name) != number - 1:
            raise ValidationError(
                _("The first row names the column “%(name)s” twice."), code="csv_header", params={"name": name}
            )
    if all(_is_number(name) for name in header):
        raise ValidationError(
            _("The first row must hold the column names, but it holds numbers. Add a header row."), code="csv_header"
        )
    if len(rows) < 2:
        raise ValidationError(_("The CSV file has a header row but no data rows."), code="csv_no_data")
    for number, row in rows[1:]:
        if len(row) != len(header):
            raise ValidationError(
                _(
                    "Row %(row)d does not have as many columns as the header row (%(found)d instead of "
                    "%(expected)d). Are the values separated by commas?"
                ),
                code="csv_columns",
                params={"row": number, "found": len(row), "expected": len(header)},
            )


def tabs_to_csv(text: str) -> str:
    """Cells copied from Excel arrive separated by tabs; make them the CSV the job expects."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if "\t" not in first_line or "," in first_line:
        return text
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    return out.getvalue()


def _int_or_none(value: Any) -> int | None:
    return value if _is_int(value) else None


def _pattern(subschema: dict) -> re.Pattern | None:
    """The schema's `pattern`, compiled; one Python cannot read is left to jsonschema (which skips it)."""
    pattern = subschema.get("pattern")
    if not isinstance(pattern, str):
        return None
    try:
        return re.compile(pattern)
    except re.error:
        logger.warning("launch schema pattern %r is not a Python regex", pattern)
        return None


def _string_validators(subschema: dict) -> list[Callable]:
    """Django's validators (and so Django's translated messages) for a string's length and pattern."""
    validators: list[Callable] = []
    if (min_length := _int_or_none(subschema.get("minLength"))) is not None:
        validators.append(MinLengthValidator(min_length))
    if (max_length := _int_or_none(subschema.get("maxLength"))) is not None:
        validators.append(MaxLengthValidator(max_length))
    if (pattern := _pattern(subschema)) is not None:
        validators.append(RegexValidator(pattern))  # a search, like JSON Schema's `pattern`
    return validators


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number_value(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _run_validators(validators: list[Callable], value: Any) -> None:
    errors = []
    for validator in validators:
        try:
            validator(value)
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PairWidget(forms.MultiWidget):
    """Two inputs for one value (a file input and a paste box), with a line of text between them.
    Subwidget names are `<name>` and `<name>__<suffix>`, so the field keeps its schema name."""

    def __init__(self, widgets: dict[str, forms.Widget], *, between: str, text_slot: int):
        super().__init__(widgets)
        self.between = between
        self.text_slot = text_slot

    def use_required_attribute(self, initial: Any) -> bool:
        return False  # either input may be the one the person fills in

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else ""

    def decompress(self, value: Any) -> list:
        values: list = [None, None]
        values[self.text_slot] = value
        return values

    def render(self, name, value, attrs=None, renderer=None):
        first, second = self.get_context(name, value, attrs)["widget"]["subwidgets"]
        return format_html(
            '{}<label class="form-text d-block mt-2 mb-1" for="{}">{}</label>{}',
            self._render(first["template_name"], {"widget": first}, renderer),
            second["attrs"].get("id", ""),
            self.between,
            self._render(second["template_name"], {"widget": second}, renderer),
        )


@dataclass(frozen=True)
class TextUpload:
    """A data file's content, decoded: what the form keeps of an upload or of pasted text."""

    name: str
    text: str
    media_type: str

    def as_file(self) -> SimpleUploadedFile:
        """The content as a UTF-8 file, whatever encoding it came in (jobs read UTF-8 only)."""
        return SimpleUploadedFile(self.name, self.text.encode("utf-8"), content_type=self.media_type)


class TextFileField(forms.Field):
    """A string with `contentMediaType`: upload a file, or paste its content. Cleans to a TextUpload."""

    def __init__(self, *, name: str, media_type: str, subschema: dict, **kwargs):
        self.media_type = media_type
        extension = ACCEPT.get(media_type) or mimetypes.guess_extension(media_type) or ""
        self.default_name = f"{name}{extension}"
        max_length = subschema.get("maxLength")
        self.byte_limit = min(max_length, MAX_UPLOAD_BYTES) if _is_int(max_length) else MAX_UPLOAD_BYTES
        self.text_validators = _string_validators(subschema)
        accept = ",".join(filter(None, (extension, media_type)))
        widget = PairWidget(
            {
                "": forms.FileInput(attrs={"accept": accept}),
                "_text": forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
            },
            between=_("…or paste the content here:"),
            text_slot=1,
        )
        super().__init__(widget=widget, **kwargs)
        limit = _("At most %(size)s.") % {"size": filesizeformat(self.byte_limit)}
        self.help_text = f"{self.help_text} {limit}" if self.help_text else limit

    def clean(self, value: Any) -> TextUpload | None:
        upload, pasted = value if isinstance(value, list | tuple) else (None, value)
        pasted = pasted if isinstance(pasted, str) and pasted.strip() else ""
        if upload and pasted:
            raise ValidationError(_("Upload a file or paste the content, not both."), code="both")
        if upload:
            content = TextUpload(
                upload.name or self.default_name, read_upload(upload, limit=self.byte_limit), self.media_type
            )
        elif pasted:
            content = self._from_paste(pasted)
        elif self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        else:
            return None
        if self.media_type == "text/csv":
            check_csv(content.text)
        _run_validators(self.text_validators, content.text)
        return content

    def _from_paste(self, text: str) -> TextUpload:
        size = len(text.encode("utf-8"))
        if size > self.byte_limit:
            raise _too_large(str(_("The pasted text")), size, self.byte_limit)
        if self.media_type == "text/csv":
            text = tabs_to_csv(text)
        return TextUpload(self.default_name, text, self.media_type)


@dataclass(frozen=True)
class _Item:
    label: str  # "Item 3" or "File “a.txt”", for messages
    text: Any


class ItemListField(forms.Field):
    """An array of strings: typed one per line (short items) or separated by blank lines (long
    items, which may also come as uploaded .txt/.md files, one item per file). Errors name the item."""

    def __init__(self, *, items: dict, min_items: Any, max_items: Any, **kwargs):
        self.min_items, self.max_items = _int_or_none(min_items), _int_or_none(max_items)
        self.min_length = _int_or_none(items.get("minLength")) or 0
        self.max_length = _int_or_none(items.get("maxLength"))
        self.pattern = _pattern(items)
        self.one_per_line = self.max_length is not None and self.max_length <= ONE_PER_LINE_UP_TO
        self.accepts_files = not self.one_per_line
        textarea = forms.Textarea(attrs={"rows": 6 if self.one_per_line else 10})
        if self.accepts_files:
            files = MultipleFileInput(attrs={"accept": ITEM_FILE_ACCEPT})
            between = _("…and/or upload .txt or .md files, one item per file:")
            kwargs["widget"] = PairWidget({"": textarea, "_files": files}, between=between, text_slot=0)
        else:
            kwargs["widget"] = textarea
        super().__init__(**kwargs)

    @property
    def separator(self) -> str:
        return "\n" if self.one_per_line else "\n\n"

    def clean(self, value: Any) -> list[str]:
        typed, uploads = value if self.accepts_files and isinstance(value, list | tuple) else (value, None)
        items = self._typed_items(typed) + self._file_items(uploads)
        if not items:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        errors = self._count_errors(len(items)) + [e for item in items for e in self._item_errors(item)]
        if len(errors) > MAX_ITEM_ERRORS:
            more = len(errors) - MAX_ITEM_ERRORS
            errors = [
                *errors[:MAX_ITEM_ERRORS],
                ValidationError(_("…and %(count)d more problems."), code="more", params={"count": more}),
            ]
        if errors:
            raise ValidationError(errors)
        return [item.text for item in items]

    def _typed_items(self, typed: Any) -> list[_Item]:
        if isinstance(typed, list):  # the JSON API sends the list itself
            texts = [text.strip() if isinstance(text, str) else text for text in typed]
        else:
            text = (typed or "").replace("\r\n", "\n").strip()
            parts = text.split("\n") if self.one_per_line else BLANK_LINE.split(text)
            texts = [part.strip() for part in parts if part.strip()]
        return [_Item(str(ITEM % {"number": n}), text) for n, text in enumerate(texts, 1)]

    def _file_items(self, uploads: Any) -> list[_Item]:
        if isinstance(uploads, UploadedFile):
            uploads = [uploads]
        items, errors = [], []
        for upload in uploads or []:
            try:
                text = read_upload(upload, limit=MAX_UPLOAD_BYTES).strip()
            except ValidationError as exc:
                errors.extend(exc.error_list)
                continue
            items.append(_Item(str(FILE % {"name": upload.name}), text))
        if errors:
            raise ValidationError(errors)
        return items

    def _count_errors(self, count: int) -> list[ValidationError]:
        if self.min_items is not None and count < self.min_items:
            return [ValidationError(MIN_ITEMS, code="min_items", params={"limit": self.min_items, "count": count})]
        if self.max_items is not None and count > self.max_items:
            return [ValidationError(MAX_ITEMS, code="max_items", params={"limit": self.max_items, "count": count})]
        return []

    def _item_errors(self, item: _Item) -> list[ValidationError]:
        if not isinstance(item.text, str):
            return [ValidationError(_("%(item)s is not text."), code="item_type", params={"item": item.label})]
        length = len(item.text)
        if not length and self.min_length:
            return [ValidationError(_("%(item)s is empty."), code="item_empty", params={"item": item.label})]
        params = {"item": item.label, "length": length}
        errors = []
        if length < self.min_length:
            errors.append(
                ValidationError(ITEM_TOO_SHORT, code="min_length", params={**params, "limit": self.min_length})
            )
        if self.max_length is not None and length > self.max_length:
            errors.append(
                ValidationError(ITEM_TOO_LONG, code="max_length", params={**params, "limit": self.max_length})
            )
        if self.pattern is not None and not self.pattern.search(item.text):
            errors.append(
                ValidationError(_("%(item)s does not have the expected format."), code="pattern", params=params)
            )
        return errors


class JsonTextField(forms.CharField):
    """Anything the form has no better input for (objects, lists of numbers): typed as JSON."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})

    def prepare_value(self, value: Any) -> Any:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def to_python(self, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            return value  # the JSON API sends the value itself
        text = super().to_python(value)
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValidationError(_("Enter valid JSON."), code="invalid_json") from None


# ---------------------------------------------------------------------------------------------
# Schema → form
# ---------------------------------------------------------------------------------------------


def json_type(subschema: dict) -> str | None:
    """The property's type; of a list like ["integer", "null"], the first that is not null."""
    declared = subschema.get("type")
    candidates = declared if isinstance(declared, list) else [declared]
    return next((t for t in candidates if isinstance(t, str) and t != "null"), None)


def choice_key(value: Any) -> str:
    """How an enum value travels in an HTML form."""
    return value if isinstance(value, str) else json.dumps(value)


def _choices(subschema: dict, language: str) -> list[tuple[Any, str]] | None:
    """`enum`, or a `oneOf`/`anyOf` of `const`s with titles (JSON Schema's way of labelling choices)."""
    if isinstance(subschema.get("enum"), list):
        return [(value, str(value)) for value in subschema["enum"]]
    for keyword in ("oneOf", "anyOf"):
        options = subschema.get(keyword)
        if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
            return [(o["const"], pick_language(o.get("title", o["const"]), language)) for o in options]
    return None


def _choice_field(choices: list[tuple[Any, str]], subschema: dict, common: dict) -> forms.Field:
    by_key = {choice_key(value): value for value, _label in choices}
    options = [(choice_key(value), label) for value, label in choices]
    if "default" in subschema:
        common["initial"] = choice_key(subschema["default"])
    if not common["required"] or "default" not in subschema:
        options = [("", "—"), *options]
    return forms.TypedChoiceField(choices=options, coerce=by_key.__getitem__, empty_value="", **common)


def _string_field(name: str, subschema: dict, common: dict) -> forms.Field:
    media_type = subschema.get("contentMediaType")
    if isinstance(media_type, str):
        common.pop("initial", None)  # a sample file in the paste box would be launched by mistake
        return TextFileField(name=name, media_type=media_type, subschema=subschema, **common)
    max_length = _int_or_none(subschema.get("maxLength"))
    long_text = max_length is not None and max_length > TEXTAREA_ABOVE
    pattern = _pattern(subschema)
    return forms.CharField(
        max_length=max_length,
        min_length=_int_or_none(subschema.get("minLength")),
        validators=[RegexValidator(pattern)] if pattern else [],
        widget=forms.Textarea(attrs={"rows": 4}) if long_text else forms.TextInput,
        **common,
    )


def _number_field(kind: str, subschema: dict, common: dict) -> forms.Field:
    limits = {
        key: subschema[keyword]
        for key, keyword in (("min_value", "minimum"), ("max_value", "maximum"))
        if _is_number_value(subschema.get(keyword))
    }
    if kind == "integer":
        return forms.IntegerField(**limits, **common)
    return forms.DecimalField(**{key: Decimal(str(value)) for key, value in limits.items()}, **common)


def _array_field(subschema: dict, common: dict, language: str) -> forms.Field:
    items = subschema.get("items") if isinstance(subschema.get("items"), dict) else {}
    choices = _choices(items, language)
    if choices is not None:
        by_key = {choice_key(value): value for value, _label in choices}
        if isinstance(common.get("initial"), list):
            common["initial"] = [choice_key(value) for value in common["initial"]]
        return forms.TypedMultipleChoiceField(
            choices=[(choice_key(v), label) for v, label in choices],
            coerce=by_key.__getitem__,
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if json_type(items) != "string":
        return JsonTextField(**common)
    field = ItemListField(
        items=items, min_items=subschema.get("minItems"), max_items=subschema.get("maxItems"), **common
    )
    if isinstance(field.initial, list):
        field.initial = field.separator.join(map(str, field.initial))
    instructions = _("One per line.") if field.one_per_line else _("Separate items with an empty line.")
    field.help_text = format_lazy("{} {}", field.help_text, instructions) if field.help_text else instructions
    return field


def _field_for(name: str, subschema: Any, *, required: bool, language: str) -> forms.Field:
    subschema = subschema if isinstance(subschema, dict) else {}
    common: dict[str, Any] = {
        "label": pick_language(subschema["title"], language)
        if "title" in subschema
        else name.replace("_", " ").capitalize(),
        "help_text": pick_language(subschema["description"], language) if "description" in subschema else "",
        "required": required,
    }
    if "default" in subschema:
        common["initial"] = subschema["default"]
    kind = json_type(subschema)
    choices = _choices(subschema, language)
    if choices is not None:
        return _choice_field(choices, subschema, common)
    if kind == "string":
        return _string_field(name, subschema, common)
    if kind in ("integer", "number"):
        return _number_field(kind, subschema, common)
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})  # unticked is an answer: false
    if kind == "array":
        return _array_field(subschema, common, language)
    if kind == "object":
        return JsonTextField(**common)
    return forms.CharField(**common)  # no or unknown type: the schema check below still applies


class SchemaForm(forms.Form):
    """Base of the forms `build_form_class` makes; the built class carries the schema it came from."""

    launch_schema: dict = {}

    def clean(self) -> dict:
        cleaned = super().clean()
        had_errors = set(self.errors)
        for field, error in schema_errors(self.launch_schema, self.collect_params(contents=True)):
            if field in had_errors or field in self.errors:
                continue  # one message per field is enough, and the field's own comes first
            if field is not None and field not in self.fields:  # e.g. `required` names no property
                field, error = None, ValidationError(PREFIXED, params={"item": field, "problem": error.messages[0]})
            self.add_error(field, error)
        return cleaned

    def to_inputs(self) -> tuple[dict, dict[str, UploadedFile]]:
        """(params, files) of a valid form. Params are typed JSON values, leaving out fields left
        empty (the job's own defaults apply); data files are not in params but in `files`, as UTF-8
        files, for the job service to store and put a path in params."""
        if not self.is_valid():
            raise ValueError("to_inputs() needs a valid form")
        files = {name: value.as_file() for name, value in self.cleaned_data.items() if isinstance(value, TextUpload)}
        return self.collect_params(contents=False), files

    def collect_params(self, *, contents: bool) -> dict:
        """Cleaned values as JSON params; data files as their text (`contents`) or left out."""
        params: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value is None or (isinstance(value, str | list) and not value):
                continue
            if isinstance(value, TextUpload):
                if contents:
                    params[name] = value.text
                continue
            params[name] = float(value) if isinstance(value, Decimal) else value
        return params


def build_form_class(schema: dict, *, language: str) -> type[SchemaForm]:
    """A form class for a launch schema; labels and help in `language` where the schema is bilingual
    ("中文 / English"). Never fails on an odd schema: what it cannot map becomes a text input."""
    schema = schema if isinstance(schema, dict) else {}
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    fields = {
        name: _field_for(name, subschema, required=name in required, language=language)
        for name, subschema in properties.items()
    }
    form_class = type("LaunchForm", (SchemaForm,), fields)
    form_class.launch_schema = schema  # set after: a property may itself be called "launch_schema"
    return form_class


# ---------------------------------------------------------------------------------------------
# The schema's last word
# ---------------------------------------------------------------------------------------------


def schema_errors(schema: dict, instance: dict) -> list[tuple[str | None, ValidationError]]:
    """What jsonschema refuses in `instance`, as (property or None, translated error). A schema that
    jsonschema cannot apply (unresolvable $ref, unknown type) is logged and skipped: the field checks
    have run, and the partner's mistake should not block every launch."""
    try:
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        found = list(validator.iter_errors(instance))
    except Exception:
        logger.warning("launch schema cannot be applied; field checks only", exc_info=True)
        return []
    problems: list[tuple[str | None, ValidationError]] = []
    for error in found:
        path = list(error.absolute_path)
        if path:
            problems.append((str(path[0]), _describe(error, path[1:])))
        elif error.validator == "required" and isinstance(error.validator_value, list):
            missing = [name for name in error.validator_value if name not in instance]
            problems += [(name, ValidationError(REQUIRED, code="required")) for name in missing]
        else:
            problems.append((None, _describe(error, [])))
    return problems


def _describe(error: Any, inner_path: list) -> ValidationError:
    rule = str(error.validator)
    limit = error.validator_value
    instance = error.instance
    params = {
        "limit_value": limit,
        "show_value": len(instance) if isinstance(instance, str | list) else 0,
        "limit": limit if _is_int(limit) else 0,
        "count": len(instance) if isinstance(instance, list) else 0,
        "rule": rule,
    }
    message = ValidationError(SCHEMA_MESSAGES.get(rule, SCHEMA_FALLBACK), code=rule, params=params)
    if inner_path and _is_int(inner_path[0]):
        item = ITEM % {"number": inner_path[0] + 1}
        return ValidationError(PREFIXED, code=rule, params={"item": item, "problem": message.messages[0]})
    return message


# ---------------------------------------------------------------------------------------------
# JSON API
# ---------------------------------------------------------------------------------------------


def _api_type_error(subschema: dict, value: Any) -> str | None:
    """JSON is typed: "5" is not an integer there, though a form field would take it."""
    kind = json_type(subschema)
    ok = {
        "string": isinstance(value, str),
        "integer": _is_int(value) or (isinstance(value, float) and value.is_integer()),
        "number": _is_number_value(value),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
    }.get(kind or "", True)
    return None if ok else str(API_TYPE_MESSAGES[kind])


def validate_api_inputs(schema: dict, data: dict) -> tuple[dict, dict[str, list[str]]]:
    """Check a JSON body against a launch schema by the form's own rules.

    Data files come as their text content. Returns (params, {}) when all is well, params holding
    data files as text (the job service stores them like uploads); else ({}, errors by field, with
    API_NON_FIELD_KEY for the rest). `null` means "not given"; keys the form has no field for are refused.
    """
    if not isinstance(data, dict):
        return {}, {API_NON_FIELD_KEY: [str(_("Send the inputs as a JSON object."))]}
    form_class = build_form_class(schema, language=get_language() or "en")
    properties = form_class.launch_schema.get("properties") or {}
    errors: dict[str, list[str]] = {}
    form_data: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    for name, value in data.items():
        field = form_class.base_fields.get(name)
        if field is None:
            errors[name] = [str(_("Unknown input: the launch form has no such field."))]
            continue
        subschema = properties[name] if isinstance(properties[name], dict) else {}
        problem = None if value is None else _api_type_error(subschema, value)
        if problem:
            errors[name] = [problem]
        elif isinstance(field, TextFileField):
            if value and value.strip():  # like an empty paste box: not given
                files[name] = SimpleUploadedFile(
                    field.default_name, value.encode("utf-8"), content_type=field.media_type
                )
        elif isinstance(field, forms.TypedChoiceField) and value is not None:
            form_data[name] = choice_key(value)
        elif isinstance(field, forms.TypedMultipleChoiceField) and isinstance(value, list):
            form_data[name] = [choice_key(v) for v in value]
        elif value is not None:
            form_data[name] = value
    form = form_class(data=form_data, files=files)
    for name, messages in form.errors.items():
        key = API_NON_FIELD_KEY if name == NON_FIELD_ERRORS else name
        errors.setdefault(key, [str(m) for m in messages])
    if errors:
        return {}, errors
    return {name: value for name, value in form.collect_params(contents=True).items() if name in data}, {}


def split_file_params(schema: dict, params: dict) -> tuple[dict, dict[str, UploadedFile]]:
    """Params from `validate_api_inputs` in the shape `SchemaForm.to_inputs` gives: (params without
    data files, data files as UTF-8 uploads), so the launch service treats both channels alike."""
    fields = build_form_class(schema, language="en").base_fields
    files = {
        name: TextUpload(field.default_name, params[name], field.media_type).as_file()
        for name, field in fields.items()
        if isinstance(field, TextFileField) and name in params
    }
    return {name: value for name, value in params.items() if name not in files}, files
