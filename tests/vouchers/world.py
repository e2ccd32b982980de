"""Voucher test worlds: a government office with its staff, programs made and opened through the
services, vouchers issued the way reviewers issue them (apply, approve)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from catalog.choices import OfferingKind
from tenants.roles import Role, TenantKind
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from vouchers import services
from vouchers.models import ApplicationState, Program, Voucher

_codes = itertools.count(1)


@dataclass
class Office:
    tenant: object
    manager: object  # memberships
    reviewer: object
    reviewer2: object
    auditor: object


def office(name: str = "成都市经信局") -> Office:
    tenant = TenantFactory(kind=TenantKind.GOVERNMENT, name_zh=name, name_en="Chengdu Economy Bureau")

    def member(role):
        return MembershipFactory(tenant=tenant, role=role, user=UserFactory(mfa=True))

    return Office(
        tenant=tenant,
        manager=member(Role.PROGRAM_MANAGER),
        reviewer=member(Role.REVIEWER),
        reviewer2=member(Role.REVIEWER),
        auditor=member(Role.AUDITOR),
    )


def program(gov: Office, *, opened: bool = True, providers=(), **fields) -> Program:
    today = timezone.localdate()
    values = {
        "name": f"算力券计划 {next(_codes)}",
        "code": f"T-{next(_codes)}",
        "budget_fen": 100_000_00,
        "ratio_bp": 5000,
        "max_per_voucher_fen": 50_000_00,
        "four_eyes_above_fen": 10_000_00,
        "offering_kinds": [OfferingKind.COMPUTE, OfferingKind.SOLUTION],
        "applications_open_on": today - timedelta(days=1),
        "applications_close_on": today + timedelta(days=30),
        "voucher_valid_days": 365,
    } | fields
    created = Program.unscoped.create(tenant=gov.tenant, created_by=gov.manager.user, **values)
    if providers:
        created.providers.set(providers)
    if opened:
        created = services.open_program(created, gov.manager.user)
    return created


def issue(gov: Office, company, prog: Program, amount_fen: int, *, applicant=None, affiliates=()) -> Voucher:
    """Apply as the company and approve (twice when the amount needs four eyes)."""
    if applicant is None:
        from tenants.models import Membership

        applicant = Membership.unscoped.filter(tenant=company).first().user
    application = services.submit_application(
        program=prog,
        company=company,
        actor=applicant,
        amount_fen=amount_fen,
        purpose="训练缺陷分类模型",
        expected_outcome="质检效率提升",
        affiliates=list(affiliates),
    )
    application = services.approve(application, gov.reviewer.user)
    if application.state == ApplicationState.SECOND_REVIEW:
        application = services.approve(application, gov.reviewer2.user)
    assert application.state == ApplicationState.ISSUED
    return Voucher.unscoped.get(application=application)
