"""Lists make the same number of queries with 2 rows as with 12: nothing is looked up row by row.

Each test builds 2 rows, reads the page (after one warm-up read), adds 10 rows, reads it again, and
compares the queries; it also checks the 12 rows are on the page, so the second count is not of an
empty list."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenants.roles import Role
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory
from tests.vouchers import world as vw
from vouchers import services
from vouchers.models import ApplicationState

FEW, MANY = 2, 12
_n = itertools.count(1)


def read(client, url: str, **headers):
    """The response and the SQL of the queries it took."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response, [q["sql"] for q in context.captured_queries]


def read_growing(client, pages: dict[str, tuple[str, dict]], grow) -> dict:
    """Read each page with FEW rows (after a warm-up read), grow to MANY, read each again; every
    page's count must agree. `pages`: name → (url, headers). Returns the last responses by name."""
    few = {}
    for name, (url, headers) in pages.items():
        read(client, url, **headers)
        few[name] = read(client, url, **headers)[1]
    grow(MANY - FEW)
    many = {name: read(client, url, **headers) for name, (url, headers) in pages.items()}
    grown = {name: (len(few[name]), len(sql)) for name, (_, sql) in many.items() if len(sql) != len(few[name])}
    extra = "\n".join(q for name in grown for q in many[name][1][len(few[name]) :])
    assert not grown, f"queries with {FEW} rows and with {MANY}: {grown}\n{extra}"
    return {name: response for name, (response, _) in many.items()}


# --- A company: its vouchers, its applications, the open programs -----------------------------------


@dataclass
class CompanyWorld:
    gov: vw.Office
    owner: object

    def grow(self, rows: int) -> None:
        """Per row: an open program, and a voucher of ours from it (so an application of ours too)."""
        for _ in range(rows):
            program = vw.program(self.gov)
            vw.issue(self.gov, self.owner.tenant, program, 1_000_00, applicant=self.owner.user)


def test_company_pages(db):
    world = CompanyWorld(gov=vw.office(), owner=MembershipFactory(tenant=TenantFactory(), role=Role.OWNER))
    world.grow(FEW)
    pages = {
        name: (reverse(name), {}) for name in ("vouchers:list", "api:voucher-list", "api:voucher-application-list")
    }

    responses = read_growing(member_client(world.owner), pages, world.grow)

    html = responses["vouchers:list"].content.decode()
    assert (html.count("data-code="), html.count("data-program="), html.count("data-id=")) == (MANY, MANY, MANY)
    assert responses["api:voucher-list"].json()["count"] == MANY
    assert responses["api:voucher-application-list"].json()["count"] == MANY


# --- A government office: programs, the review queue, issued vouchers, a program's report ----------


@dataclass
class OfficeWorld:
    gov: vw.Office
    program: object  # the one every company applies to (its report grows)

    def grow(self, rows: int) -> None:
        """Per row: a program of ours; a company holding a four-eyes voucher of the main program (two
        reviewers), with an application in second review there and one waiting in the new program,
        each with an attachment."""
        for _ in range(rows):
            other = vw.program(self.gov)
            company = TenantFactory()
            applicant = MembershipFactory(tenant=company, role=Role.OWNER).user
            vw.issue(self.gov, company, self.program, 2_000_00, applicant=applicant)
            waiting = [self.apply(p, company, applicant) for p in (self.program, other)]
            services.approve(waiting[0], self.gov.reviewer.user)

    @staticmethod
    def apply(program, company, applicant):
        n = next(_n)
        return services.submit_application(
            program=program,
            company=company,
            actor=applicant,
            amount_fen=2_000_00,
            purpose=f"purpose {n}",
            expected_outcome="outcome",
            files=[SimpleUploadedFile(f"plan-{n}.pdf", b"%PDF-1.4 plan")],
        )


def test_office_pages(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    gov = vw.office()
    world = OfficeWorld(gov=gov, program=vw.program(gov, four_eyes_above_fen=1_000_00))
    world.grow(FEW)
    pages = {
        "programs": (reverse("vouchers-gov:programs"), {}),
        "queue": (reverse("vouchers-gov:queue"), {}),
        "queue fragment": (reverse("vouchers-gov:queue"), {"HX-Request": "true"}),
        "vouchers": (reverse("vouchers-gov:vouchers"), {}),
        "report": (reverse("vouchers-gov:program", args=[world.program.pk]), {}),
        "api applications": (reverse("api:gov-application-list"), {}),
    }

    responses = read_growing(member_client(gov.auditor), pages, world.grow)

    def rows(name, marker):
        return responses[name].content.decode().count(marker)

    assert rows("programs", "data-code=") == MANY + 1  # and the main program
    assert rows("queue", "data-id=") == rows("queue fragment", "data-id=") == 2 * MANY  # second review, waiting
    assert rows("vouchers", "data-code=") == MANY
    assert len(responses["report"].context["report"].companies) == MANY
    results = responses["api applications"].json()["results"]
    states = sorted(r["state"] for r in results)
    issued, second, waiting = ApplicationState.ISSUED, ApplicationState.SECOND_REVIEW, ApplicationState.SUBMITTED
    assert states == sorted([issued] * MANY + [second] * MANY + [waiting] * MANY)
    assert all(r["second_reviewer"] and r["voucher"] for r in results if r["state"] == issued)
