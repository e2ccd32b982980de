"""Serializers of the quota and pool API. Request rules (raise at least one limit, lower none; grant
at most what was asked) are the same functions the page forms use."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import ChipType
from compute.forms import LIMIT_FIELDS, MAX_LIMIT, grant_problems, request_problems
from compute.models import EngineName, Pool, QuotaRequest, RequestState
from compute.quotas import limits_for
from compute.selectors import LimitSource
from tenants.choices import SizeClass


def _limit(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, **kwargs)


class QuotaLimitsSerializer(serializers.Serializer):
    concurrent_cards = serializers.IntegerField()
    card_hours_month = serializers.IntegerField()
    concurrent_jobs = serializers.IntegerField()


class QuotaUsageSerializer(serializers.Serializer):
    cards = serializers.IntegerField(help_text="Cards held by running and admitted jobs now.")
    jobs = serializers.IntegerField(help_text="Jobs running or admitted now.")
    card_hours_month = serializers.FloatField(help_text="Card-hours metered since the start of the month.")


class QuotaSerializer(serializers.Serializer):
    """A company's limits and usage on one chip type."""

    chip = serializers.CharField(source="chip.slug")
    chip_name = serializers.CharField(source="chip")
    source = serializers.ChoiceField(choices=LimitSource.choices, help_text="Where the limits come from.")
    limits = QuotaLimitsSerializer()
    usage = QuotaUsageSerializer()


class QuotaRequestSerializer(serializers.ModelSerializer):
    chip = serializers.CharField(source="chip_type.slug")
    chip_name = serializers.CharField(source="chip_type")
    state = serializers.ChoiceField(choices=RequestState.choices)

    class Meta:
        model = QuotaRequest
        fields = [
            "id",
            "chip",
            "chip_name",
            *LIMIT_FIELDS,
            "reason",
            "state",
            "decision_note",
            "granted_cards",
            "granted_card_hours",
            "granted_jobs",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class QuotaRequestCreateSerializer(serializers.Serializer):
    """Ask for higher limits on one chip type. Send all three limits; keep the ones you do not need
    raised at their current value (GET quotas/ shows them)."""

    chip = serializers.SlugRelatedField(slug_field="slug", queryset=ChipType.objects.all())
    concurrent_cards = _limit()
    card_hours_month = _limit()
    concurrent_jobs = _limit()
    reason = serializers.CharField(max_length=2000)

    def validate(self, attrs):
        current = limits_for(self.context["tenant"], attrs["chip"].pk)
        problems = request_problems(current, attrs)
        if problems:
            raise serializers.ValidationError({name: [message] for name, message in problems.items()})
        return attrs


class QuotaCompanySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    credit_code = serializers.CharField()
    size_class = serializers.ChoiceField(choices=SizeClass.choices)


class OperatorQuotaRequestSerializer(QuotaRequestSerializer):
    """A request with its company and the company's limits now (`context["current"]`: id → Limits)."""

    company = QuotaCompanySerializer(source="tenant")
    current = serializers.SerializerMethodField(help_text="The company's limits on this chip type now.")

    class Meta(QuotaRequestSerializer.Meta):
        fields = ["id", "company", "current", *QuotaRequestSerializer.Meta.fields[1:]]
        read_only_fields = fields

    @extend_schema_field(QuotaLimitsSerializer)
    def get_current(self, obj: QuotaRequest) -> dict:
        return QuotaLimitsSerializer(self.context["current"][obj.pk]).data


class QuotaApproveInputSerializer(serializers.Serializer):
    """Grants default to what was asked; each may be lower, none higher."""

    concurrent_cards = _limit(required=False)
    card_hours_month = _limit(required=False)
    concurrent_jobs = _limit(required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        problems = grant_problems(self.context["quota_request"], attrs)
        if problems:
            raise serializers.ValidationError({name: [message] for name, message in problems.items()})
        return attrs


class QuotaRejectInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, help_text="Why not; the company sees this.")


class PoolUtilisationSerializer(serializers.ModelSerializer):
    chip = serializers.CharField(source="chip_type.slug")
    chip_name = serializers.CharField(source="chip_type")
    cards_in_use = serializers.IntegerField()
    running_jobs = serializers.IntegerField()
    queued_jobs = serializers.IntegerField()

    class Meta:
        model = Pool
        fields = [
            "id",
            "name",
            "chip",
            "chip_name",
            "engine",
            "is_active",
            "total_cards",
            "cards_in_use",
            "running_jobs",
            "queued_jobs",
        ]
        read_only_fields = fields


class QuotaDefaultSerializer(serializers.Serializer):
    """The default quota of a size class, for one chip type or (`chip` null) any chip type."""

    id = serializers.IntegerField(read_only=True)
    size_class = serializers.ChoiceField(choices=SizeClass.choices)
    chip_type = serializers.PrimaryKeyRelatedField(queryset=ChipType.objects.all(), allow_null=True, required=False)
    chip = serializers.CharField(source="chip_type.slug", read_only=True, default=None, allow_null=True)
    concurrent_cards = serializers.IntegerField(min_value=0, max_value=MAX_LIMIT)
    card_hours_month = serializers.IntegerField(min_value=0, max_value=MAX_LIMIT)
    concurrent_jobs = serializers.IntegerField(min_value=0, max_value=MAX_LIMIT)


class QuotaOverrideSerializer(serializers.Serializer):
    """One company's own limits on one chip type."""

    id = serializers.IntegerField()
    company = serializers.CharField(source="tenant.display_name")
    company_credit_code = serializers.CharField(source="tenant.credit_code")
    chip_type = serializers.IntegerField(source="chip_type_id")
    chip = serializers.CharField(source="chip_type.slug")
    concurrent_cards = serializers.IntegerField()
    card_hours_month = serializers.IntegerField()
    concurrent_jobs = serializers.IntegerField()
    note = serializers.CharField()
    set_by = serializers.EmailField(source="set_by.email", default=None, allow_null=True)
    updated_at = serializers.DateTimeField()


class QuotaOverrideInputSerializer(serializers.Serializer):
    company = serializers.CharField(
        max_length=200,
        help_text=gettext_lazy("Its unified social credit code, or its full registered name (Chinese or English)."),
    )
    chip_type = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    concurrent_cards = serializers.IntegerField(min_value=0, max_value=MAX_LIMIT)
    card_hours_month = serializers.IntegerField(min_value=0, max_value=MAX_LIMIT)
    concurrent_jobs = serializers.IntegerField(min_value=0, max_value=MAX_LIMIT)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PoolEngineSerializer(serializers.Serializer):
    """The engine a pool runs on and the operator's settings for it (checked like the page's form)."""

    engine = serializers.ChoiceField(choices=EngineName.choices)
    engine_config = serializers.JSONField(required=False, default=dict)


class PoolHistorySeriesSerializer(serializers.Serializer):
    pool = serializers.IntegerField()
    name = serializers.CharField()
    cards_in_use = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="The busiest sample of each interval; null where no sample was taken.",
    )


class PoolHistorySerializer(serializers.Serializer):
    range = serializers.ChoiceField(choices=["24h", "7d"])
    interval_starts = serializers.ListField(child=serializers.DateTimeField())
    pools = PoolHistorySeriesSerializer(many=True)


class PoolHistoryQuerySerializer(serializers.Serializer):
    range = serializers.ChoiceField(
        choices=["24h", "7d"], default="24h", help_text="24 hours (10-minute steps) or 7 days (hourly)."
    )
