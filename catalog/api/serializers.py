from rest_framework import serializers

from catalog.models import ChipType, Compatibility, OfferingVersion, PartnerProfile


class ChipTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChipType
        fields = [
            "slug",
            "vendor",
            "model",
            "is_domestic",
            "memory_gb",
            "fp16_tflops",
            "software_stack",
            "perf_score",
            "k8s_resource",
            "slurm_gres",
        ]


class OfferingSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="offering.slug")
    version = serializers.IntegerField(source="number")
    partner_id = serializers.IntegerField(source="tenant_id")
    partner = serializers.CharField(source="tenant.name_zh")
    partner_en = serializers.CharField(source="tenant.name_en")
    chip_type = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    model = serializers.SlugRelatedField(source="model_offering", slug_field="slug", read_only=True, allow_null=True)
    typical_run_cost = serializers.DecimalField(source="list_price", max_digits=12, decimal_places=2, allow_null=True)

    class Meta:
        model = OfferingVersion
        fields = [
            "slug",
            "version",
            "kind",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "tags",
            "industries",
            "partner_id",
            "partner",
            "partner_en",
            "partner_category",
            "perf_score",
            "typical_run_cost",
            "chip_type",
            "data_centre",
            "province",
            "total_cards",
            "card_sizes",
            "price_per_card_hour",
            "family",
            "parameters_b",
            "modality",
            "license",
            "context_length",
            "tasks",
            "is_foundation",
            "industry",
            "platform",
            "model",
            "default_cards",
            "workload",
            "launch_schema",
            "example_inputs",
            "typical_runtime_minutes",
            "price_per_run",
        ]


class CompatibilitySerializer(serializers.ModelSerializer):
    model = serializers.SlugRelatedField(source="model_offering", slug_field="slug", read_only=True, allow_null=True)
    chip_type = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Compatibility
        fields = ["model", "chip_type", "status", "score", "throughput", "min_cards", "note", "checked_on"]


class PartnerSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="tenant_id")
    name_zh = serializers.CharField(source="tenant.name_zh")
    name_en = serializers.CharField(source="tenant.name_en")
    verified = serializers.BooleanField(source="tenant.is_verified")

    class Meta:
        model = PartnerProfile
        fields = [
            "id",
            "name_zh",
            "name_en",
            "category",
            "province",
            "website",
            "description_zh",
            "description_en",
            "verified",
        ]


class FacetsSerializer(serializers.Serializer):
    kind = serializers.DictField(child=serializers.IntegerField())
    category = serializers.DictField(child=serializers.IntegerField())
    industry = serializers.DictField(child=serializers.IntegerField())
    vendor = serializers.DictField(child=serializers.IntegerField())
    domestic = serializers.DictField(child=serializers.IntegerField())
    region = serializers.DictField(child=serializers.IntegerField())
    chip = serializers.DictField(child=serializers.IntegerField())


class CompareCellSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What the cell says; an em dash when the offering has nothing here.")
    note = serializers.CharField(help_text="The unit or qualifier after the value, e.g. “per card-hour”.")


class CompareRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="In the request's language.")
    cells = CompareCellSerializer(many=True, help_text="One per offering, in the order of `offerings`.")


class CompareSerializer(serializers.Serializer):
    offerings = OfferingSerializer(many=True)
    rows = CompareRowSerializer(many=True)
    not_found = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs asked for that name no published offering."
    )
