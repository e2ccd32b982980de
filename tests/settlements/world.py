"""Charges made through the real path for settlement tests: jobs launched with `launch()`, usage
recorded for them as the metering would, then rated by `rating.rate_pending()`.

Usage is dated in past months, so the price book gets entries back-dated to 2024 (the world's own
prices start today). Vouchers are real: a program, an application and an approval (`tests.vouchers.world`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import PriceUnit
from billing.services import pricebook, rating
from catalog.choices import OfferingKind
from compute.pools import ensure_pool
from jobs.models import Job, JobState, UsageRecord
from jobs.services import lifecycle
from jobs.services.launch import LaunchRequest, launch
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tests.catalog import world as catalog_world
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.flows import world as flows

PRICE_FROM = datetime(2024, 1, 1, tzinfo=timezone.get_default_timezone())
CARD_HOUR_FEN = 800  # the world's Ascend pool: ¥8.00 per card-hour
RUN_FEN = 200  # the summary template: ¥2.00 per run
FEE_BP = 1500
_seq = itertools.count(1)


@dataclass
class SettleWorld:
    flow: flows.FlowWorld
    staff: object  # operator staff membership
    idc_owner: object  # owner of the pool partner
    health_owner: object  # owner of the template partner
    pools: list = field(default_factory=list)  # extra partners' pools

    @property
    def idc(self):
        return self.flow.catalog.idc

    @property
    def health(self):
        return self.flow.catalog.health

    @property
    def company(self):
        return self.flow.company


def at(month: date, day: int = 1, hour: int = 10) -> datetime:
    return datetime(month.year, month.month, day, hour, tzinfo=timezone.get_default_timezone())


def backdate_prices(offering, *, card_hour: int | None = None, run: int | None = None) -> None:
    if card_hour is not None:
        pricebook.set_price(
            offering=offering,
            unit=PriceUnit.CARD_HOUR,
            amount_fen=card_hour,
            effective_from=PRICE_FROM,
            platform_fee_bp=FEE_BP,
        )
    if run is not None:
        pricebook.set_price(
            offering=offering, unit=PriceUnit.RUN, amount_fen=run, effective_from=PRICE_FROM, platform_fee_bp=FEE_BP
        )


def build() -> SettleWorld:
    flow = flows.build(wallet_fen=10_000_000, cards_quota=200)
    backdate_prices(flow.pool.offering, card_hour=CARD_HOUR_FEN)
    backdate_prices(flow.summary.offering, run=RUN_FEN)
    operator = TenantFactory(kind=TenantKind.OPERATOR, name_zh="运营方", name_en="Operator")
    return SettleWorld(
        flow=flow,
        staff=MembershipFactory(tenant=operator, role=Role.STAFF, user=UserFactory(mfa=True)),
        idc_owner=MembershipFactory(tenant=flow.catalog.idc, role=Role.OWNER),
        health_owner=MembershipFactory(tenant=flow.catalog.health, role=Role.OWNER),
    )


def add_partner_pool(w: SettleWorld, name: str):
    """Another partner selling an Ascend pool (so the world's model runs on it)."""
    n = next(_seq)
    partner = catalog_world.partner("data_centre", f"{name}算力有限公司", f"{name} Compute Ltd.")
    version = catalog_world.live(
        partner,
        OfferingKind.COMPUTE,
        name_zh=f"{name}昇腾池",
        name_en=f"{name} Ascend pool {n}",
        chip_type=w.flow.catalog.ascend,
        data_centre="数据中心",
        province="51",
        total_cards=64,
        card_sizes=[1, 2],
        price_per_card_hour=Decimal("8.00"),
    )
    pool = ensure_pool(version.offering)
    pricebook.sync_from_version(version)
    backdate_prices(version.offering, card_hour=CARD_HOUR_FEN)
    w.pools.append(pool)
    return partner, pool


def launch_tabular(w: SettleWorld, pool=None) -> Job:
    from django.core.files.uploadedfile import SimpleUploadedFile

    params = {"target_column": "label", "task": "classification", "test_fraction": 0.25}
    files = {"dataset_csv": SimpleUploadedFile("data.csv", flows.CSV.encode(), content_type="text/csv")}
    request = LaunchRequest(version=w.flow.tabular, pool=pool or w.flow.pool, cards=1, params=params, files=files)
    return _launch(w, request)


def launch_summary(w: SettleWorld) -> Job:
    params = {"documents": ["门诊时间为每天上午八点到下午五点，周末休息。" * 2]}
    return _launch(w, LaunchRequest(version=w.flow.summary, pool=w.flow.pool, cards=1, params=params))


def _launch(w: SettleWorld, request: LaunchRequest) -> Job:
    with tenant_context(w.company):
        job, created = launch(tenant=w.company, actor=w.flow.owner.user, request=request)
    assert created
    return job


def use(job: Job, start: datetime, card_seconds: int) -> UsageRecord:
    """One metering interval of the job, as `lifecycle.record_usage` would write it."""
    previous = UsageRecord.unscoped.filter(job=job, attempt=job.attempt).order_by("-seq").first()
    return UsageRecord.unscoped.create(
        tenant_id=job.tenant_id,
        job=job,
        attempt=job.attempt,
        seq=previous.seq + 1 if previous else 0,
        pool_id=job.pool_id,
        period_start=start,
        period_end=start + timedelta(seconds=card_seconds // job.cards),
        card_seconds=card_seconds,
        cum_card_seconds=(previous.cum_card_seconds if previous else 0) + card_seconds,
    )


def succeed(job: Job, finished: datetime) -> None:
    """End the job as succeeded at `finished` (its per-run price is charged at that moment)."""
    with transaction.atomic():
        locked = Job.unscoped.select_for_update().get(pk=job.pk)
        lifecycle.transition(locked, JobState.SUCCEEDED, reason="test", at=finished)


def rate() -> int:
    return rating.rate_pending()


def fund_vouchers(company, fen: int):
    """A 50% program of a government office, and a voucher of `fen` from it issued to the company."""
    from tests.vouchers import world as voucher_world

    gov = voucher_world.office()
    program = voucher_world.program(gov, ratio_bp=5000, four_eyes_above_fen=fen)
    voucher = voucher_world.issue(gov, company, program, fen)
    # The world's usage is dated in past months: the voucher was valid then.
    type(voucher).unscoped.filter(pk=voucher.pk).update(valid_from=PRICE_FROM)
    voucher.refresh_from_db()
    return voucher
