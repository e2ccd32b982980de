"""Serializers of the partner listing API and the operator review API."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.choices import CompatStatus, Modality, OfferingKind, Platform, VersionState, Workload
from catalog.models import ChipType, Compatibility, Offering, OfferingVersion
from catalog.selectors_partner import published_models
from catalog.services.imports import MAX_UPLOAD_BYTES
from catalog.validation import content_fields
from tenants.choices import Industry, Province


@extend_schema_field(OpenApiTypes.STR)
class PublishedModelSlugField(serializers.SlugRelatedField):
    """A model offering by slug: any partner's published model (public by design)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        return published_models()


class ListingContentSerializer(serializers.Serializer):
    """A listing's content. Every field is optional here: a draft may be incomplete, and PATCH
    changes only the fields it names. Fields of another kind are refused by the service."""

    name_zh = serializers.CharField(max_length=200, required=False)
    name_en = serializers.CharField(max_length=200, required=False)
    description_zh = serializers.CharField(required=False, allow_blank=True, help_text="Markdown")
    description_en = serializers.CharField(required=False, allow_blank=True, help_text="Markdown")
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=20)
    industries = serializers.ListField(child=serializers.ChoiceField(choices=Industry.choices), required=False)
    # Compute pool
    chip_type = serializers.SlugRelatedField(
        slug_field="slug", queryset=ChipType.objects.all(), required=False, allow_null=True
    )
    data_centre = serializers.CharField(max_length=120, required=False, allow_blank=True)
    province = serializers.ChoiceField(choices=Province.choices, required=False, allow_blank=True)
    total_cards = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    card_sizes = serializers.ListField(child=serializers.IntegerField(), required=False)
    price_per_card_hour = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    engine = serializers.CharField(max_length=20, required=False, allow_blank=True)
    # Model
    family = serializers.CharField(max_length=60, required=False, allow_blank=True)
    parameters_b = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True)
    modality = serializers.ChoiceField(choices=Modality.choices, required=False, allow_blank=True)
    license = serializers.CharField(max_length=80, required=False, allow_blank=True)
    context_length = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    tasks = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    is_foundation = serializers.BooleanField(required=False, allow_null=True)
    # Solution template
    industry = serializers.ChoiceField(choices=Industry.choices, required=False, allow_blank=True)
    platform = serializers.ChoiceField(choices=Platform.choices, required=False, allow_blank=True)
    model_offering = PublishedModelSlugField(required=False, allow_null=True)
    default_cards = serializers.IntegerField(required=False, allow_null=True)
    workload = serializers.ChoiceField(choices=Workload.choices, required=False, allow_blank=True)
    launch_schema = serializers.DictField(required=False, help_text="A JSON Schema of type object.")
    example_inputs = serializers.DictField(required=False)
    typical_runtime_minutes = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    price_per_run = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)


def parse_content(data) -> dict:
    """Validate a request's `content` object; errors are keyed by field name, like the service's."""
    if data is None:
        raise serializers.ValidationError({"content": ["This field is required."]})
    if not isinstance(data, dict):
        raise serializers.ValidationError({"content": ["Send the content as a JSON object."]})
    serializer = ListingContentSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ListingKindSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OfferingKind.choices)


class ListingCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OfferingKind.choices)
    content = ListingContentSerializer()


class ListingPatchSerializer(serializers.Serializer):
    content = ListingContentSerializer(help_text="Only the fields to change.")


class VersionSerializer(serializers.ModelSerializer):
    content = serializers.SerializerMethodField()

    class Meta:
        model = OfferingVersion
        fields = ["id", "number", "state", "review_note", "submitted_at", "reviewed_at", "created_at", "content"]

    @extend_schema_field(ListingContentSerializer)
    def get_content(self, version) -> dict:
        data = ListingContentSerializer(version).data
        return {f: data[f] for f in content_fields(version.kind)}


class ListingSerializer(serializers.ModelSerializer):
    """A listing with its live version and the version being edited or reviewed (if any)."""

    live_version = VersionSerializer(read_only=True, allow_null=True)
    open_version = serializers.SerializerMethodField()

    class Meta:
        model = Offering
        fields = [
            "id",
            "kind",
            "slug",
            "status",
            "view_count",
            "launch_count",
            "created_at",
            "updated_at",
            "live_version",
            "open_version",
        ]

    @extend_schema_field(VersionSerializer(allow_null=True))
    def get_open_version(self, offering):
        versions = getattr(offering, "open_versions", [])
        return VersionSerializer(versions[0]).data if versions else None


class ModelCompatibilitySerializer(serializers.ModelSerializer):
    chip_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    chip_name = serializers.CharField(source="chip_type.__str__", read_only=True)

    class Meta:
        model = Compatibility
        fields = ["id", "chip_type", "chip_name", "status", "score", "throughput", "min_cards", "note", "checked_on"]


class ModelCompatibilityInputSerializer(serializers.Serializer):
    chip_type = serializers.SlugRelatedField(slug_field="slug", queryset=ChipType.objects.all())
    status = serializers.ChoiceField(choices=CompatStatus.choices)
    score = serializers.IntegerField(min_value=0, max_value=100)
    throughput = serializers.DecimalField(max_digits=10, decimal_places=1, required=False, allow_null=True)
    min_cards = serializers.IntegerField(min_value=1, required=False, default=1)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    checked_on = serializers.DateField(required=False, allow_null=True)


class ReviewVersionSerializer(serializers.ModelSerializer):
    """A version as operator staff review it (any partner's)."""

    offering = serializers.IntegerField(source="offering_id", read_only=True)
    slug = serializers.CharField(source="offering.slug", read_only=True)
    partner = serializers.CharField(source="offering.tenant.display_name", read_only=True)
    partner_id = serializers.IntegerField(source="offering.tenant_id", read_only=True)
    content = serializers.SerializerMethodField()

    class Meta:
        model = OfferingVersion
        fields = [
            "id",
            "offering",
            "slug",
            "partner",
            "partner_id",
            "kind",
            "number",
            "state",
            "submitted_at",
            "reviewed_at",
            "review_note",
            "content",
        ]

    @extend_schema_field(ListingContentSerializer)
    def get_content(self, version) -> dict:
        data = ListingContentSerializer(version).data
        return {f: data[f] for f in content_fields(version.kind)}


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, help_text="Shown to the partner.")


# --- Import, export and preview ---------------------------------------------------------------------


class ListingImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the importer says what is wrong with it, empty or not
        help_text=f"A CSV (UTF-8 or GB18030) or .xlsx file of at most {MAX_UPLOAD_BYTES // 1048576} MB in the "
        "export's format: a row without a slug is a new listing, a row with one of your listings' slugs changes it.",
    )
    submit_for_review = serializers.BooleanField(
        default=False, help_text="Also submit every new and changed version for review."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check the file and say what would happen; keep nothing."
    )


class ImportedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    slug = serializers.CharField(
        allow_null=True, help_text="The listing's slug; null for a new listing in a dry run (nothing is kept)."
    )


class ListingImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Listing rows in the file.")
    created = ImportedRowSerializer(many=True, help_text="Rows that make new listings, in file order.")
    updated = ImportedRowSerializer(
        many=True,
        help_text="Rows that change a listing: its draft or rejected version, or a new version of a published "
        "one (the live version stays in the catalog until the new one is approved).",
    )
    unchanged = ImportedRowSerializer(many=True, help_text="Rows that are what their listing has already.")
    submitted = serializers.IntegerField(help_text="Versions submitted for review.")
    dry_run = serializers.BooleanField()


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    field = serializers.CharField(help_text="The column; empty when the problem is the row as a whole.")
    message = serializers.CharField()


class ListingImportErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="import_rejected (rows have problems: see rows), import_file_invalid (the file cannot be "
        "read as a listing table: see fields.file), invalid …"
    )
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    rows = ImportRowErrorSerializer(
        many=True, required=False, help_text="Every problem of every row; empty unless the code is import_rejected."
    )


class ListingImportErrorSerializer(serializers.Serializer):
    error = ListingImportErrorDetailSerializer()


class PreviewRowSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField(help_text="In the caller's language.")
    value = serializers.CharField(help_text="As the catalog shows it.")


class ListingPreviewSerializer(serializers.Serializer):
    """A listing's open version (else its live one) as the public catalog shows it."""

    id = serializers.IntegerField(source="offering.pk")
    slug = serializers.CharField(source="offering.slug")
    kind = serializers.ChoiceField(choices=OfferingKind.choices, source="version.kind")
    version = serializers.IntegerField(source="version.number")
    state = serializers.ChoiceField(choices=VersionState.choices, source="version.state")
    name_zh = serializers.CharField(source="version.name_zh")
    name_en = serializers.CharField(source="version.name_en")
    description_zh = serializers.CharField(source="version.description_zh", help_text="Markdown")
    description_en = serializers.CharField(source="version.description_en", help_text="Markdown")
    description_html = serializers.CharField(
        help_text="The description in the caller's language, rendered and sanitised as the catalog shows it."
    )
    rows = PreviewRowSerializer(many=True, help_text="The kind's other fields that have a value.")


class ListingStatsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1, max_value=365, default=30, help_text="How many days back, today included."
    )


class ListingStatsSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.DateField(), help_text="One per day, oldest first.")
    views = serializers.ListField(child=serializers.IntegerField(), help_text="Catalog page views per day.")
    launches = serializers.ListField(child=serializers.IntegerField(), help_text="Jobs launched from it per day.")
    total_views = serializers.IntegerField()
    total_launches = serializers.IntegerField()
