"""Compute pools (capacity run by the operator) and quotas (what each company may use of it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.choices import SizeClass
from tenants.scoping import TenantOwned


class EngineName(models.TextChoices):
    """The compute engines a pool can run on (``compute.engines``)."""

    LOCAL = "local", _("Local processes")
    SLURM = "slurm", _("Slurm cluster")
    KUBERNETES = "kubernetes", _("Kubernetes cluster")


class Pool(models.Model):
    """The runnable side of a live compute offering: how many cards, and which engine runs jobs.

    The offering says what is sold (chip, sizes, price); the pool is what the operator runs. One pool
    per compute offering, made when the offering first goes live. ``engine_config`` is the operator's
    per-pool engine settings (a Slurm partition, a Kubernetes namespace…), checked by
    ``compute.engine_settings`` before it is saved."""

    offering = models.OneToOneField("catalog.Offering", on_delete=models.PROTECT, related_name="pool")
    chip_type = models.ForeignKey("catalog.ChipType", on_delete=models.PROTECT, related_name="pools")
    name = models.CharField(_("name"), max_length=200)
    total_cards = models.PositiveIntegerField(_("total cards"))
    engine = models.CharField(_("engine"), max_length=20, choices=EngineName.choices, default=EngineName.LOCAL)
    engine_config = models.JSONField(_("engine settings"), default=dict, blank=True)
    is_active = models.BooleanField(_("accepting jobs"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compute pool")
        verbose_name_plural = _("compute pools")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(total_cards__gt=0), name="compute_pool_has_cards")]

    def __str__(self) -> str:
        return self.name

    def engine_placement(self) -> dict:
        """Where this pool's jobs go on its engine: the chip type's scheduler names (Slurm GRES type,
        Kubernetes extended resource), overridden by the operator's settings for the pool."""
        return {
            "gres_type": self.chip_type.slurm_gres,
            "resource_name": self.chip_type.k8s_resource,
            **self.engine_config,
        }


class PoolSample(models.Model):
    """Utilisation of a pool at one moment, taken every minute by beat (for the operators' chart)."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField(db_index=True)
    cards_in_use = models.PositiveIntegerField()
    total_cards = models.PositiveIntegerField()
    queued_jobs = models.PositiveIntegerField()
    running_jobs = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "at"], name="compute_sample_once")]

    def __str__(self) -> str:
        return f"{self.pool_id}@{self.at:%H:%M}: {self.cards_in_use}/{self.total_cards}"


class QuotaLimits(models.Model):
    """The three limits a quota sets, shared by defaults and per-tenant overrides."""

    concurrent_cards = models.PositiveIntegerField(_("cards at once"))
    card_hours_month = models.PositiveIntegerField(_("card-hours per month"))
    concurrent_jobs = models.PositiveIntegerField(_("jobs at once"))

    class Meta:
        abstract = True


class QuotaDefault(QuotaLimits):
    """The operator's default quota for companies of one size class (per chip type, or any chip)."""

    size_class = models.CharField(_("size class"), max_length=10, choices=SizeClass.choices)
    chip_type = models.ForeignKey(
        "catalog.ChipType",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty for every chip type without its own default."),
    )

    class Meta:
        verbose_name = _("default quota")
        verbose_name_plural = _("default quotas")
        constraints = [
            models.UniqueConstraint(fields=["size_class", "chip_type"], name="compute_default_once"),
            models.UniqueConstraint(
                fields=["size_class"], condition=Q(chip_type__isnull=True), name="compute_default_any_chip_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.size_class}/{self.chip_type_id or '*'}"


class QuotaOverride(TenantOwned, QuotaLimits):
    """A tenant's own quota for one chip type, set by an operator or by approving a request."""

    chip_type = models.ForeignKey("catalog.ChipType", on_delete=models.CASCADE, related_name="+")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("quota override")
        verbose_name_plural = _("quota overrides")
        constraints = [models.UniqueConstraint(fields=["tenant", "chip_type"], name="compute_override_once")]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.chip_type_id}"


class QuotaLock(TenantOwned):
    """One row per tenant and chip type, locked (SELECT … FOR UPDATE) while a launch or an admission
    checks and takes quota, so two concurrent launches cannot both take the last card."""

    chip_type = models.ForeignKey("catalog.ChipType", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "chip_type"], name="compute_quota_lock_once")]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.chip_type_id}"


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class QuotaRequest(TenantOwned):
    """A company asks for more quota on one chip type; an operator decides."""

    chip_type = models.ForeignKey("catalog.ChipType", on_delete=models.PROTECT, related_name="+")
    concurrent_cards = models.PositiveIntegerField(_("cards at once"))
    card_hours_month = models.PositiveIntegerField(_("card-hours per month"))
    concurrent_jobs = models.PositiveIntegerField(_("jobs at once"))
    reason = models.TextField(_("why you need it"), max_length=2000)
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note to the company"), max_length=500, blank=True)
    granted_cards = models.PositiveIntegerField(_("cards granted"), null=True, blank=True)
    granted_card_hours = models.PositiveIntegerField(_("card-hours granted"), null=True, blank=True)
    granted_jobs = models.PositiveIntegerField(_("jobs granted"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("quota request")
        verbose_name_plural = _("quota requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"quota request {self.pk}"
