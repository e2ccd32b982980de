"""Stripe Checkout top-ups: open one, and apply what Stripe reports about its session.

Crediting happens exactly once per checkout session: the top-up row is locked while it is credited,
its state is checked under that lock, and the ledger posting's idempotency key is
`topup:<session id>`, so a webhook event, its replay and a reconciling sync can all arrive in any
order and the wallet still moves once.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from billing.models import AccountKind, TxnKind
from billing.services import ledger
from notifications.services import notify
from payments import stripe_gateway
from payments.models import TopUp, TopUpState
from payments.services.recipients import company_recipients
from payments.stripe_gateway import CheckoutSession, PaymentProviderError
from tenants.models import Membership

TOP_UP_MIN_FEN = 10_00
TOP_UP_MAX_FEN = 1_000_000_00
CURRENCY = "cny"


class PaymentEventError(Exception):
    """What Stripe reports cannot be applied (yet); the event is kept as failed and retried."""


class UnknownCheckoutSession(PaymentEventError):
    pass


class CheckoutMismatch(PaymentEventError):
    pass


def topup_amount_check(amount_fen: int) -> None:
    if not TOP_UP_MIN_FEN <= amount_fen <= TOP_UP_MAX_FEN:
        raise ValidationError(
            {
                "amount": _("Top up between ¥%(min)s and ¥%(max)s.")
                % {"min": ledger.format_fen(TOP_UP_MIN_FEN), "max": ledger.format_fen(TOP_UP_MAX_FEN)}
            }
        )


def topup_create(*, acting_membership: Membership, amount_fen: int, site_url: str) -> TopUp:
    """Record a top-up, then open its Stripe Checkout session and keep the session's id and URL.

    The Stripe call cannot wait for `on_commit`: the customer is sent to the URL it returns. So it
    runs between two short transactions, after the top-up row has committed, with an idempotency
    key derived from the top-up's id; the durable transactions refuse to run inside a caller's.
    `site_url` is the portal's origin the customer returns to."""
    topup = _topup_open(acting_membership=acting_membership, amount_fen=amount_fen)
    base = site_url.rstrip("/")
    try:
        session = stripe_gateway.checkout_session_create(
            topup_id=topup.pk,
            tenant_id=topup.tenant_id,
            amount_fen=topup.amount_fen,
            currency=topup.currency,
            product_name=str(_("Wallet top-up")),
            success_url=base + reverse("payments:topup-success", args=[topup.pk]),
            cancel_url=base + reverse("payments:topup-cancelled", args=[topup.pk]),
            customer_email=acting_membership.user.email,
        )
    except PaymentProviderError as exc:
        _topup_not_opened(topup_id=topup.pk, reason=str(exc))
        raise ValidationError(
            _("The payment service is not available right now. Nothing was charged; please try again later.")
        ) from exc
    return _topup_attach(topup_id=topup.pk, session=session)


@transaction.atomic(durable=True)
def _topup_open(*, acting_membership: Membership, amount_fen: int) -> TopUp:
    topup_amount_check(amount_fen)
    topup = TopUp.unscoped.create(
        tenant=acting_membership.tenant, amount_fen=amount_fen, currency=CURRENCY, created_by=acting_membership.user
    )
    audit_record(
        action="topup.create",
        tenant=topup.tenant,
        actor=acting_membership.user,
        obj=topup,
        after={"amount_fen": amount_fen, "currency": CURRENCY},
    )
    return topup


@transaction.atomic(durable=True)
def _topup_attach(*, topup_id: int, session: CheckoutSession) -> TopUp:
    topup = TopUp.unscoped.select_for_update().get(pk=topup_id)
    topup.stripe_session_id = session.id
    topup.checkout_url = session.url
    topup.save(update_fields=["stripe_session_id", "checkout_url", "updated_at"])
    return topup


@transaction.atomic(durable=True)
def _topup_not_opened(*, topup_id: int, reason: str) -> None:
    topup = TopUp.unscoped.select_for_update().get(pk=topup_id)
    topup.state = TopUpState.FAILED
    topup.failure_reason = str(_("The payment service could not open a checkout page."))
    topup.save(update_fields=["state", "failure_reason", "updated_at"])
    audit_record(action="topup.failed", tenant=topup.tenant, obj=topup, after={"error": reason[:500]})


# --- What Stripe reports (called inside the caller's transaction) --------------------------------


def topup_for_session(session: CheckoutSession) -> TopUp:
    """The top-up of a checkout session, locked. Its id is stored before the customer can reach
    the checkout page, so an unknown session means that write has not committed yet (or the
    event is not ours): fail, and Stripe's redelivery tries again."""
    topup = TopUp.unscoped.select_for_update().select_related("tenant").filter(stripe_session_id=session.id).first()
    if topup is None:
        raise UnknownCheckoutSession(f"no top-up for checkout session {session.id}")
    return topup


def topup_mark_paid(*, session: CheckoutSession) -> TopUp:
    """Credit the wallet for a paid session, once. A paid session wins over an earlier failure or
    expiry: the money has arrived."""
    topup = topup_for_session(session)
    if topup.state == TopUpState.PAID:
        return topup
    if session.amount_total != topup.amount_fen or session.currency != topup.currency:
        raise CheckoutMismatch(
            f"session {session.id} is for {session.amount_total} {session.currency}, "
            f"top-up #{topup.pk} for {topup.amount_fen} {topup.currency}"
        )
    posted = ledger.post(
        kind=TxnKind.TOP_UP,
        key=f"topup:{session.id}",
        legs=[
            (ledger.platform(AccountKind.PAYMENT_CLEARING), -topup.amount_fen),
            (ledger.wallet(topup.tenant), topup.amount_fen),
        ],
        tenant=topup.tenant,
        memo=f"Stripe top-up #{topup.pk} ({session.id})",
    )
    before = topup.state
    topup.state = TopUpState.PAID
    topup.transaction = posted.transaction
    topup.paid_at = timezone.now()
    topup.failure_reason = ""
    topup.save(update_fields=["state", "transaction", "paid_at", "failure_reason", "updated_at"])
    audit_record(
        action="topup.paid",
        tenant=topup.tenant,
        obj=topup,
        before={"state": before},
        after={"state": topup.state, "transaction": posted.transaction.pk, "session": session.id},
    )
    notify(
        recipients=company_recipients(topup.tenant, starter=topup.created_by),
        tenant=topup.tenant,
        title=format_lazy(_("¥{amount} was added to your wallet"), amount=ledger.format_fen(topup.amount_fen)),
        body=_("Your online payment has arrived."),
        url=reverse("payments:wallet"),
    )
    return topup


def topup_mark_unpaid(*, session: CheckoutSession) -> TopUp:
    """The customer finished checkout with a method that confirms later: wait for its outcome."""
    return topup_for_session(session)


def topup_close(*, session: CheckoutSession, state: str) -> TopUp:
    """The payment failed or the session expired. A paid top-up stays paid."""
    topup = topup_for_session(session)
    if topup.state != TopUpState.CREATED:
        return topup
    topup.state = state
    topup.failure_reason = str(
        _("The payment did not go through.") if state == TopUpState.FAILED else _("The checkout page expired.")
    )
    topup.save(update_fields=["state", "failure_reason", "updated_at"])
    audit_record(action=f"topup.{state}", tenant=topup.tenant, obj=topup, after={"session": session.id})
    if state == TopUpState.FAILED:
        notify(
            recipients=company_recipients(topup.tenant, starter=topup.created_by),
            tenant=topup.tenant,
            title=format_lazy(_("Your top-up of ¥{amount} failed"), amount=ledger.format_fen(topup.amount_fen)),
            body=_("Nothing was added to your wallet. You can try again or pay by bank transfer."),
            url=reverse("payments:wallet"),
        )
    return topup


# --- Reconciling with Stripe (for webhooks that never arrive) ------------------------------------


def topup_sync(*, topup: TopUp) -> TopUp:
    """Ask Stripe for the session's state and apply it, exactly as the webhook would."""
    if not topup.stripe_session_id or topup.state != TopUpState.CREATED:
        return topup
    session = stripe_gateway.checkout_session_retrieve(topup.stripe_session_id)
    return _apply_session(session=session)


@transaction.atomic(durable=True)
def _apply_session(*, session: CheckoutSession) -> TopUp:
    if session.payment_status == "paid":
        return topup_mark_paid(session=session)
    if session.status == "expired":
        return topup_close(session=session, state=TopUpState.EXPIRED)
    return topup_for_session(session)
