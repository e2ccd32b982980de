"""Reads behind statements, the spending page and budget checks.

Money is counted where it is booked: a charge belongs to the day (and month) its ledger posting was
made, the same moment the wallet moved, so a statement reconciles with the ledger to the fen.
"Spend" is what usage cost the company after vouchers (amount − voucher share): that is what the
chart draws and what the budget is compared with.

Every read takes the tenant explicitly and filters by it: `Account` and `Leg` are not tenant-owned
models, so the scoped manager cannot do it for them, and the budget sweep runs with no active
tenant. Each function runs a fixed number of queries, whatever the number of jobs or charges.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language

from billing.models import Account, AccountKind, Charge, Leg, TxnKind
from statements.models import MonthlyBudget
from statements.periods import Month, Period, months_between

SPEND = Sum(F("amount_fen") - F("voucher_fen"))
CHART_DAYS = (30, 90)


def _localized(zh: str | None, en: str | None, fallback: str = "") -> str:
    english = (get_language() or "en").startswith("en")
    first, second = (en, zh) if english else (zh, en)
    return first or second or fallback


def _charges(tenant) -> QuerySet:
    return Charge.unscoped.for_tenant(tenant)


def _booked_between(qs: QuerySet, start: datetime, end: datetime) -> QuerySet:
    return qs.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)


# --- Accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Funds:
    """The company's ledger accounts right now: available (wallet), held for running jobs, vouchers."""

    wallet_ids: tuple[int, ...] = ()
    holds_ids: tuple[int, ...] = ()
    available_fen: int = 0
    held_fen: int = 0
    vouchers_fen: int = 0
    first_activity: datetime | None = None

    @property
    def balance_fen(self) -> int:
        """Held money is still the company's: it only waits for running jobs to finish."""
        return self.available_fen + self.held_fen


def funds(tenant) -> Funds:
    """One query over the tenant's wallet, holds and voucher accounts."""
    rows = Account.objects.filter(
        tenant=tenant, kind__in=(AccountKind.WALLET, AccountKind.HOLDS, AccountKind.VOUCHER)
    ).values("id", "kind", "balance_fen", "created_at")
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    own = by_kind[AccountKind.WALLET] + by_kind[AccountKind.HOLDS]
    return Funds(
        wallet_ids=tuple(r["id"] for r in by_kind[AccountKind.WALLET]),
        holds_ids=tuple(r["id"] for r in by_kind[AccountKind.HOLDS]),
        available_fen=sum(r["balance_fen"] for r in by_kind[AccountKind.WALLET]),
        held_fen=sum(r["balance_fen"] for r in by_kind[AccountKind.HOLDS]),
        vouchers_fen=sum(r["balance_fen"] for r in by_kind[AccountKind.VOUCHER]),
        first_activity=min((r["created_at"] for r in own), default=None),
    )


def statement_months(accounts: Funds, *, today: Month | None = None) -> list[Month]:
    """Months that have a statement: from the company's first money movement to this month."""
    if accounts.first_activity is None:
        return []
    return months_between(Month.of(accounts.first_activity), today or Month.current())


# --- Statements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """Usage charges and who paid them: vouchers, the company's balance, or nobody (not covered)."""

    card_seconds: int = 0
    amount_fen: int = 0
    voucher_fen: int = 0
    paid_fen: int = 0
    unpaid_fen: int = 0

    @property
    def card_hours(self) -> Decimal:
        return (Decimal(self.card_seconds) / 3600).quantize(Decimal("0.01"))

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.card_seconds + other.card_seconds,
            self.amount_fen + other.amount_fen,
            self.voucher_fen + other.voucher_fen,
            self.paid_fen + other.paid_fen,
            self.unpaid_fen + other.unpaid_fen,
        )


@dataclass(frozen=True)
class JobLine:
    job_id: int
    job_name: str
    template: str
    pool: str
    usage: Usage

    @property
    def label(self) -> str:
        return f"#{self.job_id} {self.job_name}".strip()


@dataclass(frozen=True)
class Subtotal:
    name: str
    jobs: int
    usage: Usage


@dataclass(frozen=True)
class TopUpLine:
    at: datetime
    amount_fen: int
    reference: str


@dataclass(frozen=True)
class Statement:
    """One company's month. Balances count money held for running jobs as the company's own
    (`held_fen` says how much of a balance is held); holds and their release only move money
    between the two, so they leave the balance unchanged."""

    tenant: object
    month: Period  # a Month, except in tests
    opening_fen: int
    opening_held_fen: int
    topups: list[TopUpLine]
    topups_fen: int
    lines: list[JobLine]
    usage: Usage
    other_fen: int  # reversals and adjustments booked on the company's balance
    closing_fen: int
    closing_held_fen: int
    paid_per_ledger_fen: int  # what the ledger took from the balance for usage this month
    by_pool: list[Subtotal] = field(default_factory=list)
    by_template: list[Subtotal] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return self.month.end <= timezone.now()

    @property
    def expected_closing_fen(self) -> int:
        return self.opening_fen + self.topups_fen - self.usage.paid_fen + self.other_fen

    @property
    def reconciles(self) -> bool:
        """Opening + top-ups − usage paid (from the charges) ± adjustments = closing (from the
        ledger), and the charges paid exactly what the ledger took."""
        return self.expected_closing_fen == self.closing_fen and self.paid_per_ledger_fen == self.usage.paid_fen


def statement_for(tenant, month: Month) -> Statement | None:
    """The month's statement, or None for a month the company has none of (before its first money
    movement, or in the future)."""
    accounts = funds(tenant)
    if month not in statement_months(accounts):
        return None
    return statement(tenant, month, accounts=accounts)


def statement(tenant, month: Period, *, accounts: Funds | None = None) -> Statement:
    """The month's statement: four queries (accounts, balance movements, top-ups, usage per job)."""
    accounts = funds(tenant) if accounts is None else accounts
    moves = _movements(accounts, month)
    topups = _topups(accounts, month)
    lines = _job_lines(tenant, month)
    usage = sum((line.usage for line in lines), Usage())
    return Statement(
        tenant=tenant,
        month=month,
        opening_fen=moves.opening_available + moves.opening_held,
        opening_held_fen=moves.opening_held,
        topups=topups,
        topups_fen=moves.topups,
        lines=lines,
        usage=usage,
        other_fen=moves.during - moves.topups - moves.charges,
        closing_fen=moves.opening_available + moves.opening_held + moves.during,
        closing_held_fen=moves.opening_held + moves.held_during,
        paid_per_ledger_fen=-moves.charges,
        by_pool=_subtotals(lines, lambda line: line.pool),
        by_template=_subtotals(lines, lambda line: line.template),
    )


@dataclass
class _Movements:
    opening_available: int = 0
    opening_held: int = 0
    during: int = 0  # net change of available + held in the month
    held_during: int = 0
    topups: int = 0
    charges: int = 0  # negative: usage paid from the hold or the wallet


def _movements(accounts: Funds, month: Period) -> _Movements:
    moves = _Movements()
    if not accounts.wallet_ids and not accounts.holds_ids:
        return moves
    rows = (
        Leg.objects.filter(
            account_id__in=accounts.wallet_ids + accounts.holds_ids, transaction__created_at__lt=month.end
        )
        .values("account_id", "transaction__kind")
        .annotate(
            before=Sum("amount_fen", filter=Q(transaction__created_at__lt=month.start), default=0),
            during=Sum("amount_fen", filter=Q(transaction__created_at__gte=month.start), default=0),
        )
    )
    for row in rows:
        held = row["account_id"] in accounts.holds_ids
        if held:
            moves.opening_held += row["before"]
            moves.held_during += row["during"]
        else:
            moves.opening_available += row["before"]
        moves.during += row["during"]
        if row["transaction__kind"] == TxnKind.TOP_UP:
            moves.topups += row["during"]
        elif row["transaction__kind"] == TxnKind.CHARGE:
            moves.charges += row["during"]
    return moves


def _topups(accounts: Funds, month: Period) -> list[TopUpLine]:
    if not accounts.wallet_ids:
        return []
    rows = (
        Leg.objects.filter(
            account_id__in=accounts.wallet_ids,
            transaction__kind=TxnKind.TOP_UP,
            transaction__created_at__gte=month.start,
            transaction__created_at__lt=month.end,
        )
        .values("transaction__created_at", "transaction__memo", "amount_fen")
        .order_by("transaction__created_at", "transaction_id")
    )
    return [TopUpLine(r["transaction__created_at"], r["amount_fen"], r["transaction__memo"]) for r in rows]


def _job_lines(tenant, month: Period) -> list[JobLine]:
    rows = (
        _booked_between(_charges(tenant), month.start, month.end)
        .values(
            "job_id",
            "job__name",
            "job__version__name_zh",
            "job__version__name_en",
            "job__pool__name",
            "job__pool__offering__live_version__name_zh",
            "job__pool__offering__live_version__name_en",
        )
        .annotate(
            first=Min("transaction__created_at"),
            card_seconds=Sum("card_seconds"),
            amount=Sum("amount_fen"),
            voucher=Sum("voucher_fen"),
            paid=Sum(F("hold_fen") + F("wallet_fen")),
            unpaid=Sum("unpaid_fen"),
        )
        .order_by("first", "job_id")
    )
    return [
        JobLine(
            job_id=r["job_id"],
            job_name=r["job__name"],
            template=_localized(r["job__version__name_zh"], r["job__version__name_en"]),
            pool=_localized(
                r["job__pool__offering__live_version__name_zh"],
                r["job__pool__offering__live_version__name_en"],
                r["job__pool__name"],
            ),
            usage=Usage(r["card_seconds"], r["amount"], r["voucher"], r["paid"], r["unpaid"]),
        )
        for r in rows
    ]


def _subtotals(lines: list[JobLine], key) -> list[Subtotal]:
    groups: dict[str, list[JobLine]] = defaultdict(list)
    for line in lines:
        groups[key(line)].append(line)
    subtotals = [Subtotal(name, len(group), sum((g.usage for g in group), Usage())) for name, group in groups.items()]
    return sorted(subtotals, key=lambda s: (-s.usage.amount_fen, s.name))


# --- Spending -----------------------------------------------------------------------------------


def month_spend(tenant, month: Month) -> int:
    """What the company's usage booked in `month` cost it after vouchers, in fen."""
    return _booked_between(_charges(tenant), month.start, month.end).aggregate(s=SPEND)["s"] or 0


def month_spend_by_tenant(tenant_ids: list[int], month: Month) -> dict[int, int]:
    """`month_spend` for many companies in one query (the budget sweep is system code)."""
    rows = (
        Charge.unscoped.filter(tenant_id__in=tenant_ids)
        .filter(transaction__created_at__gte=month.start, transaction__created_at__lt=month.end)
        .values("tenant_id")
        .annotate(s=SPEND)
    )
    return {r["tenant_id"]: r["s"] or 0 for r in rows}


def monthly_spend(tenant) -> dict[Month, int]:
    """Spend per month over the company's whole history, in one query (for the list of statements)."""
    tz = timezone.get_default_timezone()
    rows = (
        _charges(tenant)
        .annotate(month=TruncMonth("transaction__created_at", tzinfo=tz))
        .values("month")
        .annotate(s=SPEND)
    )
    return {Month(r["month"].year, r["month"].month): r["s"] or 0 for r in rows}


def budget_for(tenant) -> MonthlyBudget | None:
    return MonthlyBudget.unscoped.for_tenant(tenant).first()


@dataclass(frozen=True)
class Series:
    key: int
    name: str
    values: list[int]  # fen per day

    @property
    def total_fen(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class SpendChart:
    days: list[date]
    by_pool: list[Series]
    by_template: list[Series]

    @property
    def totals(self) -> list[int]:
        return [sum(s.values[i] for s in self.by_pool) for i in range(len(self.days))]

    def as_json(self) -> dict:
        """Shaped for Chart.js (yuan, not fen); the page passes it through json_script."""

        def datasets(series: list[Series]) -> list[dict]:
            return [{"label": s.name, "data": [v / 100 for v in s.values]} for s in series]

        return {
            "labels": [d.isoformat() for d in self.days],
            "by_pool": datasets(self.by_pool),
            "by_template": datasets(self.by_template),
        }


def daily_spend(tenant, *, days: int = 30, today: date | None = None) -> SpendChart:
    """Spend per day over the last `days` days (today included), split by pool and by template,
    in one query. Days without usage are zero; series are ordered by their total, largest first."""
    tz = timezone.get_default_timezone()
    today = today or timezone.localdate(timezone=tz)
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), datetime.min.time()), tz)
    rows = (
        _booked_between(_charges(tenant), start, end)
        .annotate(day=TruncDate("transaction__created_at", tzinfo=tz))
        .values("day", "job__pool_id", "job__offering_id")
        .annotate(
            spend=SPEND,
            pool_name=Max("job__pool__name"),
            pool_zh=Max("job__pool__offering__live_version__name_zh"),
            pool_en=Max("job__pool__offering__live_version__name_en"),
            template_zh=Max("job__version__name_zh"),
            template_en=Max("job__version__name_en"),
        )
    )
    day_list = [first + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(day_list)}
    pools: dict[int, tuple[str, list[int]]] = {}
    templates: dict[int, tuple[str, list[int]]] = {}
    for row in rows:
        pool = pools.setdefault(
            row["job__pool_id"], (_localized(row["pool_zh"], row["pool_en"], row["pool_name"]), [0] * days)
        )
        template = templates.setdefault(
            row["job__offering_id"], (_localized(row["template_zh"], row["template_en"]), [0] * days)
        )
        pool[1][index[row["day"]]] += row["spend"] or 0
        template[1][index[row["day"]]] += row["spend"] or 0
    return SpendChart(day_list, _series(pools), _series(templates))


def _series(groups: dict[int, tuple[str, list[int]]]) -> list[Series]:
    series = [Series(key, name, values) for key, (name, values) in groups.items()]
    return sorted(series, key=lambda s: (-s.total_fen, s.name, s.key))


@dataclass(frozen=True)
class Spending:
    """The company's money at a glance: what it has, what this month cost, and the budget."""

    month: Month
    funds: Funds
    month_spend_fen: int
    budget_fen: int | None

    @property
    def budget_percent(self) -> int | None:
        if not self.budget_fen:
            return None
        return self.month_spend_fen * 100 // self.budget_fen

    @property
    def budget_left_fen(self) -> int | None:
        return None if self.budget_fen is None else self.budget_fen - self.month_spend_fen


def spending(tenant) -> Spending:
    """Balances, this month's spend and the budget: three queries."""
    month = Month.current()
    budget = budget_for(tenant)
    return Spending(month, funds(tenant), month_spend(tenant, month), budget.amount_fen if budget else None)
