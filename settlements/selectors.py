"""Reads for the settlement pages and API: a constant number of queries whatever the number of
partners or offerings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from billing.models import Account, AccountKind, Charge
from jobs.models import UNRATED, UsageRecord
from settlements import periods
from settlements.choices import PeriodState, SettlementState
from settlements.models import Settlement, SettlementLine, SettlementPeriod
from tenants.models import Tenant

# --- A partner's own settlements (scoped to the active tenant) ---------------------------------


def partner_settlements() -> QuerySet:
    """The active partner's issued and paid settlements, newest month first."""
    return Settlement.objects.issued().select_related("period").order_by("-period__month")


def partner_summary() -> dict[str, int]:
    """What the active partner was paid and is still owed, over every issued settlement."""
    totals = Settlement.objects.issued().aggregate(
        paid=Sum("net_fen", filter=Q(state=SettlementState.PAID), default=0),
        owed=Sum("net_fen", filter=Q(state=SettlementState.ISSUED), default=0),
        gross=Sum("gross_fen", default=0),
    )
    return {k: int(v) for k, v in totals.items()}


def partner_statements() -> QuerySet:
    """`partner_settlements()` with each one's lines (scoped like the settlements)."""
    return (
        partner_settlements()
        .select_related("tenant")
        .prefetch_related(Prefetch("lines", queryset=SettlementLine.objects.all()))
    )


# --- Operator: every partner of a month -------------------------------------------------------


def period_for(month: date) -> SettlementPeriod | None:
    return SettlementPeriod.objects.select_related("generated_by", "issued_by").filter(month=month).first()


def operator_settlements() -> QuerySet:
    """Every partner's settlements (filter by month with `SettlementFilterSet`), partners by name."""
    return Settlement.unscoped.select_related("tenant", "period", "paid_by").order_by("tenant__name_zh", "pk")


def operator_statements() -> QuerySet:
    """`operator_settlements()` with each one's lines."""
    return operator_settlements().prefetch_related(Prefetch("lines", queryset=SettlementLine.unscoped.all()))


def period_totals(settlements: QuerySet) -> dict[str, int]:
    """Counts and sums (fen) over `settlements`, in one query."""
    totals = settlements.order_by().aggregate(
        partners=Count("pk"),
        paid=Count("pk", filter=Q(state=SettlementState.PAID)),
        seconds=Sum("card_seconds", default=0),
        gross=Sum("gross_fen", default=0),
        fee=Sum("fee_fen", default=0),
        voucher=Sum("voucher_fen", default=0),
        net=Sum("net_fen", default=0),
        unpaid=Sum("net_fen", filter=~Q(state=SettlementState.PAID), default=0),
    )
    return {k: int(v) for k, v in totals.items()}


def unrated_usage(month: date) -> int:
    """Usage records from the month (or before) not rated yet: issuing now leaves them for a later month."""
    return UsageRecord.unscoped.filter(UNRATED, period_start__lt=periods.bounds(month)[1]).count()


def month_choices(count: int = 12) -> list[tuple[date, str]]:
    """Recent closed months and every month with a period, newest first, with the period's state
    ("" when nothing was computed yet)."""
    states = dict(SettlementPeriod.objects.values_list("month", "state"))
    months = set(periods.recent(count)) | set(states)
    return [(m, states.get(m, "")) for m in sorted(months, reverse=True)]


def last_issued() -> SettlementPeriod | None:
    return SettlementPeriod.objects.filter(state=PeriodState.ISSUED).order_by("-month").first()


def default_month(last: SettlementPeriod | None) -> date:
    """The month to show first: the one to settle next if it is over, else the last closed one."""
    if last is not None and periods.is_closed(periods.next_month(last.month)):
        return periods.next_month(last.month)
    return periods.last_closed()


def can_settle(month: date, last: SettlementPeriod | None) -> bool:
    """Whether the month may be computed and issued now: it is over and it is the next in order."""
    return periods.is_closed(month) and (last is None or month == periods.next_month(last.month))


def period_overview(month: date) -> dict:
    """One month as the operators' month page shows it: state, whether it can be settled now, totals."""
    period = period_for(month)
    settleable = can_settle(month, last_issued())
    return {
        "month": f"{month:%Y-%m}",
        "state": period.state if period else "",
        "generated_at": period.generated_at if period else None,
        "issued_at": period.issued_at if period else None,
        "closed": periods.is_closed(month),
        "can_settle": settleable,
        "unrated_usage": unrated_usage(month) if settleable else 0,
        "totals": period_totals(operator_settlements().for_month(month)),
    }


# --- The books check -------------------------------------------------------------------------


@dataclass(frozen=True)
class PayableCheck:
    """One partner's payable account against the settlements.

    The balance must equal what issued settlements still owe plus the net of charges no issued
    settlement covers yet; anything else is a difference to explain (e.g. a manual posting)."""

    partner: Tenant
    balance_fen: int
    owed_fen: int
    unsettled_fen: int

    @property
    def difference_fen(self) -> int:
        return self.balance_fen - self.owed_fen - self.unsettled_fen


def payable_check() -> list[PayableCheck]:
    """The books check for every partner with a payable account, in four queries."""
    balances = dict(
        Account.objects.filter(kind=AccountKind.PARTNER_PAYABLE, ref="").values_list("tenant_id", "balance_fen")
    )
    owed = dict(
        Settlement.unscoped.filter(state=SettlementState.ISSUED)
        .order_by()
        .values("tenant_id")
        .annotate(n=Sum("net_fen"))
        .values_list("tenant_id", "n")
    )
    unsettled = dict(
        _unsettled_charges()
        .order_by()
        .values("partner_id")
        .annotate(n=Sum(F("amount_fen") - F("fee_fen")))
        .values_list("partner_id", "n")
    )
    ids = set(balances) | set(owed) | set(unsettled)
    partners = Tenant.objects.in_bulk(ids)
    rows = [
        PayableCheck(partners[t], balances.get(t, 0), owed.get(t, 0), unsettled.get(t, 0)) for t in ids if t in partners
    ]
    return sorted(rows, key=lambda r: (r.difference_fen == 0, r.partner.name_zh))


def _unsettled_charges() -> QuerySet:
    """Charges no issued settlement covers: rated after the last issued month's cutoff, or for a later month."""
    last = last_issued()
    if last is None:
        return Charge.unscoped.all()
    return Charge.unscoped.filter(Q(pk__gt=last.charge_cutoff) | Q(period_start__gte=periods.bounds(last.month)[1]))
