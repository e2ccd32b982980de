"""Statements computed from the ledger and the charges of real rating, over two periods."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from statements.periods import Month, months_between
from statements.selectors import funds, statement, statement_for, statement_months
from tests.statements.conftest import Span, at, db_clock, make_shop

EPOCH = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def history(transactional_db):
    """First period: a ¥1,000 top-up, job A uses 1 card-hour (¥8), job C is launched on the A100
    pool and is still running at the period's end (its hold is open). Second period: a ¥500
    top-up, A uses half an hour more (¥4), B (summary template, ¥2 per run) uses 2 card-hours
    (¥16) and succeeds, A succeeds, C ends unused (its hold comes back)."""
    shop = make_shop(wallet_fen=100_000)
    job_a = shop.launch(name="周报 A")
    shop.use(job_a, 3600)
    job_c = shop.launch(pool=shop.w.a100_pool, name="C")
    first_end = shop.funds_now()
    split = db_clock()
    shop.top_up(50_000)
    shop.use(job_a, 1800)
    job_b = shop.launch(shop.w.summary, name="B")
    shop.use(job_b, 7200)
    shop.finish(job_b)
    shop.finish(job_a)
    shop.finish(job_c)
    end = db_clock()
    return shop, (job_a, job_b, job_c), first_end, Span(EPOCH, split), Span(split, end)


def test_first_period_reconciles_with_the_ledger(history):
    shop, (job_a, _b, job_c), first_end, first, _second = history
    st = statement(shop.company, first)
    assert (st.opening_fen, st.opening_held_fen) == (0, 0)
    assert st.topups_fen == 100_000
    assert [t.amount_fen for t in st.topups] == [100_000]
    assert [line.job_id for line in st.lines] == [job_a.pk]
    line = st.lines[0]
    assert (line.job_name, line.label) == ("周报 A", f"#{job_a.pk} 周报 A")
    assert line.template == "Template knowledge_base"
    assert line.pool == "Chengdu Ascend pool"
    assert (line.usage.card_seconds, line.usage.amount_fen, line.usage.paid_fen) == (3600, 800, 800)
    assert (line.usage.voucher_fen, line.usage.unpaid_fen) == (0, 0)
    # Job C's hold (¥0.36) is still held at the end: part of the balance, shown apart.
    assert job_c.estimate_fen == 36
    assert (st.closing_fen, st.closing_held_fen) == (100_000 - 800, 36)
    assert (st.closing_fen - st.closing_held_fen, st.closing_held_fen) == first_end
    assert st.opening_fen + st.topups_fen - st.usage.paid_fen + st.other_fen == st.closing_fen
    assert st.other_fen == 0
    assert st.paid_per_ledger_fen == 800
    assert st.reconciles


def test_second_period_opens_where_the_first_closed_and_closes_at_the_live_balance(history):
    shop, (job_a, job_b, _c), _first_end, first, second = history
    before, st = statement(shop.company, first), statement(shop.company, second)
    assert (st.opening_fen, st.opening_held_fen) == (before.closing_fen, before.closing_held_fen)
    assert st.topups_fen == 50_000
    assert [line.job_id for line in st.lines] == [job_a.pk, job_b.pk]
    a, b = st.lines
    assert (a.usage.card_seconds, a.usage.amount_fen) == (1800, 400)
    assert (b.usage.card_seconds, b.usage.amount_fen) == (7200, 1600 + 200)  # usage + the per-run price
    assert b.template == "Template text_summary"
    assert st.usage.amount_fen == st.usage.paid_fen == 2200
    assert str(st.usage.card_hours) == "2.50"
    assert st.closing_fen == before.closing_fen + 50_000 - 2200
    available, held = shop.funds_now()
    assert (st.closing_fen, st.closing_held_fen) == (available + held, held) == (147_000, 0)
    assert st.reconciles


def test_this_months_statement_holds_everything_and_matches_the_balances(history):
    shop, *_ = history
    st = statement_for(shop.company, Month.current())
    available, held = shop.funds_now()
    assert (st.opening_fen, st.topups_fen, st.usage.amount_fen) == (0, 150_000, 3000)
    assert (st.closing_fen, st.closing_held_fen) == (available + held, held)
    assert st.reconciles and not st.is_complete


def test_subtotals_by_pool_and_template(history):
    shop, *_ = history
    st = statement(shop.company, Month.current())
    assert [(s.name, s.jobs, s.usage.amount_fen) for s in st.by_pool] == [("Chengdu Ascend pool", 2, 3000)]
    assert [(s.name, s.jobs, s.usage.amount_fen) for s in st.by_template] == [
        ("Template text_summary", 1, 1800),
        ("Template knowledge_base", 1, 1200),
    ]


def test_names_follow_the_active_language(history):
    shop, *_ = history
    with translation.override("zh-hans"):
        line = statement(shop.company, Month.current()).lines[0]
    assert (line.template, line.pool) == ("模板 knowledge_base", "成都昇腾推理池")


def test_months_run_from_the_first_movement_to_this_month(history):
    shop, *_ = history
    this = Month.current()
    assert statement_months(funds(shop.company)) == [this]
    assert statement_for(shop.company, this.previous()) is None
    assert statement_for(shop.company, this.next()) is None


def test_a_statement_takes_four_queries(history, django_assert_num_queries):
    shop, *_ = history
    with django_assert_num_queries(4):
        statement(shop.company, Month.current())


def test_a_company_without_money_has_no_statement(db):
    from tests.factories import TenantFactory

    tenant = TenantFactory()
    assert statement_months(funds(tenant)) == []
    assert statement_for(tenant, Month.current()) is None
    empty = statement(tenant, Month.current())
    assert (empty.opening_fen, empty.closing_fen, empty.lines, empty.reconciles) == (0, 0, [], True)


def test_months():
    assert str(Month.parse("2026-03")) == "2026-03"
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2026, 4).start.isoformat() == "2026-04-01T00:00:00+08:00"
    assert Month(2026, 4).end - Month(2026, 4).start == timedelta(days=30)
    # 00:30 on 1 April in Chengdu is still 31 March in UTC: the statement month is April.
    assert Month.of(at("2026-04-01 00:30")) == Month(2026, 4)
    assert months_between(Month(2025, 11), Month(2026, 2)) == [
        Month(2026, 2),
        Month(2026, 1),
        Month(2025, 12),
        Month(2025, 11),
    ]
    for bad in ("2026-13", "2026-00", "26-03", "2026-3", "1999-12", ""):
        with pytest.raises(ValueError):
            Month.parse(bad)
