"""/api/v1/payments/: top-ups, bank transfers and operator review of bank transfers."""

from rest_framework.routers import SimpleRouter

from payments.api.views import BankTransferViewSet, OperatorBankTransferViewSet, TopUpViewSet

router = SimpleRouter()
router.register("top-ups", TopUpViewSet, basename="payments-topup")
router.register("bank-transfers", BankTransferViewSet, basename="payments-bank-transfer")
router.register("operator/bank-transfers", OperatorBankTransferViewSet, basename="payments-operator-bank-transfer")

urlpatterns = router.urls
