"""Fixtures for payments: a Stripe stand-in server per test, companies, operator staff, and helpers
to deliver signed webhook events the way Stripe does."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

from billing.services import ledger
from payments.models import TopUp
from payments.services.topups import topup_create
from payments.stripe_standin import StandinServer, StandinState, event_for, sign
from tenants.roles import Role, TenantKind
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory, UserFactory

SITE = "http://testserver/"
BANK_ACCOUNT = {
    "account_name": "AI Factory Platform Co., Ltd.",
    "bank_name": "Bank of China, Chengdu Branch",
    "account_number": "1234 5678 9012 3456",
    "swift": "BKCHCNBJ570",
}


@pytest.fixture(autouse=True)
def _payments_settings(settings):
    """The tests' own Stripe keys and bank account, whatever the settings module says."""
    settings.STRIPE_SECRET_KEY = "sk_test_standin"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_standin_secret"
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: only `standin` makes Stripe reachable
    settings.STRIPE_PAYMENT_METHODS = ["card", "alipay", "wechat_pay"]
    settings.PAYMENTS_BANK_ACCOUNT = BANK_ACCOUNT


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def standin(settings, _payments_settings):
    """A stand-in Stripe on a free port; the `stripe` library is pointed at it."""
    state = StandinState(webhook_url="http://127.0.0.1:9/nowhere", secret=settings.STRIPE_WEBHOOK_SECRET)
    server = StandinServer("127.0.0.1", 0, state).start()
    settings.STRIPE_API_BASE = server.url
    yield server
    server.stop()


@pytest.fixture
def operator(db):
    return MembershipFactory(
        tenant=TenantFactory(kind=TenantKind.OPERATOR), role=Role.STAFF, user=UserFactory(mfa=True)
    )


@pytest.fixture
def operator_client(operator):
    return member_client(operator)


@pytest.fixture
def other_owner(db):
    return MembershipFactory(tenant=TenantFactory(kind=TenantKind.COMPANY), role=Role.OWNER)


def open_topup(membership, amount_fen: int = 50_000) -> TopUp:
    return topup_create(acting_membership=membership, amount_fen=amount_fen, site_url=SITE)


def session_of(standin: StandinServer, topup: TopUp) -> dict:
    return standin.state.sessions[topup.stripe_session_id]


def deliver(event: dict, *, secret: str | None = None, payload: bytes | None = None, signature: str | None = None):
    """POST an event to the webhook as Stripe would: raw JSON body, `Stripe-Signature` header."""
    from django.conf import settings

    body = payload if payload is not None else json.dumps(event).encode()
    header = signature if signature is not None else sign(body, secret or settings.STRIPE_WEBHOOK_SECRET)
    headers = {"Stripe-Signature": header} if header else {}
    return Client().post(
        reverse("payments:stripe-webhook"), data=body, content_type="application/json", headers=headers
    )


def paid_event(standin, topup, event_type: str = "checkout.session.completed") -> dict:
    return event_for(session_of(standin, topup), event_type, status="complete", payment_status="paid")


def unpaid_event(standin, topup, event_type: str = "checkout.session.completed") -> dict:
    return event_for(session_of(standin, topup), event_type, status="complete", payment_status="unpaid")


def balance(membership) -> int:
    return ledger.balance(membership.tenant)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def click(checkout_url: str, action: str = "pay") -> str:
    """Press a button on the stand-in's hosted checkout page; return where the browser is sent."""
    data = urllib.parse.urlencode({"action": action}).encode()
    try:
        urllib.request.build_opener(_NoRedirect).open(checkout_url, data=data, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.code
        return exc.headers["Location"]
    raise AssertionError("the checkout page did not redirect")
