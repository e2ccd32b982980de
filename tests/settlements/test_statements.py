"""Computing and issuing monthly settlements from real charges: the numbers, refreshing drafts,
freezing on issue, where a late charge goes, the order of months, and the books check."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditEntry
from billing.models import AccountKind, Charge, Leg, TxnKind
from billing.services import ledger
from notifications.models import Notification
from settlements import periods
from settlements.choices import PeriodState, SettlementState
from settlements.models import Settlement, SettlementLine, SettlementPeriod
from settlements.selectors import payable_check
from settlements.services import statements
from settlements.services.payouts import settlement_mark_paid
from settlements.services.statements import settlements_generate, settlements_issue
from tests.settlements import world as settle_world
from tests.settlements.conftest import FEB, JAN, MAR

pytestmark = pytest.mark.django_db


def numbers(settlement) -> tuple:
    return (
        settlement.card_seconds,
        settlement.runs,
        settlement.charge_count,
        settlement.gross_fen,
        settlement.fee_fen,
        settlement.voucher_fen,
        settlement.net_fen,
    )


def of(w, partner, month) -> Settlement:
    return Settlement.unscoped.get(tenant=partner, period__month=month)


def test_numbers_match_the_charges(w, charged):
    settlements_issue(month=JAN, acting_membership=w.staff)
    settlements_issue(month=FEB, acting_membership=w.staff)

    # January: one card-hour on the pool partner's pool, no vouchers left by then.
    assert numbers(of(w, w.idc, JAN)) == (3600, 1, 1, 800, 120, 0, 680)
    assert not Settlement.unscoped.filter(tenant=w.health, period__month=JAN).exists()
    # February: 3.5 card-hours of two jobs; vouchers paid ¥10 of the ¥28 gross.
    feb_idc = of(w, w.idc, FEB)
    assert numbers(feb_idc) == (12600, 2, 3, 2800, 420, 1000, 2380)
    assert feb_idc.card_hours == Decimal("3.50")
    [line] = SettlementLine.unscoped.filter(settlement=feb_idc)
    assert (line.offering_id, line.name_en) == (w.flow.pool.offering_id, "Chengdu Ascend pool")
    assert numbers(line) == numbers(feb_idc)
    # The template partner earns the run price of job 2.
    feb_health = of(w, w.health, FEB)
    assert numbers(feb_health) == (0, 1, 1, 200, 30, 0, 170)
    assert [line.offering_id for line in SettlementLine.unscoped.filter(settlement=feb_health)] == [
        w.flow.summary.offering_id
    ]

    # Every charge is in exactly one settlement.
    charges = Charge.unscoped.aggregate(g=Sum("amount_fen"), f=Sum("fee_fen"), v=Sum("voucher_fen"))
    settled = Settlement.unscoped.aggregate(g=Sum("gross_fen"), f=Sum("fee_fen"), v=Sum("voucher_fen"))
    assert (settled["g"], settled["f"], settled["v"]) == (charges["g"], charges["f"], charges["v"]) == (3800, 570, 1000)
    assert set(Settlement.unscoped.values_list("state", flat=True)) == {SettlementState.ISSUED}


def test_generate_makes_drafts_that_refresh_in_place(w, charged):
    # Nothing issued yet: February is the first month, so it takes January's charge too.
    period = settlements_generate(month=FEB, acting_membership=w.staff)
    draft = of(w, w.idc, FEB)
    assert period.state == PeriodState.DRAFT and draft.state == SettlementState.DRAFT
    assert numbers(draft) == (16200, 3, 4, 3600, 540, 1000, 3060)
    assert period.charge_cutoff == Charge.unscoped.order_by("-pk").first().pk

    # January is issued first; refreshing February leaves January's charge out, same row.
    settlements_issue(month=JAN, acting_membership=w.staff)
    assert SettlementPeriod.objects.filter(month=FEB).exists()
    settlements_generate(month=FEB, acting_membership=w.staff)
    refreshed = of(w, w.idc, FEB)
    assert refreshed.pk == draft.pk
    assert numbers(refreshed) == (12600, 2, 3, 2800, 420, 1000, 2380)
    assert SettlementLine.unscoped.filter(settlement=refreshed).count() == 1
    assert AuditEntry.unscoped.filter(action="settlements.generate").count() == 2


def test_issuing_a_later_month_first_drops_earlier_drafts(w, charged):
    settlements_generate(month=JAN, acting_membership=w.staff)
    settlements_issue(month=FEB, acting_membership=w.staff)
    assert not SettlementPeriod.objects.filter(month=JAN).exists()
    assert not Settlement.unscoped.filter(period__month=JAN).exists()
    assert of(w, w.idc, FEB).gross_fen == 3600  # January's charge is settled with February
    with pytest.raises(ValidationError) as exc:
        settlements_generate(month=JAN, acting_membership=w.staff)
    assert exc.value.code == "already_issued"


def test_issue_freezes_and_a_late_charge_goes_to_the_next_month(w, charged, django_capture_on_commit_callbacks):
    settlements_issue(month=JAN, acting_membership=w.staff)
    with django_capture_on_commit_callbacks(execute=True):
        period = settlements_issue(month=FEB, acting_membership=w.staff)
    issued = of(w, w.idc, FEB)
    before = numbers(issued)
    assert Notification.objects.filter(recipient=w.idc_owner.user, url=f"/partner/settlements/{issued.pk}/").exists()

    # A February charge rated after February was issued...
    settle_world.use(charged["job1"], settle_world.at(FEB, 20, 10), 3600)
    settle_world.rate()
    late = Charge.unscoped.order_by("-pk").first()
    assert late.pk > period.charge_cutoff and periods.month_of(late.period_start) == FEB
    # ...leaves the issued statement as it was, and is settled with March.
    issued.refresh_from_db()
    assert numbers(issued) == before
    settlements_generate(month=MAR, acting_membership=w.staff)
    assert numbers(of(w, w.idc, MAR)) == (3600, 1, 1, late.amount_fen, late.fee_fen, late.voucher_fen, 680)

    with pytest.raises(ValidationError) as exc:
        settlements_issue(month=FEB, acting_membership=w.staff)
    assert exc.value.code == "already_issued"


@pytest.mark.parametrize(
    "change",
    [
        lambda s: Settlement.unscoped.filter(pk=s.pk).update(gross_fen=1, net_fen=1 - s.fee_fen),
        lambda s: Settlement.unscoped.filter(pk=s.pk).update(state=SettlementState.DRAFT),
        lambda s: Settlement.unscoped.filter(pk=s.pk).delete(),
        lambda s: SettlementLine.unscoped.filter(settlement=s).update(runs=9),
        lambda s: SettlementLine.unscoped.filter(settlement=s).delete(),
        lambda s: SettlementPeriod.objects.filter(pk=s.period_id).update(charge_cutoff=0),
    ],
    ids=["numbers", "back-to-draft", "delete", "line", "delete-line", "cutoff"],
)
def test_the_database_refuses_to_change_an_issued_statement(w, charged, change):
    settlements_issue(month=JAN, acting_membership=w.staff)
    issued = of(w, w.idc, JAN)
    with pytest.raises(DatabaseError), transaction.atomic():
        change(issued)
    issued.refresh_from_db()
    assert numbers(issued) == (3600, 1, 1, 800, 120, 0, 680)
    assert SettlementLine.unscoped.get(settlement=issued).runs == 1


def test_months_are_settled_in_order_and_only_when_over(w, charged):
    settlements_issue(month=JAN, acting_membership=w.staff)
    with pytest.raises(ValidationError) as exc:
        settlements_generate(month=MAR, acting_membership=w.staff)
    assert exc.value.code == "out_of_order"
    assert "2025-02" in exc.value.messages[0]
    this_month = periods.month_of(timezone.now())
    with pytest.raises(ValidationError) as exc:
        settlements_generate(month=this_month, acting_membership=w.staff)
    assert exc.value.code == "open_month"
    assert not SettlementPeriod.objects.filter(month__in=[MAR, this_month]).exists()


@pytest.mark.parametrize("who", ["idc_owner", "company_owner"])
def test_only_operator_staff_compute_and_issue(w, charged, who):
    membership = w.idc_owner if who == "idc_owner" else w.flow.owner
    for service in (settlements_generate, settlements_issue):
        with pytest.raises(PermissionDenied):
            service(month=JAN, acting_membership=membership)
    assert not SettlementPeriod.objects.exists()


def test_an_empty_month_can_be_issued(w):
    period = settlements_issue(month=date(2024, 12, 1), acting_membership=w.staff)
    assert period.state == PeriodState.ISSUED and not Settlement.unscoped.filter(period=period).exists()
    assert AuditEntry.unscoped.get(action="settlements.issue").after["settlements"] == 0


def payable_in(partner) -> int:
    """What charges credited to the partner's payable account."""
    return (
        Leg.objects.filter(account=ledger.partner_payable(partner), transaction__kind=TxnKind.CHARGE).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )


def test_issued_net_equals_the_partner_payable_movements(w, charged):
    settlements_issue(month=JAN, acting_membership=w.staff)
    settlements_issue(month=FEB, acting_membership=w.staff)
    for partner in (w.idc, w.health):
        issued_net = Settlement.unscoped.filter(tenant=partner).aggregate(s=Sum("net_fen"))["s"]
        assert issued_net == payable_in(partner) == ledger.balance(partner, AccountKind.PARTNER_PAYABLE)
    assert {r.partner.pk: (r.owed_fen, r.unsettled_fen, r.difference_fen) for r in payable_check()} == {
        w.idc.pk: (3060, 0, 0),
        w.health.pk: (170, 0, 0),
    }

    # Paying one, and a charge not settled yet, keep the books matching.
    settlement_mark_paid(settlement=of(w, w.idc, JAN), acting_membership=w.staff, reference="BOC-1")
    settle_world.use(charged["job1"], settle_world.at(MAR, 2, 10), 1800)
    settle_world.rate()
    rows = {r.partner.pk: r for r in payable_check()}
    assert (rows[w.idc.pk].balance_fen, rows[w.idc.pk].owed_fen, rows[w.idc.pk].unsettled_fen) == (2720, 2380, 340)
    assert all(r.difference_fen == 0 for r in rows.values())

    # A posting to the payable account that no charge explains shows up as a difference.
    with transaction.atomic():
        ledger.post(
            kind=TxnKind.ADJUSTMENT,
            key="test-manual",
            legs=[(ledger.partner_payable(w.health), 5), (ledger.platform(AccountKind.PLATFORM_REVENUE), -5)],
        )
    first = payable_check()[0]
    assert (first.partner.pk, first.difference_fen) == (w.health.pk, 5)


@pytest.mark.django_db(transaction=True)
def test_two_issue_clicks_at_once_issue_once(w, charged):
    barrier = threading.Barrier(2)
    outcomes: list = []

    def click(month):
        try:
            barrier.wait()
            outcomes.append(settlements_issue(month=month, acting_membership=w.staff).month)
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(FEB,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes, key=str) == sorted([FEB, "already_issued"], key=str)
    assert numbers(of(w, w.idc, FEB)) == (16200, 3, 4, 3600, 540, 1000, 3060)
    assert AuditEntry.unscoped.filter(action="settlements.issue").count() == 1


@pytest.mark.django_db(transaction=True)
def test_rating_waits_while_a_month_is_computed(w):
    """The cutoff rule relies on rating taking the platform revenue account's lock before it writes
    charges: while a settlement run holds it, no charge can appear below the cutoff."""
    job = settle_world.launch_tabular(w)
    settle_world.use(job, settle_world.at(JAN, 5), 3600)
    holding, release, cutoffs = threading.Event(), threading.Event(), []

    def settlement_run():
        with transaction.atomic():
            cutoffs.append(statements._charge_cutoff())
            holding.set()
            release.wait(10)
        connection.close()

    def rater():
        settle_world.rate()
        connection.close()

    runs = threading.Thread(target=settlement_run)
    runs.start()
    assert holding.wait(10)
    rating = threading.Thread(target=rater)
    rating.start()
    rating.join(timeout=1.5)
    assert rating.is_alive() and not Charge.unscoped.exists()
    release.set()
    runs.join()
    rating.join(10)
    assert Charge.unscoped.get().pk > cutoffs[0]
