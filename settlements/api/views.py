"""Settlement API: a partner's own statements, and every partner's for operator staff.

Partner endpoints read through the scoped manager (another partner's settlement is a 404) and see
issued and paid settlements only. Operator endpoints are cross-tenant by design and open to
operator staff with `Perm.OPERATE_PLATFORM` only."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from settlements.api.serializers import MarkPaidInputSerializer, SettlementDetailSerializer, SettlementSerializer
from settlements.filtersets import SettlementFilterSet
from settlements.models import Settlement
from settlements.selectors import (
    operator_settlements,
    operator_statements,
    partner_settlements,
    partner_statements,
)
from settlements.services.payouts import settlement_mark_paid
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import Perm, TenantKind


class _SettlementViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    model = Settlement

    def get_serializer_class(self):
        return SettlementSerializer if self.action == "list" else SettlementDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset()
        return self.settlements() if self.action == "list" else self.statements()

    def settlements(self):
        raise NotImplementedError

    def statements(self):
        raise NotImplementedError


class PartnerSettlementViewSet(_SettlementViewSet):
    """The active partner's settlements (issued or paid), newest month first, each with its lines."""

    permission = Perm.VIEW_SETTLEMENTS
    tenant_kinds = (TenantKind.PARTNER,)

    def settlements(self):
        return partner_settlements().select_related("tenant")

    def statements(self):
        return partner_statements()


class OperatorSettlementViewSet(_SettlementViewSet):
    """Every partner's settlements; filter by `month` (YYYY-MM), `state` and partner name (`q`)."""

    permission = Perm.OPERATE_PLATFORM
    write_permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)
    filterset_class = SettlementFilterSet

    def settlements(self):
        return operator_settlements()

    def statements(self):
        return operator_statements()

    @extend_schema(request=MarkPaidInputSerializer, responses=SettlementDetailSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        """Record the bank transfer of an issued settlement's net: posts partner payable → payment
        clearing once. Repeating it with the same reference changes nothing."""
        data = MarkPaidInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settlement_mark_paid(
            settlement=self.get_object(), acting_membership=self.membership, reference=data.validated_data["reference"]
        )
        return Response(SettlementDetailSerializer(self.statements().get(pk=pk)).data)
