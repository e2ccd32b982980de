"""How a charge is split between vouchers and the company, through the real path: vouchers issued by
reviewers, a job launched, usage metered, rating run. One table, exact amounts.

The world's pool sells Ascend 910B3 cards (a domestic chip) at ¥8.00 per card-hour; a case's charge
is `hours` card-hours of it (¥8.00 × hours), rated in one record, or the summary template's ¥2.00
run price. The company was founded 10 years ago unless the case makes it a startup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Charge
from catalog.choices import OfferingKind
from catalog.models import ChipType
from jobs.models import JobState
from tests.settlements import world as settle_world
from tests.vouchers import world as vw
from vouchers.models import Redemption, Voucher

HOUR = 800  # fen per card-hour


@dataclass
class Case:
    name: str
    programs: list[dict]  # program fields; each may carry "vouchers": [amounts]
    expect_voucher: int  # fen paid by vouchers
    expect_by: list[tuple[int, int, int]] = field(default_factory=list)  # (program idx, voucher idx, fen)
    hours: int = 10
    startup: bool = False
    domestic: bool = True
    run_charge: bool = False  # charge the template's per-run price instead of card-hours
    affiliated: bool = False
    providers: str = ""  # "other": the program names another provider only
    expired: bool = False  # the first voucher's validity ended before the usage
    earlier_charges: int = 0  # hours charged (and subsidised) before, this year
    first_issued_last_year: bool = False


CASES = [
    Case("base ratio 30%", [{"ratio_bp": 3000, "vouchers": [100_00]}], 2400, [(0, 0, 2400)]),
    Case("domestic-chip ratio", [{"ratio_bp": 2000, "domestic_ratio_bp": 3000, "vouchers": [100_00]}], 2400),
    Case(
        "other chip gets the base ratio",
        [{"ratio_bp": 2000, "domestic_ratio_bp": 3000, "vouchers": [100_00]}],
        1600,
        domestic=False,
    ),
    Case("startup ratio", [{"ratio_bp": 5000, "startup_ratio_bp": 6000, "vouchers": [100_00]}], 4800, startup=True),
    Case(
        "no startup rate for an older company",
        [{"ratio_bp": 5000, "startup_ratio_bp": 6000, "vouchers": [100_00]}],
        4000,
    ),
    Case("voucher balance caps", [{"ratio_bp": 5000, "vouchers": [10_00]}], 1000, [(0, 0, 1000)]),
    Case(
        "yearly cap per company",
        # Voucher 0 was issued last year (so this year's issuing room is whole), voucher 1 this year;
        # ¥40 went on an earlier charge this year, so only ¥10 of the ¥50 yearly cap is left.
        [{"ratio_bp": 5000, "max_per_company_year_fen": 50_00, "vouchers": [50_00, 50_00]}],
        1000,
        earlier_charges=10,
        first_issued_last_year=True,
    ),
    Case(
        "offering kind out of scope",
        [{"ratio_bp": 5000, "offering_kinds": ["compute"], "vouchers": [100_00]}],
        0,
        run_charge=True,
    ),
    Case(
        "template run in scope",
        [{"ratio_bp": 5000, "offering_kinds": ["solution"], "vouchers": [100_00]}],
        100,
        run_charge=True,
    ),
    Case("provider not on the whitelist", [{"ratio_bp": 5000, "vouchers": [100_00]}], 0, providers="other"),
    Case(
        "domestic chips only, domestic pool",
        [{"ratio_bp": 5000, "domestic_chips_only": True, "vouchers": [100_00]}],
        4000,
    ),
    Case(
        "domestic chips only, other pool",
        [{"ratio_bp": 5000, "domestic_chips_only": True, "vouchers": [100_00]}],
        0,
        domestic=False,
    ),
    Case("affiliated provider", [{"ratio_bp": 5000, "vouchers": [100_00]}], 0, affiliated=True),
    Case("expired voucher pays nothing", [{"ratio_bp": 5000, "vouchers": [100_00]}], 0, expired=True),
    Case(
        "vouchers of one program combine, earliest expiry first",
        [{"ratio_bp": 5000, "vouchers": [15_00, 50_00]}],
        4000,
        [(0, 0, 1500), (0, 1, 2500)],
    ),
    Case(
        "two programs never stack",
        [{"ratio_bp": 3000, "vouchers": [10_00]}, {"ratio_bp": 5000, "vouchers": [100_00]}],
        1000,
        [(0, 0, 1000)],
    ),
    Case(
        "an exhausted program gives way to the next",
        [{"ratio_bp": 3000, "vouchers": [10_00]}, {"ratio_bp": 5000, "vouchers": [100_00]}],
        4000,
        [(1, 0, 4000)],
        earlier_charges=5,  # ¥40 charge: program 0 paid ¥10 of it (its whole voucher)
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_charge_split(db, job_dirs, case: Case):
    w = settle_world.build()
    company = w.company
    company.founded_on = timezone.localdate() - timedelta(days=365 if case.startup else 3650)
    company.save(update_fields=["founded_on"])
    if not case.domestic:
        ChipType.objects.filter(pk=w.flow.catalog.ascend.pk).update(is_domestic=False)
    gov = vw.office()
    other_partner = settle_world.add_partner_pool(w, "别家")[0]
    issued: list[list[Voucher]] = []
    for i, spec in enumerate(case.programs):
        spec = dict(spec)
        amounts = spec.pop("vouchers")
        providers = [other_partner] if case.providers == "other" else []
        program = vw.program(gov, providers=providers, **spec)
        affiliates = [w.idc.credit_code] if case.affiliated else []
        vouchers = []
        for n, amount in enumerate(amounts):
            voucher = vw.issue(gov, company, program, amount, affiliates=affiliates)
            # Spending order is by expiry: earlier programs and earlier vouchers expire first.
            Voucher.unscoped.filter(pk=voucher.pk).update(
                valid_from=timezone.now() - timedelta(days=30),
                valid_until=timezone.now() + timedelta(days=100 + 10 * i + n),
            )
            if case.first_issued_last_year and n == 0:
                Voucher.unscoped.filter(pk=voucher.pk).update(issued_at=timezone.now() - timedelta(days=400))
            vouchers.append(voucher)
        issued.append(vouchers)
    now = timezone.now()
    if case.earlier_charges:
        job = settle_world.launch_tabular(w)
        settle_world.use(job, now - timedelta(hours=2), case.earlier_charges * 3600)
        settle_world.rate()
    if case.expired:
        Voucher.unscoped.filter(pk=issued[0][0].pk).update(valid_until=now - timedelta(minutes=60))
    before = set(Charge.unscoped.values_list("pk", flat=True))
    if case.run_charge:
        job = settle_world.launch_summary(w)
        settle_world.succeed(job, now - timedelta(minutes=1))
        assert job.refresh_from_db() is None and job.state == JobState.SUCCEEDED
    else:
        job = settle_world.launch_tabular(w)
        settle_world.use(job, now - timedelta(minutes=30), case.hours * 3600)
    settle_world.rate()

    charges = Charge.unscoped.filter(job=job).exclude(pk__in=before)
    if case.run_charge:
        charges = charges.filter(usage__isnull=True)
    (charge,) = charges
    expected_amount = settle_world.RUN_FEN if case.run_charge else HOUR * case.hours
    assert charge.amount_fen == expected_amount
    assert charge.voucher_fen == case.expect_voucher
    assert charge.hold_fen + charge.wallet_fen == expected_amount - case.expect_voucher
    assert charge.unpaid_fen == 0
    redemptions = Redemption.unscoped.filter(job=job, usage_id=charge.usage_id)
    assert sum(r.amount_fen for r in redemptions) == case.expect_voucher
    assert len({r.program_id for r in redemptions}) <= 1  # never two programs on one charge
    for program_index, voucher_index, fen in case.expect_by:
        voucher = issued[program_index][voucher_index]
        assert sum(r.amount_fen for r in redemptions if r.voucher_id == voucher.pk) == fen, case.name
    # Voucher balances in the ledger moved by exactly what the redemptions say.
    for vouchers in issued:
        for voucher in vouchers:
            voucher.account.refresh_from_db()
            spent = sum(Redemption.unscoped.filter(voucher=voucher).values_list("amount_fen", flat=True))
            assert voucher.account.balance_fen == voucher.amount_fen - spent


def test_offering_kind_labels_cover_scope():
    assert {k for k, _ in OfferingKind.choices} == {"compute", "model", "solution"}
