"""Voucher API. Companies: open programs with the eligibility check, their applications and
vouchers. Government offices: their programs (create, open, close, report), the applications to
them (approve, reject — the same four-eyes rules as the pages) and the vouchers issued (revoke).
Querysets come from the scoped managers, so another tenant's row is a 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from idempotency.api import idempotent
from payments.receipts import CONTENT_TYPES
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import Perm, TenantKind
from vouchers import eligibility, reports, services
from vouchers.api import serializers as s
from vouchers.forms import validate_attachments
from vouchers.models import Application, ApplicationAttachment, Program, ProgramStatus, Voucher
from vouchers.views import attachment_response
from vouchers.views_gov import QUEUE_PAGE_SIZE, decide_one, queue_queryset, report_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
    return request.data


FORBIDDEN_CODES = {"forbidden", "self_review", "four_eyes", "conflict_of_interest"}


def _refused(exc: services.VoucherError):
    """A refusal as the API's error: 403 for the review rules (who may decide), else 400; the
    `code` names the rule ("four_eyes", "budget", "cap", "ineligible", …)."""
    if exc.code in FORBIDDEN_CODES:
        error = exceptions.PermissionDenied(exc.message)
        error.default_code = exc.code
        return error
    error = serializers.ValidationError({"non_field_errors": [exc.message]})
    error.portal_code = exc.code
    return error


class _ReadOnly(TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    def handle_exception(self, exc):
        """Every action's refusal by the voucher rules becomes the API's error (see `_refused`)."""
        if isinstance(exc, services.VoucherError):
            exc = _refused(exc)
        return super().handle_exception(exc)


# --- Companies ---------------------------------------------------------------------------------------


class OpenProgramViewSet(_ReadOnly):
    """Programs taking applications now, each with its rules; `eligibility` checks the active company."""

    model = Program
    serializer_class = s.PublicProgramSerializer
    permission = Perm.VIEW_VOUCHERS
    tenant_kinds = (TenantKind.COMPANY,)

    def get_queryset(self):
        return super().get_queryset().filter(status=ProgramStatus.OPEN).select_related("tenant").order_by("pk")

    @extend_schema(responses=s.EligibilitySerializer)
    @action(detail=True, methods=["get"])
    def eligibility(self, request, pk=None):
        results = eligibility.check(self.get_object(), self.tenant)
        return Response({"eligible": eligibility.passes(results), "rules": [r.as_dict() for r in results]})


class CompanyApplicationViewSet(_ReadOnly):
    """The active company's voucher applications; POST applies (every eligibility rule must pass)."""

    model = Application
    serializer_class = s.ApplicationSerializer
    permission = Perm.VIEW_VOUCHERS
    write_permission = Perm.APPLY_VOUCHERS
    tenant_kinds = (TenantKind.COMPANY,)

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("program", "tenant", "first_reviewer", "second_reviewer", "voucher")
            .prefetch_related("attachments")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(request=s.ApplicationCreateSerializer, responses={201: s.ApplicationSerializer})
    @idempotent
    def create(self, request):
        """Apply, as JSON or as multipart/form-data with `attachments` (the same files as the page takes)."""
        data = s.ApplicationCreateSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            files = validate_attachments(values.get("attachments") or [])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"attachments": exc.messages}) from None
        program = get_object_or_404(Program.objects.filter(status=ProgramStatus.OPEN), pk=values["program"])
        application = services.submit_application(
            program=program,
            company=self.tenant,
            actor=request.user,
            amount_fen=values["amount_fen"],
            purpose=values["purpose"],
            expected_outcome=values["expected_outcome"],
            affiliates=values.get("affiliates") or [],
            files=files,
        )
        return Response(s.ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request, pk=None):
        application = services.withdraw_application(self.get_object(), request.user)
        return Response(s.ApplicationSerializer(application).data)


class AttachmentViewSet(TenantScopedApiMixin, viewsets.GenericViewSet):
    """An application's attachment, for the applying company and the program's office only (the
    application's scoped manager: another tenant's attachment is a 404)."""

    model = ApplicationAttachment
    tenant_kinds = (TenantKind.COMPANY, TenantKind.GOVERNMENT)

    def required_permission(self, request):
        kind = getattr(getattr(request._request, "tenant", None), "kind", None)
        return Perm.VIEW_PROGRAMS if kind == TenantKind.GOVERNMENT else Perm.VIEW_VOUCHERS

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApplicationAttachment.objects.none()
        return ApplicationAttachment.objects.filter(application__in=Application.objects.all())

    @extend_schema(
        summary="Download an application's attachment",
        responses={(200, kind): OpenApiTypes.BINARY for kind in sorted(set(CONTENT_TYPES.values()))},
    )
    def retrieve(self, request, pk=None):
        return attachment_response(self.get_object())


class CompanyVoucherViewSet(_ReadOnly):
    """The active company's vouchers, in the order they are spent (earliest expiry first)."""

    model = Voucher
    serializer_class = s.VoucherSerializer
    permission = Perm.VIEW_VOUCHERS
    tenant_kinds = (TenantKind.COMPANY,)

    def get_queryset(self):
        return super().get_queryset().select_related("program", "tenant", "account")


# --- Government ------------------------------------------------------------------------------------


class GovProgramViewSet(mixins.CreateModelMixin, _ReadOnly):
    """The office's programs in every state. POST creates a draft; `open` funds the budget."""

    model = Program
    serializer_class = s.ProgramSerializer
    permission = Perm.VIEW_PROGRAMS
    write_permission = Perm.MANAGE_PROGRAMS
    tenant_kinds = (TenantKind.GOVERNMENT,)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Program.unscoped.none()
        return super().get_queryset().filter(tenant=self.tenant).select_related("tenant").order_by("-created_at", "-pk")

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(tenant=self.tenant, created_by=self.request.user)

    @extend_schema(request=s.ProgramSerializer, responses=s.ProgramSerializer)
    def partial_update(self, request, pk=None):
        """Change a draft program (an open, closed or archived one is refused: `not_draft`)."""
        program = self.get_object()
        services.check_draft(program)
        data = s.ProgramSerializer(program, data=_body(request), partial=True)
        data.is_valid(raise_exception=True)
        program = services.program_change(program, request.user, dict(data.validated_data))
        return Response(s.ProgramSerializer(program).data)

    def _move(self, handler):
        program = handler(self.get_object(), self.request.user)
        return Response(s.ProgramSerializer(program).data)

    @extend_schema(request=None, responses=s.ProgramSerializer)
    @action(detail=True, methods=["post"], url_path="open")
    @idempotent
    def open_program(self, request, pk=None):
        return self._move(services.open_program)

    @extend_schema(request=None, responses=s.ProgramSerializer)
    @action(detail=True, methods=["post"], url_path="close")
    @idempotent
    def close_program(self, request, pk=None):
        return self._move(services.close_program)

    @extend_schema(request=None, responses=s.ProgramSerializer)
    @action(detail=True, methods=["post"], url_path="archive")
    @idempotent
    def archive_program(self, request, pk=None):
        return self._move(services.archive_program)

    @extend_schema(responses=s.ReportSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        report = reports.report(self.get_object(), company_limit=None)
        return Response(s.ReportSerializer(report).data)

    @extend_schema(
        summary="Download the program's report",
        operation_id="gov_programs_report_export",
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, XLSX): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"report/(?P<fmt>csv|xlsx)",
        url_name="report-export",
        pagination_class=None,
    )
    def report_export(self, request, pk=None, fmt=None):
        """The whole report as CSV (one table after another) or XLSX (a sheet per table), as on the page."""
        return report_file(self.get_object(), fmt)


class GovApplicationViewSet(_ReadOnly):
    """Applications to the office's programs, oldest first; approve (issues, or records the first of
    two approvals above the program's threshold) or reject with a reason."""

    model = Application
    serializer_class = s.ApplicationSerializer
    permission = Perm.VIEW_PROGRAMS
    write_permission = Perm.REVIEW_APPLICATIONS
    tenant_kinds = (TenantKind.GOVERNMENT,)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Application.unscoped.none()
        from vouchers.views_gov import queue_queryset

        queryset = queue_queryset(self.tenant)
        state = self.request.query_params.get("state")
        if state == "waiting":
            queryset = queryset.filter(state__in=("submitted", "second_review"))
        elif state:
            queryset = queryset.filter(state=state)
        program = self.request.query_params.get("program", "")
        if program.isdecimal():
            queryset = queryset.filter(program_id=int(program))
        return queryset

    def required_permission(self, request):
        if "bulk" in getattr(self, "action_map", {}).values():  # a command (any method): nothing to read
            return Perm.REVIEW_APPLICATIONS
        return super().required_permission(request)

    @extend_schema(request=s.BulkDecisionSerializer, responses=s.BulkResultSerializer(many=True))
    @action(detail=False, methods=["post"], pagination_class=None)
    @idempotent
    def bulk(self, request):
        """Approve or reject several applications; each is decided on its own (one refusal does not stop
        the others) and every id comes back with what happened to it."""
        data = s.BulkDecisionSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        action, note = data.validated_data["action"], data.validated_data["note"].strip()
        ids = list(dict.fromkeys(data.validated_data["ids"]))[:QUEUE_PAGE_SIZE]
        applications = {a.pk: a for a in queue_queryset(self.tenant).filter(pk__in=ids)}
        results = []
        for pk in ids:
            application = applications.get(pk)
            if application is None:
                results.append({"id": pk, "ok": False, "message": _("Not found.")})
                continue
            result = decide_one(application, request.user, action, note)
            results.append({"id": pk, "ok": result.ok, "message": result.message})
        return Response(s.BulkResultSerializer(results, many=True).data)

    @extend_schema(request=s.NoteSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        data = s.NoteSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        application = services.approve(self.get_object(), request.user, data.validated_data["note"])
        return Response(s.ApplicationSerializer(application).data)

    @extend_schema(request=s.NoteSerializer, responses=s.ApplicationSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request, pk=None):
        data = s.NoteSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        application = services.reject(self.get_object(), request.user, data.validated_data["note"])
        return Response(s.ApplicationSerializer(application).data)


class GovVoucherViewSet(_ReadOnly):
    """Vouchers issued from the office's programs; `revoke` returns what is left to the budget."""

    model = Voucher
    serializer_class = s.VoucherSerializer
    permission = Perm.VIEW_PROGRAMS
    write_permission = Perm.MANAGE_PROGRAMS
    tenant_kinds = (TenantKind.GOVERNMENT,)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Voucher.unscoped.none()
        return (
            super()
            .get_queryset()
            .filter(program__tenant=self.tenant)
            .select_related("program", "tenant", "account")
            .order_by("-issued_at", "-pk")
        )

    @extend_schema(request=s.RevokeSerializer, responses=s.VoucherSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def revoke(self, request, pk=None):
        data = s.RevokeSerializer(data=_body(request))
        data.is_valid(raise_exception=True)
        voucher = services.revoke(self.get_object(), request.user, data.validated_data["reason"])
        return Response(s.VoucherSerializer(voucher).data)
