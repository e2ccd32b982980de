"""Jobs, their timeline, artifacts and metered usage."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwned


class JobState(models.TextChoices):
    PENDING = "pending", _("Pending")
    QUEUED = "queued", _("Queued")
    STARTING = "starting", _("Starting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    TIMED_OUT = "timed_out", _("Timed out")


ACTIVE_STATES = (JobState.PENDING, JobState.QUEUED, JobState.STARTING, JobState.RUNNING)
# States in which a job holds quota (it has been admitted) and may occupy cards.
ADMITTED_STATES = (JobState.QUEUED, JobState.STARTING, JobState.RUNNING)
TERMINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.TIMED_OUT)
RETRYABLE_STATES = (JobState.FAILED, JobState.TIMED_OUT)


class WaitReason(models.TextChoices):
    NONE = "", _("Not waiting")
    QUOTA = "quota", _("Your quota is in use by other jobs; this one starts when one of them ends.")
    NO_FREE_CARDS = "no_free_cards", _("All cards in the pool are busy; the job starts when cards are free.")
    ENGINE = "engine", _("Waiting for the compute engine to accept the job.")
    LOADING = "loading", _("The workload is starting.")


class Job(TenantOwned):
    """One launch of a solution template (or a model on a pool). Retries are new attempts of the same job."""

    name = models.CharField(_("name"), max_length=120, blank=True)
    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="jobs")
    version = models.ForeignKey("catalog.OfferingVersion", on_delete=models.PROTECT, related_name="jobs")
    model_offering = models.ForeignKey(
        "catalog.Offering", null=True, blank=True, on_delete=models.PROTECT, related_name="model_jobs"
    )
    pool = models.ForeignKey("compute.Pool", on_delete=models.PROTECT, related_name="jobs")
    cards = models.PositiveSmallIntegerField(_("cards"))
    workload = models.CharField(_("workload"), max_length=20)
    params = models.JSONField(_("inputs"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.PENDING)
    wait_reason = models.CharField(max_length=20, choices=WaitReason.choices, blank=True, default="")
    queue_ahead = models.PositiveIntegerField(
        _("jobs ahead in the pool's queue"), null=True, blank=True
    )  # while waiting for cards, when the engine knows
    failure = models.CharField(_("what went wrong"), max_length=500, blank=True)
    progress = models.FloatField(_("progress (%)"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    engine = models.CharField(max_length=20)
    engine_job_id = models.CharField(max_length=200, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    time_limit_seconds = models.PositiveIntegerField()
    estimate_fen = models.BigIntegerField(_("estimated cost (fen)"))
    voucher_estimate_fen = models.BigIntegerField(_("of which vouchers would pay (fen)"), default=0)
    card_seconds = models.PositiveBigIntegerField(_("card-seconds used"), default=0)
    credit_warned_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set when retention removed the job's inputs, log and output files (the rows stay).
    files_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="jobs_idempotency_once",
            ),
            models.CheckConstraint(condition=Q(state__in=JobState.values), name="jobs_state_valid"),
            models.CheckConstraint(condition=Q(cards__gt=0), name="jobs_has_cards"),
        ]
        indexes = [
            models.Index(fields=["state", "pool"], name="jobs_state_pool"),
            models.Index(fields=["tenant", "state"], name="jobs_tenant_state"),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def can_cancel(self) -> bool:
        return self.state in ACTIVE_STATES and self.cancel_requested_at is None

    @property
    def can_retry(self) -> bool:
        return self.state in RETRYABLE_STATES and self.files_removed_at is None

    @property
    def files_kept_until(self):
        """When retention will remove this job's files (None while it runs, or once they are gone)."""
        if self.files_removed_at or not self.finished_at or self.is_active:
            return None
        return self.finished_at + timedelta(days=settings.JOB_FILES_RETENTION_DAYS)


class JobEvent(TenantOwned):
    """A transition on the job's timeline, with when and why."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    attempt = models.PositiveSmallIntegerField()
    at = models.DateTimeField(db_index=True)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10, choices=JobState.choices)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.to_state}"


class JobArtifact(TenantOwned):
    """A file a job wrote to its output folder."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="artifacts")
    attempt = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["job", "attempt", "name"], name="jobs_artifact_once")]

    def __str__(self) -> str:
        return self.name


class UsageRecord(TenantOwned):
    """Card-seconds one attempt used in one metering interval. Keyed by (job, attempt, seq): interval
    `seq` covers [started + seq·interval, started + (seq+1)·interval), so recording it again is a no-op.

    Never changed once written. Until it is rated it also has a row in `RatingQueue` (the database
    puts it there on insert; rating deletes it in the transaction that charges the record)."""

    # Few indexes on purpose: rating reads these by the thousand a second.
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="usage", db_index=False)
    attempt = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    pool = models.ForeignKey("compute.Pool", on_delete=models.PROTECT, related_name="+", db_index=False)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    card_seconds = models.PositiveBigIntegerField()
    cum_card_seconds = models.PositiveBigIntegerField()
    is_final = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "attempt", "seq"], name="jobs_usage_once")]
        indexes = [models.Index(fields=["tenant", "period_start"], name="jobs_usage_tenant_time")]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.attempt}/{self.seq}"

    @property
    def rated(self) -> bool:
        return not RatingQueue.objects.filter(usage_id=self.pk).exists()


UNRATED = Q(rating_queue__isnull=False)  # UsageRecord filter: not rated yet


class RatingQueue(models.Model):
    """Usage records waiting to be rated. A narrow table of ids: rating claims a batch with
    SKIP LOCKED and deletes it, which costs far less than updating the wide usage rows."""

    usage = models.OneToOneField(UsageRecord, primary_key=True, on_delete=models.CASCADE, related_name="rating_queue")

    def __str__(self) -> str:
        return str(self.usage_id)


class WebhookEndpoint(TenantOwned):
    """Where a company wants job events POSTed, signed with its secret."""

    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="jobs_one_webhook")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantOwned):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(JobEvent, on_delete=models.CASCADE, related_name="deliveries")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="jobs_delivery_once")]

    def __str__(self) -> str:
        return f"{self.endpoint_id}/{self.event_id}"
