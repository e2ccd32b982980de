"""The ecosystem catalog: partners, chip types, offerings with immutable published versions,
and the model × chip compatibility matrix.

An `Offering` is a listing's identity and lifecycle (owned by its partner tenant). Its content
lives in `OfferingVersion` rows: a draft is edited in place; once submitted a version is frozen,
and approving it makes it the live version. A job records the version it ran.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from catalog.choices import (
    CompatStatus,
    Modality,
    OfferingKind,
    OfferingStatus,
    PartnerCategory,
    Platform,
    VersionState,
    Workload,
)
from catalog.querysets import VersionQuerySet
from tenants.choices import Industry, Province
from tenants.scoping import TenantOwned, TenantScopedManager, UnscopedManager


def _localized(obj, field: str) -> str:
    zh, en = getattr(obj, f"{field}_zh"), getattr(obj, f"{field}_en")
    return (en or zh) if (get_language() or "en").startswith("en") else (zh or en)


class PartnerProfile(models.Model):
    """The public face of a partner tenant in the ecosystem."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="partner_profile")
    category = models.CharField(_("ecosystem category"), max_length=20, choices=PartnerCategory.choices, db_index=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    logo = models.FileField(_("logo"), upload_to="partners/logos/", blank=True)
    website = models.URLField(_("website"), blank=True)
    province = models.CharField(_("region"), max_length=2, choices=Province.choices)

    class Meta:
        verbose_name = _("partner profile")
        verbose_name_plural = _("partner profiles")

    def __str__(self) -> str:
        return str(self.tenant)

    @property
    def description(self) -> str:
        return _localized(self, "description")


class ChipType(models.Model):
    """An accelerator model, with its score against the reference accelerator (100)."""

    vendor = models.CharField(_("vendor"), max_length=60)
    vendor_tenant = models.ForeignKey(
        "tenants.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="chip_types"
    )
    model = models.CharField(_("model"), max_length=60)
    slug = models.SlugField(unique=True)
    is_domestic = models.BooleanField(_("domestic chip"))
    memory_gb = models.PositiveIntegerField(_("memory (GB)"))
    fp16_tflops = models.DecimalField(_("FP16 TFLOPS"), max_digits=7, decimal_places=1)
    software_stack = models.CharField(_("software stack"), max_length=40)
    perf_score = models.PositiveSmallIntegerField(
        _("performance score"),
        validators=[MaxValueValidator(100)],
        help_text=_("Against the reference accelerator = 100."),
    )
    k8s_resource = models.CharField(_("Kubernetes resource name"), max_length=80)
    slurm_gres = models.CharField(_("Slurm GRES type"), max_length=40)

    class Meta:
        verbose_name = _("chip type")
        verbose_name_plural = _("chip types")
        ordering = ["-perf_score", "vendor", "model"]
        constraints = [models.CheckConstraint(condition=Q(perf_score__lte=100), name="catalog_chip_score_0_100")]

    def __str__(self) -> str:
        return f"{self.vendor} {self.model}"


class Offering(TenantOwned):
    """A partner's listing: identity, lifecycle and popularity. Content is in its versions."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="offerings")
    kind = models.CharField(_("kind"), max_length=10, choices=OfferingKind.choices)
    slug = models.SlugField(max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=OfferingStatus.choices, default=OfferingStatus.DRAFT)
    live_version = models.OneToOneField(
        "catalog.OfferingVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="live_of"
    )
    view_count = models.PositiveIntegerField(default=0)
    launch_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(live_version__isnull=False),
                name="catalog_published_has_live_version",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def popularity(self) -> int:
        return self.view_count + 10 * self.launch_count


class OfferingVersion(TenantOwned):
    """One version of an offering's content. Frozen once submitted; the live one is public.

    Tenant-owned like its offering, so a partner's drafts are private by construction; the public
    catalog reads live versions only, through `catalog.selectors.live_versions()`."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="versions")

    objects = TenantScopedManager.from_queryset(VersionQuerySet)()
    unscoped = UnscopedManager.from_queryset(VersionQuerySet)()
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=VersionState.choices, default=VersionState.DRAFT, db_index=True)
    review_note = models.TextField(_("reviewer's note"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Common content
    kind = models.CharField(max_length=10, choices=OfferingKind.choices, db_index=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_zh = models.TextField(_("description (Chinese, Markdown)"), blank=True)
    description_en = models.TextField(_("description (English, Markdown)"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)

    # Compute pool
    chip_type = models.ForeignKey(ChipType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    data_centre = models.CharField(_("data centre"), max_length=120, blank=True)
    province = models.CharField(_("region"), max_length=2, choices=Province.choices, blank=True)
    total_cards = models.PositiveIntegerField(_("total cards"), null=True, blank=True)
    card_sizes = models.JSONField(_("sizes sold (cards)"), default=list, blank=True)
    price_per_card_hour = models.DecimalField(
        _("price per card-hour (CNY)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    engine = models.CharField(_("engine"), max_length=20, default="local", blank=True)

    # Model
    family = models.CharField(_("model family"), max_length=60, blank=True)
    parameters_b = models.DecimalField(
        _("parameters (billions)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    modality = models.CharField(_("modality"), max_length=12, choices=Modality.choices, blank=True)
    license = models.CharField(_("licence"), max_length=80, blank=True)
    context_length = models.PositiveIntegerField(_("context length (tokens)"), null=True, blank=True)
    tasks = models.JSONField(_("tasks"), default=list, blank=True)
    is_foundation = models.BooleanField(_("foundation model"), null=True, blank=True)

    # Solution template
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, blank=True)
    platform = models.CharField(_("platform"), max_length=12, choices=Platform.choices, blank=True)
    model_offering = models.ForeignKey(
        Offering, null=True, blank=True, on_delete=models.PROTECT, related_name="used_by_solutions"
    )
    default_cards = models.PositiveSmallIntegerField(_("default size (cards)"), null=True, blank=True)
    workload = models.CharField(_("workload"), max_length=20, choices=Workload.choices, blank=True)
    launch_schema = models.JSONField(_("launch form (JSON Schema)"), default=dict, blank=True)
    example_inputs = models.JSONField(_("example inputs"), default=dict, blank=True)
    typical_runtime_minutes = models.PositiveIntegerField(_("typical runtime (minutes)"), null=True, blank=True)
    price_per_run = models.DecimalField(
        _("price per run (CNY)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    # Denormalised when the version goes live, for browsing, facets and sorting
    partner_category = models.CharField(max_length=20, blank=True, db_index=True)
    list_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, db_index=True)
    perf_score = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    popularity = models.PositiveIntegerField(default=0, db_index=True)
    search_text = models.TextField(blank=True)
    search_tokens = models.TextField(blank=True)  # see catalog/search.py

    class Meta:
        verbose_name = _("offering version")
        verbose_name_plural = _("offering versions")
        ordering = ["offering", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["offering", "number"], name="catalog_version_number_unique"),
            models.UniqueConstraint(
                fields=["offering"],
                condition=Q(state__in=["draft", "in_review", "rejected"]),
                name="catalog_one_open_version_per_offering",
            ),
        ]
        indexes = [models.Index(fields=["state", "kind"], name="catalog_version_state_kind")]

    def __str__(self) -> str:
        return f"{self.offering.slug} v{self.number}"

    @property
    def name(self) -> str:
        return _localized(self, "name")

    @property
    def description(self) -> str:
        return _localized(self, "description")

    @property
    def is_editable(self) -> bool:
        return self.state in (VersionState.DRAFT, VersionState.REJECTED)

    @property
    def typical_run_cost(self) -> Decimal | None:
        """What a typical run of a solution template costs on its default size (estimate)."""
        return self.list_price


class OfferingIndustry(models.Model):
    """Facet table: the industries of a live version (one row each)."""

    version = models.ForeignKey(OfferingVersion, on_delete=models.CASCADE, related_name="industry_rows")
    industry = models.CharField(max_length=20, choices=Industry.choices, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "industry"], name="catalog_industry_once")]

    def __str__(self) -> str:
        return self.industry


class OfferingChip(models.Model):
    """Facet table: chip types a live version runs on (a pool's chip; a model's or a template's
    verified/experimental chips)."""

    version = models.ForeignKey(OfferingVersion, on_delete=models.CASCADE, related_name="chip_rows")
    chip_type = models.ForeignKey(ChipType, on_delete=models.CASCADE, related_name="+")
    vendor = models.CharField(max_length=60, db_index=True)
    is_domestic = models.BooleanField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "chip_type"], name="catalog_chip_once")]

    def __str__(self) -> str:
        return f"{self.version_id}:{self.chip_type_id}"


class Compatibility(models.Model):
    """How well a model runs on a chip type (the model × chip matrix)."""

    model_offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="compatibility")
    chip_type = models.ForeignKey(ChipType, on_delete=models.CASCADE, related_name="compatibility")
    status = models.CharField(_("status"), max_length=12, choices=CompatStatus.choices)
    score = models.PositiveSmallIntegerField(_("performance score"), validators=[MaxValueValidator(100)])
    throughput = models.DecimalField(
        _("throughput (tokens/s per card)"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    min_cards = models.PositiveSmallIntegerField(_("minimum cards"), default=1)
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_on = models.DateField(_("date checked"))

    class Meta:
        verbose_name = _("compatibility")
        verbose_name_plural = _("compatibility")
        constraints = [
            models.UniqueConstraint(fields=["model_offering", "chip_type"], name="catalog_compat_once"),
            models.CheckConstraint(condition=Q(score__lte=100), name="catalog_compat_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.model_offering_id} × {self.chip_type}: {self.status}"


class OfferingDailyStat(models.Model):
    """Views and launches of an offering per day (the partner's chart)."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="daily_stats")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    launches = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "day"], name="catalog_stat_once_per_day")]

    def __str__(self) -> str:
        return f"{self.offering_id} {self.day}"


class Favourite(models.Model):
    """A person's saved offering."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "offering"], name="catalog_favourite_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.offering_id}"
