"""Operators' quota defaults and overrides and per-pool engine settings through the API: the same
rules as the pages' forms, operator staff only."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from compute.models import Pool, QuotaDefault, QuotaOverride
from tests.compute import world as compute_world
from tests.conftest import member_client

JSON = "application/json"


@pytest.fixture
def w(db):
    return compute_world.build()


def test_operator_lists_and_sets_defaults(w):
    client = member_client(w.staff)
    url = reverse("api:operator-quota-default-list")
    listed = client.get(url).json()
    assert {(d["size_class"], d["chip"], d["concurrent_cards"]) for d in listed} >= {("small", "ascend-910b", 16)}
    body = {
        "size_class": "micro",
        "chip_type": None,
        "concurrent_cards": 2,
        "card_hours_month": 50,
        "concurrent_jobs": 1,
    }
    response = client.post(url, body, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["chip"] is None
    default = QuotaDefault.objects.get(size_class="micro", chip_type=None)
    assert (default.concurrent_cards, default.card_hours_month) == (2, 50)
    assert AuditEntry.unscoped.filter(action="quota.default").exists()
    bad = client.post(url, body | {"size_class": "huge"}, content_type=JSON)
    assert bad.status_code == 400 and "size_class" in bad.json()["error"]["fields"]


def test_operator_sets_an_override_by_credit_code(w):
    client = member_client(w.staff)
    url = reverse("api:operator-quota-override-list")
    body = {
        "company": w.company.credit_code,
        "chip_type": w.ascend.pk,
        "concurrent_cards": 24,
        "card_hours_month": 900,
        "concurrent_jobs": 8,
        "note": "pilot",
    }
    response = client.post(url, body, content_type=JSON)
    assert response.status_code == 200, response.content
    override = QuotaOverride.unscoped.get(tenant=w.company, chip_type=w.ascend)
    assert (override.concurrent_cards, override.note, override.set_by) == (24, "pilot", w.staff.user)
    listed = client.get(url, {"q": w.company.credit_code}).json()["results"]
    assert [o["id"] for o in listed] == [override.pk]
    unknown = client.post(url, body | {"company": "no such company"}, content_type=JSON)
    assert unknown.status_code == 400
    assert "No company has this credit code or name." in unknown.content.decode()


def test_operator_sets_a_pools_engine_with_the_pages_checks(w):
    client = member_client(w.staff)
    url = reverse("api:operator-pool-engine", args=[w.ascend_pool.pk])
    assert client.get(url).json() == {"engine": "local", "engine_config": {}}
    response = client.put(url, {"engine": "slurm", "engine_config": {"partition": "ascend"}}, content_type=JSON)
    assert response.status_code == 200, response.content
    pool = Pool.objects.get(pk=w.ascend_pool.pk)
    assert (pool.engine, pool.engine_config) == ("slurm", {"partition": "ascend"})
    bad = client.put(url, {"engine": "slurm", "engine_config": {}}, content_type=JSON)
    assert bad.status_code == 400 and "engine_config" in bad.json()["error"]["fields"]
    assert Pool.objects.get(pk=w.ascend_pool.pk).engine_config == {"partition": "ascend"}


def test_companies_cannot_touch_operator_settings(w):
    client = member_client(w.owner)
    for url in (
        reverse("api:operator-quota-default-list"),
        reverse("api:operator-quota-override-list"),
        reverse("api:operator-pool-engine", args=[w.ascend_pool.pk]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {}, content_type=JSON).status_code == 403
        assert client.put(url, {"engine": "local"}, content_type=JSON).status_code == 403
    assert Pool.objects.get(pk=w.ascend_pool.pk).engine == "local"
    assert not QuotaOverride.unscoped.filter(tenant=w.company, chip_type=w.ascend).exists()
