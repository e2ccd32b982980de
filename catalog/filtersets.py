"""One FilterSet drives the catalog page, its facet counts and the public API."""

import django_filters
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog.choices import OfferingKind, PartnerCategory
from catalog.models import ChipType, OfferingChip, OfferingIndustry, OfferingVersion
from catalog.search import filter_by_terms
from tenants.choices import Industry, Province

SORTS = {
    "relevance": _("Relevance"),
    "price": _("Price: low to high"),
    "-price": _("Price: high to low"),
    "perf": _("Performance score"),
    "popular": _("Popularity"),
}


def vendor_choices():
    return [(v, v) for v in ChipType.objects.order_by("vendor").values_list("vendor", flat=True).distinct()]


def search_terms(q: str) -> list[str]:
    return [t for t in (q or "").lower().split() if t][:8]


class OfferingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    # distinct=False: none of these filters joins, and DISTINCT over the wide version rows is costly.
    kind = django_filters.MultipleChoiceFilter(label=_("Kind"), choices=OfferingKind.choices, distinct=False)
    category = django_filters.MultipleChoiceFilter(
        label=_("Partner category"), field_name="partner_category", choices=PartnerCategory.choices, distinct=False
    )
    industry = django_filters.MultipleChoiceFilter(
        label=_("Industry"), choices=Industry.choices, method="filter_industry"
    )
    vendor = extend_schema_field(OpenApiTypes.STR)(
        django_filters.MultipleChoiceFilter(label=_("Chip vendor"), choices=vendor_choices, method="filter_vendor")
    )
    domestic = django_filters.BooleanFilter(label=_("Domestic chips only"), method="filter_domestic")
    region = django_filters.MultipleChoiceFilter(
        label=_("Region"), field_name="province", choices=Province.choices, distinct=False
    )
    price_min = django_filters.NumberFilter(label=_("Price from (CNY)"), field_name="list_price", lookup_expr="gte")
    price_max = django_filters.NumberFilter(label=_("Price to (CNY)"), field_name="list_price", lookup_expr="lte")
    chip = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelChoiceFilter(
            label=_("Runs on chip"), queryset=ChipType.objects.all(), to_field_name="slug", method="filter_chip"
        )
    )
    partner = django_filters.NumberFilter(label=_("Partner"), field_name="tenant_id")
    sort = django_filters.ChoiceFilter(
        label=_("Sort"), choices=list(SORTS.items()), method="filter_sort", empty_label=None
    )

    class Meta:
        model = OfferingVersion
        fields: list[str] = []

    def filter_search(self, qs, name, value):
        return filter_by_terms(qs, search_terms(value))

    def filter_industry(self, qs, name, values):
        if not values:
            return qs
        return qs.filter(Exists(OfferingIndustry.objects.filter(version=OuterRef("pk"), industry__in=values)))

    def filter_vendor(self, qs, name, values):
        if not values:
            return qs
        return qs.filter(Exists(OfferingChip.objects.filter(version=OuterRef("pk"), vendor__in=values)))

    def filter_domestic(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(Exists(OfferingChip.objects.filter(version=OuterRef("pk"), is_domestic=True)))

    def filter_chip(self, qs, name, chip):
        if chip is None:
            return qs
        return qs.filter(Exists(OfferingChip.objects.filter(version=OuterRef("pk"), chip_type=chip)))

    def filter_sort(self, qs, name, value):
        return qs  # applied last, in `ordered()`, so that facet counting can skip it

    def ordered(self, qs):
        sort = self.form.cleaned_data.get("sort") or "relevance"
        if sort == "price":
            return qs.order_by(F("list_price").asc(nulls_last=True), "pk")
        if sort == "-price":
            return qs.order_by(F("list_price").desc(nulls_last=True), "pk")
        if sort == "perf":
            return qs.order_by(F("perf_score").desc(nulls_last=True), "pk")
        if sort == "popular":
            return qs.order_by("-popularity", "pk")
        terms = search_terms(self.form.cleaned_data.get("q"))
        if terms:
            in_name = Q()
            for term in terms:
                in_name &= Q(name_zh__icontains=term) | Q(name_en__icontains=term)
            rank = Case(When(in_name, then=Value(2)), default=Value(1), output_field=IntegerField())
            return qs.annotate(rank=rank).order_by("-rank", "-popularity", "pk")
        return qs.order_by("-popularity", "pk")

    @property
    def unordered_qs(self):
        return super().qs

    @property
    def qs(self):
        return self.ordered(self.unordered_qs)


FACETS = ("kind", "category", "industry", "vendor", "domestic", "region", "chip")
