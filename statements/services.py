"""Writes: a company's monthly budget, and the alerts when its spend crosses 80% and 100%.

A threshold alerts once per company and month. The `BudgetAlert` row (unique per company, month
and threshold) is that "once": it is written under a lock of the budget row, in the same
transaction as the notification, so two concurrent checks cannot both alert. When the budget is
changed, this month's alerts that the new amount no longer justifies are forgotten, so raising
the budget re-arms its warnings and lowering it does not repeat ones already sent.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from billing.services.ledger import format_fen
from notifications.services import notify
from statements.models import THRESHOLDS, BudgetAlert, MonthlyBudget
from statements.periods import Month
from statements.selectors import month_spend, month_spend_by_tenant
from tenants.models import Membership
from tenants.roles import GRANTS, Perm

BUDGET_MAX_FEN = 100_000_000_00  # ¥100 million: far above any real month, below any overflow


def budget_amount_check(amount_fen: int) -> None:
    if not 1 <= amount_fen <= BUDGET_MAX_FEN:
        raise ValidationError(
            {"amount": _("Set a budget between ¥0.01 and ¥%(max)s.") % {"max": format_fen(BUDGET_MAX_FEN)}}
        )


def crossed(spend_fen: int, budget_fen: int) -> list[int]:
    """The thresholds (percent) that `spend_fen` has reached, lowest first."""
    return [t for t in THRESHOLDS if spend_fen * 100 >= budget_fen * t]


@transaction.atomic(durable=True)
def budget_set(*, tenant, amount_fen: int, actor=None) -> MonthlyBudget:
    """Create or change the company's monthly budget."""
    budget_amount_check(amount_fen)
    budget = MonthlyBudget.unscoped.select_for_update().filter(tenant=tenant).first()
    before = {"amount_fen": budget.amount_fen} if budget else None
    if budget is None:
        budget = MonthlyBudget.unscoped.create(tenant=tenant, amount_fen=amount_fen, updated_by=actor)
    else:
        budget.amount_fen, budget.updated_by = amount_fen, actor
        budget.save(update_fields=["amount_fen", "updated_by", "updated_at"])
    _rearm(tenant, amount_fen)
    audit_record(
        action="budget.set", tenant=tenant, actor=actor, obj=budget, before=before, after={"amount_fen": amount_fen}
    )
    return budget


@transaction.atomic(durable=True)
def budget_clear(*, tenant, actor=None) -> bool:
    """Remove the company's budget (and with it this month's alert marks). Returns whether there was one."""
    budget = MonthlyBudget.unscoped.select_for_update().filter(tenant=tenant).first()
    if budget is None:
        return False
    audit_record(
        action="budget.clear", tenant=tenant, actor=actor, obj=budget, before={"amount_fen": budget.amount_fen}
    )
    budget.delete()
    BudgetAlert.unscoped.filter(tenant=tenant, month=Month.current().first_day).delete()
    return True


def _rearm(tenant, amount_fen: int) -> None:
    """Forget this month's alerts for thresholds the spend has not reached under the new amount."""
    month = Month.current()
    still = crossed(month_spend(tenant, month), amount_fen)
    BudgetAlert.unscoped.filter(tenant=tenant, month=month.first_day).exclude(threshold__in=still).delete()


def budgets_check(*, month: Month | None = None) -> int:
    """Alert every company whose spend this month crossed a threshold not yet alerted (system code:
    one sweep over all budgets). Returns how many companies were told."""
    month = month or Month.current()
    budgets = list(MonthlyBudget.unscoped.values_list("tenant_id", "amount_fen"))
    if not budgets:
        return 0
    spend = month_spend_by_tenant([t for t, _amount in budgets], month)
    done = set(
        BudgetAlert.unscoped.filter(month=month.first_day, tenant_id__in=spend).values_list("tenant_id", "threshold")
    )
    sent = 0
    for tenant_id, amount_fen in budgets:
        due = [t for t in crossed(spend.get(tenant_id, 0), amount_fen) if (tenant_id, t) not in done]
        if due:
            sent += budget_alert(tenant_id=tenant_id, month=month)
    return sent


@transaction.atomic(durable=True)
def budget_alert(*, tenant_id: int, month: Month) -> int:
    """Record and announce the thresholds the month's spend crossed that are not yet recorded.
    Spend and budget are read again under the budget's row lock; when several thresholds are
    crossed at once only the highest is announced (the lower one would be old news). Returns 1 if
    people were told."""
    budget = MonthlyBudget.unscoped.select_for_update().select_related("tenant").filter(tenant_id=tenant_id).first()
    if budget is None:
        return 0
    spend_fen = month_spend(budget.tenant, month)
    new = []
    for threshold in crossed(spend_fen, budget.amount_fen):
        _alert, created = BudgetAlert.unscoped.get_or_create(
            tenant_id=tenant_id,
            month=month.first_day,
            threshold=threshold,
            defaults={"spend_fen": spend_fen, "budget_fen": budget.amount_fen},
        )
        if created:
            new.append(threshold)
    if not new:
        return 0
    _announce(budget, month, max(new), spend_fen)
    return 1


def _announce(budget: MonthlyBudget, month: Month, threshold: int, spend_fen: int) -> None:
    tenant = budget.tenant
    values = {"spent": format_fen(spend_fen), "budget": format_fen(budget.amount_fen), "month": str(month)}
    if threshold >= 100:
        title = format_lazy(_("This month's spending has reached your budget of ¥{budget}"), **values)
    else:
        title = format_lazy(_("{share} of this month's budget is used"), share=f"{threshold}%")
    notify(
        recipients=budget_recipients(tenant),
        tenant=tenant,
        title=title,
        body=format_lazy(
            _("Usage in {month} has cost ¥{spent} of your ¥{budget} budget. Jobs keep running: the budget only warns."),
            **values,
        ),
        url=reverse("statements:spending"),
    )


def budget_recipients(tenant) -> list:
    """The company's members who manage its money (owners, admins, billing), each once."""
    members = Membership.unscoped.select_related("user").filter(tenant=tenant, role__in=GRANTS[Perm.MANAGE_BILLING])
    return list({m.user_id: m.user for m in members.order_by("pk")}.values())
