"""The demo catalog loader: MISSION.md's ecosystem, deterministic, idempotent and indexed.

One catalog is loaded for the whole module (inside a transaction rolled back at the end); each test
runs in its own savepoint on top of it.
"""

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from jsonschema import Draft202012Validator

from catalog import demo_data
from catalog.choices import CompatStatus, OfferingKind, OfferingStatus, Platform, VersionState, Workload
from catalog.models import (
    ChipType,
    Compatibility,
    Offering,
    OfferingChip,
    OfferingDailyStat,
    OfferingIndustry,
    OfferingVersion,
    PartnerProfile,
)
from catalog.services.demo_catalog import (
    catalog_digest,
    demo_partner_code,
    loader_offerings,
    loader_partners,
)
from tenants.models import Tenant
from tenants.validators import validate_uscc
from tests.factories import TenantFactory

pytestmark = pytest.mark.slow


def _load(**options) -> str:
    out = io.StringIO()
    call_command("load_demo_catalog", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        output = _load()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def catalog(loaded, db):
    return loaded


def live(kind=None):
    qs = OfferingVersion.unscoped.live()
    return qs.filter(kind=kind) if kind else qs


def test_summary_line_names_what_was_made(catalog):
    assert catalog.startswith("Demo catalog: 702 partners, ")
    assert catalog.count("\n") == 1
    for word in ("compute", "model", "solution", "verified", "experimental", "unsupported", " s."):
        assert word in catalog


def test_partner_categories_match_the_mission(catalog):
    listed = Counter(
        PartnerProfile.objects.filter(tenant__in=loader_partners(), tenant__credit_code__contains="MADC").values_list(
            "category", flat=True
        )
    )
    assert dict(listed) == demo_data.CATEGORY_COUNTS
    assert sum(listed.values()) == 698

    emerging = Tenant.objects.filter(credit_code__regex=r"^91[0-9]{6}MADX")
    assert sorted(emerging.values_list("industry", flat=True)) == sorted(demo_data.EMERGING_PARTNERS)
    assert set(emerging.values_list("partner_profile__category", flat=True)) == {"large_model"}

    demo = PartnerProfile.objects.get(tenant__credit_code=demo_partner_code())
    assert demo.category == "data_centre"
    assert PartnerProfile.objects.count() == 702
    assert Tenant.objects.filter(kind="partner", partner_profile__isnull=False).count() >= 700


def test_partners_are_registered_companies_across_china(catalog):
    partners = list(loader_partners())
    assert len(partners) == 701
    for tenant in partners:
        validate_uscc(tenant.credit_code)
        assert tenant.credit_code[2:4] == tenant.province
        assert tenant.name_zh.endswith("有限公司") and tenant.name_en.endswith("Co., Ltd.")
    assert len({t.credit_code for t in partners}) == 701
    assert len({t.name_zh for t in partners}) == 701
    assert len({t.province for t in partners}) >= 25
    websites = list(PartnerProfile.objects.filter(tenant__in=loader_partners()).values_list("website", flat=True))
    assert len(set(websites)) == 701 and all(w.startswith("https://") and w.endswith(".example.cn") for w in websites)


def test_offerings_are_published_with_one_live_version(catalog):
    kinds = Counter(live().values_list("kind", flat=True))
    assert sum(kinds.values()) >= 3000
    assert set(kinds) == set(OfferingKind.values)
    published = Offering.unscoped.filter(status=OfferingStatus.PUBLISHED)
    assert published.count() == sum(kinds.values())
    assert not published.exclude(live_version__state=VersionState.LIVE).exists()
    assert not published.exclude(live_version__offering_id=F("pk")).exists()


def test_chip_types_are_real_scored_and_sold(catalog):
    chips = {c.slug: c for c in ChipType.objects.select_related("vendor_tenant__partner_profile")}
    assert chips["nvidia-a100-80g"].perf_score == 100
    vendors = {c.vendor for c in chips.values()}
    for vendor in ("NVIDIA", "Huawei Ascend", "Cambricon", "Hygon", "Moore Threads", "Kunlunxin", "Enflame",
                   "Iluvatar CoreX", "MetaX", "Biren"):  # fmt: skip
        assert vendor in vendors
    for chip in chips.values():
        assert chip.vendor_tenant.partner_profile.category == "chip"
        if chip.is_domestic:
            assert 70 <= chip.perf_score <= 90, chip
    pooled = set(live(OfferingKind.COMPUTE).values_list("chip_type__slug", flat=True))
    assert pooled == set(chips)


def test_pools_sell_sizes_of_1_2_4_8_cards_and_domestic_chips_are_cheaper(catalog):
    prices = {True: [], False: []}
    for v in live(OfferingKind.COMPUTE).select_related("chip_type"):
        assert v.card_sizes and set(v.card_sizes) <= {1, 2, 4, 8} and max(v.card_sizes) <= v.total_cards
        assert v.price_per_card_hour > Decimal(0) and v.engine == "local" and v.data_centre and v.province
        prices[v.chip_type.is_domestic].append(v.price_per_card_hour)
    average = {k: sum(p) / len(p) for k, p in prices.items()}
    assert average[True] < average[False]


def test_models_cover_foundation_families_and_verticals(catalog):
    models = live(OfferingKind.MODEL)
    families = set(models.values_list("family", flat=True))
    assert len(families) >= 20
    for family in ("DeepSeek", "Qwen", "GLM", "ERNIE", "Kimi", "Baichuan", "MiniMax", "Yi"):
        assert models.filter(family=family, is_foundation=True).exists(), family
    medical = models.filter(family="MedSpecialist")
    assert medical.exists()
    assert set(medical.values_list("partner_category", flat=True)) == {"health"}
    assert models.filter(is_foundation=False).count() >= 300
    assert not models.filter(license="").exists() and not models.filter(modality="").exists()


def test_templates_cover_both_platforms_with_valid_launch_forms(catalog):
    solutions = list(live(OfferingKind.SOLUTION).select_related("model_offering__live_version"))
    names = {v.name_en.split(" (")[0] for v in solutions}
    assert len(names) >= 12
    assert {v.platform for v in solutions} == set(Platform.values)
    assert {v.workload for v in solutions} == set(Workload.values)
    emerging = {v.industry for v in solutions if v.platform == Platform.EMERGING}
    assert {"low_altitude", "embodied_ai", "ai_for_science"} <= emerging
    checked = set()
    for v in solutions:
        assert v.model_offering.kind == OfferingKind.MODEL and v.model_offering.live_version.state == "live"
        assert v.default_cards in (1, 2, 4, 8) and v.typical_runtime_minutes > 0
        if v.name_en.split(" (")[0] in checked:
            continue
        checked.add(v.name_en.split(" (")[0])
        Draft202012Validator.check_schema(v.launch_schema)
        assert v.launch_schema["type"] == "object" and v.launch_schema["required"]
        for spec in v.launch_schema["properties"].values():
            zh, en = spec["title"].split(" / ")
            assert zh and en
        assert not list(Draft202012Validator(v.launch_schema).iter_errors(v.example_inputs)), v.name_en


def test_every_live_template_example_fits_its_form(catalog):
    validators = {}
    for schema_text, example in live(OfferingKind.SOLUTION).values_list("launch_schema", "example_inputs"):
        key = repr(schema_text)
        validator = validators.setdefault(key, Draft202012Validator(schema_text))
        assert validator.is_valid(example)
    assert len(validators) >= 12


def test_compatibility_matrix_is_realistic(catalog):
    rows = Compatibility.objects.filter(model_offering__in=loader_offerings()).select_related("chip_type")
    status = Counter(rows.values_list("status", flat=True))
    assert set(status) == set(CompatStatus.values)
    assert all(0 <= s <= 100 for s in rows.values_list("score", flat=True))
    a100 = rows.filter(chip_type__slug="nvidia-a100-80g")
    assert a100.filter(status=CompatStatus.VERIFIED).count() >= 0.8 * a100.count()
    big = rows.filter(model_offering__live_version__parameters_b__gte=300, chip_type__memory_gb__lte=32)
    assert big.exists() and not big.filter(status=CompatStatus.VERIFIED).exists()
    tuned = rows.filter(chip_type__is_domestic=True, status=CompatStatus.VERIFIED)
    assert tuned.exists() and all(70 <= s <= 90 for s in tuned.values_list("score", flat=True))
    assert not rows.filter(status=CompatStatus.UNSUPPORTED, throughput__isnull=False).exists()


def test_listings_are_bilingual_and_findable_in_both_languages(catalog):
    versions = live()
    assert not versions.filter(name_zh="").exists() and not versions.filter(name_en="").exists()
    assert not versions.filter(description_zh="").exists() and not versions.filter(description_en="").exists()
    health = versions.filter(partner_category="health")
    assert health.count() >= 300
    assert health.filter(search_text__contains="医疗").count() == health.count()
    assert health.filter(search_text__contains="medical").count() == health.count()
    assert versions.filter(search_text__contains="客服", kind=OfferingKind.SOLUTION).exists()
    assert versions.filter(search_text__contains="推理", kind=OfferingKind.COMPUTE).exists()
    assert versions.filter(search_text__contains="inference", kind=OfferingKind.MODEL).exists()


def test_reindex_filled_facets_and_denormalised_fields(catalog):
    versions = live()
    assert not versions.filter(partner_category="").exists()
    assert not versions.filter(search_text="").exists()
    assert OfferingChip.objects.filter(version__in=versions).values("version").distinct().count() >= 3000
    assert OfferingIndustry.objects.filter(version__in=versions).count() >= 2000
    for v in versions.filter(kind=OfferingKind.COMPUTE)[:50]:
        assert v.list_price == v.price_per_card_hour and v.perf_score == v.chip_type.perf_score
    assert not versions.filter(kind=OfferingKind.SOLUTION, list_price__isnull=True).exists()


def test_demo_partner_has_work_in_every_state_and_a_month_of_stats(catalog):
    tenant = Tenant.objects.get(credit_code=demo_partner_code())
    versions = OfferingVersion.unscoped.filter(tenant=tenant)
    states = Counter(versions.values_list("state", flat=True))
    assert states[VersionState.LIVE] >= 4
    assert states[VersionState.DRAFT] == states[VersionState.REJECTED] == 1
    assert states[VersionState.IN_REVIEW] == 2  # a new template, and a price change of a live pool
    assert versions.get(state=VersionState.REJECTED).review_note
    stats = OfferingDailyStat.objects.filter(offering__tenant=tenant)
    assert stats.values("day").distinct().count() == 28
    assert stats.values("offering").distinct().count() == states[VersionState.LIVE]


def test_running_again_changes_nothing(catalog):
    before = (Tenant.objects.count(), Offering.unscoped.count(), Compatibility.objects.count(), catalog_digest())

    output = _load()

    assert "already loaded" in output
    after = (Tenant.objects.count(), Offering.unscoped.count(), Compatibility.objects.count(), catalog_digest())
    assert after == before


def test_flush_and_reload_gives_the_same_catalog(catalog):
    slugs = set(loader_offerings().values_list("slug", flat=True))
    digest = catalog_digest()

    output = _load(flush=True)

    assert output.startswith("Demo catalog: flushed ")
    assert set(loader_offerings().values_list("slug", flat=True)) == slugs
    assert catalog_digest() == digest
    assert Tenant.objects.filter(kind="partner").count() == 702


def test_flush_refuses_when_another_partners_listing_builds_on_a_demo_model(catalog):
    model = live(OfferingKind.MODEL).filter(offering__in=loader_offerings()).first().offering
    outsider = TenantFactory(kind="partner")
    offering = Offering.unscoped.create(tenant=outsider, kind=OfferingKind.SOLUTION, slug="outside-template")
    OfferingVersion.unscoped.create(
        tenant=outsider, offering=offering, kind=OfferingKind.SOLUTION, number=1, name_zh="外部模板",
        name_en="Outside template", model_offering=model,
    )  # fmt: skip
    before = (Offering.unscoped.count(), Tenant.objects.count(), catalog_digest())

    with pytest.raises(CommandError, match="use a demo model"):
        _load(flush=True)

    assert (Offering.unscoped.count(), Tenant.objects.count(), catalog_digest()) == before
