from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from payments.models import BankTransfer, TopUp, TopUpState
from payments.receipts import MAX_RECEIPT_BYTES


class TopUpSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None, allow_null=True)
    checkout_url = serializers.SerializerMethodField(help_text=_("Stripe's payment page while the top-up is open."))

    class Meta:
        model = TopUp
        fields = [
            "id",
            "amount_fen",
            "currency",
            "state",
            "failure_reason",
            "checkout_url",
            "created_by",
            "created_at",
            "paid_at",
        ]
        read_only_fields = fields

    def get_checkout_url(self, obj: TopUp) -> str | None:
        return obj.checkout_url if obj.state == TopUpState.CREATED and obj.checkout_url else None


class TopUpCreateSerializer(serializers.Serializer):
    amount_fen = serializers.IntegerField(help_text=_("Amount in fen (¥1 = 100 fen): from 1000 to 100000000."))


class BankTransferSerializer(serializers.ModelSerializer):
    submitted_by = serializers.EmailField(source="submitted_by.email", read_only=True, default=None, allow_null=True)

    class Meta:
        model = BankTransfer
        fields = [
            "id",
            "amount_fen",
            "payer_account_name",
            "bank_reference",
            "transferred_on",
            "receipt_name",
            "state",
            "note",
            "submitted_by",
            "created_at",
            "reviewed_at",
        ]
        read_only_fields = fields


class OperatorBankTransferSerializer(BankTransferSerializer):
    tenant = serializers.IntegerField(source="tenant_id", read_only=True)
    tenant_name = serializers.CharField(source="tenant.display_name", read_only=True)
    reviewed_by = serializers.EmailField(source="reviewed_by.email", read_only=True, default=None, allow_null=True)

    class Meta(BankTransferSerializer.Meta):
        fields = [*BankTransferSerializer.Meta.fields, "tenant", "tenant_name", "reviewed_by"]
        read_only_fields = fields


class BankTransferCreateSerializer(serializers.Serializer):
    amount_fen = serializers.IntegerField()
    payer_account_name = serializers.CharField(max_length=200)
    bank_reference = serializers.CharField(max_length=100)
    transferred_on = serializers.DateField()
    receipt = serializers.FileField(
        help_text=format_lazy(_("PDF, JPG or PNG, at most {mb} MB."), mb=MAX_RECEIPT_BYTES // 1048576)
    )


class TransferRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text=_("Why; shown to the company."))


class BankAccountSerializer(serializers.Serializer):
    account_name = serializers.CharField()
    bank_name = serializers.CharField()
    account_number = serializers.CharField()
    swift = serializers.CharField()


class WalletSerializer(serializers.Serializer):
    balance_fen = serializers.IntegerField(help_text=_("The wallet's balance in fen (¥1 = 100 fen)."))
    bank_account = BankAccountSerializer(help_text=_("The platform's bank account to transfer to."))
    topups = TopUpSerializer(many=True, help_text=_("The latest top-ups, newest first."))
    bank_transfers = BankTransferSerializer(many=True, help_text=_("The latest bank transfers, newest first."))
