"""Signed job events POSTed to a company's webhook URL.

Each delivery carries `Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
endpoint's secret (the scheme Stripe uses, so receivers can reuse their verification code), and
`Portal-Event-Id` so receivers can drop duplicates: a delivery is retried until it gets a 2xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request

from django.db import transaction
from django.utils import timezone

from jobs.models import JobEvent, WebhookDelivery, WebhookEndpoint

TIMEOUT_SECONDS = 5


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def enqueue(event: JobEvent) -> None:
    endpoint = WebhookEndpoint.unscoped.filter(tenant_id=event.tenant_id, is_active=True).first()
    if endpoint is None:
        return
    delivery = WebhookDelivery.unscoped.create(tenant_id=event.tenant_id, endpoint=endpoint, event=event)
    from jobs.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk, tenant_id=event.tenant_id))


def payload(event: JobEvent) -> dict:
    return {
        "id": f"evt_{event.pk}",
        "type": f"job.{event.to_state}",
        "created": int(event.at.timestamp()),
        "data": {
            "job": event.job_id,
            "attempt": event.attempt,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "reason": event.reason,
        },
    }


def deliver(delivery_id: int) -> bool:
    """POST one delivery; True when the receiver answered 2xx (or it was already delivered)."""
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    if delivery.delivered_at:
        return True
    body = json.dumps(payload(delivery.event)).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is validated as http(s) by URLField
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Portal-Signature": sign(delivery.endpoint.secret, body, int(time.time())),
            "Portal-Event-Id": f"evt_{delivery.event_id}",
        },
    )
    delivery.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            delivery.status_code = response.status
    except urllib.error.HTTPError as error:
        delivery.status_code = error.code
        delivery.last_error = str(error)[:300]
    except (urllib.error.URLError, OSError) as error:
        delivery.last_error = str(error)[:300]
    ok = delivery.status_code is not None and 200 <= delivery.status_code < 300
    if ok:
        delivery.delivered_at = timezone.now()
    delivery.save()
    return ok
