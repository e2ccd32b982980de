"""Computing and issuing a month's settlements for every partner at once.

Which charges a month covers. Months are issued in order. Issuing month P records P's
`charge_cutoff`, the highest charge id that existed when it was issued (see `_charge_cutoff`). With
C(P-1) the cutoff of the month issued before (0 before the first one), P covers the charges with

* a usage interval that started in P and id ≤ C(P-1) (P's usage rated before the month before was
  issued), and
* id in (C(P-1), C(P)] and an interval that started before the end of P.

So each charge is settled exactly once, by the first month issued after it was rated that is not
earlier than its own month. Normally that is its own month. A charge for an already issued month
(rating was late, or the charge came after the statement) goes into the next month issued; so
do charges from before the first month ever issued. An issued statement never changes.

Issuing computes afresh and freezes in one transaction: "generate" shows the operator a draft of
the same computation. All partners are aggregated in two queries per month, never one per partner.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from billing.models import AccountKind, Charge
from billing.services import ledger
from catalog.models import Offering
from settlements import periods
from settlements.choices import PeriodState, SettlementState
from settlements.models import Settlement, SettlementLine, SettlementPeriod
from settlements.selectors import last_issued
from settlements.services.notices import recipients_by_partner, tell
from tenants.roles import Perm, has_perm

_AMOUNTS = ("card_seconds", "runs", "charge_count", "gross_fen", "fee_fen", "voucher_fen", "net_fen")


@transaction.atomic(durable=True)
def settlements_generate(*, month: date, acting_membership) -> SettlementPeriod:
    """Compute (or refresh) the draft statements of a closed month for every partner."""
    _require_operator(acting_membership)
    cutoff = _charge_cutoff()
    period = _open_period(month)
    _compute(period, cutoff=cutoff, actor=acting_membership.user, now=timezone.now())
    audit_record(
        action="settlements.generate",
        tenant=acting_membership.tenant,
        actor=acting_membership.user,
        obj=period,
        after={"month": f"{month:%Y-%m}", "charge_cutoff": period.charge_cutoff},
    )
    return period


@transaction.atomic(durable=True)
def settlements_issue(*, month: date, acting_membership) -> SettlementPeriod:
    """Compute the month's statements afresh and freeze them; partners are told once it commits."""
    _require_operator(acting_membership)
    cutoff = _charge_cutoff()
    period = _open_period(month)
    now = timezone.now()
    _compute(period, cutoff=cutoff, actor=acting_membership.user, now=now)
    Settlement.unscoped.filter(period=period).update(state=SettlementState.ISSUED)
    period.state = PeriodState.ISSUED
    period.issued_at, period.issued_by = now, acting_membership.user
    period.save(update_fields=["state", "issued_at", "issued_by"])
    _drop_drafts_before(month)
    totals = Settlement.unscoped.filter(period=period).aggregate(n=Count("pk"), net=Sum("net_fen"))
    audit_record(
        action="settlements.issue",
        tenant=acting_membership.tenant,
        actor=acting_membership.user,
        obj=period,
        after={
            "month": f"{month:%Y-%m}",
            "charge_cutoff": period.charge_cutoff,
            "settlements": totals["n"],
            "net_fen": totals["net"] or 0,
        },
    )
    # Told after commit: the statements are final by then, and the charge lock is not held meanwhile.
    transaction.on_commit(lambda: _announce(period))
    return period


def _require_operator(membership) -> None:
    if not has_perm(membership, Perm.OPERATE_PLATFORM):
        raise PermissionDenied(_("Your role does not allow this."))


def _open_period(month: date) -> SettlementPeriod:
    """The month's period row, after checking the month may be (re)computed now. Runs under the lock
    `_charge_cutoff` takes, so it sees every month issued before and none is issued meanwhile."""
    if not periods.is_closed(month):
        raise ValidationError(_("%(month)s is not over yet.") % {"month": f"{month:%Y-%m}"}, code="open_month")
    last = last_issued()
    if last is not None and last.month >= month:
        raise ValidationError(_("%(month)s is already settled.") % {"month": f"{month:%Y-%m}"}, code="already_issued")
    if last is not None and month != periods.next_month(last.month):
        raise ValidationError(
            _("Months are settled in order: settle %(month)s first.")
            % {"month": f"{periods.next_month(last.month):%Y-%m}"},
            code="out_of_order",
        )
    period, _created = SettlementPeriod.objects.get_or_create(month=month)
    return period


def _charge_cutoff() -> int:
    """Lock out rating and other settlement runs until this transaction ends, and return the highest
    charge id it is safe to settle up to.

    Rating writes charges only while it holds the row lock of the platform revenue account (it locks
    every account a batch may post to, revenue included, before writing anything). Taking that lock
    here waits for every rating transaction in flight to commit and keeps new ones waiting. So every
    charge id up to the one read under the lock is committed and visible, and every charge rated later
    gets a higher id: none is skipped, none is settled twice. Generating and issuing take this lock
    first, so two runs (two months, or two clicks) never interleave."""
    ledger.lock([ledger.platform(AccountKind.PLATFORM_REVENUE).pk])
    return Charge.unscoped.aggregate(last=Max("pk"))["last"] or 0


def _covered(month: date, previous_cutoff: int, cutoff: int) -> QuerySet:
    """The charges month `month` settles (the rule in the module docstring)."""
    start, end = periods.bounds(month)
    return Charge.unscoped.filter(
        Q(pk__gt=previous_cutoff, pk__lte=cutoff, period_start__lt=end)
        | Q(pk__lte=previous_cutoff, period_start__gte=start, period_start__lt=end)
    )


def _previous_cutoff(month: date) -> int:
    last = SettlementPeriod.objects.filter(state=PeriodState.ISSUED, month__lt=month).order_by("-month").first()
    return last.charge_cutoff if last else 0


def _compute(period: SettlementPeriod, *, cutoff: int, actor, now: datetime) -> None:
    """Replace the period's draft statements with the covered charges' sums, per partner and offering."""
    covered = _covered(period.month, _previous_cutoff(period.month), cutoff)
    rows = list(
        covered.order_by()
        .values("partner_id", "offering_id")
        .annotate(
            card_seconds=Sum("card_seconds"),
            runs=Count("job_id", distinct=True),
            charge_count=Count("pk"),
            gross_fen=Sum("amount_fen"),
            fee_fen=Sum("fee_fen"),
            voucher_fen=Sum("voucher_fen"),
        )
    )
    runs = dict(
        covered.order_by()
        .values("partner_id")
        .annotate(n=Count("job_id", distinct=True))
        .values_list("partner_id", "n")
    )
    settlements = _write_settlements(period, rows, runs, now)
    _write_lines(settlements, rows)
    period.charge_cutoff = cutoff
    period.generated_at, period.generated_by = now, actor
    period.save(update_fields=["charge_cutoff", "generated_at", "generated_by"])


def _write_settlements(period: SettlementPeriod, rows: list[dict], runs: dict[int, int], now: datetime) -> dict:
    """Upsert one draft per partner with charges (ids stay stable across refreshes); drop the rest."""
    totals: dict[int, dict[str, int]] = {}
    for row in rows:
        sums = totals.setdefault(row["partner_id"], dict.fromkeys(_AMOUNTS, 0))
        for field in ("card_seconds", "charge_count", "gross_fen", "fee_fen", "voucher_fen"):
            sums[field] += row[field]
    objs = []
    for partner_id, sums in totals.items():
        sums["runs"] = runs[partner_id]
        sums["net_fen"] = sums["gross_fen"] - sums["fee_fen"]
        objs.append(Settlement(tenant_id=partner_id, period=period, computed_at=now, **sums))
    Settlement.unscoped.bulk_create(
        objs,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["tenant", "period"],
        update_fields=[*_AMOUNTS, "computed_at"],
    )
    Settlement.unscoped.filter(period=period).exclude(tenant_id__in=totals).delete()
    return {s.tenant_id: s for s in objs}


def _write_lines(settlements: dict[int, Settlement], rows: list[dict]) -> None:
    SettlementLine.unscoped.filter(settlement__in=[s.pk for s in settlements.values()]).delete()
    names = {
        o["pk"]: o
        for o in Offering.unscoped.filter(pk__in={r["offering_id"] for r in rows}).values(
            "pk", "slug", "kind", "live_version__name_zh", "live_version__name_en"
        )
    }
    lines = []
    for row in rows:
        offering = names[row["offering_id"]]
        lines.append(
            SettlementLine(
                tenant_id=row["partner_id"],
                settlement=settlements[row["partner_id"]],
                offering_id=row["offering_id"],
                offering_kind=offering["kind"],
                name_zh=(offering["live_version__name_zh"] or offering["slug"])[:200],
                name_en=(offering["live_version__name_en"] or "")[:200],
                net_fen=row["gross_fen"] - row["fee_fen"],
                **{f: row[f] for f in _AMOUNTS if f != "net_fen"},
            )
        )
    SettlementLine.unscoped.bulk_create(lines, batch_size=2000)


def _drop_drafts_before(month: date) -> None:
    """Drafts of earlier months can never be issued now; their charges are in this month."""
    stale = SettlementPeriod.objects.filter(state=PeriodState.DRAFT, month__lt=month)
    Settlement.unscoped.filter(period__in=stale).delete()
    stale.delete()


def _announce(period: SettlementPeriod) -> None:
    settlements = list(Settlement.unscoped.filter(period=period).select_related("tenant"))
    people = recipients_by_partner({s.tenant_id for s in settlements})
    month = f"{period.month:%Y-%m}"
    for settlement in settlements:
        tell(
            settlement,
            people.get(settlement.tenant_id, []),
            title=format_lazy(_("Your settlement for {month} is ready"), month=month),
            body=format_lazy(
                _("Net payable to you: ¥{net}. The statement lists each of your offerings."),
                net=ledger.format_fen(settlement.net_fen),
            ),
        )
