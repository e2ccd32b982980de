"""Money coming in: Stripe Checkout top-ups, the Stripe webhook events that report them, and bank
transfers a company records and operator staff confirm.

Amounts are integer fen. A top-up or transfer is credited to the wallet by exactly one ledger
transaction; the CHECK constraints below tie "paid"/"confirmed" to that transaction, so the state
and the money can never disagree.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwned


class TopUpState(models.TextChoices):
    CREATED = "created", _("Waiting for payment")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class TopUp(TenantOwned):
    """A wallet top-up paid through a Stripe Checkout session (card, Alipay or WeChat Pay)."""

    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    currency = models.CharField(_("currency"), max_length=3, default="cny")
    stripe_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=TopUpState.choices, default=TopUpState.CREATED)
    failure_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transaction = models.OneToOneField(
        "billing.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payments_topup_amount_positive"),
            models.CheckConstraint(
                condition=Q(state=TopUpState.PAID, transaction__isnull=False)
                | (~Q(state=TopUpState.PAID) & Q(transaction__isnull=True)),
                name="payments_topup_paid_iff_credited",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="payments_topup_tenant_time")]

    def __str__(self) -> str:
        return f"top-up #{self.pk} {self.amount_fen} fen ({self.state})"

    @property
    def is_settled(self) -> bool:
        """Nothing more will happen to it on its own (the success page stops polling)."""
        return self.state != TopUpState.CREATED


class StripeEventState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class StripeEvent(models.Model):
    """One Stripe webhook event, stored once (unique event id) whatever the number of deliveries.

    Not tenant-owned: it arrives before we know whose it is, and only system code reads it."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=StripeEventState.choices, default=StripeEventState.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} ({self.state})"


class BankTransferState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


def receipt_path(instance: BankTransfer, filename: str) -> str:
    """Receipts live under a per-tenant folder with a random name; the original name is kept in
    `receipt_name` for the download."""
    suffix = PurePath(filename).suffix.lower()
    return f"payments/receipts/tenant-{instance.tenant_id}/{uuid.uuid4().hex}{suffix}"


class BankTransfer(TenantOwned):
    """A transfer to the platform's bank account that a company has recorded, with its receipt."""

    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    payer_account_name = models.CharField(_("payer account name"), max_length=200)
    bank_reference = models.CharField(_("bank reference"), max_length=100)
    transferred_on = models.DateField(_("transfer date"))
    receipt = models.FileField(_("receipt"), upload_to=receipt_path, max_length=255)
    receipt_name = models.CharField(max_length=255)
    state = models.CharField(
        _("state"), max_length=10, choices=BankTransferState.choices, default=BankTransferState.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    transaction = models.OneToOneField(
        "billing.Transaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank transfer")
        verbose_name_plural = _("bank transfers")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payments_bank_amount_positive"),
            models.CheckConstraint(
                condition=Q(state=BankTransferState.CONFIRMED, transaction__isnull=False)
                | (~Q(state=BankTransferState.CONFIRMED) & Q(transaction__isnull=True)),
                name="payments_bank_confirmed_iff_credited",
            ),
            models.CheckConstraint(
                condition=~Q(state=BankTransferState.REJECTED) | ~Q(note=""), name="payments_bank_reject_has_note"
            ),
            # The same transfer recorded twice could be confirmed twice; a rejected one may be re-sent.
            models.UniqueConstraint(
                fields=["tenant", "bank_reference"],
                condition=~Q(state=BankTransferState.REJECTED),
                name="payments_bank_reference_once",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="payments_bank_tenant_time"),
            models.Index(fields=["state", "created_at"], name="payments_bank_state_time"),
        ]

    def __str__(self) -> str:
        return f"bank transfer #{self.pk} {self.amount_fen} fen ({self.state})"
