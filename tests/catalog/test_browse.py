from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Favourite, Offering, OfferingDailyStat
from tests.catalog.world import build


@pytest.fixture
def world(db):
    return build()


def names(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("term", ["医疗", "medical", "Medical"])
def test_search_finds_health_listings_in_both_languages(world, client, term):
    body = names(client.get(reverse("catalog:browse"), {"q": term}))
    assert "West China medical imaging model" in body or "华西医疗影像大模型" in body
    assert "Clinic customer-service knowledge base" in body  # its partner and industry are health
    assert "Chengdu Ascend pool" not in body


@pytest.mark.parametrize(
    "term,expected",
    [
        ("客服", "Clinic customer-service knowledge base"),
        ("推理", "Chengdu Ascend pool"),
        ("inference", "Chengdu Ascend pool"),
    ],
)
def test_two_character_chinese_terms_and_english_words(world, client, term, expected):
    response = client.get(reverse("catalog:browse"), {"q": term})
    assert expected in names(response)
    assert response.context["page"].paginator.count == 1


def test_drafts_are_never_public(world, client):
    assert "Secret medical draft" not in names(client.get(reverse("catalog:browse"), {"q": "medical"}))
    assert client.get(reverse("catalog:detail", args=["secret-draft"])).status_code == 404
    assert "secret-draft" not in names(client.get(reverse("api:catalog-offering-list")))


def test_facet_counts_apply_every_other_filter(world, client):
    response = client.get(reverse("catalog:browse"), {"kind": "compute"})
    groups = {g["name"]: {o["value"]: o["count"] for o in g["options"]} for g in response.context["groups"]}
    assert groups["kind"] == {"compute": 2, "model": 1, "solution": 1}  # kind ignores its own filter
    assert groups["category"] == {"data_centre": 2}
    assert groups["vendor"] == {"Huawei": 1, "NVIDIA": 1}
    assert response.context["domestic_count"] == 1
    assert response.context["page"].paginator.count == 2


def test_domestic_and_chip_filters(world, client):
    response = client.get(reverse("catalog:browse"), {"domestic": "true"})
    found = {v.offering_id for v in response.context["page"]}
    # The Ascend pool, and the model and template that are verified on Ascend.
    assert found == {world.pools[0].offering_id, world.model.offering_id, world.template.offering_id}
    response = client.get(reverse("catalog:browse"), {"chip": "a100-80g"})
    assert {v.offering_id for v in response.context["page"]} == {world.pools[1].offering_id}  # unsupported ≠ runs on


def test_price_filter_and_sort(world, client):
    response = client.get(reverse("catalog:browse"), {"kind": "compute", "sort": "-price"})
    assert [v.price_per_card_hour for v in response.context["page"]] == [Decimal("21.50"), Decimal("8.00")]
    response = client.get(reverse("catalog:browse"), {"price_max": "10"})
    assert world.pools[1].offering_id not in {v.offering_id for v in response.context["page"]}


def test_no_results_says_so_and_offers_to_clear(world, client):
    body = names(client.get(reverse("catalog:browse"), {"q": "医疗", "kind": "compute"}))
    assert 'id="no-results"' in body and "No offerings match these filters." in body
    assert 'href="/catalog/?q=%E5%8C%BB%E7%96%97"' in body


def test_bad_parameters_are_ignored_with_a_message(world, client):
    response = client.get(reverse("catalog:browse"), {"price_min": "cheap", "kind": "spaceship", "chip": "nope"})
    assert response.status_code == 200
    assert "were not understood" in names(response)
    assert response.context["page"].paginator.count == 4


def test_htmx_gets_only_the_results_fragment(world, client):
    response = client.get(reverse("catalog:browse"), {"q": "pool"}, headers={"HX-Request": "true"})
    body = names(response)
    assert "<html" not in body and 'id="facets"' in body and "Chengdu Ascend pool" in body
    restore = client.get(
        reverse("catalog:browse"), {"q": "pool"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in names(restore)  # the back button gets a whole page


def test_detail_pages(world, client):
    model = names(client.get(reverse("catalog:detail", args=[world.model.offering.slug])))
    assert "Ascend 910B3" in model and "FP8 kernels missing" in model and "<strong>medical</strong>" in model
    pool = names(client.get(reverse("catalog:detail", args=[world.pools[0].offering.slug])))
    assert "8.00" in pool and "Huawei Ascend 910B3" in pool
    template = client.get(reverse("catalog:detail", args=[world.template.offering.slug]))
    # Typical run: ¥5 fee + 2 cards × 0.5 h × ¥8 on the cheapest compatible pool.
    assert template.context["v"].list_price == Decimal("13.00")
    assert "≈ ¥13.00" in names(template)
    assert Offering.unscoped.get(pk=world.template.offering_id).view_count == 1
    assert OfferingDailyStat.objects.get(offering_id=world.template.offering_id).views == 1


def test_markdown_is_rendered_safely(world, client):
    from catalog.models import OfferingVersion

    OfferingVersion.unscoped.filter(pk=world.model.pk).update(
        description_en='Hi <script>alert(1)</script> <a href="javascript:x" onclick="y">l</a>'
    )
    body = names(client.get(reverse("catalog:detail", args=[world.model.offering.slug])))
    assert "<script>alert(1)" not in body and "onclick" not in body and "javascript:x" not in body


def test_compare_up_to_four(world, client):
    slugs = [v.offering.slug for v in [*world.pools, world.model, world.template]]
    for slug in slugs:
        client.post(reverse("catalog:compare-toggle", args=[slug]))
    response = client.post(reverse("catalog:compare-toggle", args=["o-does-not-exist"]))
    assert response.status_code == 404
    compare = client.get(reverse("catalog:compare"))
    assert len(compare.context["versions"]) == 4
    shared = client.get(reverse("catalog:compare"), {"o": [slugs[0], slugs[1]]})
    assert [v.offering.slug for v in shared.context["versions"]] == slugs[:2]
    full = client.post(reverse("catalog:compare-toggle", args=[slugs[0]]), headers={"HX-Request": "true"})
    assert "Compare 3 offerings" in names(full)


def test_favourites_need_an_account(world, client, owner):
    slug = world.model.offering.slug
    assert client.post(reverse("catalog:favourite", args=[slug]))["Location"].startswith("/accounts/login/")
    client.force_login(owner.user)
    client.post(reverse("catalog:favourite", args=[slug]))
    assert Favourite.objects.filter(user=owner.user).count() == 1
    assert "West China medical imaging model" in names(client.get(reverse("catalog:favourites")))
    client.post(reverse("catalog:favourite", args=[slug]), headers={"HX-Request": "true"})
    assert not Favourite.objects.exists()


def test_heatmap_colours_models_by_score(world, client):
    body = names(client.get(reverse("catalog:compatibility")))
    assert 'class="score-8"' in body  # score 82
    assert "✗" in body


def test_partner_pages(world, client):
    assert "West China Medical AI" in names(client.get(reverse("catalog:partners"), {"category": "health"}))
    body = names(client.get(reverse("catalog:partner", args=[world.health.pk])))
    assert "Clinic customer-service knowledge base" in body and "Secret medical draft" not in body


def test_chinese_catalog_page(world, client):
    client.cookies["django_language"] = "zh-hans"
    body = names(client.get(reverse("catalog:browse")))
    assert "华西医疗影像大模型" in body


def test_api_uses_the_same_filters(world, client):
    data = client.get(reverse("api:catalog-offering-list"), {"q": "医疗", "kind": "model"}).json()
    assert [o["slug"] for o in data["results"]] == [world.model.offering.slug]
    facets = client.get(reverse("api:catalog-facets"), {"kind": "compute"}).json()
    assert facets["kind"] == {"compute": 2, "model": 1, "solution": 1}
    bad = client.get(reverse("api:catalog-offering-list"), {"price_min": "cheap"})
    assert bad.status_code == 400 and "price_min" in bad.json()["error"]["fields"]
    detail = client.get(reverse("api:catalog-offering-detail", args=[world.template.offering.slug])).json()
    assert detail["typical_run_cost"] == "13.00" and detail["model"] == world.model.offering.slug


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "name,params",
    [
        ("catalog:browse", {}),
        ("catalog:browse", {"q": "pool", "domestic": "true", "region": "51"}),
        ("api:catalog-offering-list", {}),
        ("catalog:compatibility", {}),
        ("catalog:partners", {}),
    ],
)
def test_query_count_is_the_same_at_10_and_200_results(db, client, name, params, django_capture_on_commit_callbacks):
    world = build(extra_pools=6)
    small = count_queries(client, reverse(name), params)
    from tests.catalog.world import live

    for i in range(190):
        live(
            world.idc,
            "compute",
            name_zh=f"大池{i}",
            name_en=f"Big pool {i}",
            chip_type=world.ascend,
            province="51",
            data_centre="x",
            total_cards=8,
            card_sizes=[1],
            price_per_card_hour=Decimal("9.00"),
            industries=["health"],
        )
    from catalog.models import OfferingVersion
    from catalog.services.indexing import reindex_versions

    with django_capture_on_commit_callbacks(execute=True):
        reindex_versions(OfferingVersion.unscoped.filter(state="live").values_list("pk", flat=True))
    assert count_queries(client, reverse(name), params) == small


def test_detail_query_count_is_pinned(world, client):
    assert count_queries(client, reverse("catalog:detail", args=[world.template.offering.slug])) <= 14


def test_facet_counts_are_cached_until_the_catalog_changes(world, client, django_capture_on_commit_callbacks):
    first = count_queries(client, reverse("catalog:browse"), {"kind": "model"})
    second = count_queries(client, reverse("catalog:browse"), {"kind": "model"})
    assert second < first  # facets came from the cache
    from catalog.services.indexing import reindex_versions

    with django_capture_on_commit_callbacks(execute=True):
        reindex_versions([world.model.pk])  # e.g. a new version went live
    assert count_queries(client, reverse("catalog:browse"), {"kind": "model"}) == first
