"""Operator review of partner listings: the cross-partner queue, the diff, approve and reject
(pages with htmx, and the API), and who may review."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.choices import OfferingKind, OfferingStatus, VersionState
from catalog.models import Offering, OfferingVersion
from notifications.models import Notification
from tenants.roles import Role, TenantKind
from tests.catalog.conftest import compute_content, make_listing, model_content, publish, submit
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory


def in_review(membership, kind, content, *, days_ago=0):
    offering = make_listing(membership, kind, content)
    version = submit(membership, offering)
    if days_ago:
        OfferingVersion.unscoped.filter(pk=version.pk).update(submitted_at=timezone.now() - timedelta(days=days_ago))
    return OfferingVersion.unscoped.get(pk=version.pk)


@pytest.fixture
def queue(manager, other_manager, chip):
    """Three submissions of two partners (oldest: the other partner's model) and a draft."""
    return {
        "newest": in_review(manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Alpha pool")),
        "oldest": in_review(other_manager, OfferingKind.MODEL, model_content(name_en="Beta model"), days_ago=3),
        "middle": in_review(manager, OfferingKind.MODEL, model_content(name_en="Alpha model"), days_ago=1),
        "draft": make_listing(manager, OfferingKind.COMPUTE, compute_content(chip, name_en="Alpha draft")),
    }


def test_queue_lists_every_partners_submissions_oldest_first(staff, queue):
    client = member_client(staff)
    response = client.get(reverse("review:queue"))
    assert response.status_code == 200
    assert [v.pk for v in response.context["page"]] == [queue["oldest"].pk, queue["middle"].pk, queue["newest"].pk]
    body = response.content.decode()
    assert "Beta Partner Ltd." in body and "Alpha Partner Ltd." in body and "Alpha draft" not in body

    response = client.get(reverse("review:queue"), {"kind": "model"})
    assert [v.pk for v in response.context["page"]] == [queue["oldest"].pk, queue["middle"].pk]
    fragment = client.get(reverse("review:queue"), {"kind": "compute"}, headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="queue">')
    assert "Alpha pool" in fragment.content.decode() and "Beta model" not in fragment.content.decode()


@pytest.mark.parametrize(
    "kind,role",
    [
        (TenantKind.PARTNER, Role.OWNER),
        (TenantKind.PARTNER, Role.LISTING_MANAGER),
        (TenantKind.COMPANY, Role.OWNER),
        (TenantKind.GOVERNMENT, Role.PROGRAM_MANAGER),
    ],
)
def test_review_is_for_operator_staff_only(kind, role, queue):
    member = MembershipFactory(tenant=TenantFactory(kind=kind), role=role)
    client = member_client(member)
    version = queue["oldest"]
    for url in (reverse("review:queue"), reverse("review:version", args=[version.pk])):
        assert client.get(url).status_code == 403
    for name in ("review:approve", "review:reject"):
        assert client.post(reverse(name, args=[version.pk]), {"reason": "no"}).status_code == 403
    for url in (reverse("api:partner-review-list"), reverse("api:partner-review-detail", args=[version.pk])):
        assert client.get(url).status_code == 403
    for name in ("api:partner-review-approve", "api:partner-review-reject"):
        response = client.post(reverse(name, args=[version.pk]), {"reason": "no"}, content_type="application/json")
        assert response.status_code == 403
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW


def test_version_page_of_a_new_listing_and_of_an_update(staff, manager, chip, queue):
    client = member_client(staff)
    page = client.get(reverse("review:version", args=[queue["newest"].pk]))
    assert page.status_code == 200 and page.context["diff"] is None
    assert "A new listing" in page.content.decode() and 'id="review-actions"' in page.content.decode()

    offering = publish(manager, staff, OfferingKind.COMPUTE, compute_content(chip, name_en="Published pool"))
    member_client(manager).post(reverse("partner:listing-new-version", args=[offering.pk]))
    draft = OfferingVersion.unscoped.get(offering=offering, number=2)
    OfferingVersion.unscoped.filter(pk=draft.pk).update(total_cards=128, tags=["推理"])
    submit(manager, offering)
    page = client.get(reverse("review:version", args=[draft.pk]))
    assert [(d.field, d.old, d.new) for d in page.context["diff"]] == [
        ("tags", "推理, inference", "推理"),
        ("total_cards", "64", "128"),
    ]
    assert client.get(reverse("review:version", args=[999999])).status_code == 404


def test_approve_from_the_queue_row_with_htmx(staff, queue, manager):
    client = member_client(staff)
    version = queue["newest"]
    response = client.post(
        reverse("review:approve", args=[version.pk]),
        headers={"HX-Request": "true", "HX-Target": f"review-row-{version.pk}"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="review-row-{version.pk}"' not in body  # the row leaves the queue
    assert 'id="queue-count"' in body and 'hx-swap-oob="true">2<' in body
    assert "approved and live" in body
    offering = Offering.unscoped.get(pk=version.offering_id)
    assert offering.status == OfferingStatus.PUBLISHED and offering.live_version_id == version.pk
    assert Notification.objects.filter(recipient=manager.user, title__contains="published").exists()


def test_reject_needs_a_reason_and_the_partner_sees_it(staff, queue, manager):
    client = member_client(staff)
    version = queue["newest"]
    row_headers = {"HX-Request": "true", "HX-Target": f"review-row-{version.pk}"}

    response = client.post(reverse("review:reject", args=[version.pk]), {"reason": "  "}, headers=row_headers)
    assert response.status_code == 200  # htmx swaps only 2xx: the row comes back with the error
    assert f'id="review-row-{version.pk}"' in response.content.decode()
    assert "Tell the partner why" in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.IN_REVIEW and version.review_note == ""

    response = client.post(reverse("review:reject", args=[version.pk]), {"reason": ""})
    assert response.status_code == 400 and "Tell the partner why" in response.content.decode()

    response = client.post(reverse("review:reject", args=[version.pk]), {"reason": "Add the data-centre address."})
    assert response.status_code == 302 and response["Location"] == reverse("review:queue")
    version.refresh_from_db()
    assert (version.state, version.review_note, version.reviewed_by_id) == (
        VersionState.REJECTED,
        "Add the data-centre address.",
        staff.user_id,
    )
    detail = member_client(manager).get(reverse("partner:listing-detail", args=[version.offering_id]))
    assert "Add the data-centre address." in detail.content.decode()


def test_deciding_twice_says_so(staff, queue):
    client = member_client(staff)
    version = queue["newest"]
    client.post(reverse("review:approve", args=[version.pk]))
    response = client.post(
        reverse("review:reject", args=[version.pk]),
        {"reason": "late"},
        headers={"HX-Request": "true", "HX-Target": f"review-row-{version.pk}"},
    )
    assert response.status_code == 200 and "not waiting for review" in response.content.decode()
    response = client.post(reverse("review:approve", args=[version.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "not waiting for review" in response.content.decode()
    version.refresh_from_db()
    assert version.state == VersionState.LIVE


def test_version_page_actions_with_htmx_redirect_to_the_queue(staff, queue):
    version = queue["middle"]
    response = member_client(staff).post(
        reverse("review:approve", args=[version.pk]), headers={"HX-Request": "true", "HX-Target": "review-actions"}
    )
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("review:queue")


# --- API ----------------------------------------------------------------------------------------


def test_api_review_queue_approve_and_reject(staff, queue, manager):
    client = member_client(staff)
    response = client.get(reverse("api:partner-review-list"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [queue["oldest"].pk, queue["middle"].pk, queue["newest"].pk]
    assert results[0]["partner"] == "Beta Partner Ltd." and results[0]["content"]["name_en"] == "Beta model"
    assert client.get(reverse("api:partner-review-list"), {"kind": "compute"}).json()["count"] == 1

    response = client.post(reverse("api:partner-review-approve", args=[queue["oldest"].pk]))
    assert response.status_code == 200 and response.json()["state"] == "live"

    url = reverse("api:partner-review-reject", args=[queue["middle"].pk])
    response = client.post(url, {"reason": ""}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    response = client.post(url, {"reason": "Licence text missing."}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["review_note"]) == ("rejected", "Licence text missing.")

    response = client.post(reverse("api:partner-review-approve", args=[queue["oldest"].pk]))
    assert response.status_code == 400 and "not waiting" in response.json()["error"]["message"]
    assert client.get(reverse("api:partner-review-list")).json()["count"] == 1

    # The partner reads the reason through its own API.
    mine = member_client(manager).get(reverse("api:partner-listing-detail", args=[queue["middle"].offering_id]))
    assert mine.json()["open_version"]["review_note"] == "Licence text missing."


def test_api_review_detail_and_missing_version(staff, queue):
    client = member_client(staff)
    response = client.get(reverse("api:partner-review-detail", args=[queue["newest"].pk]))
    assert response.status_code == 200
    content = response.json()["content"]
    assert content["price_per_card_hour"] == str(Decimal("8.50")) and content["chip_type"] == "test-ascend-910b"
    assert client.post(reverse("api:partner-review-approve", args=[999999])).status_code == 404


def test_operators_cannot_open_a_draft_that_was_never_submitted(staff, queue):
    draft = OfferingVersion.unscoped.get(offering=queue["draft"])
    client = member_client(staff)
    assert client.get(reverse("review:version", args=[draft.pk])).status_code == 404
    assert client.post(reverse("review:approve", args=[draft.pk])).status_code == 404
    assert client.get(reverse("api:partner-review-detail", args=[draft.pk])).status_code == 404
    assert client.post(reverse("api:partner-review-approve", args=[draft.pk])).status_code == 404
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT


def test_queue_query_count_does_not_grow_with_submissions(staff, manager, chip):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = member_client(staff)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("review:queue")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        in_review(manager, OfferingKind.COMPUTE, compute_content(chip, name_en=f"Pool {i}"))
    small = count()
    for i in range(3, 30):
        in_review(manager, OfferingKind.MODEL, model_content(name_en=f"Model {i}"))
    assert count() == small
    assert client.get(reverse("api:partner-review-list")).json()["count"] == 30
