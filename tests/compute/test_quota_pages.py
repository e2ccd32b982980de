"""Quota pages: a company's meters and requests, the request form, the operator's decisions, defaults
and overrides, and who may open what."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from compute.models import QuotaDefault, QuotaOverride, QuotaRequest, RequestState
from compute.quotas import limits_for, usage_for
from compute.selectors import LimitSource, quota_rows
from notifications.models import Notification
from tenants.roles import Role, TenantKind
from tests.compute import world as compute_world
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory

HX = {"HX-Request": "true"}


@pytest.fixture
def w(db):
    return compute_world.build()


def meter_numbers(row) -> list[tuple]:
    return [(m.used, m.limit) for m in row.meters]


def ask(client, chip, *, cards, hours, jobs, reason="Nightly retraining of the defect model."):
    data = {"chip_type": chip.pk, "concurrent_cards": cards, "card_hours_month": hours, "concurrent_jobs": jobs}
    return client.post(reverse("compute:quota-request"), data | {"reason": reason})


# --- The company's quotas page ----------------------------------------------------------------------


def test_meters_show_usage_against_limits_per_chip_used(w):
    response = member_client(w.owner).get(reverse("compute:quotas"))

    assert response.status_code == 200
    rows = {row.chip.slug: row for row in response.context["quota_rows"]}
    assert sorted(rows) == ["a100-80g", "ascend-910b"]  # used or with a quota; H800 is only Beta's
    assert meter_numbers(rows["ascend-910b"]) == [(3, 16), (2, 6), (12.5, 500)]
    assert rows["ascend-910b"].source == LimitSource.DEFAULT
    assert meter_numbers(rows["a100-80g"]) == [(0, 8), (0, 4), (0, 200)]  # a pending job holds nothing
    assert rows["a100-80g"].source == LimitSource.BUILT_IN
    body = response.content.decode()
    assert "3 / 16" in body and "2 / 6" in body and "12.5 / 500" in body and "0 / 200" in body
    assert "H800" not in body


def test_rows_agree_with_the_quota_service(w):
    for row in quota_rows(w.company):
        assert row.limits == limits_for(w.company, row.chip.pk)
        assert row.usage == usage_for(w.company, row.chip.pk)


def test_every_chip_type_on_request_and_as_a_fragment(w):
    client = member_client(w.owner)
    response = client.get(reverse("compute:quotas"), {"chips": "all"}, headers=HX)

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="meters"')
    assert [row.chip.slug for row in response.context["quota_rows"]] == ["ascend-910b", "a100-80g", "h800"]
    assert "H800" in body and "0 / 8" in body  # no usage of Beta's leaks into A's H800 row


def test_quota_rows_take_a_fixed_number_of_queries(w):
    with CaptureQueriesContext(connection) as few:
        quota_rows(w.company, every_chip=True)
    for i in range(5):
        compute_world.chip(f"extra-{i}", "Vendor", f"X{i}", 50)
    with CaptureQueriesContext(connection) as many:
        rows = quota_rows(w.company, every_chip=True)
    assert len(rows) == 8
    assert len(many) == len(few) == 5


def test_dashboard_partial_renders_the_rows(w):
    html = render_to_string("compute/_quota_meters.html", {"quota_rows": quota_rows(w.company)})
    assert 'data-chip="ascend-910b"' in html and "3 / 16" in html and "Ask for more" not in html


def test_company_requests_are_listed_with_state_and_note(w):
    QuotaRequest.unscoped.create(
        tenant=w.company,
        chip_type=w.ascend,
        concurrent_cards=32,
        card_hours_month=500,
        concurrent_jobs=6,
        reason="more",
        state=RequestState.REJECTED,
        decision_note="Pool is full until March",
    )
    response = member_client(w.viewer).get(reverse("compute:quotas"))

    body = response.content.decode()
    assert [r.state for r in response.context["page"]] == [RequestState.REJECTED]
    assert "Pool is full until March" in body and "Rejected" in body
    assert "Beta&#x27;s secret" not in body and "Beta's secret" not in body
    assert "Ask for more" not in body  # a viewer may look, not ask


# --- The request form -----------------------------------------------------------------------------


def test_request_form_starts_at_the_limits_now(w):
    client = member_client(w.developer)
    response = client.get(reverse("compute:quota-request"), {"chip": "ascend-910b"})

    form = response.context["form"]
    assert form.initial == {
        "chip_type": w.ascend.pk,
        "reason": "",
        "concurrent_cards": 16,
        "card_hours_month": 500,
        "concurrent_jobs": 6,
    }
    assert "Your limit now: 16" in response.content.decode()

    switched = client.get(
        reverse("compute:quota-request"), {"chip_type": w.a100.pk, "reason": "typed so far"}, headers=HX
    )
    assert switched.content.decode().lstrip().startswith('<div class="card" id="request-form">')
    assert switched.context["form"].initial["concurrent_cards"] == 8
    assert switched.context["form"].initial["reason"] == "typed so far"


@pytest.mark.parametrize(
    "values,field,message",
    [
        (
            {"cards": 16, "hours": 500, "jobs": 6},
            None,
            "Ask for more than your current limit in at least one of cards at once, card-hours or jobs at once.",
        ),
        ({"cards": 8, "hours": 900, "jobs": 6}, "concurrent_cards", "Your limit is already 16"),
        ({"cards": 32, "hours": 500, "jobs": 0}, "concurrent_jobs", "greater than or equal to 1"),
    ],
)
def test_request_must_raise_a_limit_and_lower_none(w, values, field, message):
    response = ask(member_client(w.developer), w.ascend, **values)

    assert response.status_code == 400
    errors = response.context["form"].errors.get(field or "__all__")
    assert errors and message in errors[0]
    assert message.split(";")[0] in response.content.decode().replace("&#x27;", "'")
    assert not QuotaRequest.unscoped.filter(tenant=w.company).exists()


def test_request_needs_a_reason(w):
    response = ask(member_client(w.developer), w.ascend, cards=32, hours=500, jobs=6, reason="")
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["This field is required."]
    assert not QuotaRequest.unscoped.filter(tenant=w.company).exists()


def test_request_is_sent_and_operators_are_told(w):
    response = ask(member_client(w.developer), w.ascend, cards=32, hours=500, jobs=6)

    assert response.status_code == 302 and response["Location"] == reverse("compute:quotas")
    sent = QuotaRequest.unscoped.get(tenant=w.company)
    assert (sent.chip_type, sent.concurrent_cards, sent.card_hours_month, sent.concurrent_jobs) == (
        w.ascend,
        32,
        500,
        6,
    )
    assert sent.state == RequestState.PENDING and sent.requested_by == w.developer.user
    assert AuditEntry.unscoped.filter(action="quota.request", object_id=str(sent.pk)).count() == 1
    note = Notification.objects.get(recipient=w.staff.user)
    assert note.url == reverse("compute:quota-requests")
    assert member_client(w.staff).get(note.url)["Location"] == reverse("compute-operator:quota-requests")


def test_request_over_htmx_redirects_the_page(w):
    data = {"chip_type": w.a100.pk, "concurrent_cards": 8, "card_hours_month": 400, "concurrent_jobs": 4}
    response = member_client(w.owner).post(reverse("compute:quota-request"), data | {"reason": "x"}, headers=HX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("compute:quotas")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.BILLING])
def test_members_without_the_permission_cannot_ask(w, role):
    client = member_client(MembershipFactory(tenant=w.company, role=role))
    assert client.get(reverse("compute:quotas")).status_code == 200
    assert client.get(reverse("compute:quota-request")).status_code == 403
    assert ask(client, w.ascend, cards=32, hours=500, jobs=6).status_code == 403
    assert not QuotaRequest.unscoped.filter(tenant=w.company).exists()


@pytest.mark.parametrize("kind,role", [(TenantKind.PARTNER, Role.OWNER), (TenantKind.GOVERNMENT, Role.PROGRAM_MANAGER)])
def test_company_pages_are_for_companies(w, kind, role):
    client = member_client(MembershipFactory(tenant=TenantFactory(kind=kind), role=role))
    for name in ("compute:quotas", "compute:quota-request"):
        assert client.get(reverse(name)).status_code == 403


# --- Operators: deciding requests ------------------------------------------------------------------


@pytest.fixture
def pending(w):
    ask(member_client(w.developer), w.ascend, cards=32, hours=800, jobs=10)
    return QuotaRequest.unscoped.get(tenant=w.company)


def test_operator_sees_pending_requests_oldest_first_with_current_limits(w, pending):
    response = member_client(w.staff).get(reverse("compute-operator:quota-requests"))

    assert response.status_code == 200
    rows = [p.row for p in response.context["pending"]]
    assert [r.request.pk for r in rows] == [w.other_request.pk, pending.pk]
    assert [(c.current, c.asked) for c in rows[1].changes] == [(16, 32), (500, 800), (6, 10)]
    assert [(c.current, c.asked) for c in rows[0].changes] == [(8, 16), (200, 400), (4, 4)]
    body = response.content.decode()
    assert "Alpha Manufacturing" in body and "Beta Logistics" in body and "Nightly retraining" in body
    assert response.context["pending_count"] == 2


def test_approve_less_than_asked_sets_the_override_and_tells_the_company(w, pending):
    client = member_client(w.staff)
    url = reverse("compute-operator:quota-request-approve", args=[pending.pk])
    data = {"concurrent_cards": 24, "card_hours_month": 800, "concurrent_jobs": 8, "note": "24 for now"}
    response = client.post(url, data, headers=HX | {"HX-Target": f"quota-request-{pending.pk}"})

    assert response.status_code == 200
    body = response.content.decode()
    assert '<span id="pending-count" class="badge text-bg-secondary" hx-swap-oob="true">1</span>' in body
    assert "approved" in body
    pending.refresh_from_db()
    assert pending.state == RequestState.APPROVED and pending.decided_by == w.staff.user
    assert (pending.granted_cards, pending.granted_card_hours, pending.granted_jobs) == (24, 800, 8)
    override = QuotaOverride.unscoped.get(tenant=w.company, chip_type=w.ascend)
    assert (override.concurrent_cards, override.card_hours_month, override.concurrent_jobs) == (24, 800, 8)
    note = Notification.objects.get(recipient=w.developer.user)
    assert note.tenant == w.company and note.url == reverse("compute:quotas") and note.body == "24 for now"

    page = member_client(w.owner).get(reverse("compute:quotas"))
    ascend = next(row for row in page.context["quota_rows"] if row.chip == w.ascend)
    assert meter_numbers(ascend) == [(3, 24), (2, 8), (12.5, 800)] and ascend.source == LimitSource.OVERRIDE


def test_notification_titles_are_words(w, pending):
    member_client(w.staff).post(reverse("compute-operator:quota-request-approve", args=[pending.pk]))
    assert Notification.objects.get(recipient=w.developer.user).title.startswith("Your quota request for")


def test_approve_more_than_asked_is_refused(w, pending):
    url = reverse("compute-operator:quota-request-approve", args=[pending.pk])
    response = member_client(w.staff).post(url, {"concurrent_cards": 64}, headers=HX)

    assert response.status_code == 400
    assert "At most what the company asked for (32)." in response.content.decode()
    assert response.content.decode().lstrip().startswith(f'<tr id="quota-request-{pending.pk}"')
    pending.refresh_from_db()
    assert pending.state == RequestState.PENDING
    assert not QuotaOverride.unscoped.exists()


def test_reject_needs_a_note(w, pending):
    client = member_client(w.staff)
    url = reverse("compute-operator:quota-request-reject", args=[pending.pk])

    response = client.post(url, {"note": "  "}, headers=HX)
    assert response.status_code == 400
    assert "Say why the request is rejected" in response.content.decode()
    pending.refresh_from_db()
    assert pending.state == RequestState.PENDING

    response = client.post(url, {"note": "The Ascend pool is full this quarter."})
    assert response.status_code == 302 and response["Location"] == reverse("compute-operator:quota-requests")
    pending.refresh_from_db()
    assert pending.state == RequestState.REJECTED and pending.decision_note == "The Ascend pool is full this quarter."
    assert not QuotaOverride.unscoped.exists()
    assert Notification.objects.get(recipient=w.developer.user).body == "The Ascend pool is full this quarter."


def test_a_decided_request_leaves_the_list_with_a_warning(w, pending):
    client = member_client(w.staff)
    client.post(reverse("compute-operator:quota-request-reject", args=[pending.pk]), {"note": "no"})

    response = client.post(reverse("compute-operator:quota-request-approve", args=[pending.pk]), headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "alert-warning" in body and "This request has already been decided." in body
    pending.refresh_from_db()
    assert pending.state == RequestState.REJECTED


# --- Operators: defaults and overrides -------------------------------------------------------------


def test_operator_adds_and_changes_defaults(w):
    client = member_client(w.staff)
    url = reverse("compute-operator:quota-default-set")
    new = {"row": "new", "size_class": "small", "chip_type": "", "concurrent_cards": 4}
    response = client.post(url, new | {"card_hours_month": 100, "concurrent_jobs": 2}, headers=HX)

    assert response.status_code == 200 and response["HX-Redirect"] == reverse("compute-operator:quotas")
    any_chip = QuotaDefault.objects.get(size_class="small", chip_type=None)
    assert (any_chip.concurrent_cards, any_chip.card_hours_month, any_chip.concurrent_jobs) == (4, 100, 2)
    assert limits_for(w.company, w.a100.pk).concurrent_cards == 4

    ascend = QuotaDefault.objects.get(size_class="small", chip_type=w.ascend)
    edit = {"row": ascend.pk, "size_class": "small", "chip_type": w.ascend.pk, "concurrent_cards": 20}
    client.post(url, edit | {"card_hours_month": 600, "concurrent_jobs": 6})
    ascend.refresh_from_db()
    assert (ascend.concurrent_cards, ascend.card_hours_month) == (20, 600)
    audit = AuditEntry.unscoped.filter(action="quota.default", object_id=str(ascend.pk)).get()
    assert audit.before["concurrent_cards"] == 16 and audit.after["concurrent_cards"] == 20

    page = client.get(reverse("compute-operator:quotas"))
    assert [d.pk for d, _form in page.context["default_rows"]] == [any_chip.pk, ascend.pk]


def test_an_invalid_default_row_comes_back_with_its_error(w):
    ascend = QuotaDefault.objects.get(size_class="small", chip_type=w.ascend)
    data = {"row": ascend.pk, "size_class": "small", "chip_type": w.ascend.pk, "concurrent_cards": -1}
    response = member_client(w.staff).post(
        reverse("compute-operator:quota-default-set"),
        data | {"card_hours_month": 600, "concurrent_jobs": 6},
        headers=HX,
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="defaults"')
    assert "greater than or equal to 0" in body
    ascend.refresh_from_db()
    assert ascend.concurrent_cards == 16


@pytest.mark.parametrize("company", ["credit_code", "Alpha Manufacturing", "甲制造有限公司"])
def test_operator_sets_an_override_by_credit_code_or_name(w, company):
    value = w.company.credit_code.lower() if company == "credit_code" else company
    data = {"company": value, "chip_type": w.a100.pk, "concurrent_cards": 12, "card_hours_month": 300}
    response = member_client(w.staff).post(
        reverse("compute-operator:quota-override-set"), data | {"concurrent_jobs": 5, "note": "pilot"}
    )

    assert response.status_code == 302
    override = QuotaOverride.unscoped.get(tenant=w.company, chip_type=w.a100)
    assert (override.concurrent_cards, override.card_hours_month, override.concurrent_jobs) == (12, 300, 5)
    assert override.set_by == w.staff.user and override.note == "pilot"


def test_override_for_an_unknown_company_is_refused(w):
    data = {"company": "Nobody Ltd.", "chip_type": w.a100.pk, "concurrent_cards": 1, "card_hours_month": 1}
    response = member_client(w.staff).post(
        reverse("compute-operator:quota-override-set"), data | {"concurrent_jobs": 1}, headers=HX
    )
    assert response.status_code == 400
    assert "No company has this credit code or name." in response.content.decode()
    assert not QuotaOverride.unscoped.exists()


def test_overrides_list_search_prefill_and_company_suggestions(w):
    client = member_client(w.staff)
    data = {"company": w.company.credit_code, "chip_type": w.a100.pk, "concurrent_cards": 12, "card_hours_month": 300}
    client.post(reverse("compute-operator:quota-override-set"), data | {"concurrent_jobs": 5})
    url = reverse("compute-operator:quotas")

    assert [o.tenant for o in client.get(url, {"q": "Alpha"}).context["page"]] == [w.company]
    assert list(client.get(url, {"q": "Beta"}).context["page"]) == []
    prefilled = client.get(url, {"company": w.company.credit_code, "chip": "a100-80g"}).context["override_form"]
    assert prefilled.initial["concurrent_cards"] == 12 and prefilled.initial["company"] == w.company.credit_code

    options = client.get(url, {"company": "Alph"}, headers=HX | {"HX-Target": "company-options"})
    body = options.content.decode()
    assert body.startswith('<datalist id="company-options">')
    assert f'<option value="{w.company.credit_code}">' in body and "Beta" not in body


# --- Who may open the operator pages ---------------------------------------------------------------

OPERATOR_GETS = ["compute-operator:quota-requests", "compute-operator:quotas", "compute-operator:pools"]
OPERATOR_POSTS = ["compute-operator:quota-default-set", "compute-operator:quota-override-set"]


@pytest.mark.parametrize("who", ["owner", "developer", "other_owner"])
def test_operator_pages_refuse_company_members(w, who):
    client = member_client(getattr(w, who))
    for name in [*OPERATOR_GETS, "compute:quota-requests"]:
        assert client.get(reverse(name)).status_code == 403, name
    for name in OPERATOR_POSTS:
        assert client.post(reverse(name), {"row": "new", "size_class": "small"}).status_code == 403, name
    for name in ("compute-operator:quota-request-approve", "compute-operator:quota-request-reject"):
        response = client.post(reverse(name, args=[w.other_request.pk]), {"note": "mine now"})
        assert response.status_code == 403, name
    w.other_request.refresh_from_db()
    assert w.other_request.state == RequestState.PENDING
    assert not QuotaDefault.objects.exclude(chip_type=w.ascend).exists()


def test_operator_pages_send_anonymous_people_to_log_in(w, anon):
    for name in OPERATOR_GETS:
        assert anon.get(reverse(name))["Location"].startswith(reverse("account_login"))


def test_operator_post_routes_do_not_answer_get(w):
    client = member_client(w.staff)
    for name in OPERATOR_POSTS:
        assert client.get(reverse(name)).status_code == 405
    assert client.get(reverse("compute-operator:quota-request-approve", args=[w.other_request.pk])).status_code == 405


def test_pages_render_in_chinese(w):
    ask(member_client(w.developer), w.ascend, cards=32, hours=800, jobs=10)
    for member, names in (
        (w.owner, ["compute:quotas", "compute:quota-request"]),
        (w.staff, OPERATOR_GETS),
    ):
        client = member_client(member)
        client.cookies["django_language"] = "zh-hans"
        for name in names:
            response = client.get(reverse(name))
            assert response.status_code == 200, name
            assert '<html lang="zh-hans">' in response.content.decode(), name
