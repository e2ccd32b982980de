"""Settlement API: a partner's own statements, and every partner's for operator staff.

Partner endpoints read through the scoped manager (another partner's settlement is a 404) and see
issued and paid settlements only. Operator endpoints are cross-tenant by design and open to
operator staff with `Perm.OPERATE_PLATFORM` only."""

from datetime import date

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from settlements import periods
from settlements.api.serializers import (
    BooksCheckSerializer,
    MarkPaidInputSerializer,
    PeriodChoiceSerializer,
    PeriodSerializer,
    SettlementDetailSerializer,
    SettlementSerializer,
)
from settlements.filtersets import SettlementFilterSet
from settlements.models import Settlement
from settlements.selectors import (
    month_choices,
    operator_settlements,
    operator_statements,
    partner_settlements,
    partner_statements,
    payable_check,
    period_for,
    period_overview,
)
from settlements.services.payouts import settlement_mark_paid
from settlements.services.statements import settlements_generate, settlements_issue
from settlements.views import csv_response, period_csv_response
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

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], pagination_class=None)
    def csv(self, request, pk=None):
        """The settlement's lines as CSV, the same file as the statement page's download."""
        return csv_response(self.get_object())


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

    @extend_schema(responses=BooksCheckSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="books-check", pagination_class=None, filterset_class=None)
    def books_check(self, request):
        """Each partner's payable account against the settlements; a non-zero `difference_fen` is a
        posting to explain."""
        return Response(BooksCheckSerializer(payable_check(), many=True).data)


MONTH_PARAMETER = OpenApiParameter(
    "month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM", pattern=r"^\d{4}-\d{2}$"
)


class OperatorSettlementPeriodViewSet(TenantScopedApiMixin, viewsets.ViewSet):
    """Settlement months for operator staff: recent months with their state, one month's overview,
    computing its drafts, issuing it to the partners, and its CSV. Months are issued in order."""

    permission = Perm.OPERATE_PLATFORM
    write_permission = Perm.OPERATE_PLATFORM
    tenant_kinds = (TenantKind.OPERATOR,)
    lookup_field = "month"
    lookup_value_regex = r"[0-9]{4}-[0-9]{2}"

    def get_object(self) -> date:
        month = periods.parse(self.kwargs["month"])
        if month is None:
            raise Http404
        return month

    def _overview(self, month: date) -> Response:
        return Response(PeriodSerializer(period_overview(month)).data)

    @extend_schema(responses=PeriodChoiceSerializer(many=True))
    def list(self, request):
        """Recent closed months and every month with a period, newest first."""
        rows = [{"month": f"{month:%Y-%m}", "state": state} for month, state in month_choices()]
        return Response(PeriodChoiceSerializer(rows, many=True).data)

    @extend_schema(parameters=[MONTH_PARAMETER], responses=PeriodSerializer)
    def retrieve(self, request, month=None):
        """The month's state, whether it may be settled now, and its totals (the settlements
        themselves are under `operator/settlements/?month=`)."""
        return self._overview(self.get_object())

    @extend_schema(parameters=[MONTH_PARAMETER], request=None, responses=PeriodSerializer)
    @action(detail=True, methods=["post"])
    def generate(self, request, month=None):
        """Compute (or refresh) the month's draft statements for every partner."""
        month = self.get_object()
        settlements_generate(month=month, acting_membership=self.membership)
        return self._overview(month)

    @extend_schema(parameters=[MONTH_PARAMETER], request=None, responses=PeriodSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, month=None):
        """Compute the month's statements afresh and issue them: partners see them and are told."""
        month = self.get_object()
        settlements_issue(month=month, acting_membership=self.membership)
        return self._overview(month)

    @extend_schema(parameters=[MONTH_PARAMETER], responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def csv(self, request, month=None):
        """Every partner's settlement of the month as CSV (404 before it was computed)."""
        month = self.get_object()
        period = period_for(month)
        if period is None:
            raise Http404
        return period_csv_response(period, month)
