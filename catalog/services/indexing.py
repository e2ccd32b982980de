"""Denormalised fields and facet rows of live versions, computed in bulk.

Called when a version goes live, when compatibility changes, and by the demo loader. A constant
number of queries for any number of versions.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Q

from catalog.choices import CompatStatus, OfferingKind, VersionState
from catalog.models import ChipType, Compatibility, OfferingChip, OfferingIndustry, OfferingVersion, PartnerProfile
from catalog.search import tokens as search_tokens
from catalog.selectors import bump_catalog_generation
from tenants.choices import Industry

RUNNABLE = (CompatStatus.VERIFIED, CompatStatus.EXPERIMENTAL)


def _industry_words(codes: Iterable[str]) -> list[str]:
    from django.utils import translation

    words = []
    for code in codes:
        if code in Industry.values:
            for lang in ("en", "zh-hans"):
                with translation.override(lang):
                    words.append(str(Industry(code).label))
    return words


def _cheapest_pool_price_by_chip() -> dict[int, Decimal]:
    rows = (
        OfferingVersion.unscoped.live()
        .filter(kind=OfferingKind.COMPUTE)
        .values("chip_type_id")
        .annotate(price=Min("price_per_card_hour"))
    )
    return {r["chip_type_id"]: r["price"] for r in rows}


@transaction.atomic
def reindex_versions(version_ids: Iterable[int]) -> int:
    """Recompute list price, performance score, search text and facet rows of these versions."""
    versions = list(
        OfferingVersion.unscoped.filter(pk__in=list(version_ids)).select_related("offering__tenant", "chip_type")
    )
    if not versions:
        return 0
    chips = {c.pk: c for c in ChipType.objects.all()}
    profiles = {p.tenant_id: p for p in PartnerProfile.objects.filter(tenant_id__in={v.tenant_id for v in versions})}
    model_ids = {v.offering_id for v in versions if v.kind == OfferingKind.MODEL} | {
        v.model_offering_id for v in versions if v.kind == OfferingKind.SOLUTION and v.model_offering_id
    }
    compat: dict[int, list[Compatibility]] = defaultdict(list)
    for row in Compatibility.objects.filter(model_offering_id__in=model_ids, status__in=RUNNABLE):
        compat[row.model_offering_id].append(row)
    pool_price = _cheapest_pool_price_by_chip()

    industry_rows, chip_rows = [], []
    for v in versions:
        profile = profiles.get(v.tenant_id)
        v.partner_category = profile.category if profile else ""
        if v.kind == OfferingKind.COMPUTE:
            runs_on = [v.chip_type_id] if v.chip_type_id else []
            v.list_price = v.price_per_card_hour
            v.perf_score = v.chip_type.perf_score if v.chip_type else None
        else:
            model_id = v.offering_id if v.kind == OfferingKind.MODEL else v.model_offering_id
            rows = compat.get(model_id, [])
            runs_on = [r.chip_type_id for r in rows]
            v.perf_score = max((r.score for r in rows), default=None)
            if v.kind == OfferingKind.MODEL:
                v.list_price = v.price_per_run
            else:
                prices = [pool_price[c] for c in runs_on if c in pool_price]
                hours = Decimal(v.typical_runtime_minutes or 0) / 60
                compute = min(prices) * (v.default_cards or 1) * hours if prices else Decimal(0)
                v.list_price = ((v.price_per_run or Decimal(0)) + compute).quantize(Decimal("0.01"))
            if not v.province and profile:
                v.province = profile.province
        v.popularity = v.offering.view_count + 10 * v.offering.launch_count
        tenant = v.offering.tenant
        words = [
            v.name_zh,
            v.name_en,
            v.description_zh,
            v.description_en,
            tenant.name_zh,
            tenant.name_en,
            v.family,
            v.data_centre,
            *map(str, v.tags),
            *map(str, v.tasks),
            *_industry_words([*v.industries, v.industry]),
            *(f"{chips[c].vendor} {chips[c].model}" for c in runs_on if c in chips),
        ]
        v.search_text = " ".join(w for w in words if w).lower()
        v.search_tokens = search_tokens(v.search_text)
        industries = {i for i in [*v.industries, v.industry] if i in Industry.values}
        industry_rows += [OfferingIndustry(version=v, industry=i) for i in sorted(industries)]
        chip_rows += [
            OfferingChip(version=v, chip_type_id=c, vendor=chips[c].vendor, is_domestic=chips[c].is_domestic)
            for c in dict.fromkeys(runs_on)
            if c in chips
        ]
    OfferingVersion.unscoped.bulk_update(
        versions,
        ["partner_category", "list_price", "perf_score", "popularity", "search_text", "search_tokens", "province"],
        batch_size=500,
    )
    ids = [v.pk for v in versions]
    OfferingIndustry.objects.filter(version_id__in=ids).delete()
    OfferingChip.objects.filter(version_id__in=ids).delete()
    OfferingIndustry.objects.bulk_create(industry_rows, batch_size=1000)
    OfferingChip.objects.bulk_create(chip_rows, batch_size=1000)
    transaction.on_commit(bump_catalog_generation)
    return len(versions)


def reindex_for_model(model_offering_id: int) -> int:
    """After a model's compatibility changed: the model and the templates built on it."""
    live = OfferingVersion.unscoped.filter(state=VersionState.LIVE)
    ids = live.filter(Q(offering_id=model_offering_id) | Q(model_offering_id=model_offering_id)).values_list(
        "pk", flat=True
    )
    return reindex_versions(list(ids))
