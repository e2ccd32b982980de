"""Voucher API serializers. Amounts are integer fen, ratios basis points (30% = 3000)."""

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.choices import OfferingKind
from payments.receipts import MAX_RECEIPT_BYTES
from tenants.choices import Industry, Province, SizeClass
from tenants.models import Tenant
from tenants.roles import TenantKind
from vouchers.forms import MAX_ATTACHMENTS, MAX_PROGRAM_FEN
from vouchers.models import (
    Application,
    ApplicationAttachment,
    ApplicationState,
    Program,
    ProgramStatus,
    Voucher,
    VoucherState,
)

PROGRAM_FIELDS = [
    "id",
    "code",
    "name",
    "description",
    "status",
    "budget_fen",
    "ratio_bp",
    "domestic_ratio_bp",
    "startup_ratio_bp",
    "startup_max_age_months",
    "max_per_voucher_fen",
    "max_per_company_fen",
    "max_per_company_year_fen",
    "four_eyes_above_fen",
    "offering_kinds",
    "providers",
    "domestic_chips_only",
    "provinces",
    "city",
    "industries",
    "size_classes",
    "min_company_age_months",
    "applications_open_on",
    "applications_close_on",
    "voucher_valid_days",
]


class ProgramSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ProgramStatus.choices, read_only=True)
    office = serializers.CharField(source="tenant.display_name", read_only=True)
    providers = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Tenant.objects.filter(kind=TenantKind.PARTNER)
    )
    offering_kinds = serializers.ListField(child=serializers.ChoiceField(choices=OfferingKind.choices), min_length=1)
    provinces = serializers.ListField(child=serializers.ChoiceField(choices=Province.choices), required=False)
    industries = serializers.ListField(child=serializers.ChoiceField(choices=Industry.choices), required=False)
    size_classes = serializers.ListField(child=serializers.ChoiceField(choices=SizeClass.choices), required=False)
    budget_fen = serializers.IntegerField(min_value=1, max_value=MAX_PROGRAM_FEN)
    max_per_voucher_fen = serializers.IntegerField(min_value=1, max_value=MAX_PROGRAM_FEN)
    ratio_bp = serializers.IntegerField(min_value=1, max_value=10000)
    domestic_ratio_bp = serializers.IntegerField(min_value=1, max_value=10000, required=False, allow_null=True)
    startup_ratio_bp = serializers.IntegerField(min_value=1, max_value=10000, required=False, allow_null=True)
    blocklist = serializers.ListField(child=serializers.CharField(max_length=18), required=False)

    class Meta:
        model = Program
        fields = [*PROGRAM_FIELDS, "office", "blocklist", "opened_at", "closed_at", "created_at"]
        read_only_fields = ["opened_at", "closed_at", "created_at"]

    def validate_code(self, value):
        value = value.upper()
        if Program.unscoped.filter(code__iexact=value).exclude(pk=getattr(self.instance, "pk", None)).exists():
            raise serializers.ValidationError("Another program already uses this code.")
        return value

    def validate(self, data):
        if self.instance is not None:  # a PATCH: the rules apply to the program as it will be
            data = {
                f: getattr(self.instance, f)
                for f in ("applications_open_on", "applications_close_on", "budget_fen", "max_per_voucher_fen")
            } | data
        opens, closes = data.get("applications_open_on"), data.get("applications_close_on")
        if opens and closes and closes < opens:
            raise serializers.ValidationError(
                {"applications_close_on": ["The window must close on or after it opens."]}
            )
        if data.get("max_per_voucher_fen", 0) > data.get("budget_fen", MAX_PROGRAM_FEN):
            raise serializers.ValidationError({"max_per_voucher_fen": ["A voucher cannot exceed the budget."]})
        return data


class PublicProgramSerializer(serializers.ModelSerializer):
    """What companies see of an open program (its rules, not its blocklist)."""

    office = serializers.CharField(source="tenant.display_name", read_only=True)

    class Meta:
        model = Program
        fields = [f for f in PROGRAM_FIELDS if f != "four_eyes_above_fen"] + ["office"]
        read_only_fields = fields


class RuleSerializer(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    rules = RuleSerializer(many=True)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationAttachment
        fields = ["id", "name", "size", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("api:voucher-attachment-detail", kwargs={"pk": obj.pk})


class ApplicationSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=ApplicationState.choices, read_only=True)
    company = serializers.CharField(source="tenant.display_name", read_only=True)
    company_credit_code = serializers.CharField(source="tenant.credit_code", read_only=True)
    program_name = serializers.CharField(source="program.name", read_only=True)
    voucher = serializers.SerializerMethodField()
    first_reviewer = serializers.EmailField(
        source="first_reviewer.email", read_only=True, default=None, allow_null=True
    )
    second_reviewer = serializers.EmailField(
        source="second_reviewer.email", read_only=True, default=None, allow_null=True
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "program",
            "program_name",
            "company",
            "company_credit_code",
            "amount_fen",
            "purpose",
            "expected_outcome",
            "affiliates",
            "state",
            "first_reviewer",
            "first_reviewed_at",
            "second_reviewer",
            "decided_at",
            "decision_note",
            "voucher",
            "attachments",
            "created_at",
        ]
        read_only_fields = fields

    def get_voucher(self, obj) -> str | None:
        voucher = getattr(obj, "voucher", None) if obj.state == ApplicationState.ISSUED else None
        return voucher.code if voucher else None


class ApplicationCreateSerializer(serializers.Serializer):
    program = serializers.IntegerField()
    amount_fen = serializers.IntegerField(min_value=1, max_value=MAX_PROGRAM_FEN)
    purpose = serializers.CharField(max_length=2000)
    expected_outcome = serializers.CharField(max_length=2000)
    affiliates = serializers.ListField(child=serializers.CharField(max_length=18), required=False, max_length=50)
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=format_lazy(
            _("Send as multipart/form-data: PDF, JPG or PNG, up to {n} files of {mb} MB each."),
            n=MAX_ATTACHMENTS,
            mb=MAX_RECEIPT_BYTES // 1048576,
        ),
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BulkDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=50)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, data):
        if data["action"] == "reject" and not data["note"].strip():
            raise serializers.ValidationError({"note": [_("Give the companies a reason for the rejection.")]})
        return data


class BulkResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class VoucherSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=VoucherState.choices, read_only=True)
    balance_fen = serializers.IntegerField(source="account.balance_fen", read_only=True)
    program_name = serializers.CharField(source="program.name", read_only=True)
    holder = serializers.CharField(source="tenant.display_name", read_only=True)

    class Meta:
        model = Voucher
        fields = [
            "id",
            "code",
            "program",
            "program_name",
            "holder",
            "amount_fen",
            "balance_fen",
            "startup",
            "valid_from",
            "valid_until",
            "state",
            "issued_at",
            "ended_at",
            "end_reason",
            "returned_fen",
            "expired_fen",
        ]
        read_only_fields = fields


class FiguresSerializer(serializers.Serializer):
    budget_fen = serializers.IntegerField()
    issued_fen = serializers.IntegerField()
    reserved_fen = serializers.IntegerField()
    redeemed_fen = serializers.IntegerField()
    expired_fen = serializers.IntegerField()
    returned_fen = serializers.IntegerField()
    remaining_fen = serializers.IntegerField()
    outstanding_fen = serializers.IntegerField()
    reconciled = serializers.BooleanField()


class FunnelSerializer(serializers.Serializer):
    submitted = serializers.IntegerField()
    waiting = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    unused = serializers.IntegerField()


class BreakdownSerializer(serializers.Serializer):
    label = serializers.CharField()
    issued_fen = serializers.IntegerField()
    redeemed_fen = serializers.IntegerField()
    companies = serializers.IntegerField()


class CompanyRowSerializer(serializers.Serializer):
    tenant_id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    issued_fen = serializers.IntegerField()
    redeemed_fen = serializers.IntegerField()
    balance_fen = serializers.IntegerField()


class OverTimeSerializer(serializers.Serializer):
    periods = serializers.ListField(
        source="labels",
        child=serializers.CharField(),
        help_text="Days (YYYY-MM-DD), or months (YYYY-MM) once the program runs longer than 120 days.",
    )
    monthly = serializers.BooleanField()
    issued_fen = serializers.ListField(child=serializers.IntegerField(), help_text="Vouchers issued in each period.")
    redeemed_fen = serializers.ListField(
        child=serializers.IntegerField(), help_text="Voucher money spent in each period."
    )


class ReportSerializer(serializers.Serializer):
    figures = FiguresSerializer()
    funnel = FunnelSerializer()
    by_industry = BreakdownSerializer(many=True)
    by_region = BreakdownSerializer(many=True)
    by_size = BreakdownSerializer(many=True)
    by_provider = BreakdownSerializer(many=True)
    companies = CompanyRowSerializer(many=True)
    over_time = OverTimeSerializer(source="series", help_text="The report page's chart.")
