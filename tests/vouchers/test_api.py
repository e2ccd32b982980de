"""The voucher API's page-equivalents: attachments on applications (upload, download), changing a
draft program, the report as a file, bulk decisions. Each for the right role and tenant, and
refused to the others."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from tenants.choices import Province
from tenants.roles import Role
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory
from tests.vouchers import world as vw
from vouchers import services
from vouchers.models import Application, ApplicationState, Program, ProgramStatus

PDF = b"%PDF-1.4\n% business licence\n"


@pytest.fixture
def gov(db):
    return vw.office()


@pytest.fixture
def shop(db):
    company = TenantFactory(province=Province.SICHUAN, city="成都", founded_on=date(2020, 5, 1))
    return MembershipFactory(tenant=company, role=Role.OWNER)


def apply_api(client, program, *files, **headers):
    data = {"program": program.pk, "amount_fen": 2000_00, "purpose": "客服知识库", "expected_outcome": "减少人工"}
    return client.post(reverse("api:voucher-application-list"), {**data, "attachments": list(files)}, headers=headers)


def pdf(name="licence.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_company_applies_with_attachments_and_both_sides_download_them(gov, shop):
    program = vw.program(gov)
    client = member_client(shop)
    response = apply_api(client, program, pdf(), pdf("plan.pdf"), **{"Idempotency-Key": "apply-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [a["name"] for a in body["attachments"]] == ["licence.pdf", "plan.pdf"]
    application = Application.unscoped.get(pk=body["id"])
    assert application.attachments.count() == 2
    # The same key and body again: the first answer, nothing created twice.
    again = apply_api(client, program, pdf(), pdf("plan.pdf"), **{"Idempotency-Key": "apply-1"})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Application.unscoped.count() == 1
    url = body["attachments"][0]["url"]
    assert url == reverse("api:voucher-attachment-detail", args=[application.attachments.order_by("pk")[0].pk])
    for member in (shop, gov.auditor, gov.reviewer):
        download = member_client(member).get(url)
        assert download.status_code == 200, member.role
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
    # The gov side lists them on the application too.
    detail = member_client(gov.reviewer).get(reverse("api:gov-application-detail", args=[application.pk])).json()
    assert detail["attachments"][0]["url"] == url
    # Another company, another office, a partner: 404 or 403, never the file.
    other_company = MembershipFactory(tenant=TenantFactory(), role=Role.OWNER)
    other_office = vw.office("绵阳市科技局")
    assert member_client(other_company).get(url).status_code == 404
    assert member_client(other_office.manager).get(url).status_code == 404
    partner = MembershipFactory(tenant=TenantFactory(kind="partner"), role=Role.OWNER)
    assert member_client(partner).get(url).status_code == 403


def test_bad_or_too_many_attachments_are_refused_like_the_page(gov, shop):
    program = vw.program(gov)
    client = member_client(shop)
    fake = pdf("plan.pdf", b"MZ\x90\x00 not a pdf")
    response = apply_api(client, program, fake)
    assert response.status_code == 400
    assert "plan.pdf is not a PDF, JPG or PNG file." in response.content.decode()
    response = apply_api(client, program, *[pdf(f"f{i}.pdf") for i in range(6)])
    assert response.status_code == 400
    assert "Attach at most 5 files." in response.content.decode()
    assert not Application.unscoped.exists()
    # A viewer may not apply at all.
    viewer = MembershipFactory(tenant=shop.tenant, role=Role.VIEWER)
    assert apply_api(member_client(viewer), program, pdf()).status_code == 403


def test_program_manager_changes_a_draft_only(gov):
    draft = vw.program(gov, opened=False)
    url = reverse("api:gov-program-detail", args=[draft.pk])
    manager = member_client(gov.manager)
    response = manager.patch(url, {"name": "新名称", "budget_fen": 200_000_00}, content_type="application/json")
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert (draft.name, draft.budget_fen) == ("新名称", 200_000_00)
    assert AuditEntry.unscoped.filter(tenant=gov.tenant, action="voucher.program.change").exists()
    # The rules hold against the program as it will be.
    bad = manager.patch(url, {"max_per_voucher_fen": 300_000_00}, content_type="application/json")
    assert bad.status_code == 400
    # A reviewer or auditor may not; another office does not even find it.
    for member in (gov.reviewer, gov.auditor):
        assert member_client(member).patch(url, {"name": "x"}, content_type="application/json").status_code == 403
    other = vw.office("绵阳市科技局")
    assert member_client(other.manager).patch(url, {"name": "x"}, content_type="application/json").status_code == 404
    # Once open, it is refused with the page's reason.
    services.open_program(draft, gov.manager.user)
    refused = manager.patch(url, {"name": "再改"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "not_draft"
    assert "Only a draft program can be changed" in refused.json()["error"]["message"]
    assert Program.unscoped.get(pk=draft.pk).name == "新名称"
    assert Program.unscoped.get(pk=draft.pk).status == ProgramStatus.OPEN


def test_report_export_as_csv_and_xlsx(gov, shop):
    program = vw.program(gov)
    vw.issue(gov, shop.tenant, program, 2000_00)
    auditor = member_client(gov.auditor)
    csv_response = auditor.get(reverse("api:gov-program-report-export", args=[program.pk, "csv"]))
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    assert shop.tenant.credit_code in csv_response.content.decode()
    xlsx = auditor.get(reverse("api:gov-program-report-export", args=[program.pk, "xlsx"]))
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert "Summary" in book.sheetnames
    other = vw.office("绵阳市科技局")
    url = reverse("api:gov-program-report-export", args=[program.pk, "csv"])
    assert member_client(other.manager).get(url).status_code == 404
    assert member_client(shop).get(url).status_code == 403


def test_bulk_decisions_through_the_api(gov):
    program = vw.program(gov, four_eyes_above_fen=500_00, budget_fen=1500_00, max_per_voucher_fen=1000_00)
    apps = []
    for amount in (400_00, 900_00):
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
    other = vw.office("绵阳市科技局")
    foreign = vw.program(other)
    company = TenantFactory()
    foreign_app = services.submit_application(
        program=foreign,
        company=company,
        actor=MembershipFactory(tenant=company, role=Role.OWNER).user,
        amount_fen=100_00,
        purpose="p",
        expected_outcome="o",
    )
    url = reverse("api:gov-application-bulk")
    ids = [apps[0].pk, apps[1].pk, foreign_app.pk]
    # The auditor may not decide.
    auditor = member_client(gov.auditor)
    assert auditor.post(url, {"action": "approve", "ids": ids}, content_type="application/json").status_code == 403
    reviewer = member_client(gov.reviewer)
    no_reason = reviewer.post(url, {"action": "reject", "ids": ids}, content_type="application/json")
    assert no_reason.status_code == 400
    assert "Give the companies a reason" in no_reason.content.decode()
    response = reviewer.post(
        url,
        {"action": "approve", "ids": ids, "note": "ok"},
        content_type="application/json",
        headers={"Idempotency-Key": "b1"},
    )
    assert response.status_code == 200, response.content
    rows = {r["id"]: r for r in response.json()}
    assert rows[apps[0].pk]["ok"] and "Approved: voucher" in rows[apps[0].pk]["message"]
    assert rows[apps[1].pk]["ok"] and "First approval recorded" in rows[apps[1].pk]["message"]
    assert rows[foreign_app.pk] == {"id": foreign_app.pk, "ok": False, "message": "Not found."}
    states = {a.pk: Application.unscoped.get(pk=a.pk).state for a in [*apps, foreign_app]}
    assert states == {apps[0].pk: "issued", apps[1].pk: "second_review", foreign_app.pk: ApplicationState.SUBMITTED}
    # The same reviewer cannot confirm their own first approval: refused in its row, not for the batch.
    again = reviewer.post(url, {"action": "approve", "ids": [apps[1].pk]}, content_type="application/json")
    assert again.status_code == 200 and again.json()[0]["ok"] is False
    assert Application.unscoped.get(pk=apps[1].pk).state == "second_review"
