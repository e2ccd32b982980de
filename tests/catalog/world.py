"""A small published catalog for browse tests, written directly (system code) and indexed once."""

import itertools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from catalog.choices import CompatStatus, OfferingKind, OfferingStatus, VersionState
from catalog.models import ChipType, Compatibility, Offering, OfferingVersion, PartnerProfile
from catalog.services.indexing import reindex_versions
from tenants.roles import TenantKind
from tests.factories import TenantFactory

_seq = itertools.count()


@dataclass
class CatalogWorld:
    health: object = None
    idc: object = None
    ascend: object = None
    a100: object = None
    pools: list = field(default_factory=list)
    model: object = None
    template: object = None
    draft: object = None


def partner(category: str, name_zh: str, name_en: str, province: str = "51"):
    tenant = TenantFactory(kind=TenantKind.PARTNER, name_zh=name_zh, name_en=name_en)
    PartnerProfile.objects.create(
        tenant=tenant, category=category, province=province, description_zh="介绍", description_en="About"
    )
    return tenant


def live(tenant, kind: str, **content) -> OfferingVersion:
    offering = Offering.unscoped.create(tenant=tenant, kind=kind, slug=f"o-{next(_seq)}")
    version = OfferingVersion.unscoped.create(
        tenant=tenant, offering=offering, kind=kind, number=1, state=VersionState.LIVE, **content
    )
    Offering.unscoped.filter(pk=offering.pk).update(live_version=version, status=OfferingStatus.PUBLISHED)
    offering.live_version, offering.status = version, OfferingStatus.PUBLISHED
    return version


def chip(slug: str, vendor: str, model: str, domestic: bool, score: int) -> ChipType:
    return ChipType.objects.create(
        slug=slug,
        vendor=vendor,
        model=model,
        is_domestic=domestic,
        memory_gb=64,
        fp16_tflops=Decimal("300"),
        software_stack="CANN" if domestic else "CUDA",
        perf_score=score,
        k8s_resource="x/y",
        slurm_gres=slug,
    )


def build(extra_pools: int = 0) -> CatalogWorld:
    w = CatalogWorld()
    w.health = partner("health", "华西医疗智能有限公司", "West China Medical AI Ltd.")
    w.idc = partner("data_centre", "天府算力有限公司", "Tianfu Compute Ltd.")
    w.ascend = chip("ascend-910b3", "Huawei", "Ascend 910B3", True, 80)
    w.a100 = chip("a100-80g", "NVIDIA", "A100 80GB", False, 100)
    w.pools.append(
        live(
            w.idc,
            OfferingKind.COMPUTE,
            name_zh="成都昇腾推理池",
            name_en="Chengdu Ascend pool",
            chip_type=w.ascend,
            data_centre="天府智算中心",
            province="51",
            total_cards=64,
            card_sizes=[1, 2, 4, 8],
            price_per_card_hour=Decimal("8.00"),
            tags=["推理", "inference"],
        )
    )
    w.pools.append(
        live(
            w.idc,
            OfferingKind.COMPUTE,
            name_zh="上海 A100 训练池",
            name_en="Shanghai A100 pool",
            chip_type=w.a100,
            data_centre="临港中心",
            province="31",
            total_cards=32,
            card_sizes=[1, 8],
            price_per_card_hour=Decimal("21.50"),
            tags=["training"],
        )
    )
    for i in range(extra_pools):
        w.pools.append(
            live(
                w.idc,
                OfferingKind.COMPUTE,
                name_zh=f"扩展池{i}",
                name_en=f"Extra pool {i}",
                chip_type=w.a100,
                data_centre="临港中心",
                province="31",
                total_cards=8,
                card_sizes=[1],
                price_per_card_hour=Decimal("30.00") + i,
                tags=["extra"],
            )
        )
    w.model = live(
        w.health,
        OfferingKind.MODEL,
        name_zh="华西医疗影像大模型",
        name_en="West China medical imaging model",
        description_en="A **medical** imaging model built with hospitals.",
        family="Qwen",
        parameters_b=Decimal("7"),
        modality="vision",
        license="Commercial",
        context_length=8192,
        tasks=["影像诊断"],
        is_foundation=False,
        industries=["health"],
    )
    Compatibility.objects.create(
        model_offering=w.model.offering,
        chip_type=w.ascend,
        status=CompatStatus.VERIFIED,
        score=82,
        min_cards=1,
        checked_on=date(2026, 10, 1),
    )
    Compatibility.objects.create(
        model_offering=w.model.offering,
        chip_type=w.a100,
        status=CompatStatus.UNSUPPORTED,
        score=0,
        min_cards=1,
        checked_on=date(2026, 10, 1),
        note="FP8 kernels missing",
    )
    w.template = live(
        w.health,
        OfferingKind.SOLUTION,
        name_zh="门诊智能客服知识库",
        name_en="Clinic customer-service knowledge base",
        industry="health",
        platform="traditional",
        model_offering=w.model.offering,
        default_cards=2,
        workload="knowledge_base",
        launch_schema={"type": "object", "properties": {"docs": {"type": "string", "title": "文档"}}},
        typical_runtime_minutes=30,
        price_per_run=Decimal("5.00"),
        tags=["客服"],
    )
    # A draft of the same partner: never public.
    offering = Offering.unscoped.create(
        tenant=w.health, kind=OfferingKind.MODEL, slug="secret-draft", status=OfferingStatus.DRAFT
    )
    w.draft = OfferingVersion.unscoped.create(
        tenant=w.health,
        offering=offering,
        kind=OfferingKind.MODEL,
        number=1,
        name_zh="保密医疗草稿",
        name_en="Secret medical draft",
        family="X",
        modality="text",
        license="x",
    )
    reindex_versions(OfferingVersion.unscoped.filter(state=VersionState.LIVE).values_list("pk", flat=True))
    for v in [*w.pools, w.model, w.template]:
        v.refresh_from_db()
    return w
