"""Partner listing API (the active partner's own listings) and operator review API.

Partner endpoints take their queryset from the scoped manager through `TenantScopedApiMixin`, so
another partner's listing is a 404 for every method. The review endpoints are cross-tenant by
design and open to operator staff only."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from catalog.api.partner_serializers import (
    ListingCreateSerializer,
    ListingImportErrorSerializer,
    ListingImportResultSerializer,
    ListingImportSerializer,
    ListingKindSerializer,
    ListingPatchSerializer,
    ListingPreviewSerializer,
    ListingSerializer,
    ListingStatsQuerySerializer,
    ListingStatsSerializer,
    ModelCompatibilityInputSerializer,
    ModelCompatibilitySerializer,
    RejectInputSerializer,
    ReviewVersionSerializer,
    parse_content,
)
from catalog.forms import PartnerListingFilter, ReviewFilter
from catalog.models import Compatibility, Offering
from catalog.selectors_partner import (
    current_version,
    listing_daily_stats,
    listing_preview,
    review_queue,
    reviewable_versions,
    with_versions,
)
from catalog.services.compatibility import compatibility_set
from catalog.services.imports import ImportFileError, listings_import, parse_listings_upload
from catalog.services.listings import (
    offering_create,
    offering_new_version,
    offering_retire,
    offering_submit,
    offering_withdraw,
    version_approve,
    version_reject,
    version_update,
)
from catalog.views_partner import EXPORT_FORMATS, export_file
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import Perm, TenantKind

XLSX = EXPORT_FORMATS["xlsx"][0]


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    return request.data


class ImportRejected(serializers.ValidationError):
    """An import refused as a whole: the API's error, with the per-row report added as `rows`."""

    def __init__(self, code: str, detail: dict, rows: list[dict] | None = None):
        super().__init__(detail)
        self.portal_code = code
        self.rows = rows or []


def _import_result(result) -> dict:
    def rows(offerings, numbers, *, kept: bool = True) -> list[dict]:
        return [{"row": n, "slug": o.slug if kept else None} for o, n in zip(offerings, numbers, strict=True)]

    return {
        "rows": result.rows,
        "created": rows(result.created, result.created_rows, kept=not result.dry_run),
        "updated": rows(result.updated, result.updated_rows),
        "unchanged": rows(result.unchanged, result.unchanged_rows),
        "submitted": result.submitted,
        "dry_run": result.dry_run,
    }


class PartnerListingViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The active partner's listings in every state, each with its live and open version."""

    model = Offering
    serializer_class = ListingSerializer
    permission = Perm.VIEW_LISTINGS
    write_permission = Perm.MANAGE_LISTINGS
    tenant_kinds = (TenantKind.PARTNER,)
    filterset_class = PartnerListingFilter

    def get_queryset(self):
        qs = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return qs
        return with_versions(qs).order_by("-updated_at", "-pk")

    def _fresh(self, pk) -> dict:
        return ListingSerializer(with_versions(Offering.objects.all()).get(pk=pk)).data

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, ImportRejected):
            response.data["error"]["rows"] = exc.rows
        return response

    @extend_schema(request=ListingCreateSerializer, responses={201: ListingSerializer})
    def create(self, request):
        """Create a listing: its first version is a draft with this content."""
        body = _body(request)
        kind = ListingKindSerializer(data=body)
        kind.is_valid(raise_exception=True)
        content = parse_content(body.get("content"))
        offering = offering_create(acting_membership=self.membership, kind=kind.validated_data["kind"], content=content)
        return Response(self._fresh(offering.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=ListingPatchSerializer, responses=ListingSerializer)
    def partial_update(self, request, pk=None):
        """Change the open draft (or rejected version). A version in review or published is
        frozen: start a new version first."""
        offering = self.get_object()
        content = parse_content(_body(request).get("content"))
        version_update(version=current_version(offering), acting_membership=self.membership, content=content)
        return Response(self._fresh(offering.pk))

    @extend_schema(request=None, responses=ListingSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the open version for review (it must be complete)."""
        offering_submit(offering=self.get_object(), acting_membership=self.membership)
        return Response(self._fresh(pk))

    @extend_schema(request=None, responses=ListingSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Take the version in review back to a draft, to change it before the decision."""
        offering_withdraw(offering=self.get_object(), acting_membership=self.membership)
        return Response(self._fresh(pk))

    @extend_schema(request=None, responses=ListingSerializer)
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        """Start a new draft version of a published listing; the live version stays public."""
        offering_new_version(offering=self.get_object(), acting_membership=self.membership)
        return Response(self._fresh(pk))

    @extend_schema(request=None, responses=ListingSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Take the listing out of the catalog."""
        offering_retire(offering=self.get_object(), acting_membership=self.membership)
        return Response(self._fresh(pk))

    @extend_schema(
        request={"multipart/form-data": ListingImportSerializer},
        responses={
            200: ListingImportResultSerializer,
            201: ListingImportResultSerializer,
            400: ListingImportErrorSerializer,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser],
        pagination_class=None,
        filter_backends=[],
    )
    def import_file(self, request):
        """Import a CSV or Excel file of listings, as the import page does: every row or none.

        A row without a slug becomes a new draft; a row with the slug of one of your listings changes
        it (its draft or rejected version, or a new version of a published one), or nothing when the
        row is what the listing has. 201 when a listing was created, else 200; a file that cannot be
        read or rows with problems: 400 with the report of every problem in `error.rows`."""
        data = ListingImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            rows = parse_listings_upload(values["file"])
        except ImportFileError as exc:
            raise ImportRejected("import_file_invalid", {"file": [exc.message]}) from None
        result = listings_import(
            acting_membership=self.membership,
            rows=rows,
            submit=values["submit_for_review"],
            dry_run=values["dry_run"],
        )
        if not result.ok:
            bad = len({e.row for e in result.errors})
            message = ngettext(
                "Nothing was imported: %(n)d of %(total)d rows has problems.",
                "Nothing was imported: %(n)d of %(total)d rows have problems.",
                bad,
            ) % {"n": bad, "total": result.rows}
            report = [{"row": e.row, "field": e.field, "message": e.message} for e in result.errors]
            raise ImportRejected("import_rejected", {"non_field_errors": [message]}, rows=report)
        created = bool(result.created) and not result.dry_run
        return Response(_import_result(result), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Download the listings in the import format",
        operation_id="partner_listings_export",
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=sorted(EXPORT_FORMATS))],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, XLSX): OpenApiTypes.BINARY},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"export/(?P<fmt>csv|xlsx)",
        url_name="export",
        pagination_class=None,
        filter_backends=[],
    )
    def export(self, request, fmt=None):
        """Every listing's open version (else its live one), with its slug, as CSV or XLSX: the same
        file as the page's export, ready to be edited and imported back."""
        return export_file(self.tenant, fmt)

    @extend_schema(responses=ListingPreviewSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def preview(self, request, pk=None):
        """The open version (else the live one) as the public catalog shows it."""
        preview = listing_preview(self.get_object())
        if preview is None:
            raise NotFound
        return Response(ListingPreviewSerializer(preview).data)

    @extend_schema(parameters=[ListingStatsQuerySerializer], responses=ListingStatsSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def stats(self, request, pk=None):
        """Views and launches per day (the listing page's chart); days without any are zero."""
        query = ListingStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = listing_daily_stats(self.get_object(), days=query.validated_data["days"])
        data = {
            "days": stats["labels"],
            "views": stats["views"],
            "launches": stats["launches"],
            "total_views": stats["total_views"],
            "total_launches": stats["total_launches"],
        }
        return Response(ListingStatsSerializer(data).data)

    @extend_schema(methods=["GET"], request=None, responses=ModelCompatibilitySerializer(many=True))
    @extend_schema(methods=["POST"], request=ModelCompatibilityInputSerializer, responses=ModelCompatibilitySerializer)
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def compatibility(self, request, pk=None):
        """The model's chip compatibility rows; POST sets (creates or replaces) one chip's row."""
        offering = self.get_object()
        if request.method == "POST":
            data = ModelCompatibilityInputSerializer(data=_body(request))
            data.is_valid(raise_exception=True)
            row = compatibility_set(acting_membership=self.membership, model_offering=offering, **data.validated_data)
            return Response(ModelCompatibilitySerializer(row).data)
        rows = (
            Compatibility.objects.filter(model_offering=offering)
            .select_related("chip_type")
            .order_by("-score", "chip_type__slug")
        )
        return Response(ModelCompatibilitySerializer(rows, many=True).data)


class ListingReviewViewSet(
    TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Operator review: versions waiting for review across every partner (cross-tenant by design)."""

    serializer_class = ReviewVersionSerializer
    permission = Perm.REVIEW_LISTINGS
    write_permission = Perm.REVIEW_LISTINGS
    tenant_kinds = (TenantKind.OPERATOR,)
    filterset_class = ReviewFilter

    def get_queryset(self):
        if self.action == "list":
            return review_queue().select_related("chip_type", "model_offering")
        return reviewable_versions().select_related("offering__tenant", "chip_type", "model_offering")

    def _fresh(self, pk) -> dict:
        return ReviewVersionSerializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(request=None, responses=ReviewVersionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Publish the version: it becomes live, the previous live version is superseded."""
        version_approve(version=self.get_object(), acting_membership=self.membership)
        return Response(self._fresh(pk))

    @extend_schema(request=RejectInputSerializer, responses=ReviewVersionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send the version back to the partner with a reason they will see."""
        data = RejectInputSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        version_reject(
            version=self.get_object(), acting_membership=self.membership, reason=data.validated_data["reason"]
        )
        return Response(self._fresh(pk))
