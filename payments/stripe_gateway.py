"""The one module that talks to Stripe, through the official `stripe` library.

Settings: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE (tests and `make demo` point it
at `payments.stripe_standin`), STRIPE_PAYMENT_METHODS ("card", "alipay", "wechat_pay").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

DEFAULT_API_BASE = "https://api.stripe.com"
# WeChat Pay in Checkout needs to know where the QR code is shown.
METHOD_OPTIONS: dict[str, dict[str, str]] = {"wechat_pay": {"client": "web"}}


class PaymentProviderError(Exception):
    """Stripe could not be reached or refused the request."""


class InvalidWebhook(Exception):
    """The body is not a Stripe event signed with our webhook secret."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    status: str
    payment_status: str
    amount_total: int
    currency: str
    metadata: dict[str, str]

    @classmethod
    def from_stripe(cls, obj: dict[str, Any]) -> CheckoutSession:
        """From a session as JSON (a webhook event's `data.object` or an API response's dict)."""
        return cls(
            id=obj["id"],
            url=obj.get("url") or "",
            status=obj.get("status") or "",
            payment_status=obj.get("payment_status") or "",
            amount_total=int(obj.get("amount_total") or 0),
            currency=obj.get("currency") or "",
            metadata=dict(obj.get("metadata") or {}),
        )


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": getattr(settings, "STRIPE_API_BASE", DEFAULT_API_BASE)},
        max_network_retries=2,
    )


def payment_methods() -> list[str]:
    return list(getattr(settings, "STRIPE_PAYMENT_METHODS", ["card"]))


def checkout_session_create(
    *,
    topup_id: int,
    tenant_id: int,
    amount_fen: int,
    currency: str,
    product_name: str,
    success_url: str,
    cancel_url: str,
    customer_email: str = "",
) -> CheckoutSession:
    """A one-off Checkout payment for a top-up. The idempotency key derives from our top-up id, so
    a retried call never opens a second session for the same top-up."""
    methods = payment_methods()
    params: dict[str, Any] = {
        "mode": "payment",
        "payment_method_types": methods,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {"currency": currency, "unit_amount": amount_fen, "product_data": {"name": product_name}},
            }
        ],
        "client_reference_id": str(topup_id),
        "metadata": {"topup_id": str(topup_id), "tenant_id": str(tenant_id)},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    options = {m: METHOD_OPTIONS[m] for m in methods if m in METHOD_OPTIONS}
    if options:
        params["payment_method_options"] = options
    if customer_email:
        params["customer_email"] = customer_email
    try:
        session = _client().v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"topup-{topup_id}-checkout"},
        )
    except stripe.StripeError as exc:
        raise PaymentProviderError(str(exc)) from exc
    return CheckoutSession.from_stripe(session.to_dict())


def checkout_session_retrieve(session_id: str) -> CheckoutSession:
    try:
        return CheckoutSession.from_stripe(_client().v1.checkout.sessions.retrieve(session_id).to_dict())
    except stripe.StripeError as exc:
        raise PaymentProviderError(str(exc)) from exc


def webhook_event_verify(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event in `payload` after checking its `Stripe-Signature` on the raw bytes (HMAC with
    STRIPE_WEBHOOK_SECRET, timestamp within Stripe's tolerance)."""
    try:
        stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidWebhook(str(exc)) from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise InvalidWebhook("not a Stripe event")
    return event
