"""Applying and reviewing through the pages and the API: eligibility (told why), four-eyes above the
program's threshold, nobody confirms their own approval or decides their own company's application,
bulk decisions, revocation and expiry with the money back where it belongs."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from billing.models import Account
from tenants.choices import Province
from tenants.roles import Role
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory, credit_code
from tests.vouchers import world as vw
from vouchers import services
from vouchers.models import Application, ApplicationState, Program, ProgramStatus, Voucher, VoucherState

PDF = b"%PDF-1.4\n% business licence\n"


@pytest.fixture
def gov(db):
    return vw.office()


@pytest.fixture
def shop(db):
    company = TenantFactory(province=Province.SICHUAN, city="成都", founded_on=date(2020, 5, 1))
    return MembershipFactory(tenant=company, role=Role.OWNER)


def apply_page(client, program, amount="2000", **extra):
    data = {"amount": amount, "purpose": "客服知识库", "expected_outcome": "减少人工客服 30%"} | extra
    return client.post(reverse("vouchers:program", args=[program.pk]), data)


# --- Eligibility ------------------------------------------------------------------------------------


def test_company_outside_the_region_is_told_why_and_cannot_apply(gov, shop):
    program = vw.program(gov, provinces=[Province.BEIJING])
    client = member_client(shop)
    page = client.get(reverse("vouchers:program", args=[program.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-rule="region" data-passed="no"' in html
    assert "Your company is registered in Sichuan." in html
    assert 'id="apply-form"' not in html and 'id="not-eligible"' in html
    # Posting anyway is refused with the reason, and nothing is created.
    response = apply_page(client, program)
    assert response.status_code == 400
    assert "Registered in Beijing" in response.content.decode()
    assert not Application.unscoped.exists()
    # The API says the same.
    api = client.get(reverse("api:voucher-program-eligibility", args=[program.pk])).json()
    assert api["eligible"] is False
    assert {r["rule"]: r["passed"] for r in api["rules"]}["region"] is False
    refused = client.post(
        reverse("api:voucher-application-list"),
        {"program": program.pk, "amount_fen": 100_00, "purpose": "p", "expected_outcome": "o"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ineligible"
    assert "Sichuan" in refused.json()["error"]["message"]


def test_precheck_names_each_rule_in_chinese(gov, shop):
    shop.user.language = "zh-hans"
    shop.user.save()
    program = vw.program(gov, industries=["health"], size_classes=["micro"], min_company_age_months=120)
    client = member_client(shop)
    html = client.get(reverse("vouchers:program", args=[program.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for rule in ("industry", "size", "age"):
        assert f'data-rule="{rule}" data-passed="no"' in html
    assert "贵企业所属行业为零售与电子商务。" in html
    assert "因此无法申请" in html


def test_company_applies_with_attachment_and_reviewers_are_told(gov, shop):
    program = vw.program(gov)
    client = member_client(shop)
    bad = apply_page(client, program, affiliates="91510100MA0000001X")
    assert bad.status_code == 400
    assert "These are not valid unified social credit codes: 91510100MA0000001X" in bad.content.decode()
    licence = SimpleUploadedFile("licence.pdf", PDF, content_type="application/pdf")
    response = apply_page(client, program, attachments=[licence], affiliates=credit_code())
    assert response.status_code == 302
    application = Application.unscoped.get()
    assert application.amount_fen == 2000_00 and application.state == ApplicationState.SUBMITTED
    assert application.attachments.count() == 1
    assert all(r["passed"] for r in application.eligibility)
    # The reviewer sees it in the queue and can open the attachment; the company can too.
    reviewer = member_client(gov.reviewer)
    queue = reviewer.get(reverse("vouchers-gov:queue")).content.decode()
    assert f'data-id="{application.pk}"' in queue
    attachment = application.attachments.get()
    assert reviewer.get(reverse("vouchers:attachment", args=[attachment.pk])).status_code == 200
    assert client.get(reverse("vouchers:attachment", args=[attachment.pk])).status_code == 200
    # Another company cannot.
    other = MembershipFactory(tenant=TenantFactory(), role=Role.OWNER)
    assert member_client(other).get(reverse("vouchers:attachment", args=[attachment.pk])).status_code == 404
    # A second application to the same program waits for the first to be decided.
    again = apply_page(client, program)
    assert again.status_code == 400
    assert "already has an application waiting" in again.content.decode()


def test_bad_attachment_is_refused_with_its_name(gov, shop):
    program = vw.program(gov)
    fake = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = apply_page(member_client(shop), program, attachments=[fake])
    assert response.status_code == 400
    assert "plan.pdf is not a PDF, JPG or PNG file." in response.content.decode()
    assert not Application.unscoped.exists()


# --- Four eyes --------------------------------------------------------------------------------------


def test_four_eyes_through_the_pages(gov, shop):
    program = vw.program(gov, four_eyes_above_fen=1000_00)
    application = services.submit_application(
        program=program, company=shop.tenant, actor=shop.user, amount_fen=5000_00, purpose="p", expected_outcome="o"
    )
    first = member_client(gov.reviewer)
    url = reverse("vouchers-gov:application", args=[application.pk])
    assert first.post(url, {"action": "approve", "note": "材料齐全"}).status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.SECOND_REVIEW
    assert not Voucher.unscoped.exists()
    # The first reviewer cannot confirm their own approval.
    again = first.post(url, {"action": "approve"})
    assert again.status_code == 400
    assert "You recorded the first approval" in again.content.decode()
    application.refresh_from_db()
    assert application.state == ApplicationState.SECOND_REVIEW
    # A second reviewer confirms: the voucher is issued from the budget.
    assert member_client(gov.reviewer2).post(url, {"action": "approve"}).status_code == 302
    application.refresh_from_db()
    voucher = application.voucher
    assert application.state == ApplicationState.ISSUED and application.second_reviewer == gov.reviewer2.user
    assert voucher.amount_fen == 5000_00 and voucher.account.balance_fen == 5000_00
    assert Account.objects.get(pk=program.budget_account_id).balance_fen == program.budget_fen - 5000_00
    actions = set(AuditEntry.unscoped.filter(tenant=gov.tenant).values_list("action", flat=True))
    assert {"voucher.application.first_approval", "voucher.issue", "voucher.program.open"} <= actions
    assert AuditEntry.unscoped.filter(tenant=shop.tenant, action="voucher.issue").exists()


def test_below_the_threshold_one_approval_issues(gov, shop):
    program = vw.program(gov, four_eyes_above_fen=1000_00)
    application = services.submit_application(
        program=program, company=shop.tenant, actor=shop.user, amount_fen=800_00, purpose="p", expected_outcome="o"
    )
    application = services.approve(application, gov.reviewer.user)
    assert application.state == ApplicationState.ISSUED


def test_four_eyes_and_self_approval_through_the_api(gov, shop):
    program = vw.program(gov, four_eyes_above_fen=0)
    company_api = member_client(shop)
    created = company_api.post(
        reverse("api:voucher-application-list"),
        {"program": program.pk, "amount_fen": 300_00, "purpose": "p", "expected_outcome": "o"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    approve_url = reverse("api:gov-application-approve", args=[pk])
    first = member_client(gov.reviewer)
    assert first.post(approve_url, {}, content_type="application/json").json()["state"] == "second_review"
    refused = first.post(approve_url, {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "four_eyes"
    confirmed = member_client(gov.reviewer2).post(approve_url, {"note": "ok"}, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "issued"
    assert confirmed.json()["voucher"].startswith(program.code)
    # Auditors read, they never decide.
    auditor = member_client(gov.auditor)
    assert auditor.get(reverse("api:gov-application-list")).status_code == 200
    assert (
        auditor.post(
            reverse("api:gov-application-reject", args=[pk]), {"note": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    # Companies cannot reach the review endpoints at all.
    assert company_api.post(approve_url, {}, content_type="application/json").status_code == 403


def test_nobody_decides_their_own_companys_application(gov, shop):
    program = vw.program(gov)
    # The reviewer is also a member of the applying company (and submitted it).
    MembershipFactory(tenant=shop.tenant, user=gov.reviewer.user, role=Role.ADMIN)
    application = services.submit_application(
        program=program,
        company=shop.tenant,
        actor=gov.reviewer.user,
        amount_fen=100_00,
        purpose="p",
        expected_outcome="o",
    )
    with pytest.raises(services.VoucherError) as refused:
        services.approve(application, gov.reviewer.user)
    assert refused.value.code == "self_review"
    response = member_client(gov.reviewer).post(
        reverse("api:gov-application-approve", args=[application.pk]), {}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "self_review"
    # A member of the company who did not submit it is refused too (conflict of interest).
    application2 = Application.unscoped.get(pk=application.pk)
    services.withdraw_application(application2, shop.user)
    application3 = services.submit_application(
        program=program, company=shop.tenant, actor=shop.user, amount_fen=100_00, purpose="p", expected_outcome="o"
    )
    with pytest.raises(services.VoucherError) as conflict:
        services.approve(application3, gov.reviewer.user)
    assert conflict.value.code == "conflict_of_interest"
    assert services.approve(application3, gov.reviewer2.user).state == ApplicationState.ISSUED


def test_bulk_decisions_report_each_row(gov):
    program = vw.program(gov, four_eyes_above_fen=500_00, budget_fen=1500_00, max_per_voucher_fen=1000_00)
    apps = []
    for amount in (400_00, 900_00, 300_00):
        company = TenantFactory()
        member = MembershipFactory(tenant=company, role=Role.OWNER)
        apps.append(
            services.submit_application(
                program=program,
                company=company,
                actor=member.user,
                amount_fen=amount,
                purpose="p",
                expected_outcome="o",
            )
        )
    client = member_client(gov.reviewer)
    response = client.post(
        reverse("vouchers-gov:bulk"),
        {"action": "approve", "ids": [a.pk for a in apps], "query": "state=waiting"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    states = {a.pk: Application.unscoped.get(pk=a.pk).state for a in apps}
    assert states == {apps[0].pk: "issued", apps[1].pk: "second_review", apps[2].pk: "issued"}
    assert "First approval recorded" in html and "Approved: voucher" in html
    # Rejecting needs a reason; with one, it goes to the company.
    no_reason = client.post(
        reverse("vouchers-gov:bulk"), {"action": "reject", "ids": [apps[1].pk]}, HTTP_HX_REQUEST="true"
    )
    assert "Give the companies a reason for the rejection." in no_reason.content.decode()
    assert Application.unscoped.get(pk=apps[1].pk).state == "second_review"
    second = member_client(gov.reviewer2)
    second.post(
        reverse("vouchers-gov:bulk"),
        {"action": "reject", "ids": [apps[1].pk], "note": "预算不足"},
        HTTP_HX_REQUEST="true",
    )
    rejected = Application.unscoped.get(pk=apps[1].pk)
    assert rejected.state == "rejected" and rejected.decision_note == "预算不足"


# --- Caps at issue, revoke, expiry --------------------------------------------------------------


def test_caps_are_checked_when_issuing(gov, shop):
    program = vw.program(gov, max_per_voucher_fen=500_00, max_per_company_fen=800_00, max_per_company_year_fen=700_00)
    with pytest.raises(services.VoucherError, match=r"at most ¥500\.00"):
        services.submit_application(
            program=program, company=shop.tenant, actor=shop.user, amount_fen=600_00, purpose="p", expected_outcome="o"
        )
    vw.issue(gov, shop.tenant, program, 500_00)
    # ¥300 more is inside the company cap (¥800) but over the yearly cap (¥700): refused at approval.
    application = services.submit_application(
        program=program, company=shop.tenant, actor=shop.user, amount_fen=300_00, purpose="p", expected_outcome="o"
    )
    with pytest.raises(services.VoucherError, match="yearly cap") as refused:
        services.approve(application, gov.reviewer.user)
    assert refused.value.code == "cap"
    # Over the program cap per company, the company is told at once.
    services.withdraw_application(application, shop.user)
    with pytest.raises(services.VoucherError, match=r"at most ¥300\.00 more"):
        services.submit_application(
            program=program, company=shop.tenant, actor=shop.user, amount_fen=400_00, purpose="p", expected_outcome="o"
        )


def test_revoke_returns_the_rest_and_expiry_moves_it_to_breakage(gov, shop):
    program = vw.program(gov)
    budget_before = Account.objects.get(pk=program.budget_account_id).balance_fen
    first = vw.issue(gov, shop.tenant, program, 300_00)
    client = member_client(gov.manager)
    assert client.post(reverse("vouchers-gov:revoke", args=[first.pk]), {"reason": ""}).status_code == 302
    first.refresh_from_db()
    assert first.state == VoucherState.ACTIVE  # a reason is required
    client.post(reverse("vouchers-gov:revoke", args=[first.pk]), {"reason": "企业注销"})
    first.refresh_from_db()
    assert first.state == VoucherState.REVOKED and first.returned_fen == 300_00
    assert Account.objects.get(pk=program.budget_account_id).balance_fen == budget_before
    # Reviewers cannot revoke.
    second = vw.issue(gov, shop.tenant, program, 200_00)
    member_client(gov.reviewer).post(reverse("vouchers-gov:revoke", args=[second.pk]), {"reason": "x"})
    second.refresh_from_db()
    assert second.state == VoucherState.ACTIVE
    Voucher.unscoped.filter(pk=second.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    assert services.expire_due() == 1
    assert services.expire_due() == 0
    second.refresh_from_db()
    assert second.state == VoucherState.EXPIRED and second.expired_fen == 200_00
    assert Account.objects.get(pk=program.breakage_account_id).balance_fen == 200_00
    assert Account.objects.get(pk=second.account_id).balance_fen == 0


def test_program_lifecycle_through_the_pages(gov):
    client = member_client(gov.manager)
    today = timezone.localdate()
    data = {
        "name": "成都算力券 2027",
        "code": "cd-2027",
        "budget": "500000",
        "ratio": "30",
        "domestic_ratio": "40",
        "max_per_voucher": "50000",
        "max_per_company": "100000",
        "four_eyes_above": "20000",
        "offering_kinds": ["compute"],
        "provinces": [Province.SICHUAN],
        "applications_open_on": today.isoformat(),
        "applications_close_on": (today + timedelta(days=60)).isoformat(),
        "voucher_valid_days": "180",
        "startup_max_age_months": "36",
        "min_company_age_months": "0",
    }
    bad = client.post(reverse("vouchers-gov:program-new"), data | {"max_per_voucher": "900000"})
    assert bad.status_code == 400 and "A voucher cannot be larger than the whole budget." in bad.content.decode()
    response = client.post(reverse("vouchers-gov:program-new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    program = Program.unscoped.get(code="CD-2027")
    assert (program.ratio_bp, program.domestic_ratio_bp, program.budget_fen) == (3000, 4000, 500_000_00)
    assert program.status == ProgramStatus.DRAFT and program.budget_account_id is None
    # Companies do not see drafts.
    company = MembershipFactory(tenant=TenantFactory(), role=Role.OWNER)
    assert member_client(company).get(reverse("vouchers:program", args=[program.pk])).status_code == 404
    client.post(reverse("vouchers-gov:program-action", args=[program.pk, "open"]))
    program.refresh_from_db()
    assert program.status == ProgramStatus.OPEN
    assert Account.objects.get(pk=program.budget_account_id).balance_fen == 500_000_00
    assert member_client(company).get(reverse("vouchers:program", args=[program.pk])).status_code == 200
    # A reviewer cannot open, close or create programs.
    reviewer = member_client(gov.reviewer)
    assert reviewer.post(reverse("vouchers-gov:program-action", args=[program.pk, "close"])).status_code == 403
    client.post(reverse("vouchers-gov:program-action", args=[program.pk, "close"]))
    program.refresh_from_db()
    assert program.status == ProgramStatus.CLOSED
