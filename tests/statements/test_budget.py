"""The monthly budget: setting it (page and service) and the 80% / 100% alerts, once each per month."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from notifications.models import Notification
from statements.models import BudgetAlert, MonthlyBudget
from statements.periods import Month
from statements.services import budget_clear, budget_set, budgets_check, crossed
from tenants.roles import Role
from tests.conftest import member_client

pytestmark = pytest.mark.django_db


def notes(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def budget_fen(shop) -> int | None:
    row = MonthlyBudget.unscoped.filter(tenant=shop.company).first()
    return row.amount_fen if row else None


# --- Alerts -------------------------------------------------------------------------------------


@pytest.fixture
def people(shop, billing_member, viewer):
    """Who hears about the budget: owner and billing member; not the viewer nor a developer."""
    return {
        "owner": shop.owner.user,
        "billing": billing_member.user,
        "viewer": viewer.user,
        "developer": shop.member(Role.DEVELOPER).user,
    }


def test_alerts_fire_once_at_80_and_once_at_100_percent(shop, people):
    budget_set(tenant=shop.company, amount_fen=1000, actor=shop.owner.user)  # ¥10
    job = shop.launch()
    shop.use(job, 3600)  # ¥8.00 = 80%
    assert budgets_check() == 1
    assert notes(people["owner"]) == notes(people["billing"]) == ["80% of this month's budget is used"]
    assert notes(people["viewer"]) == notes(people["developer"]) == []
    assert budgets_check() == 0  # not again
    shop.use(job, 900)  # +¥2.00 = 100%
    assert budgets_check() == 1
    assert notes(people["owner"])[-1] == "This month's spending has reached your budget of ¥10.00"
    shop.use(job, 900)
    assert budgets_check() == 0
    assert len(notes(people["owner"])) == len(notes(people["billing"])) == 2
    month = Month.current().first_day
    alerts = BudgetAlert.unscoped.filter(tenant=shop.company, month=month).order_by("threshold")
    assert list(alerts.values_list("threshold", "spend_fen", "budget_fen")) == [(80, 800, 1000), (100, 1000, 1000)]
    note = Notification.objects.filter(recipient=people["owner"]).order_by("pk").first()
    assert note.url == reverse("statements:spending")
    assert "¥8.00 of your ¥10.00 budget" in note.body


def test_below_80_percent_nothing_is_sent(shop, people):
    budget_set(tenant=shop.company, amount_fen=1001, actor=shop.owner.user)
    shop.use(shop.launch(), 3600)  # ¥8.00 of ¥10.01 = 79.9%
    assert budgets_check() == 0
    assert notes(people["owner"]) == []
    assert not BudgetAlert.unscoped.exists()


def test_crossing_both_at_once_sends_only_the_100_percent_alert(shop, people):
    budget_set(tenant=shop.company, amount_fen=500, actor=shop.owner.user)
    shop.use(shop.launch(), 3600)  # ¥8 of ¥5
    assert budgets_check() == 1
    assert notes(people["owner"]) == ["This month's spending has reached your budget of ¥5.00"]
    assert sorted(BudgetAlert.unscoped.values_list("threshold", flat=True)) == [80, 100]
    assert budgets_check() == 0


def test_raising_the_budget_rearms_its_alerts(shop, people):
    budget_set(tenant=shop.company, amount_fen=1000, actor=shop.owner.user)
    job = shop.launch()
    shop.use(job, 3600)
    budgets_check()
    budget_set(tenant=shop.company, amount_fen=2000, actor=shop.owner.user)  # now 40%
    assert not BudgetAlert.unscoped.exists()
    shop.use(job, 3600)  # ¥16 of ¥20
    assert budgets_check() == 1
    assert notes(people["owner"]) == ["80% of this month's budget is used"] * 2
    # Lowering it keeps what was already said and only adds what is new.
    budget_set(tenant=shop.company, amount_fen=1500, actor=shop.owner.user)
    assert budgets_check() == 1
    assert notes(people["owner"])[-1] == "This month's spending has reached your budget of ¥15.00"


def test_alerts_are_worded_in_each_recipients_language(shop, people):
    people["billing"].language = "zh-hans"
    people["billing"].save(update_fields=["language"])
    budget_set(tenant=shop.company, amount_fen=1000, actor=shop.owner.user)
    shop.use(shop.launch(), 3600)
    budgets_check()
    assert notes(people["billing"]) == ["本月预算已使用 80%"]
    assert notes(people["owner"]) == ["80% of this month's budget is used"]


def test_companies_without_a_budget_are_left_alone(shop, people):
    shop.use(shop.launch(), 3600)
    assert budgets_check() == 0
    assert Notification.objects.count() == 0


def test_thresholds():
    assert crossed(799, 1000) == []
    assert crossed(800, 1000) == [80]
    assert crossed(1000, 1000) == [80, 100]
    assert crossed(5000, 1000) == [80, 100]


# --- Setting it ---------------------------------------------------------------------------------


def test_budget_set_change_and_clear_are_audited(shop):
    budget_set(tenant=shop.company, amount_fen=5000, actor=shop.owner.user)
    budget_set(tenant=shop.company, amount_fen=7000, actor=shop.owner.user)
    assert budget_fen(shop) == 7000
    assert budget_clear(tenant=shop.company, actor=shop.owner.user) is True
    assert budget_fen(shop) is None
    assert budget_clear(tenant=shop.company, actor=shop.owner.user) is False
    entries = AuditEntry.unscoped.filter(tenant=shop.company, action__startswith="budget.").order_by("pk")
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("budget.set", None, {"amount_fen": 5000}),
        ("budget.set", {"amount_fen": 5000}, {"amount_fen": 7000}),
        ("budget.clear", {"amount_fen": 7000}, None),
    ]


def test_owner_sets_and_removes_the_budget_on_the_page(shop):
    client = member_client(shop.owner)
    assert client.get(reverse("statements:budget")).status_code == 200
    response = client.post(reverse("statements:budget"), {"amount": "1234.50"})
    assert response.status_code == 302 and response["Location"] == reverse("statements:spending")
    assert budget_fen(shop) == 123_450
    page = client.get(reverse("statements:spending")).content.decode()
    assert "0% of your ¥1,234.50 budget" in page
    assert 'value="1234.50"' in client.get(reverse("statements:budget")).content.decode()
    response = client.post(reverse("statements:budget"), {"clear": "1"})
    assert response.status_code == 302 and budget_fen(shop) is None


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.005", "", "100000001"])
def test_invalid_budgets_change_nothing(shop, amount):
    budget_set(tenant=shop.company, amount_fen=5000, actor=shop.owner.user)
    response = member_client(shop.owner).post(reverse("statements:budget"), {"amount": amount})
    assert response.status_code == 400
    assert response.context["form"].errors["amount"]
    assert budget_fen(shop) == 5000


def test_htmx_error_returns_the_form_fragment(shop):
    response = member_client(shop.owner).post(reverse("statements:budget"), {"amount": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="card" id="budget-card">') and "<html" not in body


def test_htmx_success_redirects_the_browser(shop):
    response = member_client(shop.owner).post(reverse("statements:budget"), {"amount": "10"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("statements:spending")


def test_billing_member_may_set_the_budget(shop, billing_member):
    assert member_client(billing_member).post(reverse("statements:budget"), {"amount": "10"}).status_code == 302
    assert budget_fen(shop) == 1000


def test_viewer_may_not_set_or_clear_the_budget(shop, viewer):
    budget_set(tenant=shop.company, amount_fen=5000, actor=shop.owner.user)
    client = member_client(viewer)
    assert client.get(reverse("statements:budget")).status_code == 403
    assert client.post(reverse("statements:budget"), {"amount": "10"}).status_code == 403
    assert client.post(reverse("statements:budget"), {"clear": "1"}).status_code == 403
    assert budget_fen(shop) == 5000
