"""A small local stand-in for the parts of Stripe the portal uses, for tests and `make demo`.

It speaks Stripe's wire format: form-encoded requests with bracketed keys, Stripe-shaped JSON and
errors, `Idempotency-Key` replays. Endpoints:

    POST /v1/checkout/sessions           create a Checkout session
    GET  /v1/checkout/sessions/<id>      retrieve one
    GET  /pay/<id>                       a fake hosted checkout page with Pay / Fail buttons
    POST /pay/<id>                       the buttons: the session is settled, the browser goes to
                                         success_url (or cancel_url) and a webhook event signed
                                         like Stripe's (`t=…,v1=HMAC-SHA256`) is POSTed to the
                                         webhook URL, retried a few times while it answers non-2xx

Run it:  python -m payments.stripe_standin --port 12111 \\
             --webhook-url http://127.0.0.1:8000/payments/stripe/webhook/ --secret whsec_...

Standard library only, so it runs without Django.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

API_VERSION = "2025-09-30.clover"
KNOWN_METHODS = {"card", "alipay", "wechat_pay"}
DELIVERY_DELAYS = (0, 1, 2, 4, 8)  # seconds before each webhook attempt
SESSION_PATH = re.compile(r"^/v1/checkout/sessions/([A-Za-z0-9_]+)$")
PAY_PATH = re.compile(r"^/pay/([A-Za-z0-9_]+)$")
KEY_PART = re.compile(r"\[([^\[\]]*)\]")


class StripeRequestError(Exception):
    def __init__(self, message: str, *, param: str = "", status: int = 400, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.message, self.param, self.status, self.kind = message, param, status, kind

    def body(self) -> dict[str, Any]:
        error = {"type": self.kind, "message": self.message}
        if self.param:
            error["param"] = self.param
        return {"error": error}


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header value for `payload`, exactly as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding back into objects: `a[b][0][c]=x` → {"a": {"b": [{"c": "x"}]}}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        path = [head, *KEY_PART.findall(key[len(head) :])]
        node = root
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def _int(value: Any, param: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise StripeRequestError(f"Invalid integer: {value}", param=param) from None
    if number <= 0:
        raise StripeRequestError("This value must be greater than 0.", param=param)
    return number


def new_session(params: dict[str, Any], *, public_url: str) -> dict[str, Any]:
    """A Checkout session object from create parameters, refusing what Stripe would refuse."""
    if params.get("mode") != "payment":
        raise StripeRequestError("Only mode=payment is supported here.", param="mode")
    for name in ("success_url", "cancel_url"):
        if not params.get(name):
            raise StripeRequestError(f"Missing required param: {name}.", param=name)
    methods = params.get("payment_method_types") or ["card"]
    unknown = set(methods) - KNOWN_METHODS
    if unknown:
        raise StripeRequestError(f"Invalid payment_method_types: {sorted(unknown)}", param="payment_method_types")
    options = params.get("payment_method_options") or {}
    if "wechat_pay" in methods and options.get("wechat_pay", {}).get("client") not in ("web", "ios", "android"):
        raise StripeRequestError(
            "payment_method_options[wechat_pay][client] is required.",
            param="payment_method_options[wechat_pay][client]",
        )
    items = params.get("line_items") or []
    if not items:
        raise StripeRequestError("Missing required param: line_items.", param="line_items")
    total, currencies = 0, set()
    for i, item in enumerate(items):
        price = item.get("price_data") or {}
        currencies.add(price.get("currency"))
        total += _int(price.get("unit_amount"), f"line_items[{i}][price_data][unit_amount]") * _int(
            item.get("quantity", 1), f"line_items[{i}][quantity]"
        )
    if len(currencies) != 1 or None in currencies:
        raise StripeRequestError("All line items need one currency.", param="line_items")
    session_id = f"cs_test_{secrets.token_hex(12)}"
    now = int(time.time())
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": total,
        "amount_total": total,
        "cancel_url": params["cancel_url"],
        "client_reference_id": params.get("client_reference_id"),
        "created": now,
        "currency": currencies.pop(),
        "customer_email": params.get("customer_email"),
        "expires_at": now + 24 * 3600,
        "livemode": False,
        "metadata": params.get("metadata") or {},
        "mode": "payment",
        "payment_intent": None,
        "payment_method_options": options,
        "payment_method_types": methods,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": params["success_url"],
        "url": f"{public_url}/pay/{session_id}",
    }


def event_for(session: dict[str, Any], event_type: str, **changes: Any) -> dict[str, Any]:
    """A webhook event carrying a snapshot of the session (with `changes` applied)."""
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": {**session, **changes}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


@dataclass
class StandinState:
    webhook_url: str
    secret: str
    public_url: str = ""
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    replays: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (event id, HTTP status) per attempt
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create_session(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        with self.lock:
            if idempotency_key and idempotency_key in self.replays:
                return self.replays[idempotency_key]
            session = new_session(params, public_url=self.public_url)
            self.sessions[session["id"]] = session
            if idempotency_key:
                self.replays[idempotency_key] = session
            return session

    def settle(self, session_id: str, paid: bool) -> list[dict[str, Any]]:
        """Complete the session as the customer's click decides; the events Stripe would send."""
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                return []
            session.update(status="complete", payment_status="paid" if paid else "unpaid")
            snapshot = dict(session)
        if paid:
            return [event_for(snapshot, "checkout.session.completed")]
        # A payment that fails after checkout completes, as with methods that confirm later.
        return [
            event_for(snapshot, "checkout.session.completed"),
            event_for(snapshot, "checkout.session.async_payment_failed"),
        ]

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """POST the events in order, each retried with back-off while the receiver answers non-2xx."""
        for event in events:
            for delay in DELIVERY_DELAYS:
                time.sleep(delay)
                status = post_event(self.webhook_url, event, self.secret)
                with self.lock:
                    self.deliveries.append((event["id"], status))
                if 200 <= status < 300:
                    break


def post_event(url: str, event: dict[str, Any], secret: str) -> int:
    """Send one signed event; the receiver's HTTP status (0 when it could not be reached)."""
    payload = json.dumps(event).encode()
    request = urllib.request.Request(  # noqa: S310 (the webhook URL is the operator's own setting)
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(payload, secret)},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (as above)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Stripe stand-in checkout</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:4rem auto}}button{{font-size:1.1rem;margin-right:.5rem}}</style>
</head><body><h1>Test checkout</h1><p>Amount: <strong>{amount}</strong></p><p>Methods: {methods}</p>
<form method="post"><button name="action" value="pay">Pay</button><button name="action" value="fail">Fail</button></form>
<p><small>Stripe stand-in: no real money moves.</small></p></body></html>"""


class Handler(BaseHTTPRequestHandler):
    server: StandinServer

    @property
    def state(self) -> StandinState:
        return self.server.state

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{secrets.token_hex(8)}")
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        return unflatten(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))

    def _authorised(self) -> bool:
        if self.headers.get("Authorization", "").startswith("Bearer sk_"):
            return True
        self._json(401, StripeRequestError("You did not provide an API key.", status=401).body())
        return False

    def do_GET(self) -> None:
        if match := SESSION_PATH.match(self.path):
            if self._authorised():
                self._session(match.group(1))
        elif match := PAY_PATH.match(self.path):
            self._page(match.group(1))
        else:
            self._json(404, StripeRequestError(f"Unrecognized request URL (GET: {self.path}).", status=404).body())

    def do_POST(self) -> None:
        if self.path == "/v1/checkout/sessions":
            if self._authorised():
                self._create()
        elif match := PAY_PATH.match(self.path):
            self._pay(match.group(1))
        else:
            self._json(404, StripeRequestError(f"Unrecognized request URL (POST: {self.path}).", status=404).body())

    def _create(self) -> None:
        try:
            session = self.state.create_session(self._form(), self.headers.get("Idempotency-Key"))
        except StripeRequestError as exc:
            self._json(exc.status, exc.body())
        else:
            self._json(200, session)

    def _session(self, session_id: str) -> None:
        session = self.state.sessions.get(session_id)
        if session is None:
            error = StripeRequestError(f"No such checkout.session: '{session_id}'", param="session", status=404)
            self._json(404, error.body())
        else:
            self._json(200, session)

    def _page(self, session_id: str) -> None:
        session = self.state.sessions.get(session_id)
        if session is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        amount = f"{session['amount_total'] / 100:,.2f} {session['currency'].upper()}"
        body = PAGE.format(
            amount=html.escape(amount), methods=html.escape(", ".join(session["payment_method_types"]))
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _pay(self, session_id: str) -> None:
        session = self.state.sessions.get(session_id)
        if session is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        paid = self._form().get("action") == "pay"
        events = self.state.settle(session_id, paid)
        threading.Thread(target=self.state.deliver, args=(events,), daemon=True).start()
        target = session["success_url"] if paid else session["cancel_url"]
        self.send_response(303)
        self.send_header("Location", target.replace("{CHECKOUT_SESSION_ID}", session_id))
        self.send_header("Content-Length", "0")
        self.end_headers()


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, state: StandinState, *, verbose: bool = False):
        super().__init__((host, port), Handler)
        self.state = state
        self.verbose = verbose
        if not state.public_url:
            state.public_url = f"http://{host}:{self.server_address[1]}"

    @property
    def url(self) -> str:
        return self.state.public_url

    def start(self) -> StandinServer:
        """Serve in a background thread (tests)."""
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", required=True, help="where to POST signed events")
    parser.add_argument("--secret", required=True, help="the webhook signing secret (whsec_…)")
    parser.add_argument("--public-url", default="", help="base URL browsers use to reach this server")
    args = parser.parse_args(argv)
    state = StandinState(webhook_url=args.webhook_url, secret=args.secret, public_url=args.public_url.rstrip("/"))
    server = StandinServer(args.host, args.port, state, verbose=True)
    print(f"Stripe stand-in on {server.url} → webhooks to {args.webhook_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
