"""Ledger postings per second against `pgbench -N` TPS: same PostgreSQL database, same number of
client processes, same duration, alternating in the same run. Run by hand, not in CI:

    .venv/bin/python -m bench.ledger                 # 4 clients, 3 rounds of 10 s each
    .venv/bin/python -m bench.ledger --clients 8 --duration 20 --rounds 5

A posting is `billing.services.ledger.post()`, the code every caller uses, inside its own
`transaction.atomic()`: a usage charge moving 1–1,000 fen from a random company's wallet (1,000
companies) to a random partner's payable account (100 partners), with the company as the
transaction's tenant and a memo. Each one checks the idempotency key, locks both accounts in id
order, checks the wallet's balance, writes the transaction, its legs, both balances and the audit
row, and commits durably (`synchronous_commit` as the server has it, `on` by default); the
deferred zero-sum trigger and the foreign keys are checked at that commit.

`pgbench -N` runs its simple-update script (BEGIN; UPDATE accounts; SELECT; INSERT history; END)
on scale-10 tables that `pgbench -i` creates in the same database (`pgbench_*`, dropped at the end),
with the same number of clients (`-c`, `-j`) and the same duration, over the protocol chosen by
`--pgbench-protocol` (pgbench's default, `simple`, unless told).

Each round runs both, one after the other (which goes first alternates), so both see the same
machine; the figures printed are per round and the medians. Each ledger round also checks that it
wrote exactly one transaction and one audit row per counted posting and that no money was made or
lost.
"""

import argparse
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import time

from bench.common import BENCH_DATABASE_URL, bench_code, django_setup

DB = os.environ.get("DATABASE_URL", BENCH_DATABASE_URL).rsplit("/", 1)[1]  # what django_setup() uses
COMPANIES = 1000
PARTNERS = 100
WARM_UP = 20  # postings per client before the clock starts: connection, PL/pgSQL plans, caches
PG = ["-h", "127.0.0.1", "-U", "postgres"]


def prepare() -> tuple[list[tuple[int, int]], list[int]]:
    """Migrate the bench database and make 1,000 funded companies and 100 partners (once).
    Returns [(company id, wallet account id)] and [partner payable account id]."""
    subprocess.run(["createdb", *PG, DB], capture_output=True, check=False)
    django_setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from billing.models import Account, AccountKind, TxnKind
    from billing.services import ledger
    from tenants.roles import TenantKind
    from tests.factories import TenantFactory

    wallets = Account.objects.filter(kind=AccountKind.WALLET, tenant__name_en__startswith="Ledger bench ")
    for i in range(wallets.count(), COMPANIES):
        tenant = TenantFactory(name_en=f"Ledger bench {i}", credit_code=bench_code("LB", i))
        with transaction.atomic():
            ledger.post(
                kind=TxnKind.TOP_UP,
                key=f"bench-fund:{tenant.pk}",
                legs=[(ledger.platform(AccountKind.PAYMENT_CLEARING), -(10**12)), (ledger.wallet(tenant), 10**12)],
                tenant=tenant,
            )
    payables = Account.objects.filter(kind=AccountKind.PARTNER_PAYABLE, tenant__name_en__startswith="Ledger partner ")
    for i in range(payables.count(), PARTNERS):
        partner = TenantFactory(kind=TenantKind.PARTNER, name_en=f"Ledger partner {i}", credit_code=bench_code("LP", i))
        ledger.partner_payable(partner)
    return list(wallets.order_by("pk").values_list("tenant_id", "pk")), list(
        payables.order_by("pk").values_list("pk", flat=True)
    )


def client(companies, payables, seconds, seed, barrier, results) -> None:
    """One client process: warm up, wait for the others, then post for `seconds`."""
    django_setup()
    from django.db import transaction

    from billing.models import TxnKind
    from billing.services import ledger
    from tenants.models import Tenant

    tenants = Tenant.objects.in_bulk([tenant_id for tenant_id, _ in companies])
    rng = random.Random(seed)

    def charge(n: int) -> None:
        tenant_id, wallet = rng.choice(companies)
        amount = rng.randint(1, 1000)
        with transaction.atomic():
            ledger.post(
                kind=TxnKind.CHARGE,
                key=f"bench:{seed}:{n}",
                legs=[(wallet, -amount), (rng.choice(payables), amount)],
                tenant=tenants[tenant_id],
                memo="ledger bench",
            )

    for n in range(WARM_UP):
        charge(-1 - n)
    barrier.wait()
    started = time.monotonic()
    stop = started + seconds
    done = 0
    while time.monotonic() < stop:
        charge(done)
        done += 1
    results.put((done, time.monotonic() - started))


def postings_per_second(companies, payables, clients: int, seconds: float, round_no: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(clients)
    results = ctx.Queue()
    seeds = [f"{time.time_ns()}:{round_no}:{i}" for i in range(clients)]
    procs = [ctx.Process(target=client, args=(companies, payables, seconds, seed, barrier, results)) for seed in seeds]
    before = _ledger_state()
    for p in procs:
        p.start()
    counts = [results.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a ledger client failed (exit code {p.exitcode})")
    after = _ledger_state()
    posted = sum(done for done, _ in counts)
    written = (after[0] - before[0], after[1] - before[1])
    if written != (posted + WARM_UP * clients,) * 2 or after[2] != before[2]:
        raise SystemExit(f"ledger round wrote {written} transactions/audit rows for {posted} postings, or moved money")
    return sum(done / elapsed for done, elapsed in counts)


def _ledger_state() -> tuple[int, int, int]:
    """(transactions, audit rows of postings, total of all balances): what a round must add to."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM billing_transaction),"
            " (SELECT count(*) FROM audit_auditentry WHERE action = 'ledger.post'),"
            " (SELECT sum(balance_fen) FROM billing_account)"
        )
        return cur.fetchone()


def pgbench_init() -> None:
    subprocess.run(["pgbench", *PG, "-i", "-q", "-s", "10", DB], check=True, capture_output=True)


def pgbench_drop() -> None:
    subprocess.run(["pgbench", *PG, "-i", "-I", "d", DB], capture_output=True, check=False)


def pgbench_tps(clients: int, seconds: float, protocol: str) -> float:
    out = subprocess.run(
        ["pgbench", *PG, "-N", "-M", protocol, "-c", str(clients), "-j", str(clients), "-T", str(int(seconds)), DB],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pgbench-protocol", choices=["simple", "extended", "prepared"], default="simple")
    args = parser.parse_args()
    companies, payables = prepare()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW synchronous_commit")
        sync = cur.fetchone()[0]
    connection.close()
    print(
        f"clients {args.clients}, {args.rounds} rounds of {args.duration:.0f} s each, database {DB} on 127.0.0.1, "
        f"synchronous_commit {sync} for both, pgbench -M {args.pgbench_protocol}"
    )
    pgbench_init()
    ours: list[float] = []
    theirs: list[float] = []
    try:
        for n in range(args.rounds):
            if n % 2:  # which goes first alternates
                theirs.append(pgbench_tps(args.clients, args.duration, args.pgbench_protocol))
            ours.append(postings_per_second(companies, payables, args.clients, args.duration, n))
            if not n % 2:
                theirs.append(pgbench_tps(args.clients, args.duration, args.pgbench_protocol))
            print(
                f"round {n + 1}: ledger postings/s {ours[-1]:8.1f}   pgbench -N TPS {theirs[-1]:8.1f}   "
                f"ratio {ours[-1] / theirs[-1]:.3f}",
                flush=True,
            )
    finally:
        pgbench_drop()
    ratios = [a / b for a, b in zip(ours, theirs, strict=True) if b]
    print(f"ledger postings/s   {statistics.median(ours):10.1f}   (median)")
    print(f"pgbench -N TPS      {statistics.median(theirs):10.1f}   (median)")
    print(f"ratio               {statistics.median(ratios):10.3f}   (median of the rounds; target >= 0.5)")


if __name__ == "__main__":
    main()
