"""The program report against the ledger, to the fen; the breakdowns add up; the exports carry the
same figures; government staff (auditors included) read it, nobody else does."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from billing.models import Leg, TxnKind
from tenants.choices import Industry, Province
from tenants.roles import Role
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory
from tests.settlements import world as settle_world
from tests.vouchers import world as vw
from vouchers import reports, services
from vouchers.models import Redemption, Voucher


def legs_sum(account_ids, **filters) -> int:
    return Leg.objects.filter(account_id__in=account_ids, **filters).aggregate(s=Sum("amount_fen", default=0))["s"]


@pytest.fixture
def scene(db, job_dirs):
    """A program with four holders: one spends through rating, one is revoked, one expires, one is
    untouched; one application waits for a second reviewer and one is rejected."""
    w = settle_world.build()
    gov = vw.office()
    program = vw.program(gov, ratio_bp=3000, four_eyes_above_fen=600_00)
    spender = w.company
    spender.industry, spender.province = Industry.HEALTH, Province.SICHUAN
    spender.save()
    others = []
    for industry, province in (
        (Industry.EDUCATION, Province.BEIJING),
        (Industry.RETAIL, Province.SICHUAN),
        (Industry.HEALTH, Province.GUANGDONG),
    ):
        company = TenantFactory(industry=industry, province=province)
        MembershipFactory(tenant=company, role=Role.OWNER)
        others.append(company)
    spent = vw.issue(gov, spender, program, 500_00)
    Voucher.unscoped.filter(pk=spent.pk).update(valid_from=timezone.now() - timedelta(days=1))
    revoked = vw.issue(gov, others[0], program, 200_00)
    expiring = vw.issue(gov, others[1], program, 150_00)
    vw.issue(gov, others[2], program, 800_00)  # four eyes: two approvals
    # Usage: 10 card-hours at ¥8 → 30% = ¥24 from the voucher, in two rating batches.
    job = settle_world.launch_tabular(w)
    now = timezone.now()
    settle_world.use(job, now - timedelta(hours=3), 6 * 3600)
    settle_world.rate()
    settle_world.use(job, now - timedelta(hours=1), 4 * 3600)
    settle_world.rate()
    services.revoke(revoked, gov.manager.user, "企业注销")
    Voucher.unscoped.filter(pk=expiring.pk).update(valid_until=now - timedelta(seconds=1))
    services.expire_due()
    waiting_company = TenantFactory()
    waiting_member = MembershipFactory(tenant=waiting_company, role=Role.OWNER)
    waiting = services.submit_application(
        program=program,
        company=waiting_company,
        actor=waiting_member.user,
        amount_fen=700_00,
        purpose="p",
        expected_outcome="o",
    )
    services.approve(waiting, gov.reviewer.user)
    rejected_company = TenantFactory()
    rejected_member = MembershipFactory(tenant=rejected_company, role=Role.OWNER)
    rejected = services.submit_application(
        program=program,
        company=rejected_company,
        actor=rejected_member.user,
        amount_fen=100_00,
        purpose="p",
        expected_outcome="o",
    )
    services.reject(rejected, gov.reviewer.user, "材料不全")
    program.refresh_from_db()
    return {"gov": gov, "program": program, "w": w}


def test_report_matches_the_ledger_to_the_fen(scene):
    program = scene["program"]
    report = reports.report(program)
    f = report.figures
    voucher_accounts = list(Voucher.unscoped.filter(program=program).values_list("account_id", flat=True))
    # Straight from the legs, not from any balance or voucher row.
    assert f.remaining_fen == legs_sum([program.budget_account_id]) == 100_000_00 - 1650_00 + 200_00
    assert f.issued_fen == legs_sum(voucher_accounts, amount_fen__gt=0) == 1650_00
    assert f.redeemed_fen == -legs_sum(voucher_accounts, transaction__kind=TxnKind.CHARGE) == 24_00
    assert f.returned_fen == 200_00 and f.expired_fen == 150_00
    assert f.expired_fen == legs_sum([program.breakage_account_id])
    assert f.outstanding_fen == legs_sum(voucher_accounts) == 1650_00 - 24_00 - 200_00 - 150_00
    assert f.reserved_fen == 700_00
    assert f.budget_fen == 100_000_00 and f.reconciled
    # The breakdowns and the company table add up to the totals.
    for rows in (report.by_industry, report.by_region, report.by_size):
        assert sum(b.issued_fen for b in rows) == f.issued_fen
        assert sum(b.redeemed_fen for b in rows) == f.redeemed_fen
    assert sum(b.redeemed_fen for b in report.by_provider) == f.redeemed_fen
    assert sum(c.issued_fen for c in report.companies) == f.issued_fen
    assert sum(c.redeemed_fen for c in report.companies) == f.redeemed_fen
    health = next(b for b in report.by_industry if b.label == "Health")
    assert (health.issued_fen, health.redeemed_fen, health.companies) == (1300_00, 24_00, 2)
    n = report.funnel
    assert (n.submitted, n.approved, n.rejected, n.waiting, n.unused) == (6, 4, 1, 1, 3)
    assert sum(report.series["redeemed"]) == pytest.approx(24.0)
    assert Redemption.unscoped.filter(program=program).count() == 2  # one per rated charge


def test_report_pages_and_exports(scene):
    gov, program = scene["gov"], scene["program"]
    auditor = member_client(gov.auditor)
    page = auditor.get(reverse("vouchers-gov:program", args=[program.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="program-chart"' in html and 'id="program-series"' in html
    assert "These figures agree with the ledger to the fen." in html
    assert 'id="fig-redeemed">¥24.00' in html
    rows = list(
        csv.reader(
            io.StringIO(
                auditor.get(reverse("vouchers-gov:report-export", args=[program.pk, "csv"])).content.decode("utf-8-sig")
            )
        )
    )
    assert ["Redeemed", "24.0"] in rows and ["Remaining budget", "98550.0"] in rows
    xlsx = auditor.get(reverse("vouchers-gov:report-export", args=[program.pk, "xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert {"Summary", "By industry", "By region", "By size class", "By provider", "Companies"} <= set(book.sheetnames)
    api = auditor.get(reverse("api:gov-program-report", args=[program.pk])).json()
    assert api["figures"]["redeemed_fen"] == 24_00 and api["figures"]["reconciled"] is True
    over_time = api["over_time"]  # the page's chart, in fen
    assert sum(over_time["redeemed_fen"]) == 24_00 and sum(over_time["issued_fen"]) == api["figures"]["issued_fen"]
    assert len(over_time["periods"]) == len(over_time["issued_fen"]) and over_time["monthly"] is False
    # Nobody outside the office reads it.
    other_gov = vw.office("另一个局")
    assert member_client(other_gov.auditor).get(reverse("vouchers-gov:program", args=[program.pk])).status_code == 404
    company = MembershipFactory(tenant=TenantFactory(), role=Role.OWNER)
    assert member_client(company).get(reverse("vouchers-gov:program", args=[program.pk])).status_code == 403
