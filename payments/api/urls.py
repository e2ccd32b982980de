"""/api/v1/payments/: the wallet, top-ups, bank transfers and operator review of bank transfers."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from payments.api.views import BankTransferViewSet, OperatorBankTransferViewSet, TopUpViewSet, WalletApiView

router = SimpleRouter()
router.register("top-ups", TopUpViewSet, basename="payments-topup")
router.register("bank-transfers", BankTransferViewSet, basename="payments-bank-transfer")
router.register("operator/bank-transfers", OperatorBankTransferViewSet, basename="payments-operator-bank-transfer")

urlpatterns = [path("wallet/", WalletApiView.as_view(), name="payments-wallet"), *router.urls]
