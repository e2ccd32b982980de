"""Top-ups through the wallet page: the real `stripe` library talks HTTP to the stand-in."""

import time
import urllib.request

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from billing.models import Transaction
from payments.models import StripeEvent, StripeEventState, TopUp, TopUpState
from payments.services.topups import topup_sync
from payments.tasks import sync_overdue_topups
from payments.views import TOP_UP_PERM
from tenants.roles import GRANTS, ROLES_BY_KIND, Role, TenantKind
from tests.conftest import member_client
from tests.payments.conftest import balance, click, deliver, open_topup, paid_event

pytestmark = pytest.mark.django_db

UNPERMITTED_ROLES = [r for r in ROLES_BY_KIND[TenantKind.COMPANY] if r not in GRANTS[TOP_UP_PERM]]


def test_the_wallet_page_shows_balance_form_and_history(owner, owner_client, standin):
    open_topup(owner, 12_345)

    response = owner_client.get(reverse("payments:wallet"))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="wallet-balance">¥0.00<' in body
    assert 'id="topup-form"' in body
    assert "¥123.45" in body and "Waiting for payment" in body
    assert "Alipay" in body and "WeChat Pay" in body


def test_topping_up_opens_a_checkout_session_with_our_amount_and_sends_the_browser_there(owner, owner_client, standin):
    response = owner_client.post(reverse("payments:wallet"), {"amount": "1234.56"})

    topup = TopUp.unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == topup.checkout_url
    [session] = standin.state.sessions.values()
    assert topup.stripe_session_id == session["id"]
    assert topup.checkout_url == f"{standin.url}/pay/{session['id']}"
    assert (topup.amount_fen, topup.currency, topup.state) == (123_456, "cny", TopUpState.CREATED)
    assert topup.tenant_id == owner.tenant_id and topup.created_by == owner.user
    assert (session["amount_total"], session["currency"], session["mode"]) == (123_456, "cny", "payment")
    assert session["metadata"] == {"topup_id": str(topup.pk), "tenant_id": str(owner.tenant_id)}
    assert session["client_reference_id"] == str(topup.pk)
    assert session["payment_method_types"] == ["card", "alipay", "wechat_pay"]
    assert session["payment_method_options"] == {"wechat_pay": {"client": "web"}}
    assert session["customer_email"] == owner.user.email
    assert session["success_url"] == f"http://testserver/payments/top-ups/{topup.pk}/success/"
    assert session["cancel_url"] == f"http://testserver/payments/top-ups/{topup.pk}/cancelled/"
    assert AuditEntry.unscoped.filter(action="topup.create", object_id=str(topup.pk)).count() == 1


def test_with_htmx_the_browser_is_redirected_by_header(owner_client, standin):
    response = owner_client.post(reverse("payments:wallet"), {"amount": "100"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == TopUp.unscoped.get().checkout_url


def test_only_card_when_other_methods_are_not_enabled(owner, standin, settings):
    settings.STRIPE_PAYMENT_METHODS = ["card"]

    open_topup(owner)

    [session] = standin.state.sessions.values()
    assert session["payment_method_types"] == ["card"]
    assert session["payment_method_options"] == {}


def test_a_retried_create_reuses_the_session_through_the_idempotency_key(owner, standin):
    from payments import stripe_gateway

    topup = open_topup(owner, 5_000)
    again = stripe_gateway.checkout_session_create(
        topup_id=topup.pk,
        tenant_id=owner.tenant_id,
        amount_fen=5_000,
        currency="cny",
        product_name="x",
        success_url="http://a/",
        cancel_url="http://b/",
    )
    assert again.id == topup.stripe_session_id
    assert len(standin.state.sessions) == 1


@pytest.mark.parametrize(
    "amount,message",
    [
        ("9.99", "Ensure this value is greater than or equal to 10"),
        ("1000000.01", "Ensure this value is less than or equal to 1000000"),
        ("abc", "Enter a number."),
        ("", "This field is required."),
        ("10.001", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_amounts_outside_the_limits_are_refused_and_nothing_is_opened(amount, message, owner_client, standin):
    response = owner_client.post(reverse("payments:wallet"), {"amount": amount}, headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'id="topup-card"' in response.content.decode()
    assert not TopUp.unscoped.exists()
    assert standin.state.sessions == {}


def test_the_limits_themselves_are_accepted(owner_client, standin):
    assert owner_client.post(reverse("payments:wallet"), {"amount": "10"}).status_code == 302
    assert owner_client.post(reverse("payments:wallet"), {"amount": "1000000"}).status_code == 302
    assert sorted(TopUp.unscoped.values_list("amount_fen", flat=True)) == [1_000, 100_000_000]


def test_when_stripe_is_unreachable_the_customer_is_told_and_the_top_up_is_failed(owner_client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    response = owner_client.post(reverse("payments:wallet"), {"amount": "100"})

    assert response.status_code == 400
    assert "The payment service is not available right now" in response.content.decode()
    topup = TopUp.unscoped.get()
    assert (topup.state, topup.stripe_session_id) == (TopUpState.FAILED, None)
    assert not Transaction.objects.exists()


def test_the_success_page_polls_until_the_top_up_is_paid(owner, owner_client, standin):
    topup = open_topup(owner, 8_800)
    url = reverse("payments:topup-success", args=[topup.pk])

    page = owner_client.get(url).content.decode()
    assert "your balance updates in a moment" in page
    assert 'hx-trigger="every 2s"' in page

    fragment = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="topup-status"')
    assert 'hx-trigger="every 2s"' in fragment and 'data-state="created"' in fragment

    deliver(paid_event(standin, topup))

    fragment = owner_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-state="paid"' in fragment
    assert "hx-trigger" not in fragment  # settled: polling stops
    assert "¥88.00 was added to your wallet." in fragment


def test_the_cancel_page_offers_to_return_to_payment(owner, owner_client, standin):
    topup = open_topup(owner, 8_800)

    body = owner_client.get(reverse("payments:topup-cancelled", args=[topup.pk])).content.decode()

    assert "nothing was charged" in body
    assert topup.checkout_url in body


def test_another_company_cannot_see_a_top_up(owner, other_owner, standin):
    topup = open_topup(owner)
    client = member_client(other_owner)

    assert client.get(reverse("payments:topup-success", args=[topup.pk])).status_code == 404
    assert client.get(reverse("payments:topup-cancelled", args=[topup.pk])).status_code == 404
    assert "Waiting for payment" not in client.get(reverse("payments:wallet")).content.decode()


@pytest.mark.parametrize("role", UNPERMITTED_ROLES)
def test_company_roles_without_the_permission_get_403(role, company, make_member, standin):
    client = member_client(make_member(company, role))

    assert client.get(reverse("payments:wallet")).status_code == 403
    assert client.post(reverse("payments:wallet"), {"amount": "100"}).status_code == 403
    assert client.get(reverse("payments:bank-transfer-create")).status_code == 403
    assert not TopUp.unscoped.exists()


def test_partners_have_no_wallet_page(db):
    from tests.factories import MembershipFactory, TenantFactory

    partner = MembershipFactory(tenant=TenantFactory(kind=TenantKind.PARTNER), role=Role.OWNER)
    assert member_client(partner).get(reverse("payments:wallet")).status_code == 403


# --- Reconciling when the webhook never comes --------------------------------------------------


def test_sync_credits_a_paid_session_whose_webhook_was_lost_and_the_late_webhook_changes_nothing(owner, standin):
    topup = open_topup(owner, 7_000)
    click(topup.checkout_url)  # the stand-in's webhook URL leads nowhere

    topup = topup_sync(topup=topup)

    assert topup.state == TopUpState.PAID
    assert balance(owner) == 7_000
    deliver(paid_event(standin, topup))
    assert balance(owner) == 7_000
    assert StripeEvent.objects.get().state == StripeEventState.DONE


def test_sync_leaves_an_open_session_open(owner, standin):
    topup = open_topup(owner, 7_000)

    assert topup_sync(topup=topup).state == TopUpState.CREATED
    assert balance(owner) == 0


def test_the_periodic_task_queues_only_overdue_open_top_ups(owner, standin, settings):
    from datetime import timedelta

    from django.utils import timezone

    fresh = open_topup(owner)
    overdue = open_topup(owner)
    ancient = open_topup(owner)
    TopUp.unscoped.filter(pk=overdue.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    TopUp.unscoped.filter(pk=ancient.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert fresh.pk

    from payments.selectors import topups_to_sync
    from payments.tasks import SYNC_AFTER, SYNC_WITHIN

    assert list(topups_to_sync(waited=SYNC_AFTER, within=SYNC_WITHIN)) == [overdue]
    assert sync_overdue_topups.run() == 1


# --- End to end: the stand-in's hosted page posts the webhook to a live server -----------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_paying_on_the_hosted_page_credits_through_the_real_webhook(live_server, standin, settings):
    from tests.factories import MembershipFactory, TenantFactory

    owner = MembershipFactory(tenant=TenantFactory(), role=Role.OWNER)
    standin.state.webhook_url = live_server.url + reverse("payments:stripe-webhook")
    client = member_client(owner)
    response = client.post(reverse("payments:wallet"), {"amount": "250"})
    topup = TopUp.unscoped.get()
    assert response["Location"] == topup.checkout_url

    with urllib.request.urlopen(topup.checkout_url, timeout=10) as page:  # the hosted page renders
        assert b"250.00 CNY" in page.read()
    location = click(topup.checkout_url)

    assert location == f"http://testserver/payments/top-ups/{topup.pk}/success/"
    deadline = time.monotonic() + 20
    while TopUp.unscoped.get(pk=topup.pk).state != TopUpState.PAID and time.monotonic() < deadline:
        time.sleep(0.1)
    assert TopUp.unscoped.get(pk=topup.pk).state == TopUpState.PAID
    assert balance(owner) == 25_000
    # The stand-in notes the delivery once our answer reaches it, just after the credit commits.
    while not standin.state.deliveries and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [status for _event, status in standin.state.deliveries] == [200]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_failing_on_the_hosted_page_fails_the_top_up(live_server, standin):
    from tests.factories import MembershipFactory, TenantFactory

    owner = MembershipFactory(tenant=TenantFactory(), role=Role.OWNER)
    standin.state.webhook_url = live_server.url + reverse("payments:stripe-webhook")
    member_client(owner).post(reverse("payments:wallet"), {"amount": "250"})
    topup = TopUp.unscoped.get()

    location = click(topup.checkout_url, "fail")

    assert location.endswith(f"/payments/top-ups/{topup.pk}/cancelled/")
    deadline = time.monotonic() + 20
    while TopUp.unscoped.get(pk=topup.pk).state != TopUpState.FAILED and time.monotonic() < deadline:
        time.sleep(0.1)
    assert TopUp.unscoped.get(pk=topup.pk).state == TopUpState.FAILED
    assert balance(owner) == 0
