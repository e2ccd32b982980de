"""The Stripe stand-in itself: Stripe's wire format, its signatures, and the command `make demo` runs."""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import stripe

from payments import stripe_gateway
from payments.stripe_gateway import PaymentProviderError
from payments.stripe_standin import sign, unflatten
from tests.payments.conftest import click

ROOT = Path(__file__).resolve().parents[2]


def test_unflatten_reads_stripes_bracketed_form_keys():
    pairs = [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "cny"),
        ("line_items[0][price_data][unit_amount]", "1000"),
        ("line_items[1][quantity]", "2"),
        ("payment_method_types[0]", "card"),
        ("payment_method_types[1]", "alipay"),
        ("metadata[topup_id]", "7"),
    ]

    assert unflatten(pairs) == {
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "cny", "unit_amount": "1000"}}, {"quantity": "2"}],
        "payment_method_types": ["card", "alipay"],
        "metadata": {"topup_id": "7"},
    }


def test_its_signatures_are_the_ones_the_stripe_library_verifies():
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "x", "data": {"object": {}}}).encode()

    event = stripe.Webhook.construct_event(payload, sign(payload, "whsec_abc"), "whsec_abc")

    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign(payload, "whsec_other"), "whsec_abc")


def test_it_refuses_what_stripe_refuses(standin):
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin.url})

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(
            params={"mode": "payment", "payment_method_types": ["wechat_pay"], "success_url": "a", "cancel_url": "b"}
        )
    assert "payment_method_options[wechat_pay][client]" in str(exc.value)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.retrieve("cs_test_missing")
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("pk_wrong", base_addresses={"api": standin.url}).v1.checkout.sessions.retrieve("cs_x")


def test_stripe_errors_reach_the_portal_as_provider_errors(standin, settings):
    settings.STRIPE_SECRET_KEY = "not-a-secret-key"

    with pytest.raises(PaymentProviderError):
        stripe_gateway.checkout_session_retrieve("cs_test_x")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["Stripe-Signature"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_the_command_line_server_creates_sessions_and_posts_signed_webhooks():
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = _free_port()
    webhook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "payments.stripe_standin",
            "--port",
            str(port),
            "--webhook-url",
            webhook,
            "--secret",
            "whsec_cli",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "Stripe stand-in on" in proc.stdout.readline()
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": f"http://127.0.0.1:{port}"})
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {"currency": "cny", "unit_amount": 1500, "product_data": {"name": "x"}},
                    }
                ],
                "success_url": "http://portal/ok?s={CHECKOUT_SESSION_ID}",
                "cancel_url": "http://portal/no",
            }
        )
        assert (session.amount_total, session.currency, session.status) == (1500, "cny", "open")

        assert click(session.url) == f"http://portal/ok?s={session.id}"

        deadline = time.monotonic() + 10
        while not _Receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
        header, body = _Receiver.received[0]
        event = stripe.Webhook.construct_event(body, header, "whsec_cli")
        assert event.type == "checkout.session.completed"
        assert event.data.object.payment_status == "paid"
        assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        receiver.shutdown()
