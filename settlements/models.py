"""Partner settlements: per calendar month and partner, what their offerings earned and what the
platform pays them.

A `SettlementPeriod` is one month's run for every partner. It records `charge_cutoff`, the highest
`billing.Charge` id its settlements cover; that is how a charge is settled exactly once (see
`settlements.services.statements`). A `Settlement` belongs to the partner (tenant-owned) and has a
`SettlementLine` per offering. Amounts are integer fen. Once issued, numbers never change: the
database refuses it (migration 0002), not only the services.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from catalog.choices import OfferingKind
from settlements.choices import PeriodState, SettlementState
from settlements.querysets import SettlementQuerySet
from tenants.scoping import TenantOwned, TenantScopedManager, UnscopedManager


def card_hours(card_seconds: int) -> Decimal:
    return (Decimal(card_seconds) / 3600).quantize(Decimal("0.01"))


class SettlementPeriod(models.Model):
    """One month's settlement of every partner. Platform-wide, so not tenant-owned; months are
    issued in order, each after the one before it."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    state = models.CharField(_("state"), max_length=10, choices=PeriodState.choices, default=PeriodState.DRAFT)
    charge_cutoff = models.BigIntegerField(_("last charge covered"), default=0)
    generated_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("settlement period")
        verbose_name_plural = _("settlement periods")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=PeriodState.DRAFT) | Q(issued_at__isnull=False, generated_at__isnull=False),
                name="settlements_period_issued_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Settlement(TenantOwned):
    """One partner's statement for one month: usage and gross of their offerings, the platform fee,
    the part paid with government vouchers and the net the platform owes them (gross − fee)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="settlements")
    period = models.ForeignKey(SettlementPeriod, on_delete=models.PROTECT, related_name="settlements")
    state = models.CharField(_("state"), max_length=10, choices=SettlementState.choices, default=SettlementState.DRAFT)
    card_seconds = models.PositiveBigIntegerField(_("card-seconds"), default=0)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    charge_count = models.PositiveIntegerField(_("charges"), default=0)
    gross_fen = models.BigIntegerField(_("gross"), default=0)
    fee_fen = models.BigIntegerField(_("platform fee"), default=0)
    voucher_fen = models.BigIntegerField(_("paid by vouchers"), default=0)
    net_fen = models.BigIntegerField(_("net payable"), default=0)
    computed_at = models.DateTimeField(_("computed at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    payout_transaction = models.OneToOneField(
        "billing.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = TenantScopedManager.from_queryset(SettlementQuerySet)()
    unscoped = UnscopedManager.from_queryset(SettlementQuerySet)()

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period"], name="settlements_one_per_partner_month"),
            models.CheckConstraint(
                condition=Q(net_fen=F("gross_fen") - F("fee_fen")), name="settlements_net_is_gross_less_fee"
            ),
            models.CheckConstraint(
                condition=Q(fee_fen__gte=0, voucher_fen__gte=0, net_fen__gte=0, voucher_fen__lte=F("gross_fen")),
                name="settlements_amounts_sane",
            ),
            models.CheckConstraint(
                condition=~Q(state=SettlementState.PAID) | (Q(paid_at__isnull=False) & ~Q(bank_reference="")),
                name="settlements_paid_has_reference",
            ),
            models.CheckConstraint(
                condition=Q(state=SettlementState.PAID) | Q(payout_transaction__isnull=True),
                name="settlements_payout_only_when_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"settlement {self.pk} ({self.tenant_id}, {self.period_id})"

    @property
    def card_hours(self) -> Decimal:
        return card_hours(self.card_seconds)


class SettlementLine(TenantOwned):
    """One offering's part of a settlement. The offering's name is kept as it was when the
    statement was made, so a renamed listing does not change an issued statement."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+")
    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="+")
    offering_kind = models.CharField(_("kind"), max_length=10, choices=OfferingKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    card_seconds = models.PositiveBigIntegerField(_("card-seconds"), default=0)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    charge_count = models.PositiveIntegerField(_("charges"), default=0)
    gross_fen = models.BigIntegerField(_("gross"), default=0)
    fee_fen = models.BigIntegerField(_("platform fee"), default=0)
    voucher_fen = models.BigIntegerField(_("paid by vouchers"), default=0)
    net_fen = models.BigIntegerField(_("net payable"), default=0)

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        ordering = ["-gross_fen", "offering_id"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "offering"], name="settlements_line_once"),
            models.CheckConstraint(
                condition=Q(net_fen=F("gross_fen") - F("fee_fen")), name="settlements_line_net_is_gross_less_fee"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement_id}: {self.offering_id}"

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh

    @property
    def card_hours(self) -> Decimal:
        return card_hours(self.card_seconds)
