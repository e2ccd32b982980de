"""Vouchers at launch and on the job page: the estimate shows what vouchers pay, the hold takes only
the company's part (so a company whose wallet alone is short can launch), and the job page shows the
split of what was charged."""

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Hold
from billing.services import rating
from tests.conftest import member_client
from tests.jobs.world import build, launch_job, use_own_job_files
from tests.settlements.world import use
from tests.vouchers import world as vw


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    use_own_job_files(settings, tmp_path)


@pytest.fixture
def world(db):
    # ¥8 in the wallet: short of a typical run's ¥10 estimate without vouchers.
    w = build(wallet_fen=800)
    gov = vw.office()
    program = vw.program(gov, ratio_bp=3000)
    vw.issue(gov, w.company, program, 100_00)
    return w


def test_estimate_shows_the_voucher_part(world):
    page = member_client(world.owner).get(reverse("jobs:launch", args=[world.slug])).content.decode()
    assert 'id="estimate-total">¥10.00<' in page
    assert "Your vouchers pay ¥3.00; you pay ¥7.00." in page
    assert 'id="funds-warning"' not in page  # ¥8 covers the company's ¥7


def test_hold_is_the_company_part_and_the_job_page_shows_the_split(world):
    job = launch_job(world.owner, world.template, world.pool)
    assert (job.estimate_fen, job.voucher_estimate_fen) == (1000, 300)
    assert Hold.unscoped.get(job=job).amount_fen == 700
    use(job, timezone.now(), 1800)  # half a card-hour: ¥5, of which 30% by voucher
    rating.rate_pending()
    page = member_client(world.owner).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'id="charged">¥5.00' in page
    assert "vouchers paid ¥1.50, you paid ¥3.50" in page
    assert "(vouchers ¥3.00)" in page


def test_credit_guard_counts_what_vouchers_add(world):
    """Funds left = what hold and wallet pay plus the vouchers' share on top: with 30% vouchers, ¥7
    of the company's money covers ¥10 of usage; with only ¥1 of voucher money left, ¥8."""
    from billing import funding
    from billing.models import Account
    from vouchers.models import Voucher

    job = launch_job(world.owner, world.template, world.pool)
    assert funding.coverable(job, 700) == 1000
    voucher = Voucher.unscoped.get(tenant=world.company)
    Account.objects.filter(pk=voucher.account_id).update(balance_fen=100)  # as if spent elsewhere
    assert funding.coverable(job, 700) == 800
    assert funding.coverable(job, 0) == 0
