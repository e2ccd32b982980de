from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Ledger, wallets, vouchers' money and payments (filled in by the billing issue)."""

    name = "billing"
    verbose_name = _("Billing")
