"""Quota API: a company's limits and requests, operators' decisions and pools, the error shape, who
may call what, and a warning-free schema."""

import pytest
from django.test import Client
from django.urls import reverse

from compute.models import QuotaOverride, QuotaRequest, RequestState
from notifications.models import Notification
from tenants.roles import Role
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.compute import world as compute_world
from tests.conftest import member_client
from tests.factories import MembershipFactory

JSON = "application/json"


@pytest.fixture
def w(db):
    return compute_world.build()


def post(client, name, data=None, **kwargs):
    return client.post(reverse(name, **kwargs), data or {}, content_type=JSON)


def test_quotas_list_the_companys_limits_and_usage(w):
    response = member_client(w.viewer).get(reverse("api:compute-quota-list"))

    assert response.status_code == 200
    assert response.json() == [
        {
            "chip": "ascend-910b",
            "chip_name": "Huawei Ascend 910B",
            "source": "default",
            "limits": {"concurrent_cards": 16, "card_hours_month": 500, "concurrent_jobs": 6},
            "usage": {"cards": 3, "jobs": 2, "card_hours_month": 12.5},
        },
        {
            "chip": "a100-80g",
            "chip_name": "NVIDIA A100 80GB",
            "source": "built_in",
            "limits": {"concurrent_cards": 8, "card_hours_month": 200, "concurrent_jobs": 4},
            "usage": {"cards": 0, "jobs": 0, "card_hours_month": 0.0},
        },
    ]
    every = member_client(w.viewer).get(reverse("api:compute-quota-list"), {"chips": "all"}).json()
    assert [q["chip"] for q in every] == ["ascend-910b", "a100-80g", "h800"]
    assert every[2]["usage"]["cards"] == 0  # Beta's H800 job is Beta's


def test_company_creates_and_lists_its_requests(w):
    client = member_client(w.developer)
    body = {"chip": "ascend-910b", "concurrent_cards": 32, "card_hours_month": 500, "concurrent_jobs": 6}
    response = post(client, "api:quota-request-list", body | {"reason": "Retraining"})

    assert response.status_code == 201
    created = response.json()
    assert {k: created[k] for k in ("chip", "concurrent_cards", "state", "granted_cards")} == {
        "chip": "ascend-910b",
        "concurrent_cards": 32,
        "state": "pending",
        "granted_cards": None,
    }
    assert QuotaRequest.unscoped.get(pk=created["id"]).requested_by == w.developer.user
    listed = client.get(reverse("api:quota-request-list")).json()
    assert [r["id"] for r in listed["results"]] == [created["id"]]  # not Beta's
    assert client.get(reverse("api:quota-request-detail", args=[created["id"]])).json()["reason"] == "Retraining"
    assert client.get(reverse("api:quota-request-list"), {"state": "approved"}).json()["count"] == 0


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"concurrent_cards": 16, "card_hours_month": 500, "concurrent_jobs": 6}, set()),
        ({"concurrent_cards": 8, "card_hours_month": 900, "concurrent_jobs": 6}, {"concurrent_cards"}),
        ({"concurrent_cards": 32, "card_hours_month": 500}, {"concurrent_jobs"}),
    ],
)
def test_invalid_requests_get_the_error_shape(w, body, fields):
    response = post(member_client(w.owner), "api:quota-request-list", {"chip": "ascend-910b", "reason": "x"} | body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and set(error["fields"]) == fields
    if not fields:
        assert error["message"].startswith("Ask for more than your current limit")
    assert not QuotaRequest.unscoped.filter(tenant=w.company).exists()


def test_unknown_chip_and_missing_reason_are_field_errors(w):
    response = post(member_client(w.owner), "api:quota-request-list", {"chip": "nope", "concurrent_cards": 1})
    assert response.status_code == 400
    assert {"chip", "reason", "card_hours_month", "concurrent_jobs"} <= set(response.json()["error"]["fields"])


def test_another_companys_request_is_404_and_viewers_cannot_ask(w):
    client = member_client(w.owner)
    assert client.get(reverse("api:quota-request-detail", args=[w.other_request.pk])).status_code == 404
    viewer = member_client(w.viewer)
    assert viewer.get(reverse("api:quota-request-list")).status_code == 200
    body = {"chip": "ascend-910b", "concurrent_cards": 32, "card_hours_month": 500, "concurrent_jobs": 6}
    assert post(viewer, "api:quota-request-list", body | {"reason": "x"}).status_code == 403
    assert not QuotaRequest.unscoped.filter(tenant=w.company).exists()


OPERATOR_ROUTES = [
    ("get", "api:operator-quota-request-list", False),
    ("get", "api:operator-quota-request-detail", True),
    ("post", "api:operator-quota-request-approve", True),
    ("post", "api:operator-quota-request-reject", True),
    ("get", "api:operator-pool-list", False),
]


@pytest.mark.parametrize("who", ["owner", "other_owner"])
def test_operator_endpoints_refuse_companies_whoever_owns_the_request(w, who):
    client = member_client(getattr(w, who))
    for method, name, detail in OPERATOR_ROUTES:
        url = reverse(name, args=[w.other_request.pk] if detail else [])
        response = getattr(client, method)(url, {"note": "mine"}, content_type=JSON)
        assert response.status_code == 403, name
        assert response.json()["error"]["code"] == "permission_denied"
    w.other_request.refresh_from_db()
    assert w.other_request.state == RequestState.PENDING


def test_operator_lists_every_request_with_current_limits(w):
    post(
        member_client(w.owner),
        "api:quota-request-list",
        {"chip": "a100-80g", "concurrent_cards": 16, "card_hours_month": 200, "concurrent_jobs": 4, "reason": "x"},
    )
    response = member_client(w.staff).get(reverse("api:operator-quota-request-list"), {"state": "pending"})

    results = response.json()["results"]
    assert [(r["company"]["name"], r["chip"]) for r in results] == [
        ("Alpha Manufacturing", "a100-80g"),
        ("Beta Logistics", "h800"),
    ]
    assert results[0]["current"] == {"concurrent_cards": 8, "card_hours_month": 200, "concurrent_jobs": 4}
    assert results[1]["company"]["credit_code"] == w.other.credit_code


def test_operator_approves_less_and_the_override_applies(w):
    client = member_client(w.staff)
    name = "api:operator-quota-request-approve"

    too_much = post(client, name, {"concurrent_cards": 17}, args=[w.other_request.pk])
    assert too_much.status_code == 400
    assert too_much.json()["error"]["fields"] == {"concurrent_cards": ["At most what the company asked for (16)."]}

    response = post(client, name, {"concurrent_cards": 12, "note": "12 for now"}, args=[w.other_request.pk])
    assert response.status_code == 200
    data = response.json()
    assert (data["state"], data["granted_cards"], data["granted_card_hours"], data["granted_jobs"]) == (
        "approved",
        12,
        400,
        4,
    )
    assert data["current"] == {"concurrent_cards": 12, "card_hours_month": 400, "concurrent_jobs": 4}
    override = QuotaOverride.unscoped.get(tenant=w.other, chip_type=w.h800)
    assert (override.concurrent_cards, override.card_hours_month, override.concurrent_jobs) == (12, 400, 4)
    assert Notification.objects.get(recipient=w.other_owner.user).body == "12 for now"

    again = post(client, "api:operator-quota-request-reject", {"note": "oops"}, args=[w.other_request.pk])
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "This request has already been decided."


def test_operator_reject_needs_a_note(w):
    client = member_client(w.staff)
    name = "api:operator-quota-request-reject"
    missing = post(client, name, {}, args=[w.other_request.pk])
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]) == {"note"}
    w.other_request.refresh_from_db()
    assert w.other_request.state == RequestState.PENDING

    response = post(client, name, {"note": "H800 is reserved"}, args=[w.other_request.pk])
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    assert response.json()["decision_note"] == "H800 is reserved"
    assert not QuotaOverride.unscoped.exists()


def test_operator_pools(w):
    response = member_client(w.staff).get(reverse("api:operator-pool-list"))
    pools = {p["name"]: p for p in response.json()["results"]}
    assert {k: pools["Ascend 910B pool"][k] for k in ("chip", "total_cards", "cards_in_use", "queued_jobs")} == {
        "chip": "ascend-910b",
        "total_cards": 32,
        "cards_in_use": 2,
        "queued_jobs": 1,
    }
    assert pools["H800 pool"]["running_jobs"] == 1


def test_a_company_api_key_reads_quotas(w):
    developer = MembershipFactory(tenant=w.company, role=Role.DEVELOPER)
    with tenant_context(w.company):
        _key, plaintext = api_key_create(name="ci", role=Role.DEVELOPER, acting_membership=developer)
    response = Client().get(reverse("api:compute-quota-list"), headers={"Authorization": f"Api-Key {plaintext}"})
    assert response.status_code == 200 and len(response.json()) == 2
