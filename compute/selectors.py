"""Reads for the quota and pool pages.

A page that shows many chip types (or many companies' requests) must not call `quotas.limits_for`
once per row: `LimitBook` fetches the overrides and defaults once and answers with the same
precedence (override → default for the size class and chip → default for the size class →
`quotas.BUILT_IN`). Pool history is bucketed in PostgreSQL so the chart gets a few hundred points
whatever the sampling rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, DateTimeField, Func, Max, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import ChipType
from compute.models import PoolSample, QuotaDefault, QuotaOverride, QuotaRequest, RequestState
from compute.pools import utilisation
from compute.quotas import BUILT_IN, Limits, Usage, month_start
from tenants.choices import SizeClass
from tenants.models import Tenant
from tenants.roles import TenantKind

NO_USAGE = Usage(cards=0, jobs=0, card_seconds_month=0)
WARN_PERCENT = 80


class LimitSource(models.TextChoices):
    OVERRIDE = "override", _("Set for this company")
    DEFAULT = "default", _("Default for the size class")
    BUILT_IN = "built_in", _("Platform default")


def _limits(row: QuotaDefault | QuotaOverride) -> Limits:
    return Limits(row.concurrent_cards, row.card_hours_month, row.concurrent_jobs)


@dataclass(frozen=True)
class LimitBook:
    """Overrides of some tenants and every default, fetched once, answering for many (tenant, chip) pairs."""

    overrides: dict[tuple[int, int], QuotaOverride]
    defaults: dict[tuple[str, int | None], QuotaDefault]

    def resolve(self, tenant, chip_type_id: int) -> tuple[Limits, LimitSource]:
        override = self.overrides.get((tenant.pk, chip_type_id))
        if override is not None:
            return _limits(override), LimitSource.OVERRIDE
        default = self.defaults.get((tenant.size_class, chip_type_id)) or self.defaults.get((tenant.size_class, None))
        if default is not None:
            return _limits(default), LimitSource.DEFAULT
        return BUILT_IN, LimitSource.BUILT_IN

    def chips_with_quota(self, tenant) -> set[int]:
        """Chip types this tenant has a quota of its own for (an override or a chip default of its size)."""
        own = {chip for (tenant_id, chip) in self.overrides if tenant_id == tenant.pk}
        return own | {chip for (size, chip) in self.defaults if size == tenant.size_class and chip is not None}


def limit_book(tenant_ids: Iterable[int]) -> LimitBook:
    """Two queries: the overrides of these tenants, and the (small) table of defaults."""
    overrides = QuotaOverride.unscoped.filter(tenant_id__in=list(tenant_ids))
    return LimitBook(
        overrides={(o.tenant_id, o.chip_type_id): o for o in overrides},
        defaults={(d.size_class, d.chip_type_id): d for d in QuotaDefault.objects.all()},
    )


# --- A company's quotas ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """One used/limit pair, shaped for a progress bar."""

    label: str
    used: int | float
    limit: int

    @property
    def percent(self) -> int:
        if self.limit <= 0:
            return 100
        return min(100, round(100 * self.used / self.limit))

    @property
    def level(self) -> str:
        """Bootstrap colour: full is danger, nearly full is warning."""
        if self.used >= self.limit:
            return "danger"
        return "warning" if self.percent >= WARN_PERCENT else "success"


@dataclass(frozen=True)
class QuotaRow:
    chip: ChipType
    limits: Limits
    source: LimitSource
    usage: Usage = NO_USAGE

    @property
    def card_hours_used(self) -> float:
        return round(self.usage.card_hours_month, 1)

    @property
    def meters(self) -> list[Meter]:
        return [
            Meter(_("Cards at once"), self.usage.cards, self.limits.concurrent_cards),
            Meter(_("Jobs at once"), self.usage.jobs, self.limits.concurrent_jobs),
            Meter(_("Card-hours this month"), self.card_hours_used, self.limits.card_hours_month),
        ]


def _usage_by_chip(tenant) -> dict[int, Usage]:
    """Cards and jobs held now and card-seconds metered this month, per chip type the tenant has ever
    run a job on (two grouped queries, whatever the number of chips)."""
    from jobs.models import ADMITTED_STATES, Job, UsageRecord

    admitted = Q(state__in=ADMITTED_STATES)
    held = (
        Job.unscoped.for_tenant(tenant)
        .values("pool__chip_type_id")
        .annotate(cards=Sum("cards", filter=admitted, default=0), jobs=Count("id", filter=admitted))
        .order_by()
    )
    metered = dict(
        UsageRecord.unscoped.for_tenant(tenant)
        .filter(period_start__gte=month_start())
        .values("pool__chip_type_id")
        .annotate(seconds=Sum("card_seconds"))
        .order_by()
        .values_list("pool__chip_type_id", "seconds")
    )
    now = {row["pool__chip_type_id"]: (row["cards"], row["jobs"]) for row in held}
    return {chip: Usage(*now.get(chip, (0, 0)), metered.get(chip) or 0) for chip in now.keys() | metered.keys()}


def quota_rows(tenant, *, every_chip: bool = False) -> list[QuotaRow]:
    """The tenant's limits and usage per chip type it has used, has a quota for or has asked about
    (or every chip type), in a fixed number of queries."""
    book = limit_book([tenant.pk])
    usage = _usage_by_chip(tenant)
    chips = ChipType.objects.order_by("vendor", "model")
    if not every_chip:
        asked = set(QuotaRequest.unscoped.for_tenant(tenant).values_list("chip_type_id", flat=True))
        chips = chips.filter(pk__in=set(usage) | book.chips_with_quota(tenant) | asked)
    return [QuotaRow(chip, *book.resolve(tenant, chip.pk), usage=usage.get(chip.pk, NO_USAGE)) for chip in chips]


def company_requests() -> QuerySet:
    """The active company's quota requests, newest first (scoped manager)."""
    return QuotaRequest.objects.select_related("chip_type", "requested_by").order_by("-created_at", "-pk")


# --- Operators: requests of every company ---------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    current: int
    asked: int


@dataclass(frozen=True)
class RequestRow:
    """A request beside the company's limits now (what approving it would change)."""

    request: QuotaRequest
    current: Limits
    source: LimitSource

    @property
    def changes(self) -> list[Change]:
        r = self.request
        return [
            Change(_("Cards at once"), self.current.concurrent_cards, r.concurrent_cards),
            Change(_("Card-hours per month"), self.current.card_hours_month, r.card_hours_month),
            Change(_("Jobs at once"), self.current.concurrent_jobs, r.concurrent_jobs),
        ]


def every_request() -> QuerySet:
    """Requests of every company (cross-tenant: operators only)."""
    return QuotaRequest.unscoped.select_related("tenant", "chip_type", "requested_by", "decided_by")


def pending_requests() -> QuerySet:
    """Requests waiting for a decision, oldest first."""
    return every_request().filter(state=RequestState.PENDING).order_by("created_at", "pk")


def decided_requests() -> QuerySet:
    return every_request().exclude(state=RequestState.PENDING).order_by("-decided_at", "-pk")


def request_rows(requests: Iterable[QuotaRequest]) -> list[RequestRow]:
    """Each request with its company's current limits for the chip (two queries for any number)."""
    requests = list(requests)
    book = limit_book({r.tenant_id for r in requests})
    return [RequestRow(r, *book.resolve(r.tenant, r.chip_type_id)) for r in requests]


def request_row(quota_request: QuotaRequest) -> RequestRow:
    return request_rows([quota_request])[0]


# --- Operators: defaults and overrides ------------------------------------------------------------


def quota_defaults() -> list[QuotaDefault]:
    """Defaults by size class (smallest first), the any-chip default before the chip ones."""
    order = {size: i for i, size in enumerate(SizeClass.values)}
    rows = QuotaDefault.objects.select_related("chip_type")
    return sorted(rows, key=lambda d: (order.get(d.size_class, 99), d.chip_type_id is not None, str(d.chip_type or "")))


def quota_overrides(*, search: str = "") -> QuerySet:
    """Every company's overrides (cross-tenant: operators only), optionally for companies matching `search`."""
    qs = QuotaOverride.unscoped.select_related("tenant", "chip_type", "set_by").order_by("-updated_at", "-pk")
    if search:
        qs = qs.filter(
            Q(tenant__name_zh__icontains=search)
            | Q(tenant__name_en__icontains=search)
            | Q(tenant__credit_code__iexact=search)
        )
    return qs


def company_suggestions(text: str, *, limit: int = 10) -> QuerySet:
    """Companies whose name contains `text` or whose credit code starts with it (override form)."""
    text = text.strip()
    if len(text) < 2:
        return Tenant.objects.none()
    return (
        Tenant.objects.filter(kind=TenantKind.COMPANY)
        .filter(Q(name_zh__icontains=text) | Q(name_en__icontains=text) | Q(credit_code__istartswith=text))
        .order_by("name_zh")[:limit]
    )


# --- Operators: pools ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRange:
    span: timedelta
    step: timedelta
    label_format: str


HISTORY_RANGES = {
    "24h": HistoryRange(timedelta(hours=24), timedelta(minutes=10), "%H:%M"),
    "7d": HistoryRange(timedelta(days=7), timedelta(hours=1), "%m-%d %H:00"),
}
DEFAULT_RANGE = "24h"


class DateBin(Func):
    """PostgreSQL's date_bin(stride, source, origin): the start of the stride-long bucket `source` is in."""

    function = "date_bin"
    output_field = DateTimeField()

    def __init__(self, stride: timedelta, expression: str, origin: datetime):
        super().__init__(Value(stride), expression, Value(origin))


@dataclass
class PoolHistory:
    """Cards in use per pool over a range, shaped for a Chart.js line chart."""

    range: str
    labels: list[str] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)  # each interval's start, for the API

    def as_chart(self) -> dict:
        return {"range": self.range, "labels": self.labels, "datasets": self.series}


def pool_rows() -> list:
    """Every pool with cards in use and jobs running and waiting (one query)."""
    return list(utilisation())


def pool_history(pools: list, range_key: str = DEFAULT_RANGE, *, now: datetime | None = None) -> PoolHistory:
    """The busiest minute of each interval (10 minutes over 24 h, an hour over 7 days) per pool, in
    one grouped query. Intervals without samples are gaps (null), not zero: no sample is no knowledge."""
    spec = HISTORY_RANGES[range_key]
    now = now or timezone.now()
    epoch = now.replace(minute=0, second=0, microsecond=0)
    last = epoch + ((now - epoch) // spec.step) * spec.step
    count = int(spec.span / spec.step)
    buckets = [last - spec.step * (count - 1 - i) for i in range(count)]
    samples = (
        PoolSample.objects.filter(pool__in=[p.pk for p in pools], at__gte=buckets[0], at__lt=last + spec.step)
        .annotate(bucket=DateBin(spec.step, "at", buckets[0]))
        .values("pool_id", "bucket")
        .annotate(cards=Max("cards_in_use"))
        .order_by()
    )
    peak = {(s["pool_id"], s["bucket"]): s["cards"] for s in samples}
    return PoolHistory(
        range=range_key,
        labels=[timezone.localtime(b).strftime(spec.label_format) for b in buckets],
        series=[{"label": p.name, "data": [peak.get((p.pk, b)) for b in buckets]} for p in pools],
        starts=buckets,
    )
