"""Program reports for government staff: where the money stands, who used it, what went nowhere.

Figures come from the voucher rows (issued, returned, expired) and redemptions; the report also
reads the ledger balances they must agree with (the budget account, the vouchers' accounts, the
breakage account) and says whether they do, to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate, TruncMonth

from billing.models import Account
from tenants.choices import Industry, Province, SizeClass
from vouchers.models import OPEN_APPLICATION_STATES, Application, ApplicationState, Program, Redemption, Voucher


@dataclass
class Figures:
    budget_fen: int = 0
    issued_fen: int = 0
    returned_fen: int = 0
    redeemed_fen: int = 0
    expired_fen: int = 0
    reserved_fen: int = 0
    remaining_fen: int = 0  # the budget account's balance (ledger)
    outstanding_fen: int = 0  # the vouchers' accounts' balances (ledger): issued, not yet spent or ended
    breakage_fen: int = 0  # the breakage account's balance (ledger)
    vouchers: int = 0

    @property
    def available_fen(self) -> int:
        return max(0, self.remaining_fen - self.reserved_fen)

    @property
    def reconciled(self) -> bool:
        """The rows agree with the ledger, to the fen."""
        return (
            self.remaining_fen == self.budget_fen - self.issued_fen + self.returned_fen
            and self.outstanding_fen == self.issued_fen - self.redeemed_fen - self.returned_fen - self.expired_fen
            and self.breakage_fen == self.expired_fen
        )

    @property
    def uptake_percent(self) -> float:
        return round(100 * self.redeemed_fen / self.issued_fen, 1) if self.issued_fen else 0.0


@dataclass
class Funnel:
    submitted: int = 0
    waiting: int = 0
    approved: int = 0
    rejected: int = 0
    withdrawn: int = 0
    unused: int = 0  # vouchers issued that have paid for nothing yet


@dataclass
class Breakdown:
    label: str
    issued_fen: int = 0
    redeemed_fen: int = 0
    companies: int = 0


@dataclass
class CompanyRow:
    tenant_id: int
    name: str
    credit_code: str
    province: str
    industry: str
    issued_fen: int
    redeemed_fen: int
    balance_fen: int

    @property
    def uptake_percent(self) -> float:
        return round(100 * self.redeemed_fen / self.issued_fen, 1) if self.issued_fen else 0.0


@dataclass
class Report:
    program: Program
    figures: Figures
    funnel: Funnel
    by_industry: list[Breakdown] = field(default_factory=list)
    by_region: list[Breakdown] = field(default_factory=list)
    by_size: list[Breakdown] = field(default_factory=list)
    by_provider: list[Breakdown] = field(default_factory=list)
    companies: list[CompanyRow] = field(default_factory=list)
    series: dict = field(default_factory=dict)


def figures(program: Program) -> Figures:
    return figures_many([program])[program.pk]


def funnel(program: Program) -> Funnel:
    counts = dict(
        Application.unscoped.filter(program=program)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    unused = Voucher.unscoped.filter(program=program).filter(~Q(redemptions__isnull=False)).count()
    return Funnel(
        submitted=sum(counts.values()),
        waiting=counts.get(ApplicationState.SUBMITTED, 0) + counts.get(ApplicationState.SECOND_REVIEW, 0),
        approved=counts.get(ApplicationState.ISSUED, 0),
        rejected=counts.get(ApplicationState.REJECTED, 0),
        withdrawn=counts.get(ApplicationState.WITHDRAWN, 0),
        unused=unused,
    )


def _by_tenant_field(program: Program, name: str, choices) -> list[Breakdown]:
    labels = dict(choices.choices)
    rows: dict[str, Breakdown] = {}
    issued = (
        Voucher.unscoped.filter(program=program)
        .values(key=F(f"tenant__{name}"))
        .annotate(fen=Sum("amount_fen"), companies=Count("tenant", distinct=True))
    )
    for row in issued:
        rows[row["key"]] = Breakdown(str(labels.get(row["key"], row["key"])), row["fen"], 0, row["companies"])
    redeemed = (
        Redemption.unscoped.filter(program=program).values(key=F(f"tenant__{name}")).annotate(fen=Sum("amount_fen"))
    )
    for row in redeemed:
        rows.setdefault(row["key"], Breakdown(str(labels.get(row["key"], row["key"])))).redeemed_fen = row["fen"]
    return sorted(rows.values(), key=lambda b: (-b.issued_fen, b.label))


def _by_provider(program: Program) -> list[Breakdown]:
    rows = (
        Redemption.unscoped.filter(program=program)
        .values("partner__name_zh", "partner__name_en")
        .annotate(fen=Sum("amount_fen"), companies=Count("tenant", distinct=True))
        .order_by("-fen")
    )
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    return [
        Breakdown(
            (r["partner__name_en"] if english and r["partner__name_en"] else r["partner__name_zh"]),
            0,
            r["fen"],
            r["companies"],
        )
        for r in rows
    ]


def companies(program: Program, limit: int | None = None) -> list[CompanyRow]:
    issued = (
        Voucher.unscoped.filter(program=program)
        .values(
            "tenant_id",
            "tenant__name_zh",
            "tenant__name_en",
            "tenant__credit_code",
            "tenant__province",
            "tenant__industry",
        )
        .annotate(issued=Sum("amount_fen"), balance=Sum("account__balance_fen"))
        .order_by("-issued", "tenant_id")
    )
    if limit:
        issued = issued[:limit]
    issued = list(issued)
    redeemed = dict(
        Redemption.unscoped.filter(program=program, tenant_id__in=[r["tenant_id"] for r in issued])
        .values_list("tenant_id")
        .annotate(s=Sum("amount_fen"))
        .values_list("tenant_id", "s")
    )
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    provinces, industries = dict(Province.choices), dict(Industry.choices)
    return [
        CompanyRow(
            tenant_id=r["tenant_id"],
            name=r["tenant__name_en"] if english and r["tenant__name_en"] else r["tenant__name_zh"],
            credit_code=r["tenant__credit_code"],
            province=str(provinces.get(r["tenant__province"], r["tenant__province"])),
            industry=str(industries.get(r["tenant__industry"], r["tenant__industry"])),
            issued_fen=r["issued"],
            redeemed_fen=redeemed.get(r["tenant_id"], 0),
            balance_fen=r["balance"] or 0,
        )
        for r in issued
    ]


def series(program: Program) -> dict:
    """Issued and redeemed per day (per month once the program runs longer than 120 days), for the chart."""
    first = Voucher.unscoped.filter(program=program).order_by("issued_at").values_list("issued_at", flat=True).first()
    last = Redemption.unscoped.filter(program=program).order_by("-at").values_list("at", flat=True).first()
    monthly = bool(first and last and (last - first).days > 120)
    trunc = TruncMonth if monthly else TruncDate
    issued = dict(
        Voucher.unscoped.filter(program=program)
        .annotate(d=trunc("issued_at"))
        .values("d")
        .annotate(s=Sum("amount_fen"))
        .values_list("d", "s")
    )
    redeemed = dict(
        Redemption.unscoped.filter(program=program)
        .annotate(d=trunc("at"))
        .values("d")
        .annotate(s=Sum("amount_fen"))
        .values_list("d", "s")
    )
    days = sorted(set(issued) | set(redeemed))

    def key(d) -> str:
        return d.strftime("%Y-%m") if monthly else d.isoformat()

    return {
        "labels": [key(d) for d in days],
        "issued": [round(issued.get(d, 0) / 100, 2) for d in days],
        "redeemed": [round(redeemed.get(d, 0) / 100, 2) for d in days],
        "issued_fen": [issued.get(d, 0) for d in days],
        "redeemed_fen": [redeemed.get(d, 0) for d in days],
        "monthly": monthly,
    }


def report(program: Program, company_limit: int | None = 100) -> Report:
    return Report(
        program=program,
        figures=figures(program),
        funnel=funnel(program),
        by_industry=_by_tenant_field(program, "industry", Industry),
        by_region=_by_tenant_field(program, "province", Province),
        by_size=_by_tenant_field(program, "size_class", SizeClass),
        by_provider=_by_provider(program),
        companies=companies(program, company_limit),
        series=series(program),
    )


def figures_many(programs: list[Program]) -> dict[int, Figures]:
    """Figures of several programs in a fixed number of queries (the programs list page)."""
    ids = [p.pk for p in programs]
    vouchers = {
        r["program_id"]: r
        for r in Voucher.unscoped.filter(program_id__in=ids)
        .values("program_id")
        .annotate(
            issued=Sum("amount_fen"),
            returned=Sum("returned_fen"),
            expired=Sum("expired_fen"),
            n=Count("id"),
            outstanding=Sum("account__balance_fen"),
        )
    }
    redeemed = dict(
        Redemption.unscoped.filter(program_id__in=ids)
        .values_list("program_id")
        .annotate(s=Sum("amount_fen"))
        .values_list("program_id", "s")
    )
    reserved = dict(
        Application.unscoped.filter(program_id__in=ids, state=ApplicationState.SECOND_REVIEW)
        .values_list("program_id")
        .annotate(s=Sum("amount_fen"))
        .values_list("program_id", "s")
    )
    accounts = [a for p in programs for a in (p.budget_account_id, p.breakage_account_id) if a]
    balances = dict(Account.objects.filter(pk__in=accounts).values_list("pk", "balance_fen"))
    result = {}
    for p in programs:
        v = vouchers.get(p.pk, {})
        result[p.pk] = Figures(
            budget_fen=p.budget_fen if p.budget_account_id else 0,
            issued_fen=v.get("issued") or 0,
            returned_fen=v.get("returned") or 0,
            redeemed_fen=redeemed.get(p.pk, 0),
            expired_fen=v.get("expired") or 0,
            reserved_fen=reserved.get(p.pk, 0),
            remaining_fen=balances.get(p.budget_account_id, 0),
            outstanding_fen=v.get("outstanding") or 0,
            breakage_fen=balances.get(p.breakage_account_id, 0),
            vouchers=v.get("n") or 0,
        )
    return result


def waiting_counts(programs: list[Program]) -> dict[int, int]:
    return dict(
        Application.unscoped.filter(program_id__in=[p.pk for p in programs], state__in=OPEN_APPLICATION_STATES)
        .values_list("program_id")
        .annotate(n=Count("id"))
        .values_list("program_id", "n")
    )
