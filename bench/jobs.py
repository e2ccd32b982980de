"""Launches per second through the jobs API, and launch → running latency on the local engine.
Run by hand, not in CI:

    .venv/bin/python -m bench.jobs                    # 40 launches, 4 clients
    .venv/bin/python -m bench.jobs --launches 100 --clients 8

Set-up (in the bench database `portal_bench`, made by `python -m bench.catalog --sizes 3000` or
this script): pools, prices and quotas (`seed_operations`), one company with credit, a quota large
enough for every launch and a developer API key. Then it starts one server process
(`runserver`, bench settings) and one Celery worker with beat (reconciling every 0.5 s) on Redis
db 13, and:

1. POSTs `--launches` jobs of a summarisation template (its example inputs) to `/api/v1/jobs/` from
   `--clients` threads, each with its own `Idempotency-Key`; then the same number of POSTs of the
   same body to a bare JSON view in the same server (`/bench/bare-json/`), the baseline.
   Prints launches/s, baseline/s and the ratio.
2. Waits for every job to start and prints launch → running latency (job created → the engine's
   start time of its workload) p50 / p95 / max, next to the same latency for the
   local engine alone (submit → start of a no-op workload), the baseline.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import bench_code, django_setup

ROOT = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", 8766
BROKER = "redis://127.0.0.1:6379/13"


def env() -> dict:
    work = Path(tempfile.gettempdir()) / "portal-bench-jobs"
    return {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench"),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CELERY_BROKER_URL": BROKER,
        "JOBS_ROOT": str(work / "jobs"),
        "ENGINE_ROOT": str(work / "engine"),
        "JOBS_TICK_SECONDS": "0.5",
    }


def prepare(launches: int) -> dict:
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    call_command("seed_operations", verbosity=0)
    from billing.models import AccountKind, TxnKind
    from billing.services import ledger
    from catalog.models import OfferingVersion
    from compute.models import QuotaOverride
    from jobs.services.launch import pool_choices
    from tenants.models import Membership, Tenant
    from tenants.roles import Role, TenantKind
    from tenants.scoping import tenant_context
    from tenants.services.api_keys import api_key_create
    from tests.factories import MembershipFactory, TenantFactory

    code = bench_code("JB", 1)
    company = Tenant.objects.filter(credit_code=code).first()
    if company is None:
        company = TenantFactory(kind=TenantKind.COMPANY, name_en="Jobs bench", credit_code=code)
    developer = Membership.unscoped.filter(tenant=company, role=Role.DEVELOPER).first() or MembershipFactory(
        tenant=company, role=Role.DEVELOPER
    )
    with transaction.atomic():
        ledger.post(
            kind=TxnKind.TOP_UP,
            key=f"jobs-bench:{company.pk}:{time.time_ns()}",
            legs=[(ledger.platform(AccountKind.PAYMENT_CLEARING), -(10**9)), (ledger.wallet(company), 10**9)],
            tenant=company,
        )
    template = (
        OfferingVersion.unscoped.live()
        .filter(kind="solution", workload="text_summary")
        .select_related("offering")
        .first()
    )
    choice = next(c for c in pool_choices(template) if c.usable and c.pool.total_cards >= launches)
    QuotaOverride.unscoped.update_or_create(
        tenant=company,
        chip_type=choice.pool.chip_type,
        defaults={"concurrent_cards": 10_000, "card_hours_month": 1_000_000, "concurrent_jobs": 10_000},
    )
    with tenant_context(company):
        _key, secret = api_key_create(name=f"bench {time.time_ns()}", role=Role.DEVELOPER, acting_membership=developer)
    body = {"template": template.offering.slug, "pool": choice.pool.pk, "cards": 1, "inputs": template.example_inputs}
    return {"key": secret, "body": body, "tenant": company.pk}


def post(path: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://{HOST}:{PORT}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def hammer(path: str, n: int, clients: int, body: dict, api_key: str | None) -> tuple[float, list[dict]]:
    results: list = []
    lock = threading.Lock()
    counter = iter(range(n))

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            headers = {"Idempotency-Key": f"bench-{time.time_ns()}-{i}"}
            if api_key:
                headers["Authorization"] = f"Api-Key {api_key}"
            status, data = post(path, body, headers)
            with lock:
                results.append({"status": status, **data})

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n / (time.perf_counter() - started), results


def start_services() -> list[subprocess.Popen]:
    log = open(ROOT / "var" / "bench-jobs.log", "w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        cwd=ROOT,
        env=env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--beat",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
            "--scheduler",
            "celery.beat:PersistentScheduler",
            "--schedule",
            str(Path(tempfile.gettempdir()) / "portal-bench-jobs-beat"),
        ],
        cwd=ROOT,
        env=env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{HOST}:{PORT}/bench/bare/", timeout=2)
            return [server, worker]
        except OSError:
            time.sleep(0.5)
    sys.exit("the bench server did not start; see var/bench-jobs.log")


def latencies(job_ids: list[int], timeout: float) -> list[float]:
    """Seconds from each job's creation to the engine starting its workload (Job.started_at)."""
    from jobs.models import Job

    deadline = time.monotonic() + timeout
    jobs = Job.unscoped.filter(pk__in=job_ids)
    while time.monotonic() < deadline and jobs.filter(started_at__isnull=True).exists():
        time.sleep(0.5)
    return sorted(
        (started - created).total_seconds()
        for created, started in jobs.filter(started_at__isnull=False).values_list("created_at", "started_at")
    )


def engine_baseline(n: int) -> list[float]:
    """submit → start on the local engine alone, for a workload that does nothing."""
    from compute.engines.base import JobSpec
    from compute.engines.local import LocalEngine

    root = Path(tempfile.mkdtemp(prefix="engine-bench-"))
    engine = LocalEngine(root / "engine", workload_module="tests.compute.fake_workload")
    submitted = {}
    for i in range(n):
        job_dir = root / f"job{i}"
        job_dir.mkdir()
        (job_dir / "params.json").write_text(json.dumps({"sleep": 0.1}))
        spec = JobSpec(
            key=f"b{i}", workload="ok", job_dir=job_dir, cards=1, pool="p", pool_cards=n, time_limit_seconds=60
        )
        submitted[engine.submit(spec)] = time.time()
    out = []
    for engine_id, at in submitted.items():
        status = engine.status(engine_id)
        while status.started_at is None:
            time.sleep(0.05)
            status = engine.status(engine_id)
        out.append(status.started_at.timestamp() - at)
    return sorted(out)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else (values[0] if values else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=40)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    django_setup(env())
    world = prepare(args.launches)
    processes = start_services()
    try:
        rate, results = hammer("/api/v1/jobs/", args.launches, args.clients, world["body"], world["key"])
        created = [r["id"] for r in results if r["status"] == 201]
        bare_rate, _ = hammer("/bench/bare-json/", args.launches, args.clients, world["body"], None)
        lat = latencies(created, timeout=300)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    base = engine_baseline(min(args.launches, 20))
    errors = [r for r in results if r["status"] != 201]
    print(
        f"launches: {len(created)} created, {len(errors)} refused {[e.get('error', {}).get('code') for e in errors][:3]}"
    )
    print(f"launches/s through the API   {rate:8.1f}")
    print(f"bare JSON POST/s (baseline)  {bare_rate:8.1f}")
    print(f"ratio                        {rate / bare_rate if bare_rate else 0:8.3f}")
    print(
        f"launch → running latency (s): p50 {pct(lat, 50):.2f}  p95 {pct(lat, 95):.2f}  max {max(lat or [0]):.2f}"
        f"  ({len(lat)} of {len(created)} started)"
    )
    print(f"engine alone, submit → start: p50 {pct(base, 50):.2f}  p95 {pct(base, 95):.2f}  max {max(base or [0]):.2f}")


if __name__ == "__main__":
    main()
