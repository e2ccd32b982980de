"""/api/v1/partner/settlements/ and /api/v1/operator/settlements/ (mounted at the API root)."""

from rest_framework.routers import SimpleRouter

from settlements.api.views import OperatorSettlementViewSet, PartnerSettlementViewSet

router = SimpleRouter()
router.register("partner/settlements", PartnerSettlementViewSet, basename="partner-settlement")
router.register("operator/settlements", OperatorSettlementViewSet, basename="operator-settlement")

urlpatterns = router.urls
