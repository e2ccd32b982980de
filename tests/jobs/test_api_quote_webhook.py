"""The jobs API's launch estimate (the launch page's pool picker) and webhook settings."""

import pytest
from django.urls import reverse

from jobs.models import WebhookEndpoint
from tenants.scoping import tenant_context
from tests.conftest import member_client
from tests.jobs.world import ONE_CARD_ESTIMATE_FEN, WALLET_FEN, build, use_own_job_files

QUOTE = "/api/v1/jobs/quote/"
WEBHOOK = "/api/v1/jobs/webhook/"
ROTATE = WEBHOOK  # POST: a new secret


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    use_own_job_files(settings, tmp_path)


@pytest.fixture
def world(db):
    return build()


def test_routes_are_named():
    assert reverse("api:job-quote") == QUOTE
    assert reverse("api:job-webhook") == WEBHOOK


def test_quote_lists_the_pools_and_prices_the_best_usable_one(world):
    body = member_client(world.developer).get(QUOTE, {"template": world.slug}).json()

    pools = {p["id"]: p for p in body["pools"]}
    assert pools[world.pool.pk]["usable"] and pools[world.pool.pk]["sizes"] == [1, 2, 4]
    bad = pools[world.bad_pool.pk]
    assert (bad["usable"], bad["reason"], bad["sizes"]) == (False, "Kernels missing on this chip", [])
    assert (body["pool"], body["cards"]) == (world.pool.pk, 1)
    estimate = body["estimate"]
    assert estimate["total_fen"] == estimate["compute_fen"] + estimate["run_fen"] == ONE_CARD_ESTIMATE_FEN
    assert estimate["to_pay_fen"] == estimate["total_fen"] - estimate["voucher_fen"]
    assert (body["balance_fen"], body["short_fen"]) == (WALLET_FEN, 0)


def test_quote_for_a_size(world):
    one = member_client(world.owner).get(QUOTE, {"template": world.slug, "pool": world.pool.pk, "cards": 1}).json()
    four = member_client(world.owner).get(QUOTE, {"template": world.slug, "pool": world.pool.pk, "cards": 4}).json()

    assert four["cards"] == 4
    assert four["estimate"]["compute_fen"] > one["estimate"]["compute_fen"]


def test_quote_of_an_unknown_template_is_404_and_viewers_may_not_quote(world):
    assert member_client(world.owner).get(QUOTE, {"template": "no-such-template"}).status_code == 404
    assert member_client(world.owner).get(QUOTE).status_code == 400
    assert member_client(world.viewer).get(QUOTE, {"template": world.slug}).status_code == 403


def test_webhook_set_read_rotate_clear(world):
    client = member_client(world.developer)
    assert client.get(WEBHOOK).json() == {"url": None, "is_active": False, "created_at": None, "secret": ""}

    made = client.put(WEBHOOK, {"url": "https://hooks.example.com/portal"}, content_type="application/json")

    assert made.status_code == 200
    with tenant_context(world.company):
        endpoint = WebhookEndpoint.objects.get()
    assert made.json()["secret"] == endpoint.secret and endpoint.secret.startswith("whsec_")
    read = client.get(WEBHOOK).json()
    assert (read["url"], read["is_active"], read["secret"]) == ("https://hooks.example.com/portal", True, "")
    changed = client.put(WEBHOOK, {"url": "https://hooks.example.com/b"}, content_type="application/json").json()
    assert (changed["url"], changed["secret"]) == ("https://hooks.example.com/b", "")

    rotated = client.post(ROTATE).json()
    with tenant_context(world.company):
        endpoint.refresh_from_db()
    assert rotated["secret"] == endpoint.secret != made.json()["secret"]

    assert client.delete(WEBHOOK).status_code == 204
    assert client.get(WEBHOOK).json()["url"] is None
    with tenant_context(world.company):
        assert not WebhookEndpoint.objects.get().is_active


def test_webhook_rejects_a_bad_url_viewers_and_other_companies(world):
    response = member_client(world.owner).put(WEBHOOK, {"url": "not a url"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"url": ["Enter a valid URL."]}
    assert member_client(world.viewer).get(WEBHOOK).status_code == 403
    assert member_client(world.owner).post(ROTATE).status_code == 404
    assert member_client(world.owner).delete(WEBHOOK).status_code == 404

    member_client(world.owner).put(WEBHOOK, {"url": "https://hooks.example.com/a"}, content_type="application/json")
    other = member_client(world.other_owner)
    assert other.get(WEBHOOK).json()["url"] is None
    assert other.post(ROTATE).status_code == 404
    with tenant_context(world.company):
        assert WebhookEndpoint.objects.get().is_active
