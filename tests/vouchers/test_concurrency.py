"""Real concurrent connections to PostgreSQL: approvals never issue beyond a program's budget, and
raters never take more from a voucher than it holds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Account, Charge
from billing.services import rating
from jobs.models import UNRATED, UsageRecord
from tests.billing.test_ledger import run_threads
from tests.billing.test_rating import meter, running_job
from tests.factories import MembershipFactory, TenantFactory
from tests.flows import world as flows
from tests.vouchers import world as vw
from vouchers import services
from vouchers.models import Application, ApplicationState, Redemption, Voucher

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_approvals_never_overdraw_the_budget():
    gov = vw.office()
    # ¥1,000 budget, 16 applications of ¥150: at most 6 can be issued (¥900).
    program = vw.program(gov, budget_fen=1000_00, max_per_voucher_fen=150_00, four_eyes_above_fen=1000_00)
    applications = []
    for _ in range(16):
        company = TenantFactory()
        applicant = MembershipFactory(tenant=company).user
        applications.append(
            services.submit_application(
                program=program, company=company, actor=applicant, amount_fen=150_00, purpose="p", expected_outcome="o"
            )
        )
    reviewers = [gov.reviewer.user, gov.reviewer2.user]

    def approve(i: int):
        return services.approve(applications[i], reviewers[i % 2])

    results = run_threads(16, approve)
    issued = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, services.VoucherError)]
    assert len(issued) == 6 and len(refused) == 10, results
    assert all(r.code == "budget" for r in refused)
    budget = Account.objects.get(pk=program.budget_account_id)
    assert budget.balance_fen == 100_00
    assert Voucher.unscoped.filter(program=program).count() == 6
    assert Application.unscoped.filter(program=program, state=ApplicationState.ISSUED).count() == 6
    assert sorted(Voucher.unscoped.filter(program=program).values_list("code", flat=True)) == [
        f"{program.code}-{n:06d}" for n in range(1, 7)
    ]


def test_concurrent_raters_never_overdraw_a_voucher(job_dirs):
    w = flows.build(wallet_fen=10_000_000, cards_quota=100)
    gov = vw.office()
    program = vw.program(gov, ratio_bp=5000)
    voucher = vw.issue(gov, w.company, program, 30_00)  # ¥30
    Voucher.unscoped.filter(pk=voucher.pk).update(valid_from=timezone.now() - timedelta(days=1))
    # Four jobs, 120 minutes each on ¥8/card-hour: ¥64 of usage, half of it (¥32) would be subsidised.
    jobs = [running_job(w, timezone.now() - timedelta(hours=3)) for _ in range(4)]
    for job in jobs:
        meter(job, 120)

    results = run_threads(4, lambda i: rating.rate_pending(batch_size=30))
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(results) == 480
    assert not UsageRecord.unscoped.filter(UNRATED).exists()
    account = Account.objects.get(pk=voucher.account_id)
    assert account.balance_fen == 0
    redeemed = sum(Redemption.unscoped.filter(voucher=voucher).values_list("amount_fen", flat=True))
    assert redeemed == 30_00
    assert sum(Charge.unscoped.values_list("voucher_fen", flat=True)) == 30_00
