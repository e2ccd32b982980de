"""Partner self-service: listing pages, the lifecycle through review, isolation between partners,
roles, the statistics chart and the partner API."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.models import Compatibility, Offering, OfferingDailyStat, OfferingVersion
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tests.catalog.conftest import (
    LAUNCH_SCHEMA,
    approve,
    compute_content,
    make_listing,
    model_content,
    publish,
    submit,
)
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory


def versions_of(offering) -> list[OfferingVersion]:
    return list(OfferingVersion.unscoped.filter(offering=offering).order_by("number"))


def compute_form(chip, **overrides) -> dict:
    data = {
        "name_zh": "成都推理池",
        "name_en": "Chengdu pool",
        "description_zh": "",
        "description_en": "Fast **inference**.",
        "tags": "推理， inference, ,fast",
        "industries": ["health", "education"],
        "chip_type": str(chip.pk),
        "data_centre": "天府智算中心",
        "province": "51",
        "total_cards": "64",
        "card_sizes": ["1", "8"],
        "price_per_card_hour": "8.50",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_own_listings_with_counts_and_filters(manager, staff, chip):
    make_listing(manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Pool one"))
    make_listing(manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Pool two"))
    publish(manager, staff, OfferingKind.MODEL, model_content(name_en="Our model"))
    client = member_client(manager)

    response = client.get(reverse("partner:listings"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Pool one" in body and "Pool two" in body and "Our model" in body
    counts = response.context["counts"]
    assert (counts["all"], counts["draft"], counts["published"], counts["in_review"]) == (3, 2, 1, 0)

    response = client.get(reverse("partner:listings"), {"kind": "model"})
    assert [o.kind for o in response.context["page"]] == ["model"]
    response = client.get(reverse("partner:listings"), {"status": "draft"})
    assert {o.status for o in response.context["page"]} == {"draft"} and len(response.context["page"]) == 2
    assert response.context["counts"]["all"] == 3  # the tabs count every status
    response = client.get(reverse("partner:listings"), {"kind": "bogus", "status": "nope"})
    assert response.status_code == 200 and len(response.context["page"]) == 3  # a bad filter is ignored
    response = client.get(reverse("partner:listings"), {"q": "two"})
    assert "Pool two" in response.content.decode() and "Pool one" not in response.content.decode()

    fragment = client.get(reverse("partner:listings"), {"kind": "compute"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert text.lstrip().startswith('<div id="listings">') and "<html" not in text
    assert "Pool one" in text and "Our model" not in text


def test_list_query_count_does_not_grow_with_listings(manager, chip, staff):
    client = member_client(manager)

    def grow(n):
        for i in range(n):
            offering = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip, name_en=f"Pool {i}"))
            if i % 3 == 0:
                submit(manager, offering)
                approve(staff, offering)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("partner:listings")).status_code == 200
        return len(ctx.captured_queries)

    grow(3)
    small = count()
    grow(27)
    assert count() == small


# --- Create, edit, preview ----------------------------------------------------------------------


def test_create_a_compute_draft_from_the_form(manager, chip):
    client = member_client(manager)
    assert client.get(reverse("partner:listing-create", args=["compute"])).status_code == 200

    response = client.post(reverse("partner:listing-create", args=["compute"]), compute_form(chip))

    offering = Offering.unscoped.get(tenant=manager.tenant)
    assert response.status_code == 302 and response["Location"] == reverse("partner:listing-detail", args=[offering.pk])
    (version,) = versions_of(offering)
    assert (offering.kind, offering.status, version.state, version.number) == ("compute", "draft", "draft", 1)
    assert version.tags == ["推理", "inference", "fast"]
    assert version.industries == ["health", "education"]
    assert version.card_sizes == [1, 8]
    assert version.price_per_card_hour == Decimal("8.50")
    assert version.chip_type == chip and version.province == "51" and version.total_cards == 64
    assert AuditEntry.unscoped.filter(action="offering.create", tenant=manager.tenant).count() == 1


def test_unknown_kind_is_404(manager):
    assert member_client(manager).get("/partner/listings/new/spaceship/").status_code == 404


def test_form_errors_are_field_level_nothing_is_saved_and_input_is_kept(manager, chip):
    client = member_client(manager)
    response = client.post(
        reverse("partner:listing-create", args=["compute"]),
        compute_form(chip, name_en="", card_sizes=["1", "8"], total_cards="4", data_centre="Keep-me-DC"),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "name_en" in form.errors
    assert not Offering.unscoped.exists()
    body = response.content.decode()
    assert 'value="Keep-me-DC"' in body and 'data-field="name_en"' in body

    # The service's rule (a size larger than the pool) comes back on its field.
    response = client.post(
        reverse("partner:listing-create", args=["compute"]), compute_form(chip, total_cards="4", card_sizes=["8"])
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["card_sizes"]
    assert "larger than the pool" in response.context["form"].errors["card_sizes"][0]
    assert not Offering.unscoped.exists()


def test_solution_form_checks_the_launch_form(manager, published_model, staff):
    # A draft model of the partner itself is not offered: only published models are.
    draft_model = make_listing(manager, OfferingKind.MODEL, model_content(name_en="Unpublished model"))
    client = member_client(manager)
    page = client.get(reverse("partner:listing-create", args=["solution"]))
    choices = [value for value, _ in page.context["form"].fields["model_offering"].choices if value]
    assert [int(str(v)) for v in choices] == [published_model.pk]
    assert draft_model.pk not in [int(str(v)) for v in choices]

    data = {
        "name_zh": "知识库",
        "name_en": "Knowledge base",
        "industry": "health",
        "platform": "traditional",
        "model_offering": str(published_model.pk),
        "default_cards": "2",
        "workload": "knowledge_base",
        "launch_schema": "{not json",
        "example_inputs": "",
        "typical_runtime_minutes": "30",
        "price_per_run": "5.00",
    }
    url = reverse("partner:listing-create", args=["solution"])
    response = client.post(url, data)
    assert response.status_code == 400
    assert "not valid JSON" in response.context["form"].errors["launch_schema"][0]
    assert "{not json" in response.content.decode()

    response = client.post(url, {**data, "launch_schema": '{"type": "object", "properties": 5}'})
    assert response.status_code == 400
    assert "not a valid JSON Schema" in response.context["form"].errors["launch_schema"][0]

    response = client.post(url, {**data, "launch_schema": "[1, 2]"})
    assert "JSON object" in response.context["form"].errors["launch_schema"][0]

    response = client.post(
        url, {**data, "launch_schema": json.dumps(LAUNCH_SCHEMA), "example_inputs": '{"top_k": "three"}'}
    )
    assert response.status_code == 400
    assert "example_inputs" in response.context["form"].errors
    assert not Offering.unscoped.filter(kind="solution").exists()

    response = client.post(
        url, {**data, "launch_schema": json.dumps(LAUNCH_SCHEMA), "example_inputs": '{"docs": "hi"}'}
    )
    assert response.status_code == 302
    version = OfferingVersion.unscoped.get(kind="solution")
    assert version.model_offering_id == published_model.pk and version.launch_schema == LAUNCH_SCHEMA


def test_edit_a_draft(manager, chip):
    offering = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))
    client = member_client(manager)
    url = reverse("partner:listing-edit", args=[offering.pk])

    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="Chengdu inference pool"' in body and "推理, inference" in body

    response = client.post(url, compute_form(chip, name_en="Renamed pool", price_per_card_hour="9.90"))
    assert response.status_code == 302
    (version,) = versions_of(offering)
    assert (version.name_en, version.price_per_card_hour, version.number) == ("Renamed pool", Decimal("9.90"), 1)


def test_preview_renders_the_draft_safely(manager, chip):
    offering = make_listing(
        manager,
        OfferingKind.COMPUTE,
        compute_content(
            chip,
            description_en="Fast **inference**<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=y>",
        ),
    )
    response = member_client(manager).get(reverse("partner:listing-preview", args=[offering.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>inference</strong>" in body
    assert "<script>alert" not in body and "javascript:" not in body and "onerror" not in body
    assert "Preview of version 1" in body and "¥8.50" in body


# --- Through review -----------------------------------------------------------------------------


def test_submit_reject_with_reason_then_fix_and_resubmit(manager, staff, chip):
    offering = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))
    client = member_client(manager)

    response = client.post(reverse("partner:listing-submit", args=[offering.pk]))
    assert response.status_code == 302
    (version,) = versions_of(offering)
    assert version.state == VersionState.IN_REVIEW
    assert Offering.unscoped.get(pk=offering.pk).status == OfferingStatus.IN_REVIEW

    # Frozen while in review: the edit page says so, and a POST changes nothing.
    page = client.get(reverse("partner:listing-edit", args=[offering.pk]))
    assert page.status_code == 200 and 'id="frozen"' in page.content.decode()
    assert "listing-form" not in page.content.decode()
    response = client.post(reverse("partner:listing-edit", args=[offering.pk]), compute_form(chip, name_en="Sneaky"))
    assert response.status_code == 400
    assert "frozen" in response.content.decode()
    assert versions_of(offering)[0].name_en == "Chengdu inference pool"

    reject = member_client(staff).post(
        reverse("review:reject", args=[version.pk]), {"reason": "Price must include VAT; 请注明含税价。"}
    )
    assert reject.status_code == 302
    detail = client.get(reverse("partner:listing-detail", args=[offering.pk]))
    body = detail.content.decode()
    assert 'id="review-note"' in body and "Price must include VAT; 请注明含税价。" in body
    assert detail.context["can_edit"] and detail.context["can_submit"]

    response = client.post(
        reverse("partner:listing-edit", args=[offering.pk]), compute_form(chip, price_per_card_hour="9.35")
    )
    assert response.status_code == 302
    (version,) = versions_of(offering)
    assert (version.state, version.price_per_card_hour) == (VersionState.DRAFT, Decimal("9.35"))
    client.post(reverse("partner:listing-submit", args=[offering.pk]))
    approve(staff, offering)
    offering.refresh_from_db()
    assert offering.status == OfferingStatus.PUBLISHED and offering.live_version.number == 1


def test_withdraw_from_review_to_fix_a_typo_then_resubmit(manager, staff, viewer, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip))
    client = member_client(manager)
    client.post(reverse("partner:listing-new-version", args=[offering.pk]))
    client.post(reverse("partner:listing-edit", args=[offering.pk]), compute_form(chip, name_en="Chengdu pool (typo"))
    client.post(reverse("partner:listing-submit", args=[offering.pk]))
    detail = client.get(reverse("partner:listing-detail", args=[offering.pk]))
    assert detail.context["can_withdraw"] and "Withdraw from review" in detail.content.decode()
    assert member_client(viewer).post(reverse("partner:listing-withdraw", args=[offering.pk])).status_code == 403

    response = client.post(reverse("partner:listing-withdraw", args=[offering.pk]), follow=True)

    assert "back to a draft" in response.content.decode()
    v1, v2 = versions_of(offering)
    assert (v1.state, v2.state, v2.submitted_at) == (VersionState.LIVE, VersionState.DRAFT, None)
    offering.refresh_from_db()
    assert offering.status == OfferingStatus.PUBLISHED and offering.live_version_id == v1.pk  # still in the catalog
    review_queue = member_client(staff).get(reverse("review:queue")).content.decode()
    assert "Chengdu pool (typo" not in review_queue
    with tenant_context(manager.tenant):
        assert AuditEntry.objects.filter(action="offering.withdraw").count() == 1
    # Nothing left in review: a second withdrawal says so and changes nothing.
    again = client.post(reverse("partner:listing-withdraw", args=[offering.pk]), follow=True)
    assert "No version of this listing is waiting for review." in again.content.decode()
    client.post(reverse("partner:listing-edit", args=[offering.pk]), compute_form(chip, name_en="Chengdu pool"))
    client.post(reverse("partner:listing-submit", args=[offering.pk]))
    assert versions_of(offering)[1].state == VersionState.IN_REVIEW


def test_withdrawing_a_first_version_makes_the_listing_a_draft_again(manager, chip):
    offering = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))
    api = member_client(manager)
    api.post(reverse("api:partner-listing-submit", args=[offering.pk]))
    assert Offering.unscoped.get(pk=offering.pk).status == OfferingStatus.IN_REVIEW

    response = api.post(reverse("api:partner-listing-withdraw", args=[offering.pk]))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == OfferingStatus.DRAFT
    assert Offering.unscoped.get(pk=offering.pk).status == OfferingStatus.DRAFT
    again = api.post(reverse("api:partner-listing-withdraw", args=[offering.pk]))
    assert again.status_code == 400 and again.json()["error"]["message"].startswith("No version")


def test_submitting_an_incomplete_draft_names_the_missing_fields(manager, chip):
    offering = make_listing(manager, OfferingKind.COMPUTE, {"name_zh": "草稿", "name_en": "Draft"})
    client = member_client(manager)
    response = client.post(reverse("partner:listing-submit", args=[offering.pk]), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Chip type:") and "Required" in m for m in messages)
    assert any(m.startswith("Total cards:") for m in messages)
    assert versions_of(offering)[0].state == VersionState.DRAFT


def test_new_version_of_a_published_listing_goes_through_review(manager, staff, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip))
    v1 = offering.live_version
    client = member_client(manager)

    # The live version itself is frozen.
    page = client.get(reverse("partner:listing-edit", args=[offering.pk]))
    assert 'id="frozen"' in page.content.decode()
    detail = client.get(reverse("partner:listing-detail", args=[offering.pk]))
    assert detail.context["can_new_version"] and not detail.context["can_edit"]

    response = client.post(reverse("partner:listing-new-version", args=[offering.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("partner:listing-edit", args=[offering.pk])
    client.post(
        reverse("partner:listing-edit", args=[offering.pk]),
        compute_form(
            chip,
            name_zh="成都昇腾推理池",
            name_en="Chengdu inference pool",
            description_zh="**昇腾** 推理",
            description_en="Inference on **Ascend**.",
            tags="推理, inference",
            card_sizes=["1", "2", "4", "8"],
            price_per_card_hour="7.00",
        ),
    )
    client.post(reverse("partner:listing-submit", args=[offering.pk]))

    v1.refresh_from_db()
    v2 = OfferingVersion.unscoped.get(offering=offering, number=2)
    offering.refresh_from_db()
    assert v2.state == VersionState.IN_REVIEW and v2.price_per_card_hour == Decimal("7.00")
    # The live version stays public, unchanged, while the new one is in review.
    assert offering.status == OfferingStatus.PUBLISHED and offering.live_version_id == v1.pk
    assert list(OfferingVersion.unscoped.live().filter(offering=offering)) == [v1]
    assert v1.price_per_card_hour == Decimal("8.50")

    review_page = member_client(staff).get(reverse("review:version", args=[v2.pk]))
    diff = review_page.context["diff"]
    assert [(d.field, d.old, d.new) for d in diff] == [("price_per_card_hour", "8.50", "7.00")]

    approve(staff, offering)
    v1.refresh_from_db()
    offering.refresh_from_db()
    assert offering.live_version_id == v2.pk and offering.status == OfferingStatus.PUBLISHED
    assert v1.state == VersionState.SUPERSEDED and v1.price_per_card_hour == Decimal("8.50")
    assert v1.name_en == "Chengdu inference pool" and v1.card_sizes == [1, 2, 4, 8]
    history = client.get(reverse("partner:listing-detail", args=[offering.pk])).context["history"]
    assert [(h.number, h.state) for h in history] == [(2, "live"), (1, "superseded")]


def test_retire(manager, staff, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip))
    response = member_client(manager).post(
        reverse("partner:listing-retire", args=[offering.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("partner:listing-detail", args=[offering.pk])
    assert Offering.unscoped.get(pk=offering.pk).status == OfferingStatus.RETIRED


def test_action_routes_refuse_get(manager, chip):
    offering = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))
    client = member_client(manager)
    for name in (
        "partner:listing-submit",
        "partner:listing-withdraw",
        "partner:listing-new-version",
        "partner:listing-retire",
    ):
        assert client.get(reverse(name, args=[offering.pk])).status_code == 405


# --- Isolation and roles ------------------------------------------------------------------------

OBJECT_ROUTES = [
    "partner:listing-detail",
    "partner:listing-edit",
    "partner:listing-preview",
    "partner:listing-submit",
    "partner:listing-withdraw",
    "partner:listing-new-version",
    "partner:listing-retire",
]


@pytest.mark.parametrize("name", OBJECT_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_partners_listing_is_404_for_every_route_and_method(name, method, manager, other_manager, staff, chip):
    theirs = make_listing(other_manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Their secret pool"))
    before = [(v.pk, v.state, v.name_en) for v in versions_of(theirs)]
    response = getattr(member_client(manager), method)(reverse(name, args=[theirs.pk]), compute_form(chip))
    assert response.status_code == 404
    assert [(v.pk, v.state, v.name_en) for v in versions_of(theirs)] == before
    assert Offering.unscoped.get(pk=theirs.pk).status == OfferingStatus.DRAFT


def test_lists_and_exports_never_show_another_partners_listings(manager, other_manager, chip):
    make_listing(manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Our pool"))
    make_listing(other_manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Their secret pool"))
    client = member_client(manager)
    for url in (
        reverse("partner:listings"),
        reverse("partner:listing-export-csv"),
        reverse("api:partner-listing-list"),
    ):
        body = client.get(url).content.decode("utf-8-sig")
        assert "Our pool" in body and "Their secret pool" not in body, url
    xlsx = client.get(reverse("partner:listing-export-xlsx"))
    assert xlsx.status_code == 200


def test_viewer_sees_but_cannot_change(viewer, manager, chip):
    offering = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))
    client = member_client(viewer)
    for url in (
        reverse("partner:listings"),
        reverse("partner:listing-detail", args=[offering.pk]),
        reverse("partner:listing-preview", args=[offering.pk]),
        reverse("partner:listing-export-csv"),
        reverse("partner:listing-export-xlsx"),
    ):
        assert client.get(url).status_code == 200, url
    detail = client.get(reverse("partner:listing-detail", args=[offering.pk]))
    assert not detail.context["can_edit"] and "listing-submit" not in detail.content.decode()
    for url in (
        reverse("partner:listing-create", args=["compute"]),
        reverse("partner:listing-edit", args=[offering.pk]),
        reverse("partner:listing-import"),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, compute_form(chip, name_en="Viewer was here")).status_code == 403, url
    for name in (
        "partner:listing-submit",
        "partner:listing-withdraw",
        "partner:listing-new-version",
        "partner:listing-retire",
    ):
        assert client.post(reverse(name, args=[offering.pk])).status_code == 403
    (version,) = versions_of(offering)
    assert (version.state, version.name_en) == ("draft", "Chengdu inference pool")
    assert Offering.unscoped.count() == 1 and Offering.unscoped.get().status == "draft"


@pytest.mark.parametrize("kind,role", [(TenantKind.COMPANY, Role.OWNER), (TenantKind.GOVERNMENT, Role.PROGRAM_MANAGER)])
def test_companies_and_governments_get_403(kind, role, db):
    member = MembershipFactory(tenant=TenantFactory(kind=kind), role=role)
    client = member_client(member)
    for url in (
        reverse("partner:listings"),
        reverse("partner:listing-create", args=["model"]),
        reverse("partner:listing-import"),
        reverse("partner:listing-export-csv"),
        reverse("api:partner-listing-list"),
    ):
        assert client.get(url).status_code == 403, url


# --- Statistics ---------------------------------------------------------------------------------


def test_detail_shows_views_and_launches_of_the_last_30_days(manager, staff, chip):
    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip))
    today = timezone.localdate()
    OfferingDailyStat.objects.create(offering=offering, day=today, views=12, launches=3)
    OfferingDailyStat.objects.create(offering=offering, day=today - timedelta(days=29), views=5, launches=1)
    OfferingDailyStat.objects.create(offering=offering, day=today - timedelta(days=30), views=999, launches=99)
    response = member_client(manager).get(reverse("partner:listing-detail", args=[offering.pk]))
    stats = response.context["stats"]
    assert len(stats["labels"]) == 30 and stats["labels"][-1] == today.isoformat()
    assert (stats["views"][-1], stats["launches"][-1], stats["views"][0], stats["views"][1]) == (12, 3, 5, 0)
    assert (stats["total_views"], stats["total_launches"]) == (17, 4)
    body = response.content.decode()
    assert '<script id="listing-stats" type="application/json">' in body
    assert "js/partner-chart.js" in body and "chart.umd.min.js" in body


# --- API ----------------------------------------------------------------------------------------


def api_content(chip, **overrides):
    data = {
        "name_zh": "接口算力池",
        "name_en": "API pool",
        "chip_type": chip.slug,
        "data_centre": "天府",
        "province": "51",
        "total_cards": 16,
        "card_sizes": [1, 2],
        "price_per_card_hour": "6.00",
        "tags": ["api"],
    }
    return {**data, **overrides}


def test_api_create_patch_submit_and_new_version(manager, staff, chip):
    client = member_client(manager)
    response = client.post(
        reverse("api:partner-listing-list"),
        {"kind": "compute", "content": api_content(chip)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft" and data["live_version"] is None
    assert data["open_version"]["content"]["chip_type"] == chip.slug
    assert data["open_version"]["content"]["price_per_card_hour"] == "6.00"
    assert "family" not in data["open_version"]["content"]
    pk = data["id"]

    response = client.patch(
        reverse("api:partner-listing-detail", args=[pk]),
        {"content": {"price_per_card_hour": "6.50", "tags": ["api", "cheap"]}},
        content_type="application/json",
    )
    assert response.status_code == 200
    content = response.json()["open_version"]["content"]
    assert (content["price_per_card_hour"], content["tags"], content["name_en"]) == (
        "6.50",
        ["api", "cheap"],
        "API pool",
    )

    response = client.post(reverse("api:partner-listing-submit", args=[pk]))
    assert response.status_code == 200 and response.json()["open_version"]["state"] == "in_review"
    response = client.patch(
        reverse("api:partner-listing-detail", args=[pk]), {"content": {"name_en": "x"}}, content_type="application/json"
    )
    assert response.status_code == 400 and "frozen" in response.json()["error"]["message"]

    approve(staff, Offering.unscoped.get(pk=pk))
    response = client.post(reverse("api:partner-listing-new-version", args=[pk]))
    assert response.status_code == 200
    data = response.json()
    assert data["live_version"]["number"] == 1 and data["open_version"]["number"] == 2
    assert data["open_version"]["state"] == "draft"

    response = client.post(reverse("api:partner-listing-retire", args=[pk]))
    assert response.json()["status"] == "retired"
    assert client.get(reverse("api:partner-listing-list"), {"status": "retired"}).json()["count"] == 1
    assert client.get(reverse("api:partner-listing-list"), {"status": "draft"}).json()["count"] == 0


def test_api_errors_have_the_project_shape_and_save_nothing(manager, chip):
    client = member_client(manager)
    url = reverse("api:partner-listing-list")
    response = client.post(url, {"kind": "rocket", "content": {}}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"kind"}
    response = client.post(
        url,
        {"kind": "compute", "content": api_content(chip, chip_type="no-such-chip", total_cards="many")},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"chip_type", "total_cards"}
    # The service's rules come back on their fields too.
    response = client.post(
        url, {"kind": "compute", "content": api_content(chip, card_sizes=[16])}, content_type="application/json"
    )
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"card_sizes"}
    response = client.post(
        url, {"kind": "compute", "content": api_content(chip, family="Qwen")}, content_type="application/json"
    )
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"family"}
    response = client.post(url, ["not", "an", "object"], content_type="application/json")
    assert response.status_code == 400
    response = client.post(url, {"kind": "compute"}, content_type="application/json")
    assert response.status_code == 400 and "content" in response.json()["error"]["fields"]
    assert not Offering.unscoped.exists()


def test_api_other_partners_listing_is_404_and_viewer_is_403(manager, other_manager, viewer, chip):
    theirs = make_listing(other_manager, OfferingKind.MODEL, model_content())
    client = member_client(manager)
    for name in (
        "api:partner-listing-detail",
        "api:partner-listing-submit",
        "api:partner-listing-new-version",
        "api:partner-listing-retire",
        "api:partner-listing-compatibility",
    ):
        url = reverse(name, args=[theirs.pk])
        for method in ("get", "post", "patch", "delete"):
            response = getattr(client, method)(url, {}, content_type="application/json")
            assert response.status_code == 404, (name, method, response.status_code)
    assert versions_of(theirs)[0].state == "draft"

    ours = make_listing(manager, OfferingKind.MODEL, model_content())
    client = member_client(viewer)
    assert client.get(reverse("api:partner-listing-detail", args=[ours.pk])).status_code == 200
    assert client.get(reverse("api:partner-listing-list")).status_code == 200
    assert (
        client.post(
            reverse("api:partner-listing-list"),
            {"kind": "model", "content": model_content()},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert (
        client.patch(
            reverse("api:partner-listing-detail", args=[ours.pk]),
            {"content": {"name_en": "x"}},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert client.post(reverse("api:partner-listing-submit", args=[ours.pk])).status_code == 403
    assert versions_of(ours)[0].name_en == "West China medical model"


def test_api_compatibility_of_a_model(manager, chip, staff):
    model = make_listing(manager, OfferingKind.MODEL, model_content())
    client = member_client(manager)
    url = reverse("api:partner-listing-compatibility", args=[model.pk])
    assert client.get(url).json() == []
    response = client.post(
        url,
        {"chip_type": chip.slug, "status": "verified", "score": 83, "throughput": "1520.5", "note": "FP16"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["chip_type"] == chip.slug and response.json()["score"] == 83
    # Setting the same chip again replaces its row.
    client.post(url, {"chip_type": chip.slug, "status": "experimental", "score": 60}, content_type="application/json")
    rows = client.get(url).json()
    assert [(r["chip_type"], r["status"], r["score"]) for r in rows] == [(chip.slug, "experimental", 60)]
    assert Compatibility.objects.filter(model_offering=model).count() == 1
    response = client.post(
        url, {"chip_type": chip.slug, "status": "verified", "score": 101}, content_type="application/json"
    )
    assert response.status_code == 400 and "score" in response.json()["error"]["fields"]

    pool = make_listing(manager, OfferingKind.COMPUTE, compute_content(chip))
    response = client.post(
        reverse("api:partner-listing-compatibility", args=[pool.pk]),
        {"chip_type": chip.slug, "status": "verified", "score": 80},
        content_type="application/json",
    )
    assert response.status_code == 400 and "model_offering" in response.json()["error"]["fields"]


def test_api_schema_has_the_partner_endpoints(client, db):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    for path in (
        "/api/v1/partner/listings/",
        "/api/v1/partner/listings/{id}/",
        "/api/v1/partner/listings/{id}/submit/",
        "/api/v1/partner/listings/{id}/new-version/",
        "/api/v1/partner/listings/{id}/retire/",
        "/api/v1/partner/listings/{id}/compatibility/",
        "/api/v1/partner/review/",
        "/api/v1/partner/review/{id}/approve/",
        "/api/v1/partner/review/{id}/reject/",
    ):
        assert path in schema["paths"], path
    assert set(schema["paths"]["/api/v1/partner/listings/{id}/"]) >= {"get", "patch"}
    assert set(schema["paths"]["/api/v1/partner/listings/{id}/compatibility/"]) >= {"get", "post"}


def test_api_solution_builds_on_published_models_only(manager, other_manager, published_model):
    their_draft_model = make_listing(other_manager, OfferingKind.MODEL, model_content(name_en="Their draft model"))
    content = {
        "name_zh": "知识库",
        "name_en": "KB",
        "industry": "health",
        "platform": "traditional",
        "model_offering": their_draft_model.slug,
        "default_cards": 2,
        "workload": "knowledge_base",
        "launch_schema": LAUNCH_SCHEMA,
        "example_inputs": {"docs": "x"},
        "typical_runtime_minutes": 20,
    }
    client = member_client(manager)
    url = reverse("api:partner-listing-list")
    response = client.post(url, {"kind": "solution", "content": content}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"model_offering"}
    assert not Offering.unscoped.filter(tenant=manager.tenant).exists()

    content["model_offering"] = published_model.slug
    response = client.post(url, {"kind": "solution", "content": content}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["open_version"]["content"]["model_offering"] == published_model.slug
