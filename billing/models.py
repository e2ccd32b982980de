"""The double-entry ledger and what money moves for: holds, charges, prices, top-ups, settlements.

Amounts are integer fen (1 CNY = 100 fen) everywhere below. The ledger tables are append-only and
a transaction's legs always sum to zero; both rules are enforced by the database (migration 0002),
not only by `billing.services.ledger`, the one module that writes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwned


class AccountKind(models.TextChoices):
    WALLET = "wallet", _("Wallet (prepaid credit)")
    HOLDS = "holds", _("Funds held for running jobs")
    VOUCHER = "voucher", _("Compute voucher")
    PROGRAM_BUDGET = "program_budget", _("Voucher program budget")
    PARTNER_PAYABLE = "partner_payable", _("Payable to partner")
    PLATFORM_REVENUE = "platform_revenue", _("Platform revenue")
    BREAKAGE = "breakage", _("Expired vouchers (breakage)")
    PAYMENT_CLEARING = "payment_clearing", _("Payments in transit")
    CREDIT_LOSS = "credit_loss", _("Usage not covered by funds")
    GOVERNMENT_FUNDING = "government_funding", _("Government funding")


# Accounts that represent the outside world or the platform's own books may go below zero; the
# money of tenants, vouchers and budgets may not.
SIGNED_KINDS = frozenset({AccountKind.PAYMENT_CLEARING, AccountKind.CREDIT_LOSS, AccountKind.GOVERNMENT_FUNDING})


class Account(models.Model):
    """A balance in the ledger. `balance_fen` is the sum of the account's legs, kept in step by the
    posting service under a row lock; a CHECK keeps non-signed accounts at or above zero."""

    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    tenant = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ref = models.CharField(max_length=40, blank=True, default="")
    allow_negative = models.BooleanField(default=False)
    balance_fen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(fields=["kind", "tenant", "ref"], name="billing_account_once"),
            models.UniqueConstraint(
                fields=["kind", "ref"], condition=Q(tenant__isnull=True), name="billing_system_account_once"
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance_fen__gte=0), name="billing_account_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.tenant_id or '-'}:{self.ref}"


class TxnKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    HOLD = "hold", _("Funds held")
    CHARGE = "charge", _("Usage charge")
    RELEASE = "release", _("Hold released")
    PAYOUT = "payout", _("Partner payout")
    VOUCHER = "voucher", _("Voucher")
    REVERSAL = "reversal", _("Reversal")
    ADJUSTMENT = "adjustment", _("Adjustment")


class Transaction(models.Model):
    """One balanced posting. Never changed; a mistake is corrected by a reversing transaction."""

    kind = models.CharField(_("kind"), max_length=12, choices=TxnKind.choices)
    idempotency_key = models.CharField(max_length=120, unique=True)
    tenant = models.ForeignKey("tenants.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Leg(models.Model):
    """One side of a transaction: `amount_fen` is added to the account's balance (negative = out)."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="legs", db_index=False)  # see Meta
    amount_fen = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount_fen=0), name="billing_leg_not_zero")]
        indexes = [models.Index(fields=["account", "transaction"], name="billing_leg_account_txn")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_fen}"


# ---------------------------------------------------------------------------------------------
# Prices
# ---------------------------------------------------------------------------------------------


class PriceUnit(models.TextChoices):
    CARD_HOUR = "card_hour", _("per card-hour")
    RUN = "run", _("per run")


class PriceEntry(models.Model):
    """The price book: a price for an offering from a moment on. Entries are only ever added, so a
    change never re-rates usage from before its `effective_from`."""

    offering = models.ForeignKey("catalog.Offering", on_delete=models.PROTECT, related_name="prices")
    unit = models.CharField(_("unit"), max_length=10, choices=PriceUnit.choices)
    amount_fen = models.PositiveBigIntegerField(_("price (fen)"))
    platform_fee_bp = models.PositiveIntegerField(
        _("platform fee (basis points)"), help_text=_("1% = 100 basis points; the partner gets the rest.")
    )
    effective_from = models.DateTimeField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("price book")
        constraints = [
            models.UniqueConstraint(fields=["offering", "unit", "effective_from"], name="billing_price_once"),
            models.CheckConstraint(condition=Q(platform_fee_bp__lte=10000), name="billing_price_fee_le_100"),
        ]
        indexes = [models.Index(fields=["offering", "unit", "-effective_from"], name="billing_price_lookup")]

    def __str__(self) -> str:
        return f"{self.offering_id} {self.unit} {self.amount_fen} from {self.effective_from:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------
# Holds and charges
# ---------------------------------------------------------------------------------------------


class HoldState(models.TextChoices):
    OPEN = "open", _("Open")
    SETTLED = "settled", _("Settled")


class Hold(TenantOwned):
    """Funds reserved for a job at launch. Charges draw on it; at the end the rest is released."""

    job = models.ForeignKey("jobs.Job", on_delete=models.PROTECT, related_name="holds")
    attempt = models.PositiveSmallIntegerField(default=1)
    amount_fen = models.BigIntegerField(_("held"))
    drawn_fen = models.BigIntegerField(_("drawn"), default=0)
    released_fen = models.BigIntegerField(_("released"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=HoldState.choices, default=HoldState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        constraints = [
            models.UniqueConstraint(fields=["job", "attempt"], name="billing_hold_once_per_attempt"),
            models.CheckConstraint(
                condition=Q(drawn_fen__gte=0) & Q(drawn_fen__lte=models.F("amount_fen")), name="billing_hold_drawn_le"
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} job {self.job_id}/{self.attempt}"

    @property
    def remaining_fen(self) -> int:
        return self.amount_fen - self.drawn_fen - self.released_fen


class Charge(TenantOwned):
    """The money side of one usage record (or of a per-run price): who paid what, to whom."""

    # Indexed for what reads charges (a job's page, a tenant's or a partner's period); rating writes
    # thousands a second, so nothing else is.
    # Only rating writes charges, from the rows it has just read or written in the same transaction
    # (the usage record, its job and pool, the price book, the ledger transaction), so the database
    # re-checks only the usage record: each foreign-key check is paid at commit for every charge.
    # Jobs, offerings, prices and ledger transactions are never deleted.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    usage = models.OneToOneField("jobs.UsageRecord", null=True, blank=True, on_delete=models.PROTECT)
    job = models.ForeignKey("jobs.Job", on_delete=models.DO_NOTHING, related_name="charges", db_constraint=False)
    offering = models.ForeignKey(
        "catalog.Offering", on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    partner = models.ForeignKey(
        "tenants.Tenant", on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    price = models.ForeignKey(
        PriceEntry, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    period_start = models.DateTimeField()
    card_seconds = models.PositiveBigIntegerField(default=0)
    amount_fen = models.BigIntegerField(_("amount"))
    fee_fen = models.BigIntegerField(_("platform fee"))
    voucher_fen = models.BigIntegerField(_("paid by vouchers"), default=0)
    hold_fen = models.BigIntegerField(_("paid from the hold"), default=0)
    wallet_fen = models.BigIntegerField(_("paid from the wallet"), default=0)
    unpaid_fen = models.BigIntegerField(_("not covered"), default=0)
    transaction = models.ForeignKey(
        Transaction, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        constraints = [
            models.UniqueConstraint(fields=["job"], condition=Q(usage__isnull=True), name="billing_run_charge_once"),
        ]
        indexes = [
            models.Index(fields=["tenant", "period_start"], name="billing_charge_tenant_time"),
            models.Index(fields=["partner", "period_start"], name="billing_charge_partner_time"),
        ]

    def __str__(self) -> str:
        return f"charge {self.pk}: {self.amount_fen} fen"
