"""Compute voucher programs run by government bodies, companies' applications, the vouchers issued
from a program's budget, and what each voucher paid for (redemptions).

Amounts are integer fen; ratios are basis points (30% = 3000). Money itself lives in the ledger:
a program's budget is a PROGRAM_BUDGET account funded when the program opens, a voucher is a
VOUCHER account of the holder funded from that budget, and redemptions are rating's postings from
voucher accounts to the provider. The rows here say why and for whom; the ledger says how much.

Visibility (tenant isolation) is declared on the managers: a program belongs to its government
tenant and is public while open; applications, vouchers and redemptions are seen by the holder
company and by the program's government tenant, nobody else.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.scoping import (
    SharedScopedManager,
    TenantOwned,
    TenantOwnedQuerySet,
    TenantScopeError,
    UnscopedManager,
    get_active_tenant,
)


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for applications")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


class ProgramManager(models.Manager.from_queryset(TenantOwnedQuerySet)):  # type: ignore[misc]
    """A government tenant sees its own programs in every state; everyone else sees open programs
    (public calls for applications). No active tenant → `TenantScopeError`."""

    def get_queryset(self):
        tenant = get_active_tenant()
        if tenant is None:
            raise TenantScopeError("Program queried with no active tenant; use Program.unscoped for system code")
        return super().get_queryset().filter(Q(tenant=tenant) | Q(status=ProgramStatus.OPEN))

    def none(self):
        return TenantOwnedQuerySet(self.model, using=self._db).none()


class Program(TenantOwned):
    """A voucher program: a budget, who may apply, what its vouchers pay and for what."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    code = models.SlugField(
        _("code"), max_length=20, unique=True, help_text=_("Short code printed on vouchers, e.g. BJ-2026.")
    )
    status = models.CharField(_("status"), max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)
    budget_fen = models.PositiveBigIntegerField(_("total budget (fen)"))

    # What a voucher pays: ratio × charge, capped.
    ratio_bp = models.PositiveIntegerField(_("subsidy ratio (basis points)"), help_text=_("30% = 3000."))
    domestic_ratio_bp = models.PositiveIntegerField(
        _("ratio for domestic-chip compute (basis points)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the subsidy ratio for every chip."),
    )
    startup_ratio_bp = models.PositiveIntegerField(
        _("ratio for startups (basis points)"), null=True, blank=True, help_text=_("Leave empty for no startup rate.")
    )
    startup_max_age_months = models.PositiveIntegerField(_("startups are younger than (months)"), default=36)
    max_per_voucher_fen = models.PositiveBigIntegerField(_("largest voucher (fen)"))
    max_per_company_fen = models.PositiveBigIntegerField(
        _("cap per company in this program (fen)"), null=True, blank=True
    )
    max_per_company_year_fen = models.PositiveBigIntegerField(
        _("cap per company per calendar year (fen)"), null=True, blank=True
    )
    four_eyes_above_fen = models.PositiveBigIntegerField(
        _("second reviewer needed above (fen)"),
        default=0,
        help_text=_("Approvals of larger amounts must be confirmed by a second reviewer. 0: always."),
    )

    # Which offerings qualify.
    offering_kinds = models.JSONField(_("offering kinds"), default=list)
    providers = models.ManyToManyField(
        "tenants.Tenant", blank=True, related_name="+", verbose_name=_("providers (empty: any partner)")
    )
    domestic_chips_only = models.BooleanField(_("domestic chips only"), default=False)

    # Who may apply.
    provinces = models.JSONField(_("registered in provinces"), default=list, blank=True)
    city = models.CharField(_("registered in city"), max_length=100, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    size_classes = models.JSONField(_("size classes"), default=list, blank=True)
    min_company_age_months = models.PositiveIntegerField(_("minimum company age (months)"), default=0)
    blocklist = models.JSONField(_("blocked credit codes"), default=list, blank=True)

    applications_open_on = models.DateField(_("applications open on"))
    applications_close_on = models.DateField(_("applications close on"))
    voucher_valid_days = models.PositiveIntegerField(_("vouchers valid for (days)"), default=365)

    budget_account = models.ForeignKey(
        "billing.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    breakage_account = models.ForeignKey(
        "billing.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ProgramManager()
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("voucher program")
        verbose_name_plural = _("voucher programs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ratio_bp__gt=0, ratio_bp__lte=10000), name="vouchers_ratio_range"),
            models.CheckConstraint(
                condition=Q(domestic_ratio_bp__isnull=True) | Q(domestic_ratio_bp__gt=0, domestic_ratio_bp__lte=10000),
                name="vouchers_domestic_ratio_range",
            ),
            models.CheckConstraint(
                condition=Q(startup_ratio_bp__isnull=True) | Q(startup_ratio_bp__gt=0, startup_ratio_bp__lte=10000),
                name="vouchers_startup_ratio_range",
            ),
            models.CheckConstraint(
                condition=Q(applications_close_on__gte=models.F("applications_open_on")), name="vouchers_window_order"
            ),
            models.CheckConstraint(condition=Q(budget_fen__gt=0), name="vouchers_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_accepting(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == ProgramStatus.OPEN and self.applications_open_on <= today <= self.applications_close_on

    def province_names(self) -> str:
        from tenants.choices import Province

        labels = dict(Province.choices)
        return ", ".join(str(labels.get(code, code)) for code in self.provinces)

    def ratio_for(self, *, startup: bool, domestic_chip: bool) -> int:
        """The subsidy ratio (bp) for a holder and an offering: startup rate if any, else the
        domestic-chip rate for domestic compute, else the base rate; the larger applies."""
        ratio = self.ratio_bp
        if domestic_chip and self.domestic_ratio_bp:
            ratio = max(ratio, self.domestic_ratio_bp)
        if startup and self.startup_ratio_bp:
            ratio = max(ratio, self.startup_ratio_bp)
        return ratio


def company_age_months(founded_on: date | None, today: date) -> int | None:
    if founded_on is None:
        return None
    months = (today.year - founded_on.year) * 12 + today.month - founded_on.month
    if today.day < founded_on.day:
        months -= 1
    return max(0, months)


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for review")
    SECOND_REVIEW = "second_review", _("Waiting for a second reviewer")
    ISSUED = "issued", _("Approved, voucher issued")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_APPLICATION_STATES = (ApplicationState.SUBMITTED, ApplicationState.SECOND_REVIEW)


class Application(TenantOwned):
    """A company's request for a voucher from a program (`tenant` is the company)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    purpose = models.TextField(_("what the compute is for"), max_length=2000)
    expected_outcome = models.TextField(_("expected outcome"), max_length=2000)
    affiliates = models.JSONField(_("affiliated organisations (credit codes)"), default=list, blank=True)
    eligibility = models.JSONField(default=list, blank=True)  # the pre-check as it was at submission
    state = models.CharField(_("state"), max_length=16, choices=ApplicationState.choices, default="submitted")
    first_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_reviewed_at = models.DateTimeField(null=True, blank=True)
    second_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    objects = SharedScopedManager(also="program__tenant")
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("voucher application")
        verbose_name_plural = _("voucher applications")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "program"],
                condition=Q(state__in=["submitted", "second_review"]),
                name="vouchers_one_open_application",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_application_amount_positive"),
        ]
        indexes = [models.Index(fields=["program", "state", "created_at"], name="vouchers_app_queue")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.program.name}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_APPLICATION_STATES


def attachment_path(instance: ApplicationAttachment, filename: str) -> str:
    return f"voucher-applications/{instance.application.tenant_id}/{instance.application_id}/{filename}"


class ApplicationAttachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class VoucherState(models.TextChoices):
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Voucher(TenantOwned):
    """Money a company may spend on qualifying usage (`tenant` is the holder; never transferred)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="vouchers")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="voucher")
    code = models.CharField(_("voucher number"), max_length=40, unique=True)
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    startup = models.BooleanField(_("startup rate"), default=False)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    account = models.OneToOneField("billing.Account", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=VoucherState.choices, default=VoucherState.ACTIVE)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    returned_fen = models.BigIntegerField(_("returned to the budget"), default=0)
    expired_fen = models.BigIntegerField(_("expired unused"), default=0)

    objects = SharedScopedManager(also="program__tenant")
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["valid_until", "issued_at", "id"]  # the order vouchers are spent in
        indexes = [models.Index(fields=["tenant", "state", "valid_until"], name="vouchers_spend_order")]

    def __str__(self) -> str:
        return self.code

    @property
    def validity_days_left(self) -> int:
        return max(0, (self.valid_until - timezone.now()).days)


class Redemption(TenantOwned):
    """What one voucher paid towards one charge (written by rating, in the charge's transaction)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="redemptions", db_index=False)
    partner = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", db_index=False)
    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="+", db_index=False)
    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="redemptions")
    usage_id = models.BigIntegerField(null=True, blank=True)
    transaction = models.ForeignKey("billing.Transaction", on_delete=models.PROTECT, related_name="+")
    charge_fen = models.BigIntegerField(_("charge"))
    amount_fen = models.BigIntegerField(_("paid by the voucher"))
    at = models.DateTimeField(_("usage time"))

    objects = SharedScopedManager(also="program__tenant")
    unscoped = UnscopedManager()

    class Meta:
        verbose_name = _("voucher redemption")
        verbose_name_plural = _("voucher redemptions")
        indexes = [
            models.Index(fields=["program", "at"], name="vouchers_redeemed_program"),
            models.Index(fields=["tenant", "program", "at"], name="vouchers_redeemed_company"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_redemption_positive")]

    def __str__(self) -> str:
        return f"{self.voucher_id}: {self.amount_fen}"
