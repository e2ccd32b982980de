"""A company's monthly budget and the alerts it has raised.

Statements themselves are not stored: they are computed from the ledger and the charges, which
are append-only (a correction is a new, reversing posting dated when it is made). A month that has
ended therefore always adds up to the same figures, so freezing a copy would only add a second
source of truth that could drift from the books.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwned

# Share of the budget (in percent) at which the company is told, lowest first.
THRESHOLDS = (80, 100)


class MonthlyBudget(TenantOwned):
    """How much a company means to spend on usage in a calendar month. It only warns: jobs are
    never stopped because of it. One per company; no row means no budget."""

    amount_fen = models.BigIntegerField(_("monthly budget (fen)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("monthly budget")
        verbose_name_plural = _("monthly budgets")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="statements_one_budget"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="statements_budget_positive"),
        ]

    def __str__(self) -> str:
        return f"budget {self.tenant_id}: {self.amount_fen} fen"


class BudgetAlert(TenantOwned):
    """A threshold of the budget that was crossed in a month. The unique row is what makes each
    threshold alert once per month, however often (or concurrently) the check runs."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    spend_fen = models.BigIntegerField(_("spend when crossed (fen)"))
    budget_fen = models.BigIntegerField(_("budget when crossed (fen)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("budget alert")
        verbose_name_plural = _("budget alerts")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month", "threshold"], name="statements_alert_once"),
            models.CheckConstraint(condition=Q(threshold__in=THRESHOLDS), name="statements_alert_threshold_known"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.month:%Y-%m} {self.threshold}%"
