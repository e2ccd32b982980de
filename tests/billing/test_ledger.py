"""The ledger on real PostgreSQL: balanced, append-only, idempotent, never overspent under concurrency."""

import random
import threading

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, connections, transaction

from audit.context import request_ip
from audit.models import AuditEntry
from billing.models import Account, AccountKind, Leg, Transaction, TxnKind
from billing.services import ledger
from tests.factories import TenantFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fund(tenant, fen: int) -> Account:
    wallet = ledger.wallet(tenant)
    with transaction.atomic():
        ledger.post(
            kind=TxnKind.TOP_UP,
            key=f"fund:{tenant.pk}:{fen}",
            legs=[(ledger.platform(AccountKind.PAYMENT_CLEARING), -fen), (wallet, fen)],
            tenant=tenant,
        )
    wallet.refresh_from_db()
    return wallet


def run_threads(n: int, target) -> list:
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_posting_moves_money_and_writes_audit():
    tenant = TenantFactory()
    wallet = fund(tenant, 10_000)
    assert wallet.balance_fen == 10_000
    assert ledger.platform(AccountKind.PAYMENT_CLEARING).balance_fen == -10_000
    txn = Transaction.objects.get(idempotency_key=f"fund:{tenant.pk}:10000")
    assert sorted(Leg.objects.filter(transaction=txn).values_list("amount_fen", flat=True)) == [-10_000, 10_000]
    assert AuditEntry.unscoped.filter(action="ledger.post", object_id=str(txn.pk), tenant=tenant).exists()


def test_same_key_posts_once():
    tenant = TenantFactory()
    fund(tenant, 500)
    fund(tenant, 500)
    assert ledger.wallet(tenant).balance_fen == 500
    assert Transaction.objects.filter(idempotency_key=f"fund:{tenant.pk}:500").count() == 1


def test_unbalanced_and_overdrawing_postings_are_refused():
    tenant = TenantFactory()
    wallet = fund(tenant, 100)
    revenue = ledger.platform(AccountKind.PLATFORM_REVENUE)
    with pytest.raises(ledger.LedgerError), transaction.atomic():
        ledger.post(kind=TxnKind.CHARGE, key="bad-sum", legs=[(wallet, -50), (revenue, 40)])
    with pytest.raises(ledger.InsufficientFunds) as err, transaction.atomic():
        ledger.post(kind=TxnKind.CHARGE, key="too-much", legs=[(wallet, -150), (revenue, 150)])
    assert err.value.shortfall_fen == 50
    assert "0.50" in err.value.message
    wallet.refresh_from_db()
    assert wallet.balance_fen == 100
    assert not Transaction.objects.filter(idempotency_key__in=["bad-sum", "too-much"]).exists()


def test_database_rejects_unbalanced_legs_written_directly():
    tenant = TenantFactory()
    wallet = fund(tenant, 100)
    with pytest.raises((IntegrityError, InternalError)):
        with transaction.atomic():
            txn = Transaction.objects.create(kind=TxnKind.ADJUSTMENT, idempotency_key="raw")
            Leg.objects.create(transaction=txn, account=wallet, amount_fen=5)
    assert not Transaction.objects.filter(idempotency_key="raw").exists()


def test_database_rejects_a_transaction_without_legs_at_commit():
    with pytest.raises((IntegrityError, InternalError)):
        with transaction.atomic():
            Transaction.objects.create(kind=TxnKind.ADJUSTMENT, idempotency_key="empty")
    assert not Transaction.objects.filter(idempotency_key="empty").exists()


def test_database_rejects_legs_that_unbalance_an_older_transaction():
    tenant = TenantFactory()
    wallet = fund(tenant, 100)
    old = Transaction.objects.get(idempotency_key=f"fund:{tenant.pk}:100")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        Leg.objects.create(transaction=old, account=wallet, amount_fen=7)
    assert sum(Leg.objects.filter(transaction=old).values_list("amount_fen", flat=True)) == 0


def test_database_rejects_negative_balance_written_directly():
    tenant = TenantFactory()
    wallet = fund(tenant, 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance_fen=-1)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_leg SET amount_fen = amount_fen + 1 WHERE transaction_id = %s",
        "DELETE FROM billing_leg WHERE transaction_id = %s",
        "UPDATE billing_transaction SET memo = 'changed' WHERE id = %s",
        "DELETE FROM billing_transaction WHERE id = %s",
    ],
)
def test_ledger_rows_are_append_only(sql):
    tenant = TenantFactory()
    fund(tenant, 100)
    txn = Transaction.objects.get(idempotency_key=f"fund:{tenant.pk}:100")
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [txn.pk])
    txn.refresh_from_db()
    assert txn.memo == ""
    assert sorted(Leg.objects.filter(transaction=txn).values_list("amount_fen", flat=True)) == [-100, 100]


def test_posting_writes_one_audit_row_in_its_transaction():
    tenant = TenantFactory()
    actor = UserFactory()
    wallet = fund(tenant, 1_000)
    payable = ledger.partner_payable(TenantFactory())
    token = request_ip.set("203.0.113.7")
    try:
        with transaction.atomic():
            posted = ledger.post(
                kind=TxnKind.CHARGE, key="audited", legs=[(payable, 300), (wallet, -300)], tenant=tenant, actor=actor
            )
    finally:
        request_ip.reset(token)
    txn = posted.transaction
    assert posted.created
    assert (txn.kind, txn.tenant, txn.created_by, txn.created_at) == (TxnKind.CHARGE, tenant, actor, txn.created_at)
    assert txn.created_at == Transaction.objects.get(pk=txn.pk).created_at
    entry = AuditEntry.unscoped.get(action="ledger.post", object_id=str(txn.pk))
    assert (entry.tenant, entry.actor, entry.actor_label, entry.ip) == (tenant, actor, actor.email, "203.0.113.7")
    assert (entry.object_type, entry.object_repr) == ("billing.transaction", f"charge #{txn.pk}")
    assert entry.after == {"kind": "charge", "key": "audited", "legs": sorted([[wallet.pk, -300], [payable.pk, 300]])}
    assert entry.created_at == txn.created_at  # written in the same database transaction


def test_refused_posting_writes_nothing_and_leaves_the_transaction_usable():
    tenant = TenantFactory()
    wallet = fund(tenant, 100)
    payable = ledger.partner_payable(TenantFactory())
    audit_rows = AuditEntry.unscoped.count()
    with transaction.atomic():
        with pytest.raises(ledger.InsufficientFunds) as err:
            ledger.post(kind=TxnKind.CHARGE, key="short", legs=[(wallet, -101), (payable, 101)], tenant=tenant)
        # The caller may go on after the refusal: nothing failed in the database.
        ledger.post(kind=TxnKind.CHARGE, key="fits", legs=[(wallet, -100), (payable, 100)], tenant=tenant)
    assert (err.value.account_id, err.value.kind, err.value.shortfall_fen) == (wallet.pk, "wallet", 1)
    assert not Transaction.objects.filter(idempotency_key="short").exists()
    assert AuditEntry.unscoped.count() == audit_rows + 1
    assert ledger.wallet(tenant).balance_fen == 0
    assert ledger.partner_payable(payable.tenant).balance_fen == 100


def test_replay_returns_the_first_posting_even_when_funds_are_gone():
    tenant = TenantFactory()
    wallet = fund(tenant, 100)
    payable = ledger.partner_payable(TenantFactory())
    with transaction.atomic():
        first = ledger.post(kind=TxnKind.CHARGE, key="once", legs=[(wallet, -100), (payable, 100)], tenant=tenant)
    with transaction.atomic():
        again = ledger.post(kind=TxnKind.CHARGE, key="once", legs=[(wallet, -100), (payable, 100)], tenant=tenant)
    assert (first.created, again.created) == (True, False)
    assert again.transaction.pk == first.transaction.pk
    assert ledger.wallet(tenant).balance_fen == 0
    assert AuditEntry.unscoped.filter(action="ledger.post", object_id=str(first.transaction.pk)).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_concurrent_postings_with_one_key_post_once():
    tenant = TenantFactory()
    wallet = fund(tenant, 1_000)
    payable = ledger.partner_payable(TenantFactory())

    def post_once(i: int) -> tuple[int, bool]:
        with transaction.atomic():
            posted = ledger.post(kind=TxnKind.CHARGE, key="racing", legs=[(wallet.pk, -10), (payable.pk, 10)])
        return posted.transaction.pk, posted.created

    results = run_threads(8, post_once)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert ledger.wallet(tenant).balance_fen == 990
    assert AuditEntry.unscoped.filter(action="ledger.post", object_id=str(results[0][0])).count() == 1


def test_reversal_restores_balances_once():
    tenant = TenantFactory()
    fund(tenant, 300)
    txn = Transaction.objects.get(idempotency_key=f"fund:{tenant.pk}:300")
    for _ in range(2):
        with transaction.atomic():
            ledger.reverse(txn)
    assert ledger.wallet(tenant).balance_fen == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_sixteen_concurrent_spends_never_overspend():
    tenant = TenantFactory()
    spend = 700
    wallet = fund(tenant, 16 * spend - 1)  # enough for 15, not 16
    revenue = ledger.platform(AccountKind.PLATFORM_REVENUE)

    def spend_once(i: int) -> bool:
        with transaction.atomic():
            ledger.post(
                kind=TxnKind.CHARGE, key=f"spend-{tenant.pk}-{i}", legs=[(wallet.pk, -spend), (revenue.pk, spend)]
            )
        return True

    results = run_threads(16, spend_once)
    assert sum(r is True for r in results) == (16 * spend - 1) // spend == 15
    assert all(isinstance(r, ledger.InsufficientFunds) for r in results if r is not True)
    wallet.refresh_from_db()
    assert wallet.balance_fen == 16 * spend - 1 - 15 * spend


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_random_transfer_soak_conserves_money_and_never_goes_negative():
    tenants = [TenantFactory() for _ in range(6)]
    wallets = [fund(t, 5_000).pk for t in tenants]
    start_total = sum(Account.objects.filter(pk__in=wallets).values_list("balance_fen", flat=True))

    def transfers(i: int) -> int:
        rng = random.Random(i)
        done = 0
        for n in range(40):
            src, dst = rng.sample(wallets, 2)
            try:
                with transaction.atomic():
                    amount = rng.randint(1, 900)
                    ledger.post(kind=TxnKind.ADJUSTMENT, key=f"soak-{i}-{n}", legs=[(src, -amount), (dst, amount)])
                done += 1
            except ledger.InsufficientFunds:
                pass
        return done

    results = run_threads(8, transfers)
    assert all(isinstance(r, int) for r in results), results
    balances = list(Account.objects.filter(pk__in=wallets).values_list("balance_fen", flat=True))
    assert sum(balances) == start_total
    assert min(balances) >= 0
    # Every balance equals the sum of its legs.
    for acc in Account.objects.filter(pk__in=wallets):
        assert acc.balance_fen == sum(acc.legs.values_list("amount_fen", flat=True))
