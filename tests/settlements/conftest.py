from datetime import date

import pytest
from django.conf import settings
from django.utils import translation

from tests.settlements import world as settle_world

JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
VOUCHER_FEN = 1000


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Chinese leaves Chinese active in the thread; each test starts in the default."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def job_dirs(settings, tmp_path):
    """Job files and engine state in this test's folder."""
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.COMPUTE_ENGINES = {"local": {"root": tmp_path / "engine"}}


@pytest.fixture
def w(db, job_dirs):
    return settle_world.build()


@pytest.fixture
def vouchers(w):
    """¥10 of vouchers for the world's company, from a program paying half of each charge."""
    return settle_world.fund_vouchers(w.company, VOUCHER_FEN)


@pytest.fixture
def charged(w, vouchers):
    """Usage rated through the real path (charges in the order of the records):

    January, pool partner (idc): job 3, 1 card-hour → ¥8.00 (vouchers already used up).
    February, idc: job 1, 1 h then 0.5 h → ¥8.00 + ¥4.00; job 2, 2 h → ¥16.00;
    vouchers pay half of each until the ¥10 is gone: ¥4 + ¥2 + ¥4.
    February, template partner (health): job 2's run price ¥2.00 (no vouchers left).
    The platform fee is 15% of each charge."""
    job1 = settle_world.launch_tabular(w)
    job2 = settle_world.launch_summary(w)
    job3 = settle_world.launch_tabular(w)
    settle_world.use(job1, settle_world.at(FEB, 3, 10), 3600)
    settle_world.use(job1, settle_world.at(FEB, 3, 11), 1800)
    settle_world.use(job2, settle_world.at(FEB, 10, 10), 7200)
    settle_world.use(job3, settle_world.at(JAN, 20, 10), 3600)
    settle_world.succeed(job2, settle_world.at(FEB, 10, 14))
    settle_world.rate()
    return {"job1": job1, "job2": job2, "job3": job3}
