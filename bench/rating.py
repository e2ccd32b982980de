"""Usage records rated and posted per second (target: at least 20,000). Run by hand, not in CI:

    .venv/bin/python -m bench.rating                       # 100,000 records over 200 jobs
    .venv/bin/python -m bench.rating --records 20000 --jobs 50

Makes (once) a pool with a price and 200 funded companies with one running job each in the bench
database `portal_bench`, writes fresh usage records for those jobs (one minute each, as metering
does), then times `billing.services.rating.rate_pending()`: claiming records, pricing them, splitting
each charge over hold and wallet, one netted ledger transaction per batch, the Charge rows and
marking the records rated. Prints records/s and how many batches and charges that took.
"""

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.common import bench_code, django_setup

ROOT = Path(__file__).resolve().parent.parent


def world(jobs: int):
    """Jobs to meter, made once and reused."""
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from billing.models import AccountKind, TxnKind
    from billing.services import holds, ledger
    from catalog.models import OfferingVersion
    from compute.pools import ensure_pool
    from jobs.models import Job, JobState
    from tenants.models import Tenant
    from tests.factories import TenantFactory

    existing = list(Job.unscoped.filter(name__startswith="rating bench").select_related("pool__offering"))
    if len(existing) >= jobs:
        _price(existing[0].pool)
        return existing[:jobs]
    compute = OfferingVersion.unscoped.live().filter(kind="compute", chip_type__isnull=False).first()
    template = OfferingVersion.unscoped.live().filter(kind="solution").first()
    if compute is None or template is None:
        sys.exit("The bench database has no live catalog: run `python -m bench.catalog --sizes 3000` first.")
    pool = ensure_pool(compute.offering)
    _price(pool)
    made = existing
    for i in range(len(existing), jobs):
        code = bench_code("RB", i)
        tenant = Tenant.objects.filter(credit_code=code).first() or TenantFactory(
            name_en=f"Rating bench {i}", credit_code=code
        )
        with transaction.atomic():
            ledger.post(
                kind=TxnKind.TOP_UP,
                key=f"rating-bench-fund:{tenant.pk}",
                legs=[(ledger.platform(AccountKind.PAYMENT_CLEARING), -(10**10)), (ledger.wallet(tenant), 10**10)],
                tenant=tenant,
            )
            job = Job.unscoped.create(
                tenant=tenant,
                name=f"rating bench {i}",
                offering=template.offering,
                version=template,
                pool=pool,
                cards=2,
                workload=template.workload or "text_summary",
                engine="local",
                time_limit_seconds=10**6,
                estimate_fen=10**6,
                state=JobState.RUNNING,
            )
            holds.place(job=job, amount_fen=10**6)
        made.append(job)
    return made


def _price(pool) -> None:
    """A card-hour price in effect since long before the usage the bench writes."""
    from django.utils import timezone

    from billing.models import PriceEntry, PriceUnit
    from billing.services import pricebook

    month_ago = timezone.now() - timedelta(days=30)
    if not PriceEntry.objects.filter(offering=pool.offering, effective_from__lte=month_ago).exists():
        pricebook.set_price(
            offering=pool.offering, unit=PriceUnit.CARD_HOUR, amount_fen=1_250, effective_from=month_ago
        )


def write_usage(jobs: list, records: int) -> None:
    from django.db.models import Max
    from django.utils import timezone

    from jobs.models import UsageRecord

    per_job = max(1, records // len(jobs))
    last = dict(
        UsageRecord.unscoped.filter(job__in=jobs).values("job_id").annotate(m=Max("seq")).values_list("job_id", "m")
    )
    start = timezone.now() - timedelta(days=1)
    rows = []
    for job in jobs:
        first = (last.get(job.pk) or -1) + 1
        for seq in range(first, first + per_job):
            rows.append(
                UsageRecord(
                    tenant_id=job.tenant_id,
                    job=job,
                    attempt=1,
                    seq=seq,
                    pool_id=job.pool_id,
                    period_start=start + timedelta(minutes=seq),
                    period_end=start + timedelta(minutes=seq + 1),
                    card_seconds=job.cards * 60,
                    cum_card_seconds=job.cards * 60 * (seq + 1),
                )
            )
    UsageRecord.unscoped.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()
    django_setup()
    from billing.models import Charge
    from billing.services import rating
    from jobs.models import RatingQueue

    jobs = world(args.jobs)
    rating.rate_pending(batch_size=args.batch)  # leftovers of an interrupted run
    write_usage(jobs, args.records)
    pending = RatingQueue.objects.count()
    charges_before = Charge.unscoped.count()
    started = time.perf_counter()
    rated = 0
    batches = 0
    while True:
        n = rating.rate_batch(args.batch)
        if not n:
            break
        rated += n
        batches += 1
    elapsed = time.perf_counter() - started
    print(f"usage records rated      {rated:>10,}   (pending before: {pending:,})")
    print(f"batches of {args.batch:<6}        {batches:>10}")
    print(f"charges written          {Charge.unscoped.count() - charges_before:>10,}")
    print(f"seconds                  {elapsed:>10.2f}")
    print(f"records/s                {rated / elapsed if elapsed else 0:>10,.0f}   (target >= 20,000)")


if __name__ == "__main__":
    main()
