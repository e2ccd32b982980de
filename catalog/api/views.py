"""Public, read-only catalog API (the same FilterSet as the catalog page)."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import (
    ChipTypeSerializer,
    CompatibilitySerializer,
    FacetsSerializer,
    OfferingSerializer,
    PartnerSerializer,
)
from catalog.choices import CompatStatus
from catalog.filtersets import OfferingFilterSet
from catalog.models import ChipType, Compatibility, PartnerProfile
from catalog.selectors import facet_counts, live_versions


class PublicMixin:
    permission_classes = [AllowAny]


class OfferingViewSet(PublicMixin, viewsets.ReadOnlyModelViewSet):
    """Published offerings. Filter with the catalog page's parameters: q, kind, category, industry,
    vendor, domestic, region, price_min, price_max, chip, partner, sort."""

    serializer_class = OfferingSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OfferingFilterSet
    lookup_field = "offering__slug"
    lookup_url_kwarg = "slug"

    def get_queryset(self):
        return live_versions().select_related("offering", "tenant", "chip_type", "model_offering")


class FacetsView(PublicMixin, APIView):
    """Counts per facet value for the given filters (each facet ignores its own filter)."""

    @extend_schema(responses=FacetsSerializer)
    def get(self, request):
        filterset = OfferingFilterSet(request.query_params, queryset=live_versions())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return Response(facet_counts(filterset))


class ChipTypeViewSet(PublicMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ChipTypeSerializer
    queryset = ChipType.objects.all()
    lookup_field = "slug"


class PartnerViewSet(PublicMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PartnerSerializer
    queryset = PartnerProfile.objects.select_related("tenant").order_by("tenant__name_zh", "pk")
    filterset_fields = ["category", "province"]
    lookup_field = "tenant_id"
    lookup_url_kwarg = "id"


class CompatibilityFilterSet(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="model_offering__slug")
    chip = django_filters.CharFilter(field_name="chip_type__slug")
    status = django_filters.ChoiceFilter(choices=CompatStatus.choices)

    class Meta:
        model = Compatibility
        fields: list[str] = []


class CompatibilityViewSet(PublicMixin, viewsets.ReadOnlyModelViewSet):
    """The model × chip matrix (published models only)."""

    serializer_class = CompatibilitySerializer
    filterset_class = CompatibilityFilterSet

    def get_queryset(self):
        return (
            Compatibility.objects.filter(model_offering__status="published")
            .select_related("model_offering", "chip_type")
            .order_by("model_offering_id", "chip_type_id")
        )
