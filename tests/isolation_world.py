"""The world of tests/test_isolation.py: two companies (A and B), two partners, two government
offices (A and B), an operator, and objects of every tenant-owned kind belonging to A (or partner A,
or office A). A's visible text carries SECRET, so "B sees none of A's data" is a real check and not
a page that would never show it anyway.

Written directly or through the services (test set-up is system code); everything under test goes
through the views."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings

from audit.models import AuditEntry
from billing.models import PriceUnit
from billing.services import pricebook
from billing.services.rating import rate_pending
from catalog.choices import OfferingKind, OfferingStatus
from catalog.models import Offering
from catalog.services.listings import offering_create, offering_submit
from compute.models import Pool, QuotaRequest
from jobs.forms import WebhookForm
from notifications.models import Notification
from notifications.services import notify
from payments.models import TopUp
from payments.services.bank_transfers import bank_transfer_submit
from settlements import periods
from settlements.models import Settlement
from settlements.services.statements import settlements_generate, settlements_issue
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tenants.services.invitations import invitation_create
from tests.compute.world import metered
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.jobs import world as jobs_world
from tests.vouchers import world as vouchers_world
from vouchers import services as vouchers

SECRET = "secret-marker"  # appears only in tenant A's data
ARTIFACT = "report.txt"


@dataclass
class World:
    a_owner: object
    a_member: object
    a_viewer: object
    b_owner: object
    operator: object
    invitation: object = None
    api_key: object = None
    audit: object = None
    note: object = None
    pa_manager: object = None
    pa_viewer: object = None
    pb_owner: object = None
    listing: object = None
    listing_version: object = None
    template_slug: str = ""
    job: object = None
    quota_request: object = None
    topup: object = None
    transfer: object = None
    settlement: object = None  # partner A's, issued
    draft_settlement: object = None  # partner A's, of the month after (not issued yet)
    ga_manager: object = None  # office A's program manager, reviewer and auditor
    ga_reviewer: object = None
    ga_auditor: object = None
    gb_manager: object = None  # office B's program manager
    program: object = None  # office A's, open (a public call: every company may read it)
    draft_program: object = None  # office A's, a draft (named with SECRET: only office A sees it)
    application: object = None  # company A's, waiting in office A's program, with an attachment
    attachment: object = None
    voucher: object = None  # company A's, issued from office A's program

    def a_objects(self) -> tuple:
        """A's rows (company A's, partner A's and office A's) whose ids may be shown in lists as
        `data-id` (B's lists must show none of them)."""
        return (
            self.a_member,
            self.invitation,
            self.api_key,
            self.audit,
            self.note,
            self.job,
            self.quota_request,
            self.topup,
            self.transfer,
            self.settlement,
            self.application,
        )

    def a_codes(self) -> tuple[str, ...]:
        """Codes of A's vouchers and programs, which lists show as `data-code` on their rows."""
        return (self.voucher.code, self.program.code, self.draft_program.code)


class _WorldTransaction(TestCase):
    """Only for its atomics: blocks marked as a test case's, so the durable services the world is
    built with (and the tests' own savepoints) may run inside them."""


@contextmanager
def kept(root: Path, unblock) -> Iterator[World]:
    """The world, built once and kept for many tests (each test's own transaction sits inside this
    one and rolls back to it), then rolled back; its files live in `root`. `unblock` is
    pytest-django's `django_db_blocker.unblock`."""
    job_files = SimpleNamespace()
    jobs_world.use_own_job_files(job_files, root)
    with override_settings(MEDIA_ROOT=root / "media", **vars(job_files)):
        with unblock():
            atomics = _WorldTransaction._enter_atomics()
            try:
                world = build()
            except BaseException:
                _WorldTransaction._rollback_atomics(atomics)
                raise
        try:
            yield world
        finally:
            with unblock():
                _WorldTransaction._rollback_atomics(atomics)


def build() -> World:
    """The whole world; the caller points JOBS_ROOT and MEDIA_ROOT at a folder of its own first."""
    a = TenantFactory(kind=TenantKind.COMPANY, name_zh=f"甲公司{SECRET}", name_en=f"Company A {SECRET}")
    b = TenantFactory(kind=TenantKind.COMPANY, name_zh="乙公司")
    o = TenantFactory(kind=TenantKind.OPERATOR, name_zh="运营方")
    world = World(
        a_owner=MembershipFactory(tenant=a, role=Role.OWNER, user__email=f"owner-{SECRET}@a.example"),
        a_member=MembershipFactory(tenant=a, role=Role.DEVELOPER, user__email=f"dev-{SECRET}@a.example"),
        a_viewer=MembershipFactory(tenant=a, role=Role.VIEWER, user__email=f"viewer-{SECRET}@a.example"),
        b_owner=MembershipFactory(tenant=b, role=Role.OWNER, user__email="owner@b.example"),
        operator=MembershipFactory(tenant=o, role=Role.STAFF, user=UserFactory(mfa=True)),
    )
    MembershipFactory(tenant=b, role=Role.DEVELOPER, user__email="dev@b.example")
    _add_tenant_admin(world)
    _add_partner_listing(world)
    jobs = _add_job(world)
    _add_settlements(world, jobs)
    _add_quota_request(world)
    _add_payments(world)
    _add_vouchers(world)
    return world


def _add_tenant_admin(world: World) -> None:
    a, a_owner = world.a_owner.tenant, world.a_owner
    with tenant_context(a):
        world.invitation, _ = invitation_create(
            tenant=a, email=f"invitee-{SECRET}@a.example", role=Role.VIEWER, acting_membership=a_owner
        )
        world.api_key, _ = api_key_create(name=f"key-{SECRET}", role=Role.DEVELOPER, acting_membership=a_owner)
        notify(recipients=[a_owner.user], tenant=a, title=f"note-{SECRET}")
        world.audit = AuditEntry.objects.filter(action="api_key.create").get()
    world.note = Notification.objects.get(recipient=a_owner.user)


def _add_partner_listing(world: World) -> None:
    pa = TenantFactory(kind=TenantKind.PARTNER, name_zh=f"甲伙伴{SECRET}")
    pb = TenantFactory(kind=TenantKind.PARTNER, name_zh="乙伙伴")
    world.pa_manager = MembershipFactory(tenant=pa, role=Role.LISTING_MANAGER)
    world.pa_viewer = MembershipFactory(tenant=pa, role=Role.VIEWER)
    world.pb_owner = MembershipFactory(tenant=pb, role=Role.OWNER)
    with tenant_context(pa):
        world.listing = offering_create(
            acting_membership=world.pa_manager,
            kind="model",
            content={
                "name_zh": f"草稿{SECRET}",
                "name_en": f"draft {SECRET}",
                "family": "X",
                "modality": "text",
                "license": "MIT",
                "is_foundation": True,
            },
        )
        world.listing_version = offering_submit(offering=world.listing, acting_membership=world.pa_manager)


def _add_job(world: World) -> jobs_world.JobsWorld:
    """A finished, metered and rated job of A with an output file (so it is on A's statement), and
    A's webhook URL; all carry SECRET. B has money movements too, so it has a statement this month."""
    jobs = jobs_world.build()
    a_owner = world.a_owner
    jobs_world.fund(a_owner.tenant, jobs_world.WALLET_FEN)
    jobs_world.fund(world.b_owner.tenant, jobs_world.WALLET_FEN)
    job = jobs_world.launch_job(a_owner, jobs.template, jobs.pool, name=f"job-{SECRET}")
    metered(job, card_hours=0.5)
    world.job = jobs_world.finish(job, outputs={ARTIFACT: f"result {SECRET}\n"})
    rate_pending()
    world.template_slug = jobs.slug
    form = WebhookForm({"url": f"https://hooks.a.example/{SECRET}"})
    assert form.is_valid(), form.errors
    with tenant_context(a_owner.tenant):
        form.save(tenant=a_owner.tenant, actor=a_owner.user)
    return jobs


def _add_settlements(world: World, jobs: jobs_world.JobsWorld) -> None:
    """Partner A's settlements: the one of two months ago issued, the one of last month a draft.

    A's job ran in both months on a pool of partner A's, whose listing is named with SECRET (the
    statement's line keeps that name); the operator issued the first month and generated the second.
    The listing has been retired since, so no catalog page shows it. Pool names are on every
    company's pages (launch, job filters), so the pool's own name is plain."""
    last = periods.last_closed()
    issued, draft = periods.previous_month(last), last
    version = jobs_world.live(
        world.pa_manager.tenant,
        OfferingKind.COMPUTE,
        name_zh=f"甲池{SECRET}",
        name_en=f"pool {SECRET}",
        chip_type=jobs.good_chip,
        total_cards=16,
        card_sizes=[1],
        price_per_card_hour=Decimal(jobs_world.CARD_HOUR_FEN) / 100,
    )
    pricebook.set_price(
        offering=version.offering,
        unit=PriceUnit.CARD_HOUR,
        amount_fen=jobs_world.CARD_HOUR_FEN,
        effective_from=periods.bounds(issued)[0],
    )
    pool = Pool.objects.create(offering=version.offering, chip_type=jobs.good_chip, name="Pool A", total_cards=16)
    job = jobs_world.launch_job(world.a_owner, jobs.template, pool)
    for month in (issued, draft):
        metered(job, card_hours=2, start=periods.bounds(month)[0] + timedelta(days=3))
    jobs_world.finish(job)
    rate_pending()
    period = settlements_issue(month=issued, acting_membership=world.operator)
    world.settlement = Settlement.unscoped.get(period=period, tenant=world.pa_manager.tenant)
    period = settlements_generate(month=draft, acting_membership=world.operator)
    world.draft_settlement = Settlement.unscoped.get(period=period, tenant=world.pa_manager.tenant)
    Pool.objects.filter(pk=pool.pk).update(is_active=False)
    Offering.unscoped.filter(pk=pool.offering_id).update(status=OfferingStatus.RETIRED)


def _add_quota_request(world: World) -> None:
    world.quota_request = QuotaRequest.unscoped.create(
        tenant=world.a_owner.tenant,
        chip_type=world.job.pool.chip_type,
        concurrent_cards=16,
        card_hours_month=400,
        concurrent_jobs=4,
        reason=f"r-{SECRET}",
        requested_by=world.a_owner.user,
    )


def _add_payments(world: World) -> None:
    world.topup = TopUp.unscoped.create(
        tenant=world.a_owner.tenant,
        amount_fen=4_321,
        stripe_session_id=f"cs_test_{SECRET}",
        checkout_url=f"http://x/pay/{SECRET}",
    )
    world.transfer = bank_transfer_submit(
        acting_membership=world.a_owner,
        amount_fen=100_000,
        payer_account_name=f"payer-{SECRET}",
        bank_reference=f"ref-{SECRET}",
        transferred_on=date.today(),
        receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 " + SECRET.encode()),
    )


def _add_vouchers(world: World) -> None:
    """Office A runs an open program and a draft; company A holds a voucher from the open one and
    has a second application waiting in it, with an attachment. Office B runs a program of its own
    and company B holds a voucher from it, so B's lists are not empty.

    An open program is public, with its office's name, so neither is marked; what only office A and
    company A see is (the draft, the application's purpose and attachment, company A's name)."""
    a, b = world.a_owner.tenant, world.b_owner.tenant
    office_a = vouchers_world.office("甲市经信局")
    office_b = vouchers_world.office("乙市经信局")
    world.ga_manager, world.ga_reviewer, world.ga_auditor = office_a.manager, office_a.reviewer, office_a.auditor
    world.gb_manager = office_b.manager
    world.program = vouchers_world.program(office_a, name="甲市算力券", code="ISO-A")
    world.draft_program = vouchers_world.program(office_a, opened=False, name=f"草稿{SECRET}", code="ISO-A-DRAFT")
    world.voucher = vouchers_world.issue(office_a, a, world.program, 1_000_00, applicant=world.a_owner.user)
    world.application = vouchers.submit_application(
        program=world.program,
        company=a,
        actor=world.a_owner.user,
        amount_fen=2_000_00,
        purpose=f"purpose-{SECRET}",
        expected_outcome=f"outcome-{SECRET}",
        files=[SimpleUploadedFile("licence.pdf", b"%PDF-1.4 " + SECRET.encode())],
    )
    world.attachment = world.application.attachments.get()
    program_b = vouchers_world.program(office_b, name="乙市算力券", code="ISO-B")
    vouchers_world.issue(office_b, b, program_b, 1_000_00, applicant=world.b_owner.user)
