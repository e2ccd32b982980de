"""A small compute world for the quota and pool tests, written directly (test set-up is system code).

Company A (small) runs on the Ascend pool: a running job of 2 cards and an admitted (queued) one of
1 card, 12.5 card-hours metered this month (and 7 last month, which must not count); it waits with a
pending job on the A100 pool (not admitted: holds no quota). The operator's default for small
companies on Ascend is 16 cards / 500 card-hours / 6 jobs; A100 falls back to the built-in limits.
Company B runs 4 cards on the H800 pool and has a pending request (another tenant's object)."""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.choices import OfferingKind, VersionState
from catalog.models import ChipType, Offering, OfferingVersion
from compute.models import Pool, QuotaDefault, QuotaRequest
from compute.quotas import month_start
from jobs.models import Job, JobState, UsageRecord
from tenants.choices import SizeClass
from tenants.roles import Role, TenantKind
from tests.factories import MembershipFactory, TenantFactory, UserFactory

_seq = itertools.count(1)


@dataclass
class ComputeWorld:
    ascend: ChipType
    a100: ChipType
    h800: ChipType
    idc: object
    ascend_pool: Pool
    a100_pool: Pool
    h800_pool: Pool
    solution: OfferingVersion
    company: object
    owner: object
    developer: object
    viewer: object
    other: object
    other_owner: object
    other_request: QuotaRequest
    staff: object


def chip(slug: str, vendor: str, model: str, score: int) -> ChipType:
    return ChipType.objects.create(
        slug=slug,
        vendor=vendor,
        model=model,
        is_domestic=vendor == "Huawei",
        memory_gb=64,
        fp16_tflops=Decimal("300"),
        software_stack="CANN",
        perf_score=score,
        k8s_resource="x/y",
        slurm_gres=slug,
    )


def pool(idc, chip_type: ChipType, name: str, total_cards: int) -> Pool:
    """A pool behind a compute offering of the data-centre partner (the offering needs no version here)."""
    offering = Offering.unscoped.create(tenant=idc, kind=OfferingKind.COMPUTE, slug=f"pool-{next(_seq)}")
    return Pool.objects.create(offering=offering, chip_type=chip_type, name=name, total_cards=total_cards)


def solution(partner) -> OfferingVersion:
    offering = Offering.unscoped.create(tenant=partner, kind=OfferingKind.SOLUTION, slug=f"sol-{next(_seq)}")
    return OfferingVersion.unscoped.create(
        tenant=partner,
        offering=offering,
        kind=OfferingKind.SOLUTION,
        number=1,
        state=VersionState.LIVE,
        name_zh="知识库",
        name_en="Knowledge base",
    )


def job(tenant, on_pool: Pool, version: OfferingVersion, *, cards: int, state: str) -> Job:
    return Job.unscoped.create(
        tenant=tenant,
        offering=version.offering,
        version=version,
        pool=on_pool,
        cards=cards,
        workload="knowledge_base",
        state=state,
        engine="local",
        time_limit_seconds=3600,
        estimate_fen=100,
    )


def metered(of_job: Job, *, card_hours: float, start=None) -> UsageRecord:
    start = start or timezone.now() - timedelta(minutes=5)
    seconds = int(card_hours * 3600)
    return UsageRecord.unscoped.create(
        tenant_id=of_job.tenant_id,
        job=of_job,
        attempt=1,
        seq=next(_seq),
        pool=of_job.pool,
        period_start=start,
        period_end=start + timedelta(minutes=1),
        card_seconds=seconds,
        cum_card_seconds=seconds,
    )


def operator_staff():
    operator = TenantFactory(kind=TenantKind.OPERATOR, name_zh="运营方", name_en="Operator")
    return MembershipFactory(tenant=operator, role=Role.STAFF, user=UserFactory(mfa=True))


def build() -> ComputeWorld:
    idc = TenantFactory(kind=TenantKind.PARTNER, name_zh="天府算力有限公司", name_en="Tianfu Compute Ltd.")
    ascend = chip("ascend-910b", "Huawei", "Ascend 910B", 80)
    a100 = chip("a100-80g", "NVIDIA", "A100 80GB", 100)
    h800 = chip("h800", "NVIDIA", "H800", 95)
    pools = {c.slug: pool(idc, c, f"{c.model} pool", 32) for c in (ascend, a100, h800)}
    version = solution(idc)

    company = TenantFactory(
        kind=TenantKind.COMPANY, name_zh="甲制造有限公司", name_en="Alpha Manufacturing", size_class=SizeClass.SMALL
    )
    running = job(company, pools["ascend-910b"], version, cards=2, state=JobState.RUNNING)
    job(company, pools["ascend-910b"], version, cards=1, state=JobState.QUEUED)
    job(company, pools["a100-80g"], version, cards=4, state=JobState.PENDING)
    job(company, pools["ascend-910b"], version, cards=8, state=JobState.SUCCEEDED)
    metered(running, card_hours=10)
    metered(running, card_hours=2.5)
    metered(running, card_hours=7, start=month_start() - timedelta(days=2))
    QuotaDefault.objects.create(
        size_class=SizeClass.SMALL, chip_type=ascend, concurrent_cards=16, card_hours_month=500, concurrent_jobs=6
    )

    other = TenantFactory(kind=TenantKind.COMPANY, name_zh="乙物流有限公司", name_en="Beta Logistics")
    other_owner = MembershipFactory(tenant=other, role=Role.OWNER)
    job(other, pools["h800"], version, cards=4, state=JobState.RUNNING)
    other_request = QuotaRequest.unscoped.create(
        tenant=other,
        chip_type=h800,
        concurrent_cards=16,
        card_hours_month=400,
        concurrent_jobs=4,
        reason="Beta's secret training run",
        requested_by=other_owner.user,
    )
    return ComputeWorld(
        ascend=ascend,
        a100=a100,
        h800=h800,
        idc=idc,
        ascend_pool=pools["ascend-910b"],
        a100_pool=pools["a100-80g"],
        h800_pool=pools["h800"],
        solution=version,
        company=company,
        owner=MembershipFactory(tenant=company, role=Role.OWNER),
        developer=MembershipFactory(tenant=company, role=Role.DEVELOPER),
        viewer=MembershipFactory(tenant=company, role=Role.VIEWER),
        other=other,
        other_owner=other_owner,
        other_request=other_request,
        staff=operator_staff(),
    )
