"""Public, read-only catalog API (the same FilterSet as the catalog page)."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import (
    ChipTypeSerializer,
    CompareSerializer,
    CompatibilitySerializer,
    FacetsSerializer,
    OfferingSerializer,
    PartnerSerializer,
)
from catalog.choices import CompatStatus
from catalog.compare import COMPARE_MAX, compare_rows, compare_versions
from catalog.filtersets import OfferingFilterSet
from catalog.models import ChipType, Compatibility, OfferingVersion, PartnerProfile
from catalog.selectors import facet_counts, favourite_versions, live_version_by_slug, live_versions
from catalog.services.engagement import favourite_set


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


class CompareView(PublicMixin, APIView):
    """Up to four published offerings side by side, as the catalog's compare page shows them:
    `?o=<slug>&o=<slug>`. Labels and values come in the request's language."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "o", str, many=True, required=True, description=f"An offering's slug; 1 to {COMPARE_MAX} of them."
            )
        ],
        responses=CompareSerializer,
    )
    def get(self, request):
        slugs = list(dict.fromkeys(s for s in request.query_params.getlist("o") if s))
        if not slugs:
            raise ValidationError({"o": [_("Name the offerings to compare: ?o=<slug>&o=<slug>.")]})
        if len(slugs) > COMPARE_MAX:
            raise ValidationError({"o": [_("You can compare up to %(n)d offerings at once.") % {"n": COMPARE_MAX}]})
        versions, missing = compare_versions(slugs)
        rows = compare_rows(versions)
        data = {
            "offerings": OfferingSerializer(versions, many=True).data,
            "rows": [
                {"key": r.key, "label": r.label, "cells": [{"value": c.value, "note": c.note} for c in r.cells]}
                for r in rows
            ],
            "not_found": missing,
        }
        return Response(data)


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


class FavouriteSerializer(serializers.Serializer):
    slug = serializers.CharField()
    saved = serializers.BooleanField()


SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The offering's slug.")


@extend_schema_view(update=extend_schema(parameters=[SLUG]), destroy=extend_schema(parameters=[SLUG]))
class FavouriteViewSet(viewsets.GenericViewSet):
    """The signed-in person's saved offerings (live ones, by name); PUT saves one, DELETE unsaves it."""

    serializer_class = OfferingSerializer
    permission_classes = [IsAuthenticated]
    lookup_field = "slug"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OfferingVersion.unscoped.none()
        return favourite_versions(self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OfferingSerializer(page, many=True).data)

    def _offering(self, slug):
        version = live_version_by_slug(slug)
        if version is None:
            raise Http404
        return version.offering

    @extend_schema(request=None, responses=FavouriteSerializer)
    def update(self, request, slug=None):
        favourite_set(user=request.user, offering=self._offering(slug), saved=True)
        return Response({"slug": slug, "saved": True})

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, slug=None):
        favourite_set(user=request.user, offering=self._offering(slug), saved=False)
        return Response(status=status.HTTP_204_NO_CONTENT)
