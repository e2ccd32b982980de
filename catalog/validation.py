"""What a listing's content must satisfy: types always, completeness before review."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from catalog.choices import CARD_SIZES, OfferingKind, VersionState
from catalog.models import ChipType, Offering, OfferingVersion
from tenants.choices import Industry

COMMON_FIELDS = ("name_zh", "name_en", "description_zh", "description_en", "tags", "industries")
KIND_FIELDS = {
    OfferingKind.COMPUTE: (
        "chip_type",
        "data_centre",
        "province",
        "total_cards",
        "card_sizes",
        "price_per_card_hour",
        "engine",
    ),
    OfferingKind.MODEL: (
        "family",
        "parameters_b",
        "modality",
        "license",
        "context_length",
        "tasks",
        "is_foundation",
        "price_per_run",
    ),
    OfferingKind.SOLUTION: (
        "industry",
        "platform",
        "model_offering",
        "default_cards",
        "workload",
        "launch_schema",
        "example_inputs",
        "typical_runtime_minutes",
        "price_per_run",
    ),
}
REQUIRED = {
    OfferingKind.COMPUTE: (
        "name_zh",
        "name_en",
        "chip_type",
        "data_centre",
        "province",
        "total_cards",
        "card_sizes",
        "price_per_card_hour",
    ),
    OfferingKind.MODEL: ("name_zh", "name_en", "family", "modality", "license", "is_foundation"),
    OfferingKind.SOLUTION: (
        "name_zh",
        "name_en",
        "industry",
        "platform",
        "model_offering",
        "default_cards",
        "workload",
        "launch_schema",
        "typical_runtime_minutes",
    ),
}
MAX_TAGS = 20


def content_fields(kind: str) -> tuple[str, ...]:
    return COMMON_FIELDS + KIND_FIELDS[kind]


def apply_content(version: OfferingVersion, data: dict) -> None:
    """Copy `data` onto the version. Unknown or other-kind fields are refused, not ignored."""
    allowed = content_fields(version.kind)
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({f: _("Not a field of this kind of offering.") for f in unknown})
    for field, value in data.items():
        if field == "chip_type" and isinstance(value, str):
            value = ChipType.objects.filter(slug=value).first()
            if value is None:
                raise ValidationError({"chip_type": _("Unknown chip type.")})
        if field == "model_offering" and isinstance(value, str):
            value = Offering.unscoped.filter(slug=value).first()
            if value is None:
                raise ValidationError({"model_offering": _("Unknown model.")})
        setattr(version, field, value)


def validate_version(version: OfferingVersion, *, complete: bool) -> None:
    errors: dict[str, list] = {}
    try:
        version.full_clean(exclude=["tenant", "offering", "number", "state", "reviewed_by", "list_price", "perf_score"])
    except ValidationError as exc:
        errors.update(exc.message_dict)

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if not isinstance(version.tags, list) or not all(isinstance(t, str) and 0 < len(t) <= 40 for t in version.tags):
        add("tags", _("Tags must be a list of short words."))
    elif len(version.tags) > MAX_TAGS:
        add("tags", _("At most %(n)d tags.") % {"n": MAX_TAGS})
    if not isinstance(version.industries, list) or not set(version.industries) <= set(Industry.values):
        add("industries", _("Choose industries from the list."))
    if version.kind == OfferingKind.COMPUTE:
        if not isinstance(version.card_sizes, list) or not set(version.card_sizes) <= set(CARD_SIZES):
            add("card_sizes", _("Sizes are sold as 1, 2, 4 or 8 cards."))
        elif version.total_cards and version.card_sizes and max(version.card_sizes) > version.total_cards:
            add("card_sizes", _("A size cannot be larger than the pool."))
        if version.price_per_card_hour is not None and version.price_per_card_hour <= Decimal(0):
            add("price_per_card_hour", _("The price must be above zero."))
    if version.kind == OfferingKind.SOLUTION:
        if version.default_cards and version.default_cards not in CARD_SIZES:
            add("default_cards", _("Sizes are sold as 1, 2, 4 or 8 cards."))
        if version.model_offering_id:
            model = Offering.unscoped.filter(pk=version.model_offering_id).first()
            if model is None or model.kind != OfferingKind.MODEL or model.live_version_id is None:
                add("model_offering", _("Choose a published model."))
        schema = version.launch_schema
        if schema:
            try:
                Draft202012Validator.check_schema(schema)
                if schema.get("type") != "object":
                    raise SchemaError("the launch form must describe an object")
            except SchemaError as exc:
                add(
                    "launch_schema", _("The launch form is not a valid JSON Schema: %(error)s") % {"error": exc.message}
                )
            else:
                if version.example_inputs:
                    problems = [e.message for e in Draft202012Validator(schema).iter_errors(version.example_inputs)]
                    if problems:
                        add(
                            "example_inputs",
                            _("The example inputs do not fit the launch form: %(error)s") % {"error": problems[0]},
                        )
    if complete:
        for field in REQUIRED[version.kind]:
            value = (
                getattr(version, field + "_id", None)
                if field in ("chip_type", "model_offering")
                else getattr(version, field)
            )
            if value in (None, "", [], {}):
                add(field, _("Required before the listing can be submitted for review."))
    if errors:
        raise ValidationError(errors)


def is_frozen(version: OfferingVersion) -> bool:
    return version.state not in (VersionState.DRAFT, VersionState.REJECTED)
