"""What the jobs API reads and writes."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from compute.models import Pool
from jobs import selectors
from jobs.models import Job, JobArtifact, JobEvent, JobState


class JobStateField(serializers.ChoiceField):
    """A job's state. Its own field class so the schema names its enum `JobStateEnum` (other
    resources have a `state` with other values, which would otherwise clash)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=JobState.choices, **kwargs)


class JobStateFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "jobs.api.serializers.JobStateField"

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="JobStateEnum",
            type=ResolvedComponent.SCHEMA,
            object="JobStateEnum",
            schema={"type": "string", "enum": list(JobState.values)},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class JobSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(source="offering", slug_field="slug", read_only=True)
    template_name = serializers.CharField(source="version.name", read_only=True)
    template_version = serializers.IntegerField(source="version.number", read_only=True)
    pool_name = serializers.CharField(source="pool.name", read_only=True)
    wait_reason_text = serializers.CharField(source="get_wait_reason_display", read_only=True)
    failure_message = serializers.SerializerMethodField()
    card_hours = serializers.SerializerMethodField()
    inputs = serializers.JSONField(source="params", read_only=True)
    state = JobStateField(read_only=True)
    files_kept_until = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the job's files will be removed (retention)."
    )
    files_removed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "name",
            "template",
            "template_name",
            "template_version",
            "pool",
            "pool_name",
            "cards",
            "state",
            "wait_reason",
            "wait_reason_text",
            "queue_ahead",
            "progress",
            "stage",
            "attempt",
            "failure",
            "failure_message",
            "deadline",
            "estimate_fen",
            "card_seconds",
            "card_hours",
            "inputs",
            "created_at",
            "started_at",
            "finished_at",
            "files_kept_until",
            "files_removed_at",
        ]
        read_only_fields = fields

    def get_failure_message(self, job: Job) -> str:
        return selectors.failure_text(job) if job.failure else ""

    def get_card_hours(self, job: Job) -> float:
        return round(job.card_seconds / 3600, 4)


class JobCreateSerializer(serializers.Serializer):
    """A launch. Data files are sent as their text inside `inputs`, like the launch form's paste box."""

    template = serializers.SlugField(
        max_length=80, help_text=_("The slug of a solution template, or of a model to try it on your documents.")
    )
    pool = serializers.IntegerField(min_value=1, help_text=_("The id of a pool the template can run on."))
    cards = serializers.IntegerField(min_value=1, help_text=_("One of the sizes the pool sells."))
    inputs = serializers.DictField(default=dict, help_text=_("The template's launch form, as a JSON object."))
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None)
    name = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")

    def validate_template(self, slug: str):
        version = selectors.live_template(slug)
        if version is None:
            raise serializers.ValidationError(_("There is no live solution template or model with this slug."))
        return version

    def validate_pool(self, pk: int) -> Pool:
        pool = Pool.objects.filter(pk=pk, is_active=True).first()
        if pool is None:
            raise serializers.ValidationError(_("There is no pool accepting jobs with this id."))
        return pool


class JobEventSerializer(serializers.ModelSerializer):
    to_state = JobStateField(read_only=True)
    reason_text = serializers.SerializerMethodField()

    class Meta:
        model = JobEvent
        fields = ["at", "attempt", "from_state", "to_state", "reason", "reason_text", "detail"]
        read_only_fields = fields

    def get_reason_text(self, event: JobEvent) -> str:
        return selectors.reason_text(event.reason, event.detail)


class LogChunkSerializer(serializers.Serializer):
    text = serializers.CharField(help_text=_("Log text from `offset` on."))
    next_offset = serializers.IntegerField(help_text=_("Ask for this offset next."))
    done = serializers.BooleanField(help_text=_("The job is over and the whole log has been read."))


class ArtifactSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = JobArtifact
        fields = ["attempt", "name", "size", "download_url"]
        read_only_fields = fields

    def get_download_url(self, artifact: JobArtifact) -> str:
        return self.context["download_url"](artifact)


class QuoteQuerySerializer(serializers.Serializer):
    template = serializers.SlugField(help_text=_("The solution template's slug."))
    pool = serializers.IntegerField(
        required=False, help_text=_("The pool to price; the best usable pool when missing or unusable.")
    )
    cards = serializers.IntegerField(
        required=False, help_text=_("Cards; the template's default size when missing or not offered.")
    )


class PoolOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pool.pk")
    name = serializers.CharField(source="pool.name")
    chip = serializers.CharField(source="pool.chip_type.slug")
    usable = serializers.BooleanField()
    reason = serializers.CharField(help_text=_("Why the template cannot run here (empty when it can)."))
    sizes = serializers.ListField(child=serializers.IntegerField(), help_text=_("Card counts that can be launched."))
    card_hour_fen = serializers.IntegerField(source="price_fen", allow_null=True)
    score = serializers.IntegerField()


class EstimateSerializer(serializers.Serializer):
    """What a typical run costs, in fen: `total_fen` = `compute_fen` + `run_fen`; vouchers pay
    `voucher_fen` of it and the wallet the rest (`to_pay_fen`, held at launch)."""

    cards = serializers.IntegerField()
    minutes = serializers.IntegerField()
    card_hour_fen = serializers.IntegerField()
    compute_fen = serializers.IntegerField()
    run_fen = serializers.IntegerField()
    total_fen = serializers.IntegerField()
    voucher_fen = serializers.IntegerField()
    to_pay_fen = serializers.IntegerField()


class QuoteSerializer(serializers.Serializer):
    """The launch page's pool picker and estimate for one template."""

    pools = PoolOptionSerializer(source="options", many=True)
    pool = serializers.IntegerField(source="sizing.option.pool.pk", allow_null=True, default=None)
    cards = serializers.IntegerField(source="sizing.cards", allow_null=True)
    estimate = EstimateSerializer(source="sizing.estimate", allow_null=True)
    balance_fen = serializers.IntegerField(source="sizing.balance_fen")
    short_fen = serializers.IntegerField(source="sizing.short_fen", help_text=_("What the wallet lacks for the run."))
    quota_exceeded = serializers.BooleanField(source="sizing.quota_exceeded")
    month_exceeded = serializers.BooleanField(source="sizing.month_exceeded")
    will_wait = serializers.BooleanField(source="sizing.will_wait", help_text=_("It would queue for free cards."))


class WebhookSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True, allow_null=True, help_text=_("Null when no events are sent."))
    is_active = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True, allow_null=True)
    secret = serializers.CharField(
        read_only=True, help_text=_("The signing secret, only in the answer that made it; else empty.")
    )


class WebhookInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text=_("Where job events are POSTed (https)."))
