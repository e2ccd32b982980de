"""Ledger postings per second against `pgbench -N` TPS: same PostgreSQL server, same number of
client processes, same duration. Run by hand, not in CI:

    .venv/bin/python -m bench.ledger                 # 4 clients, 10 s each
    .venv/bin/python -m bench.ledger --clients 8 --duration 20

A posting is `billing.services.ledger.post()` of a transfer between two random wallets out of
1,000, inside its own database transaction: idempotency check, row locks in id order, balance
check, transaction + legs + balance updates, the audit row, and the deferred zero-sum trigger at
commit. pgbench -N runs its simple-update script (BEGIN; UPDATE accounts; SELECT; INSERT history;
END) on a scale-10 database of its own (`portal_pgbench`, created and dropped here).
Prints both rates and the ratio (postings/s ÷ pgbench TPS).
"""

import argparse
import multiprocessing
import random
import re
import subprocess
import time
from pathlib import Path

from bench.common import bench_code, django_setup

ROOT = Path(__file__).resolve().parent.parent
DB = "portal_bench"
PGBENCH_DB = "portal_pgbench"
WALLETS = 1000
PG = ["-h", "127.0.0.1", "-U", "postgres"]


def prepare() -> list[int]:
    """Migrate the bench database and make 1,000 funded wallets (once)."""
    subprocess.run(["createdb", *PG, DB], capture_output=True, check=False)
    django_setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from billing.models import Account, AccountKind, TxnKind
    from billing.services import ledger
    from tenants.models import Tenant
    from tests.factories import TenantFactory

    have = list(Account.objects.filter(kind=AccountKind.WALLET, tenant__name_en__startswith="Ledger bench"))
    for i in range(len(have), WALLETS):
        tenant = TenantFactory(name_en=f"Ledger bench {i}", credit_code=bench_code("LB", i))
        with transaction.atomic():
            ledger.post(
                kind=TxnKind.TOP_UP,
                key=f"bench-fund:{tenant.pk}",
                legs=[(ledger.platform(AccountKind.PAYMENT_CLEARING), -(10**12)), (ledger.wallet(tenant), 10**12)],
                tenant=tenant,
            )
    del Tenant
    return list(
        Account.objects.filter(kind=AccountKind.WALLET, tenant__name_en__startswith="Ledger bench").values_list(
            "pk", flat=True
        )
    )


def client(args: tuple) -> int:
    wallets, seconds, seed = args
    django_setup()
    from django.db import transaction

    from billing.models import TxnKind
    from billing.services import ledger

    rng = random.Random(seed)
    done = 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        src, dst = rng.sample(wallets, 2)
        with transaction.atomic():
            ledger.post(
                kind=TxnKind.ADJUSTMENT, key=f"bench:{seed}:{time.time_ns()}:{done}", legs=[(src, -1), (dst, 1)]
            )
        done += 1
    return done


def postings_per_second(wallets: list[int], clients: int, seconds: float) -> float:
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        started = time.monotonic()
        counts = pool.map(client, [(wallets, seconds, i) for i in range(clients)])
        elapsed = time.monotonic() - started
    return sum(counts) / min(elapsed, seconds + 1) if elapsed else 0.0


def pgbench_tps(clients: int, seconds: float) -> float:
    subprocess.run(["dropdb", *PG, "--if-exists", PGBENCH_DB], check=True, capture_output=True)
    subprocess.run(["createdb", *PG, PGBENCH_DB], check=True, capture_output=True)
    try:
        subprocess.run(["pgbench", *PG, "-i", "-q", "-s", "10", PGBENCH_DB], check=True, capture_output=True)
        out = subprocess.run(
            ["pgbench", *PG, "-N", "-c", str(clients), "-j", str(clients), "-T", str(int(seconds)), PGBENCH_DB],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(["dropdb", *PG, "--if-exists", PGBENCH_DB], capture_output=True, check=False)
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    wallets = prepare()
    ours = postings_per_second(wallets, args.clients, args.duration)
    theirs = pgbench_tps(args.clients, args.duration)
    print(f"clients {args.clients}, {args.duration:.0f} s each, PostgreSQL on 127.0.0.1")
    print(f"ledger postings/s   {ours:10.1f}")
    print(f"pgbench -N TPS      {theirs:10.1f}")
    print(f"ratio               {ours / theirs if theirs else 0:10.3f}   (target >= 0.5)")


if __name__ == "__main__":
    main()
