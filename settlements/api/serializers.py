from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from settlements.models import Settlement, SettlementLine
from settlements.services.payouts import REFERENCE_MAX

_AMOUNT_FIELDS = [
    "card_hours",
    "card_seconds",
    "runs",
    "charge_count",
    "gross_fen",
    "fee_fen",
    "voucher_fen",
    "net_fen",
]


class SettlementLineSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="In the request's language.")
    card_hours = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = SettlementLine
        fields = ["offering", "offering_kind", "name", "name_zh", "name_en", *_AMOUNT_FIELDS]


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    credit_code = serializers.CharField(read_only=True)


class SettlementSerializer(serializers.ModelSerializer):
    """Amounts are integer fen; `net_fen` = `gross_fen` − `fee_fen`; `voucher_fen` is the part of
    the gross that government vouchers paid."""

    month = serializers.SerializerMethodField(help_text="YYYY-MM")
    partner = PartnerRefSerializer(source="tenant", read_only=True)
    card_hours = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    issued_at = serializers.DateTimeField(source="period.issued_at", read_only=True, allow_null=True)

    class Meta:
        model = Settlement
        fields = [
            "id",
            "month",
            "partner",
            "state",
            *_AMOUNT_FIELDS,
            "computed_at",
            "issued_at",
            "paid_at",
            "bank_reference",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_month(self, obj: Settlement) -> str:
        return f"{obj.period.month:%Y-%m}"


class SettlementDetailSerializer(SettlementSerializer):
    lines = SettlementLineSerializer(many=True, read_only=True)

    class Meta(SettlementSerializer.Meta):
        fields = [*SettlementSerializer.Meta.fields, "lines"]


class MarkPaidInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=REFERENCE_MAX, help_text="The bank transfer's reference.")


class PeriodChoiceSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    state = serializers.CharField(help_text='"draft", "issued", or "" when nothing was computed yet.')


class PeriodTotalsSerializer(serializers.Serializer):
    partners = serializers.IntegerField()
    paid = serializers.IntegerField(help_text="Settlements paid.")
    seconds = serializers.IntegerField(help_text="Card-seconds.")
    gross = serializers.IntegerField(help_text="Fen.")
    fee = serializers.IntegerField(help_text="Fen.")
    voucher = serializers.IntegerField(help_text="Fen.")
    net = serializers.IntegerField(help_text="Fen.")
    unpaid = serializers.IntegerField(help_text="Net not paid yet, fen.")


class PeriodSerializer(serializers.Serializer):
    """One month's settlement: its state, whether it may be computed and issued now, and totals."""

    month = serializers.CharField(help_text="YYYY-MM")
    state = serializers.CharField(help_text='"draft", "issued", or "" when nothing was computed yet.')
    generated_at = serializers.DateTimeField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)
    closed = serializers.BooleanField(help_text="Whether the month is over.")
    can_settle = serializers.BooleanField(help_text="Whether it is over and the next month to issue.")
    unrated_usage = serializers.IntegerField(help_text="Usage records not rated yet (issuing leaves them out).")
    totals = PeriodTotalsSerializer()


class BooksCheckSerializer(serializers.Serializer):
    """One partner's payable account against its settlements; `difference_fen` should be 0."""

    partner = PartnerRefSerializer()
    balance_fen = serializers.IntegerField()
    owed_fen = serializers.IntegerField(help_text="What issued settlements still owe.")
    unsettled_fen = serializers.IntegerField(help_text="Net of charges no issued settlement covers yet.")
    difference_fen = serializers.IntegerField()
