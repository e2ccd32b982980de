"""A company that launches real jobs and is charged through real rating.

Usage records are written directly (as the metering loop would) and rated by
`billing.services.rating.rate_pending()`, so every charge, hold draw, release and ledger leg comes
from the real money code. The ledger stamps postings with the database's clock, which a test
cannot set back: tests that need two periods commit each step (`transaction=True`) and split real
time with `Span` at `db_clock()` readings taken between the steps.
"""

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import AccountKind
from billing.services import ledger
from billing.services.rating import rate_pending
from catalog.choices import CompatStatus
from catalog.models import Compatibility
from compute.models import QuotaOverride
from jobs.models import Job, JobState, UsageRecord
from jobs.services.launch import LaunchRequest, launch
from tenants.roles import Role
from tenants.scoping import tenant_context
from tests.factories import MembershipFactory
from tests.flows import world as flow_world

CST = ZoneInfo("Asia/Shanghai")
_keys = itertools.count()


def at(text: str) -> datetime:
    """'2026-03-10 10:00' in China Standard Time."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def db_clock() -> datetime:
    """The database's clock now (the one ledger postings are stamped with)."""
    with connection.cursor() as cur:
        cur.execute("SELECT clock_timestamp()")
        return cur.fetchone()[0]


@dataclass(frozen=True)
class Span:
    """A statement period that is not a calendar month (see `statements.periods.Period`)."""

    start: datetime
    end: datetime


@pytest.fixture(autouse=True)
def _job_files(settings, tmp_path):
    settings.JOBS_ROOT = tmp_path / "jobs"


@dataclass
class Shop:
    """A funded company with templates and two usable pools."""

    w: flow_world.FlowWorld

    @property
    def company(self):
        return self.w.company

    @property
    def owner(self):
        return self.w.owner

    def member(self, role: str):
        return MembershipFactory(tenant=self.company, role=role)

    def top_up(self, fen: int) -> None:
        flow_world.fund(self.company, fen, key=f"stmt-test-topup:{next(_keys)}")

    def launch(self, version=None, *, pool=None, name: str = "") -> Job:
        version = version or self.w.kb
        params = (
            {"documents": ["门诊时间为每天八点到十七点。Clinic hours are 8 to 17 daily."], "questions": ["几点?"]}
            if version.workload == "knowledge_base"
            else {"documents": ["这是一段需要摘要的较长文本，用于测试。A longer text to summarise."]}
        )
        request = LaunchRequest(version=version, pool=pool or self.w.pool, cards=1, params=params, name=name)
        with tenant_context(self.company):
            job, _created = launch(tenant=self.company, actor=self.owner.user, request=request)
        return job

    def use(self, job: Job, card_seconds: int) -> None:
        """One metering interval of `card_seconds`, then rating."""
        previous = UsageRecord.unscoped.filter(job=job).order_by("-seq").first()
        now = timezone.now()
        UsageRecord.unscoped.create(
            tenant=self.company,
            job=job,
            attempt=job.attempt,
            seq=previous.seq + 1 if previous else 0,
            pool=job.pool,
            period_start=now,  # not earlier: the world's prices start when it is built
            period_end=now + timedelta(seconds=60),
            card_seconds=card_seconds,
            cum_card_seconds=(previous.cum_card_seconds if previous else 0) + card_seconds,
        )
        rate_pending()

    def finish(self, job: Job) -> None:
        """The job succeeded: rating charges any per-run price and releases what its hold has left."""
        Job.unscoped.filter(pk=job.pk).update(state=JobState.SUCCEEDED, finished_at=timezone.now())
        rate_pending()

    def funds_now(self) -> tuple[int, int]:
        """(available, held) straight from the ledger's account balances."""
        return ledger.balance(self.company), ledger.balance(self.company, AccountKind.HOLDS)


def make_shop(wallet_fen: int = 100_000) -> Shop:
    w = flow_world.build(wallet_fen=wallet_fen, cards_quota=64)
    # The A100 pool becomes usable too, so spend splits over two pools.
    Compatibility.objects.filter(model_offering=w.catalog.model.offering, chip_type=w.catalog.a100).update(
        status=CompatStatus.VERIFIED, score=70, note=""
    )
    QuotaOverride.unscoped.create(
        tenant=w.company, chip_type=w.catalog.a100, concurrent_cards=64, card_hours_month=10_000, concurrent_jobs=100
    )
    return Shop(w)


@pytest.fixture
def shop(db) -> Shop:
    return make_shop()


@pytest.fixture
def billing_member(shop):
    return shop.member(Role.BILLING)


@pytest.fixture
def viewer(shop):
    return shop.member(Role.VIEWER)
