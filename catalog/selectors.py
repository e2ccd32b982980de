"""Reads for the public catalog. The catalog is cross-tenant by nature: everything here starts
from `OfferingVersion.unscoped.live()`, which only ever yields published, live content."""

import hashlib
import json

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q
from django.http import QueryDict

from catalog.choices import OfferingKind
from catalog.filtersets import FACETS, OfferingFilterSet
from catalog.models import (
    ChipType,
    Compatibility,
    Favourite,
    OfferingChip,
    OfferingIndustry,
    OfferingVersion,
    PartnerProfile,
)


def live_versions():
    return OfferingVersion.unscoped.live()


def catalog_filterset(data: QueryDict) -> tuple[OfferingFilterSet, list[str]]:
    """A bound FilterSet over live versions. Values it cannot understand are dropped (and named),
    so one bad parameter never empties or breaks the page."""
    data = data.copy()
    filterset = OfferingFilterSet(data, queryset=live_versions())
    ignored = []
    if not filterset.is_valid():
        ignored = sorted(filterset.errors)
        for name in ignored:
            data.pop(name, None)
        filterset = OfferingFilterSet(data, queryset=live_versions())
        filterset.is_valid()
    return filterset, ignored


def result_page_queryset(filterset: OfferingFilterSet):
    return filterset.qs.select_related("offering", "tenant", "chip_type")


FACET_CACHE_SECONDS = 600


def catalog_generation() -> int:
    """Bumped whenever what the public catalog shows changes; part of every catalog cache key."""
    return cache.get_or_set("catalog:generation", 1, timeout=None)


def bump_catalog_generation() -> None:
    try:
        cache.incr("catalog:generation")
    except ValueError:
        cache.set("catalog:generation", 2, timeout=None)


def facet_counts(filterset: OfferingFilterSet) -> dict[str, dict]:
    """Facet counts, cached per catalog generation and filter combination."""
    params = sorted((k, v) for k, values in filterset.data.lists() for v in values if k not in ("page", "sort"))
    digest = hashlib.sha256(json.dumps(params, ensure_ascii=False).encode()).hexdigest()[:32]
    key = f"catalog:facets:{catalog_generation()}:{digest}"
    counts = cache.get(key)
    if counts is None:
        counts = _facet_counts(filterset)
        cache.set(key, counts, FACET_CACHE_SECONDS)
    return counts


def _facet_counts(filterset: OfferingFilterSet) -> dict[str, dict]:
    """Counts per facet value, each computed with every *other* filter applied (one query each)."""
    counts: dict[str, dict] = {}
    for facet in FACETS:
        data = filterset.data.copy()
        data.pop(facet, None)
        data.pop("page", None)
        others = OfferingFilterSet(data, queryset=live_versions())
        others.is_valid()
        base = others.unordered_qs.order_by()
        ids = base.values("pk")
        if facet == "kind":
            rows = base.values_list("kind").annotate(n=Count("pk"))
        elif facet == "category":
            rows = base.values_list("partner_category").annotate(n=Count("pk"))
        elif facet == "region":
            rows = base.exclude(province="").values_list("province").annotate(n=Count("pk"))
        elif facet == "industry":
            rows = (
                OfferingIndustry.objects.filter(version__in=ids)
                .values_list("industry")
                .annotate(n=Count("version_id", distinct=True))
            )
        elif facet == "vendor":
            rows = (
                OfferingChip.objects.filter(version__in=ids)
                .values_list("vendor")
                .annotate(n=Count("version_id", distinct=True))
            )
        elif facet == "chip":
            rows = (
                OfferingChip.objects.filter(version__in=ids)
                .values_list("chip_type__slug")
                .annotate(n=Count("version_id", distinct=True))
            )
        else:  # domestic
            n = base.filter(Exists(OfferingChip.objects.filter(version=OuterRef("pk"), is_domestic=True))).count()
            counts[facet] = {"true": n}
            continue
        counts[facet] = dict(rows)
    return counts


def favourite_ids(user, offering_ids) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        Favourite.objects.filter(user=user, offering_id__in=list(offering_ids)).values_list("offering_id", flat=True)
    )


def favourite_versions(user):
    """The live versions of the offerings a person saved, by name (the favourites page and the API)."""
    offering_ids = Favourite.objects.filter(user=user).values("offering_id")
    return (
        live_versions()
        .filter(offering_id__in=offering_ids)
        .select_related("offering", "tenant", "chip_type")
        .order_by("name_en", "pk")
    )


def live_version_by_slug(slug: str) -> OfferingVersion | None:
    return (
        live_versions()
        .select_related("offering", "tenant", "chip_type", "model_offering__live_version")
        .filter(offering__slug=slug)
        .first()
    )


def compatibility_for_model(offering_id: int) -> list[Compatibility]:
    return list(
        Compatibility.objects.filter(model_offering_id=offering_id).select_related("chip_type").order_by("-score")
    )


def pools_for_chips(chip_ids, *, limit: int = 6) -> list[OfferingVersion]:
    """Cheapest live pools on these chips (where a template or model can run)."""
    return list(
        live_versions()
        .filter(kind=OfferingKind.COMPUTE, chip_type_id__in=list(chip_ids))
        .select_related("offering", "tenant", "chip_type")
        .order_by("price_per_card_hour", "pk")[:limit]
    )


def heatmap_models(family: str = ""):
    models = (
        live_versions()
        .filter(kind=OfferingKind.MODEL)
        .select_related("offering", "tenant")
        .order_by("-popularity", "family", "name_en", "pk")
    )
    return models.filter(family=family) if family else models


def heatmap(models) -> tuple[list[ChipType], dict[tuple[int, int], Compatibility]]:
    """Chip columns and the compatibility cells for one page of models."""
    chips = list(ChipType.objects.order_by("-is_domestic", "vendor", "model"))
    cells = {
        (c.model_offering_id, c.chip_type_id): c
        for c in Compatibility.objects.filter(model_offering_id__in=[m.offering_id for m in models])
    }
    return chips, cells


def model_families() -> list[str]:
    return list(
        live_versions()
        .filter(kind=OfferingKind.MODEL)
        .exclude(family="")
        .order_by("family")
        .values_list("family", flat=True)
        .distinct()
    )


def partner_profiles(category: str = "", q: str = ""):
    qs = PartnerProfile.objects.select_related("tenant").annotate(
        live_count=Count("tenant__offerings", filter=Q(tenant__offerings__status="published"))
    )
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(tenant__name_zh__icontains=q) | qs.filter(tenant__name_en__icontains=q)
    return qs.order_by("-live_count", "tenant__name_zh")
