"""`GET /api/v1/catalog/compare/`: the compare page's table for API clients, in their language."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.catalog.world import build

URL = "/api/v1/catalog/compare/"


@pytest.fixture
def world(db):
    return build()


def row(data, key):
    return next(r for r in data["rows"] if r["key"] == key)


def test_same_rows_as_the_page_in_the_order_asked(world, anon):
    pool, model = world.pools[0], world.model
    response = anon.get(URL, {"o": [model.offering.slug, pool.offering.slug]})
    assert response.status_code == 200, response.content
    data = response.json()
    assert [o["slug"] for o in data["offerings"]] == [model.offering.slug, pool.offering.slug]
    assert data["not_found"] == []
    assert row(data, "price")["cells"][1] == {"value": "¥8.00", "note": "per card-hour"}
    assert row(data, "parameters_b")["cells"] == [{"value": "7B", "note": ""}, {"value": "—", "note": ""}]
    assert row(data, "memory_gb")["cells"][1]["value"] == "64 GB"
    page = anon.get(reverse("catalog:compare"), {"o": [model.offering.slug, pool.offering.slug]})
    assert [r.key for r in page.context["rows"]] == [r["key"] for r in data["rows"]]
    assert "per card-hour" in page.content.decode() and "7B" in page.content.decode()


def test_labels_and_values_in_chinese(world, anon):
    response = anon.get(URL, {"o": [world.pools[0].offering.slug]}, headers={"accept-language": "zh-hans"})
    data = response.json()
    assert row(data, "price")["label"] == "价格"
    assert row(data, "price")["cells"][0]["note"] != "per card-hour"


def test_unknown_and_unpublished_slugs_are_named_not_fatal(world, anon):
    draft_slug = world.draft.offering.slug
    data = anon.get(URL, {"o": [world.model.offering.slug, "no-such-thing", draft_slug]}).json()
    assert [o["slug"] for o in data["offerings"]] == [world.model.offering.slug]
    assert data["not_found"] == ["no-such-thing", draft_slug]
    assert all(len(r["cells"]) == 1 for r in data["rows"])


def test_none_or_more_than_four_is_a_clear_400(world, anon):
    empty = anon.get(URL)
    assert empty.status_code == 400
    assert "o" in empty.json()["error"]["fields"]
    slugs = [v.offering.slug for v in [*world.pools, world.model, world.template]] + ["a", "b"]
    many = anon.get(URL, {"o": slugs})
    assert many.status_code == 400
    assert "4" in many.json()["error"]["fields"]["o"][0]


def test_query_count_does_not_grow_with_offerings(world, anon):
    two = [v.offering.slug for v in world.pools[:2]]
    four = [v.offering.slug for v in [*world.pools, world.model, world.template]][:4]
    with CaptureQueriesContext(connection) as small:
        anon.get(URL, {"o": two})
    with CaptureQueriesContext(connection) as large:
        anon.get(URL, {"o": four})
    assert len(large) == len(small)
