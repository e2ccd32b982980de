from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Paying money in: Stripe Checkout top-ups and bank transfers confirmed by operator staff."""

    name = "payments"
    verbose_name = _("Payments")
