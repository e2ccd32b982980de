"""Paying in, mounted at /payments/: company wallet pages, operator review, the Stripe webhook."""

from django.urls import path

from payments import views, views_operator

app_name = "payments"

urlpatterns = [
    path("wallet/", views.WalletView.as_view(), name="wallet"),
    path("top-ups/<int:pk>/success/", views.TopUpSuccessView.as_view(), name="topup-success"),
    path("top-ups/<int:pk>/cancelled/", views.TopUpCancelledView.as_view(), name="topup-cancelled"),
    path("bank-transfers/new/", views.BankTransferCreateView.as_view(), name="bank-transfer-create"),
    path("bank-transfers/<int:pk>/receipt/", views.ReceiptView.as_view(), name="bank-transfer-receipt"),
    path("operator/bank-transfers/", views_operator.TransferReviewView.as_view(), name="operator-bank-transfers"),
    path(
        "operator/bank-transfers/<int:pk>/confirm/",
        views_operator.TransferConfirmView.as_view(),
        name="operator-bank-transfer-confirm",
    ),
    path(
        "operator/bank-transfers/<int:pk>/reject/",
        views_operator.TransferRejectView.as_view(),
        name="operator-bank-transfer-reject",
    ),
    path(
        "operator/bank-transfers/<int:pk>/receipt/",
        views_operator.OperatorReceiptView.as_view(),
        name="operator-bank-transfer-receipt",
    ),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
]
