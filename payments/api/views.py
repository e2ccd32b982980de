"""REST endpoints for paying in: a company's top-ups and bank transfers, and operator review of
every company's transfers (cross-tenant by design, operator staff only)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.services import ledger
from idempotency.api import idempotent
from payments.api.serializers import (
    BankTransferCreateSerializer,
    BankTransferSerializer,
    OperatorBankTransferSerializer,
    TopUpCreateSerializer,
    TopUpSerializer,
    TransferRejectSerializer,
    WalletSerializer,
)
from payments.filtersets import BankTransferFilter, OperatorBankTransferFilter, TopUpFilter
from payments.models import BankTransfer, TopUp
from payments.receipts import CONTENT_TYPES
from payments.selectors import wallet_bank_transfers, wallet_topups
from payments.services.bank_transfers import bank_transfer_confirm, bank_transfer_reject, bank_transfer_submit
from payments.services.topups import topup_create
from payments.views import HISTORY_LENGTH, PAYER_KINDS, TOP_UP_PERM, receipt_response
from payments.views_operator import OPERATOR_PERM
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import TenantKind


class WalletApiView(TenantScopedApiMixin, APIView):
    """The active company's wallet, as on the wallet page."""

    permission = TOP_UP_PERM
    tenant_kinds = PAYER_KINDS

    @extend_schema(responses=WalletSerializer)
    def get(self, request):
        """The balance, the platform's bank account to transfer to, and the latest top-ups and bank
        transfers (the full history is under `top-ups/` and `bank-transfers/`)."""
        wallet = {
            "balance_fen": ledger.balance(self.tenant),
            "bank_account": settings.PAYMENTS_BANK_ACCOUNT,
            "topups": wallet_topups()[:HISTORY_LENGTH],
            "bank_transfers": wallet_bank_transfers()[:HISTORY_LENGTH],
        }
        return Response(WalletSerializer(wallet).data)


class TopUpViewSet(TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The active company's online top-ups. Creating one returns Stripe's `checkout_url`; the
    wallet is credited when Stripe reports the payment."""

    model = TopUp
    serializer_class = TopUpSerializer
    permission = TOP_UP_PERM
    write_permission = TOP_UP_PERM
    tenant_kinds = PAYER_KINDS
    filterset_class = TopUpFilter

    def get_queryset(self):
        return super().get_queryset().select_related("created_by").order_by("-created_at", "-pk")

    @extend_schema(request=TopUpCreateSerializer, responses={201: TopUpSerializer})
    @idempotent
    def create(self, request):
        data = TopUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        topup = topup_create(
            acting_membership=self.membership,
            amount_fen=data.validated_data["amount_fen"],
            site_url=request.build_absolute_uri("/"),
        )
        return Response(TopUpSerializer(topup).data, status=status.HTTP_201_CREATED)


class BankTransferViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The active company's bank transfers. Record one as multipart/form-data with its receipt."""

    model = BankTransfer
    serializer_class = BankTransferSerializer
    permission = TOP_UP_PERM
    write_permission = TOP_UP_PERM
    tenant_kinds = PAYER_KINDS
    filterset_class = BankTransferFilter

    def get_queryset(self):
        return super().get_queryset().select_related("submitted_by").order_by("-created_at", "-pk")

    @extend_schema(request=BankTransferCreateSerializer, responses={201: BankTransferSerializer})
    @idempotent
    def create(self, request):
        data = BankTransferCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = bank_transfer_submit(acting_membership=self.membership, **data.validated_data)
        return Response(BankTransferSerializer(transfer).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, kind): OpenApiTypes.BINARY for kind in sorted(set(CONTENT_TYPES.values()))})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def receipt(self, request, pk=None):
        """Download the bank's receipt uploaded with the transfer (PDF, JPG or PNG)."""
        return receipt_response(self.get_object())


class OperatorBankTransferViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every company's bank transfers, for operator staff to confirm or reject."""

    serializer_class = OperatorBankTransferSerializer
    permission = OPERATOR_PERM
    write_permission = OPERATOR_PERM
    tenant_kinds = (TenantKind.OPERATOR,)
    filterset_class = OperatorBankTransferFilter

    def get_queryset(self):
        return BankTransfer.unscoped.select_related("tenant", "submitted_by", "reviewed_by").order_by(
            "created_at", "pk"
        )

    def _fresh(self, pk) -> dict:
        return OperatorBankTransferSerializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(request=None, responses=OperatorBankTransferSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def confirm(self, request, pk=None):
        """The money is on the platform's account: credit the company's wallet (once)."""
        bank_transfer_confirm(transfer=self.get_object(), acting_membership=self.membership)
        return Response(self._fresh(pk))

    @extend_schema(request=TransferRejectSerializer, responses=OperatorBankTransferSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request, pk=None):
        """Reject the transfer with a note the company sees."""
        data = TransferRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bank_transfer_reject(
            transfer=self.get_object(), acting_membership=self.membership, note=data.validated_data["note"]
        )
        return Response(self._fresh(pk))
