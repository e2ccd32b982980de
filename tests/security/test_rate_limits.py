"""Login and API rate limits, counted in the (Redis) cache. The suite's settings raise the API rates;
these tests put low ones back with `override_settings`."""

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def api_rates(client: str, anon: str):
    rates = {"api_client": client, "api_anon": anon}
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates})


def new_key(membership, name: str) -> str:
    with tenant_context(membership.tenant):
        _key, plaintext = api_key_create(name=name, role="developer", acting_membership=membership)
    return plaintext


def test_default_rates_come_from_the_environment_settings():
    from portal.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"api_client": "600/min", "api_anon": "60/min"}
    assert base.ACCOUNT_RATE_LIMITS == {"login_failed": "20/m/ip,5/15m/key"}


def test_an_api_key_over_its_rate_gets_429_with_retry_after_in_the_error_shape():
    owner = MembershipFactory(tenant=TenantFactory(), role="owner")
    key, other_key = new_key(owner, "ci"), new_key(owner, "nightly report")
    client = Client()
    me = reverse("api:me")
    with api_rates("3/min", "100/min"):
        statuses = [client.get(me, headers={"Authorization": f"Api-Key {key}"}).status_code for _ in range(3)]
        refused = client.get(me, headers={"Authorization": f"Api-Key {key}"})
        other = client.get(me, headers={"Authorization": f"Api-Key {other_key}"})

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["error"]["code"] == "throttled" and body["error"]["fields"] == {}
    assert body["error"]["message"].startswith("Request was throttled.")
    assert other.status_code == 200  # each key has its own budget


def test_a_browser_session_has_its_own_budget_and_the_refusal_is_in_the_callers_language(owner_client):
    me = reverse("api:me")
    with api_rates("2/min", "100/min"):
        assert [owner_client.get(me).status_code for _ in range(2)] == [200, 200]
        refused = owner_client.get(me, headers={"Accept-Language": "zh-hans"})

    assert refused.status_code == 429 and "Retry-After" in refused
    assert refused.json()["error"]["code"] == "throttled"
    assert refused.json()["error"]["message"].startswith("请求已被限流。")


def test_anonymous_callers_are_limited_per_ip():
    offerings = reverse("api:catalog-offering-list")
    with api_rates("100/min", "2/min"):
        first = Client(REMOTE_ADDR="198.51.100.7")
        assert [first.get(offerings).status_code for _ in range(2)] == [200, 200]
        refused = first.get(offerings)
        # X-Forwarded-For is not trusted without a proxy in front (TRUSTED_PROXY_COUNT=0).
        spoofed = first.get(offerings, headers={"X-Forwarded-For": "203.0.113.9"})
        other_ip = Client(REMOTE_ADDR="198.51.100.8").get(offerings)

    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"
    assert spoofed.status_code == 429
    assert other_ip.status_code == 200


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip,100/m/key"})
def test_the_fourth_failed_login_from_one_ip_is_refused_even_with_the_right_password(client):
    users = UserFactory.create_batch(4)
    login = reverse("account_login")
    for user in users[:3]:
        response = client.post(login, {"login": user.email, "password": "wrong"})
        assert response.status_code == 200 and "The email address and/or password you specified are not correct." in (
            response.content.decode()
        )

    response = client.post(login, {"login": users[3].email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts. Try again later." in response.content.decode()


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "100/m/ip,3/15m/key"})
def test_the_fourth_failed_login_on_one_account_locks_it_for_every_ip():
    user = UserFactory()
    login = reverse("account_login")
    for n in range(3):
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(login, {"login": user.email, "password": "wrong"})

    elsewhere = Client(REMOTE_ADDR="203.0.113.50")
    response = elsewhere.post(login, {"login": user.email, "password": PASSWORD})

    assert "_auth_user_id" not in elsewhere.session
    assert "Too many failed login attempts. Try again later." in response.content.decode()


@override_settings(ACCOUNT_RATE_LIMITS={"login": "2/m/ip"})
def test_too_many_login_attempts_get_the_sites_429_page(client):
    user = UserFactory()
    login = reverse("account_login")
    for _ in range(2):
        client.post(login, {"login": user.email, "password": "wrong"})

    response = client.post(login, {"login": user.email, "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "You have tried this too often in a short time." in response.content.decode()
