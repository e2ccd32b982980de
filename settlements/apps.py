from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    """Monthly settlement statements for partners and their payout."""

    name = "settlements"
    verbose_name = _("Partner settlements")
