"""Rating on real PostgreSQL: exact, idempotent, never twice under concurrent raters, at the price in
effect when the usage happened; holds settle once and stale holds are released."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from billing.models import AccountKind, Charge, Hold, HoldState, PriceEntry, PriceUnit
from billing.services import holds, ledger, pricebook, rating
from billing.services.pricebook import card_seconds_cost
from jobs.models import UNRATED, Job, JobState, UsageRecord
from jobs.services.launch import launch
from tenants.scoping import tenant_context
from tests.flows import world
from tests.flows.test_job_flow import tabular_request

pytestmark = pytest.mark.django_db(transaction=True)


def running_job(w, started):
    """A launched job made to look as if it had been running since `started` (prices in effect then)."""
    PriceEntry.objects.filter(effective_from__gt=started).update(effective_from=started - timedelta(days=1))
    with tenant_context(w.company):
        job, _ = launch(tenant=w.company, actor=w.owner.user, request=tabular_request(w))
    Job.unscoped.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=started)
    job.refresh_from_db()
    return job


def meter(job, minutes: int, first: int = 0) -> None:
    cum = UsageRecord.unscoped.filter(job=job).count() * 60 * job.cards
    rows = []
    for seq in range(first, first + minutes):
        cum += 60 * job.cards
        start = job.started_at + timedelta(minutes=seq)
        rows.append(
            UsageRecord(
                tenant_id=job.tenant_id,
                job=job,
                attempt=1,
                seq=seq,
                pool_id=job.pool_id,
                period_start=start,
                period_end=start + timedelta(minutes=1),
                card_seconds=60 * job.cards,
                cum_card_seconds=cum,
            )
        )
    UsageRecord.unscoped.bulk_create(rows)


def test_charges_add_up_exactly_and_rating_twice_charges_once(job_dirs):
    w = world.build()
    job = running_job(w, timezone.now() - timedelta(hours=2))
    meter(job, 37)
    assert rating.rate_pending(batch_size=10) == 37
    assert rating.rate_pending(batch_size=10) == 0
    price = pricebook.current_price(w.pool.offering_id, PriceUnit.CARD_HOUR).amount_fen
    charges = Charge.unscoped.filter(job=job)
    assert sum(c.amount_fen for c in charges) == card_seconds_cost(price, 37 * 60)
    assert all(c.amount_fen == c.voucher_fen + c.hold_fen + c.wallet_fen + c.unpaid_fen for c in charges)
    fee = sum(c.fee_fen for c in charges)
    assert ledger.platform(AccountKind.PLATFORM_REVENUE).balance_fen == fee
    assert ledger.partner_payable(w.pool.offering.tenant).balance_fen == sum(c.amount_fen for c in charges) - fee


def test_a_price_change_never_rerates_the_past(job_dirs):
    w = world.build()
    started = timezone.now() - timedelta(hours=3)
    job = running_job(w, started)
    old = pricebook.current_price(w.pool.offering_id, PriceUnit.CARD_HOUR)
    pricebook.set_price(
        offering=w.pool.offering,
        unit=PriceUnit.CARD_HOUR,
        amount_fen=old.amount_fen * 10,
        effective_from=started + timedelta(minutes=30),
    )
    meter(job, 60)
    rating.rate_pending()
    before = Charge.unscoped.filter(job=job, period_start__lt=started + timedelta(minutes=30))
    after = Charge.unscoped.filter(job=job, period_start__gte=started + timedelta(minutes=30))
    assert {c.price.amount_fen for c in before} == {old.amount_fen}
    assert {c.price.amount_fen for c in after} == {old.amount_fen * 10}


def test_concurrent_raters_rate_each_record_once(job_dirs):
    w = world.build(wallet_fen=10_000_000)
    jobs = [running_job(w, timezone.now() - timedelta(hours=5)) for _ in range(3)]
    for job in jobs:
        meter(job, 120)
    barrier = threading.Barrier(4)
    done = []

    def rate() -> None:
        try:
            barrier.wait()
            done.append(rating.rate_pending(batch_size=25))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(done) == 360
    assert Charge.unscoped.count() == 360
    assert not UsageRecord.unscoped.filter(UNRATED).exists()


def test_finished_job_settles_its_hold_once_and_releases_the_rest(job_dirs):
    w = world.build()
    before = ledger.balance(w.company)
    job = running_job(w, timezone.now() - timedelta(minutes=10))
    meter(job, 1)
    Job.unscoped.filter(pk=job.pk).update(state=JobState.SUCCEEDED, finished_at=timezone.now())
    rating.rate_pending()
    rating.rate_pending()
    hold = Hold.unscoped.get(job=job)
    assert hold.state == HoldState.SETTLED
    charged = sum(Charge.unscoped.filter(job=job).values_list("amount_fen", flat=True))
    assert hold.drawn_fen + hold.released_fen == hold.amount_fen
    assert ledger.balance(w.company) == before - charged
    assert ledger.holds(w.company).balance_fen == 0


def test_stale_holds_are_released(job_dirs, settings):
    w = world.build()
    job = running_job(w, timezone.now() - timedelta(days=3))
    UsageRecord.unscoped.create(
        tenant=w.company,
        job=job,
        attempt=1,
        seq=0,
        pool=w.pool,
        period_start=job.started_at,
        period_end=job.started_at,
        card_seconds=0,
        cum_card_seconds=0,
    )  # never rated: the hold would wait forever
    Job.unscoped.filter(pk=job.pk).update(state=JobState.FAILED, finished_at=timezone.now() - timedelta(days=2))
    assert holds.release_stale() == 1
    assert Hold.unscoped.get(job=job).state == HoldState.SETTLED
    assert ledger.holds(w.company).balance_fen == 0
