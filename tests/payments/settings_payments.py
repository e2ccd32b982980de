"""Test settings with the payments app installed, until it joins the base settings and URLs.

The Stripe keys and the bank account the tests use are set by an autouse fixture
(tests/payments/conftest.py), so they do not depend on this file."""

from portal.settings.test import *  # noqa: F403
from portal.settings.test import INSTALLED_APPS, SPECTACULAR_SETTINGS, env

INSTALLED_APPS = [*INSTALLED_APPS, "payments"]
ROOT_URLCONF = "tests.payments.urls_payments"
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,
    "ENUM_NAME_OVERRIDES": {
        **SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"],
        "TopUpStateEnum": "payments.models.TopUpState.choices",
        "BankTransferStateEnum": "payments.models.BankTransferState.choices",
        "VersionStateEnum": "catalog.choices.VersionState.choices",
    },
}
# Notification emails queued by tests that commit go to our own Redis database, not the shared one.
CELERY_BROKER_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/6")
