"""The jobs API: list and follow the active tenant's jobs, launch, cancel and retry them.

Launching is the launch page's path with JSON in: the template's inputs are checked by the same
form (`schema_forms.validate_api_inputs`), then `launch()` decides. Launch and retry take an
`Idempotency-Key` header (`idempotency.api.idempotent`): the same key with the same body gets the
first answer again, the same key with another body is refused (422). A launch's key is also kept on
its job, so after the API has forgotten the key (a day) the same request still returns that job (200)."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from idempotency.api import KeyReused, idempotency_key, idempotent
from jobs import selectors, storage
from jobs.api.serializers import (
    ArtifactSerializer,
    JobCreateSerializer,
    JobEventSerializer,
    JobSerializer,
    LogChunkSerializer,
    QuoteQuerySerializer,
    QuoteSerializer,
    WebhookInputSerializer,
    WebhookSerializer,
)
from jobs.filtersets import JobFilterSet
from jobs.forms import WebhookForm, schema_form_class, split_file_inputs, webhook_clear, webhook_rotate_secret
from jobs.models import Job, JobArtifact, JobEvent, WebhookEndpoint
from jobs.schema_forms import API_NON_FIELD_KEY, validate_api_inputs
from jobs.services.launch import LaunchError, LaunchRequest, launch
from jobs.services.lifecycle import JobActionError, cancel, retry
from portal.schema import ErrorSerializer
from tenants.api.mixins import TenantScopedApiMixin
from tenants.roles import Perm, TenantKind

REQUEST_FIELDS = ("template", "pool", "cards", "deadline", "name")


class Refused(APIException):
    """A request that is well-formed but cannot be done now; `code` says why, for programs."""

    def __init__(self, message, *, code: str, status_code: int = status.HTTP_400_BAD_REQUEST) -> None:
        super().__init__(detail=str(message), code=code)
        self.status_code = status_code
        self.default_code = code  # the project's exception handler reports this as error.code


def _refusal(error: LaunchError) -> APIException:
    """LaunchError → the API's error shape: on its field when it has one, else with its code."""
    if error.code == "idempotency_conflict":
        return KeyReused()
    if error.field:
        key = error.field if error.field in REQUEST_FIELDS else f"inputs.{error.field}"
        return ValidationError({key: [str(error.message)]})
    if error.code == "insufficient_funds":
        return Refused(error.message, code=error.code, status_code=status.HTTP_402_PAYMENT_REQUIRED)
    return Refused(error.message, code=error.code)


def _input_errors(errors: dict[str, list[str]]) -> ValidationError:
    return ValidationError({"inputs" if k == API_NON_FIELD_KEY else f"inputs.{k}": v for k, v in errors.items()})


NOT_DONE = OpenApiResponse(description="Refused, with error.code saying why.")


@extend_schema_view(
    list=extend_schema(summary="Your organisation's jobs, newest first"),
    retrieve=extend_schema(summary="One job"),
)
class JobViewSet(TenantScopedApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your organisation's jobs: launch a solution template, follow its state, progress, timeline and
    log, download what it wrote, cancel or retry it. Filter lists with state, template (slug), pool
    (id), created_from and created_to (dates)."""

    model = Job
    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    permission = Perm.VIEW_JOBS
    write_permission = Perm.LAUNCH_JOBS

    def get_queryset(self):
        return selectors.job_rows(super().get_queryset())

    @extend_schema(
        summary="Launch a solution template",
        request=JobCreateSerializer,
        responses={
            201: JobSerializer,
            200: OpenApiResponse(JobSerializer, description="The job an earlier request with this key made."),
            400: NOT_DONE,
            402: NOT_DONE,
        },
    )
    @idempotent
    def create(self, request):
        body = JobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        version = data["template"]
        params, errors = validate_api_inputs(version.launch_schema, data["inputs"])
        if errors:
            raise _input_errors(errors)
        params, files = split_file_inputs(schema_form_class(version), params)
        launch_request = LaunchRequest(
            version=version,
            pool=data["pool"],
            cards=data["cards"],
            params=params,
            files=files,
            deadline=data["deadline"],
            name=data["name"],
            idempotency_key=idempotency_key(request),
        )
        try:
            job, created = launch(tenant=self.tenant, actor=request.user, request=launch_request)
        except LaunchError as error:
            raise _refusal(error) from error
        job = self.get_queryset().get(pk=job.pk)
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(summary="Cancel a job", request=None, responses={200: JobSerializer, 409: NOT_DONE})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(cancel, "already_finished")

    @extend_schema(
        summary="Run a failed or timed-out job again", request=None, responses={200: JobSerializer, 409: NOT_DONE}
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def retry(self, request, pk=None):
        return self._act(retry, "not_retryable")

    def _act(self, service, code: str) -> Response:
        try:
            service(job=self.get_object(), actor=self.request.user)
        except JobActionError as error:
            raise Refused(error, code=code, status_code=status.HTTP_409_CONFLICT) from error
        return Response(JobSerializer(self.get_queryset().get(pk=self.get_object().pk)).data)

    @extend_schema(summary="The job's timeline", responses=JobEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, pk=None):
        events = JobEvent.objects.filter(job=self.get_object()).order_by("at", "id")
        return Response(JobEventSerializer(events, many=True).data)

    @extend_schema(
        summary="Log text from a byte offset",
        parameters=[OpenApiParameter("offset", int, description="Byte offset; start at 0, then use next_offset.")],
        responses=LogChunkSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def logs(self, request, pk=None):
        try:
            offset = int(request.query_params.get("offset", 0))
        except ValueError:
            raise ValidationError({"offset": [_("Enter a whole number.")]}) from None
        if offset < 0:
            raise ValidationError({"offset": [_("Enter a whole number.")]})
        chunk = selectors.read_log(self.get_object(), offset)
        return Response(LogChunkSerializer(chunk).data)

    @extend_schema(summary="Files the job wrote", responses=ArtifactSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def artifacts(self, request, pk=None):
        job = self.get_object()

        def download_url(artifact: JobArtifact) -> str:
            return self.reverse_action("artifact-download", args=[job.pk, artifact.attempt, artifact.name])

        context = {"download_url": download_url}
        return Response(ArtifactSerializer(selectors.artifacts(job), many=True, context=context).data)

    @extend_schema(
        summary="Download one file",
        parameters=[
            OpenApiParameter("attempt", int, OpenApiParameter.PATH),
            OpenApiParameter("name", str, OpenApiParameter.PATH, description="The file's name, as listed."),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            410: OpenApiResponse(ErrorSerializer, description="The job's files were removed (retention)."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"artifacts/(?P<attempt>[0-9]+)/(?P<name>.+)",
        url_name="artifact-download",
        pagination_class=None,
        filterset_class=None,
    )
    def artifact_download(self, request, pk=None, attempt=None, name=None):
        job = self.get_object()
        if not JobArtifact.objects.filter(job=job, attempt=attempt, name=name).exists():
            raise Http404
        if job.files_removed_at:
            raise Refused(selectors.files_removed_text(job), code="files_removed", status_code=status.HTTP_410_GONE)
        path = storage.artifact_path(job, int(attempt), name)
        if path is None:
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


class QuoteView(TenantScopedApiMixin, APIView):
    """The launch page's pools and estimate for a template, before launching it."""

    permission = Perm.LAUNCH_JOBS

    @extend_schema(
        summary="Pools and estimate for a template", parameters=[QuoteQuerySerializer], responses=QuoteSerializer
    )
    def get(self, request):
        """Every active pool with whether the template can run there (and why not) and the sizes it
        can be launched with; for the pool and size asked (else the best usable pool and the
        template's default size), what a typical run costs, what vouchers pay, what the wallet
        lacks, and whether the quota allows it now."""
        query = QuoteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        version = selectors.live_template(data["template"])
        if version is None:
            raise NotFound
        options = selectors.pool_options(version)
        sizing = selectors.sizing(version, self.tenant, options, data.get("pool"), data.get("cards"))
        return Response(QuoteSerializer({"options": options, "sizing": sizing}).data)


class WebhookApiView(TenantScopedApiMixin, APIView):
    """Where job events are POSTed, signed with the secret; the secret is only ever in the answer
    that made it."""

    permission = Perm.MANAGE_API_KEYS
    write_permission = Perm.MANAGE_API_KEYS
    tenant_kinds = (TenantKind.COMPANY,)

    def endpoint(self) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.first()
        if endpoint is None:
            raise NotFound
        return endpoint

    @staticmethod
    def answer(endpoint: WebhookEndpoint | None, secret: str = "") -> Response:
        active = bool(endpoint and endpoint.is_active)
        body = {
            "url": endpoint.url if active else None,
            "is_active": active,
            "created_at": endpoint.created_at if endpoint else None,
            "secret": secret,
        }
        return Response(WebhookSerializer(body).data)

    @extend_schema(summary="The webhook", responses=WebhookSerializer)
    def get(self, request):
        return self.answer(WebhookEndpoint.objects.first())

    @extend_schema(summary="Set the webhook URL", request=WebhookInputSerializer, responses=WebhookSerializer)
    def put(self, request):
        """Set the URL (and switch events on). A new secret is made, and returned once, when there
        was none or events had been switched off."""
        data = WebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = WebhookForm(data={"url": data.validated_data["url"]})
        if not form.is_valid():
            raise ValidationError(form.errors)
        endpoint, secret = form.save(tenant=self.tenant, actor=request.user)
        return self.answer(endpoint, secret)

    @extend_schema(summary="Make a new webhook secret", request=None, responses=WebhookSerializer)
    def post(self, request):
        """A new secret, returned once; the old one stops signing at once."""
        endpoint = self.endpoint()
        secret = webhook_rotate_secret(endpoint=endpoint, tenant=self.tenant, actor=request.user)
        return self.answer(endpoint, secret)

    @extend_schema(summary="Stop sending job events", request=None, responses={204: None})
    def delete(self, request):
        webhook_clear(endpoint=self.endpoint(), tenant=self.tenant, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
