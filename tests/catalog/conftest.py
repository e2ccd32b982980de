"""Fixtures for partner self-service and review: two partners, an operator, a chip type and a
published model (made through the listing services, as a partner and an operator would)."""

from decimal import Decimal

import pytest

from catalog.choices import OfferingKind
from catalog.models import ChipType, Offering, PartnerProfile
from catalog.services.listings import offering_create, offering_submit, version_approve
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tests.factories import MembershipFactory, TenantFactory, UserFactory


def compute_content(chip: ChipType, **overrides) -> dict:
    return {
        "name_zh": "成都昇腾推理池",
        "name_en": "Chengdu inference pool",
        "description_zh": "**昇腾** 推理",
        "description_en": "Inference on **Ascend**.",
        "tags": ["推理", "inference"],
        "industries": ["health", "education"],
        "chip_type": chip,
        "data_centre": "天府智算中心",
        "province": "51",
        "total_cards": 64,
        "card_sizes": [1, 2, 4, 8],
        "price_per_card_hour": Decimal("8.50"),
        **overrides,
    }


def model_content(**overrides) -> dict:
    return {
        "name_zh": "华西医疗大模型",
        "name_en": "West China medical model",
        "description_en": "A medical model.",
        "family": "Qwen",
        "parameters_b": Decimal("7.00"),
        "modality": "text",
        "license": "Apache-2.0",
        "context_length": 32768,
        "tasks": ["问答", "summarisation"],
        "is_foundation": False,
        "industries": ["health"],
        **overrides,
    }


LAUNCH_SCHEMA = {
    "type": "object",
    "properties": {"docs": {"type": "string", "title": "文档"}, "top_k": {"type": "integer"}},
    "required": ["docs"],
}


def solution_content(model: Offering, **overrides) -> dict:
    return {
        "name_zh": "门诊客服知识库",
        "name_en": "Clinic knowledge base",
        "industry": "health",
        "platform": "traditional",
        "model_offering": model,
        "default_cards": 2,
        "workload": "knowledge_base",
        "launch_schema": LAUNCH_SCHEMA,
        "example_inputs": {"docs": "门诊时间", "top_k": 3},
        "typical_runtime_minutes": 30,
        "price_per_run": Decimal("5.00"),
        **overrides,
    }


def make_listing(membership, kind: str, content: dict) -> Offering:
    with tenant_context(membership.tenant):
        return offering_create(acting_membership=membership, kind=kind, content=content)


def submit(membership, offering: Offering):
    with tenant_context(membership.tenant):
        return offering_submit(offering=offering, acting_membership=membership)


def approve(staff, offering: Offering):
    """Approve the listing's version in review, as operator staff."""
    from catalog.models import OfferingVersion

    version = OfferingVersion.unscoped.get(offering=offering, state="in_review")
    with tenant_context(staff.tenant):
        return version_approve(version=version, acting_membership=staff)


def publish(membership, staff, kind: str, content: dict) -> Offering:
    offering = make_listing(membership, kind, content)
    submit(membership, offering)
    approve(staff, offering)
    return Offering.unscoped.select_related("live_version").get(pk=offering.pk)


def partner_tenant(name_zh: str, name_en: str):
    tenant = TenantFactory(kind=TenantKind.PARTNER, name_zh=name_zh, name_en=name_en)
    PartnerProfile.objects.create(tenant=tenant, category="health", province="51")
    return tenant


@pytest.fixture
def chip(db):
    return ChipType.objects.create(
        slug="test-ascend-910b",
        vendor="Huawei",
        model="Ascend 910B",
        is_domestic=True,
        memory_gb=64,
        fp16_tflops=Decimal("320.0"),
        software_stack="CANN",
        perf_score=80,
        k8s_resource="huawei.com/Ascend910",
        slurm_gres="ascend910b",
    )


@pytest.fixture
def partner(db):
    return partner_tenant("甲伙伴科技有限公司", "Alpha Partner Ltd.")


@pytest.fixture
def manager(partner):
    return MembershipFactory(tenant=partner, role=Role.LISTING_MANAGER)


@pytest.fixture
def partner_owner(partner):
    return MembershipFactory(tenant=partner, role=Role.OWNER)


@pytest.fixture
def viewer(partner):
    return MembershipFactory(tenant=partner, role=Role.VIEWER)


@pytest.fixture
def other_partner(db):
    return partner_tenant("乙伙伴科技有限公司", "Beta Partner Ltd.")


@pytest.fixture
def other_manager(other_partner):
    return MembershipFactory(tenant=other_partner, role=Role.LISTING_MANAGER)


@pytest.fixture
def staff(db):
    operator = TenantFactory(kind=TenantKind.OPERATOR, name_zh="运营方", name_en="Operator")
    return MembershipFactory(tenant=operator, role=Role.STAFF, user=UserFactory(mfa=True))


@pytest.fixture
def published_model(other_manager, staff):
    """Another partner's published model: solution templates of any partner may build on it."""
    return publish(other_manager, staff, OfferingKind.MODEL, model_content(name_en="Beta medical model"))
