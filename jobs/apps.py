from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Jobs launched from templates and models: state machine, logs, artifacts, metering."""

    name = "jobs"
    verbose_name = _("Jobs")
