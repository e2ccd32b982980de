"""/api/v1/partner/settlements/ /api/v1/operator/settlements/ and
/api/v1/operator/settlement-periods/ (mounted at the API root)."""

from rest_framework.routers import SimpleRouter

from settlements.api.views import OperatorSettlementPeriodViewSet, OperatorSettlementViewSet, PartnerSettlementViewSet

router = SimpleRouter()
router.register("partner/settlements", PartnerSettlementViewSet, basename="partner-settlement")
router.register("operator/settlements", OperatorSettlementViewSet, basename="operator-settlement")
router.register("operator/settlement-periods", OperatorSettlementPeriodViewSet, basename="operator-settlement-period")

urlpatterns = router.urls
