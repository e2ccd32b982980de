from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComputeConfig(AppConfig):
    """Compute pools, their capacity, quotas, and the engines that run jobs on them."""

    name = "compute"
    verbose_name = _("Compute")
