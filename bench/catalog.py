"""Requests per second of the catalog search page against a bare Django view of the same size,
served by one server process, at about 3,000 and about 100,000 offerings. Run by hand, not in CI:

    .venv/bin/python -m bench.catalog                     # 3,000 and 100,000 offerings
    .venv/bin/python -m bench.catalog --sizes 3000        # quicker

See bench/README.md. Talks only to 127.0.0.1; starts (and stops) one `manage.py runserver`.
"""

import argparse
import http.client
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
DEFAULT_URL = "/catalog/?q=医疗&kind=solution&sort=price"
HOST = "127.0.0.1"


@dataclass
class Result:
    offerings: int
    page_bytes: int
    single_seconds: float  # one request at a time, median of a few
    catalog_rps: float
    bare_rps: float
    errors: int

    @property
    def ratio(self) -> float:
        return self.catalog_rps / self.bare_rps if self.bare_rps else 0.0


def quoted(url: str) -> str:
    """Percent-encode a path with query (the default query has Chinese in it)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return urllib.parse.quote(parts.path) + (f"?{query}" if query else "")


def ensure_database(name: str, admin_dsn: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def manage(env: dict, *args: str) -> str:
    command = [PYTHON, "manage.py", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def wait_until_idle(dsn: str, seconds: float = 600) -> None:
    """Wait for requests still running after a measurement (the server finishes them) to end."""
    import psycopg

    deadline = time.monotonic() + seconds
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
            if not busy:
                return
            time.sleep(0.5)


def vacuum(dsn: str) -> None:
    """Reclaim the rows a previous --flush left behind, so each size is measured on a clean table."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until_up(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server exited; see var/bench-server.log")
        try:
            if get(port, "/bench/bare/?bytes=1")[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    sys.exit("the server did not answer within a minute; see var/bench-server.log")


def load_with_wrk(url: str, seconds: int, concurrency: int) -> tuple[float, int]:
    threads = max(1, min(2, concurrency))
    out = subprocess.run(
        [shutil.which("wrk"), f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, socket.groups())) if socket else 0)
    return rps, errors


def load_with_threads(port: int, path: str, seconds: int, concurrency: int) -> tuple[float, int]:
    """Fallback load generator: keep-alive connections, one per thread."""
    counts = [[0, 0] for _ in range(concurrency)]
    deadline = time.monotonic() + seconds

    def worker(slot: list[int]) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while time.monotonic() < deadline:
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                slot[0 if response.status == 200 else 1] += 1
            except (OSError, http.client.HTTPException):
                slot[1] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
        conn.close()

    started = time.monotonic()
    workers = [threading.Thread(target=worker, args=(slot,)) for slot in counts]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.monotonic() - started
    return sum(c[0] for c in counts) / elapsed, sum(c[1] for c in counts)


def measure(port: int, path: str, seconds: int, concurrency: int) -> tuple[float, int]:
    if shutil.which("wrk"):
        return load_with_wrk(f"http://{HOST}:{port}{path}", seconds, concurrency)
    return load_with_threads(port, path, seconds, concurrency)


def offerings_in(summary: str) -> int:
    match = re.search(r"(\d+) offerings \(", summary)
    if not match:
        sys.exit(f"could not read the loader's summary: {summary}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="3000,100000", help="target numbers of offerings (default 3000,100000)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"catalog page to measure (default {DEFAULT_URL})")
    parser.add_argument("--database", default="portal_bench", help="PostgreSQL database (created if missing)")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections (default 8)")
    parser.add_argument("--no-load", action="store_true", help="measure the catalog already in the database")
    args = parser.parse_args()
    path = quoted(args.url)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"{args.pg}/{args.database}",
        "PYTHONUNBUFFERED": "1",
    }
    ensure_database(args.database, f"{args.pg}/postgres")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")

    tool = "wrk" if shutil.which("wrk") else "Python threads (install wrk for a lighter client)"
    print(f"server: manage.py runserver --noreload (one process), settings bench.settings, DB {args.database}")
    print(f"client: {tool}, {args.concurrency} connections, {args.duration} s per measurement")
    print(f"page:   {args.url}")

    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "bench-server.log", "w") as log:
        results = run(args, env, path, log)
    print()
    header = ("offerings", "page bytes", "one req (s)", "catalog req/s", "bare req/s", "ratio", "errors")
    print("{:>10} {:>11} {:>12} {:>14} {:>11} {:>7} {:>7}".format(*header))
    for r in results:
        print(
            f"{r.offerings:>10,} {r.page_bytes:>11,} {r.single_seconds:>12.2f} {r.catalog_rps:>14.2f} "
            f"{r.bare_rps:>11.1f} {r.ratio:>7.4f} {r.errors:>7}"
        )


def run(args, env: dict, path: str, log) -> list[Result]:
    """Start the server, then load and measure each size; the server is always stopped."""
    targets = sorted(int(s) for s in args.sizes.split(","))[: 1 if args.no_load else None]
    server = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", f"{HOST}:{args.port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    results: list[Result] = []
    per_scale = None
    try:
        wait_until_up(args.port, server)
        for target in targets:
            if args.no_load:
                code = "from catalog.models import Offering; print(Offering.unscoped.count())"
                count = int(manage(env, "shell", "-c", code).split()[-1])
            else:
                scale = 1 if per_scale is None else max(1, round(target / per_scale))
                started = time.monotonic()
                summary = manage(env, "load_demo_catalog", "--flush", "--scale", str(scale))
                count = offerings_in(summary)
                per_scale = per_scale or count
                print(f"loaded {count:,} offerings (scale {scale}) in {time.monotonic() - started:.0f} s")
            vacuum(env["DATABASE_URL"])
            timings = []
            for _ in range(5):  # warm the caches the way a visitor would, one request at a time
                started = time.monotonic()
                status, body = get(args.port, path)
                timings.append(time.monotonic() - started)
            if status != 200:
                sys.exit(f"{args.url} answered {status}; pass another page with --url")
            page_bytes, single = len(body), sorted(timings[1:])[len(timings[1:]) // 2]
            # A slow page gets a longer window (up to 2 minutes) so that enough requests complete.
            window = min(max(args.duration, math.ceil(3 * single * args.concurrency)), 120)
            bare_rps, bare_errors = measure(
                args.port, f"/bench/bare/?bytes={page_bytes}", args.duration, args.concurrency
            )
            catalog_rps, errors = measure(args.port, path, window, args.concurrency)
            wait_until_idle(env["DATABASE_URL"])
            results.append(Result(count, page_bytes, single, catalog_rps, bare_rps, errors + bare_errors))
            print(
                f"  {count:,} offerings: one request {single:.2f} s; catalog {catalog_rps:.1f} req/s "
                f"({window} s), bare {bare_rps:.1f} req/s ({args.duration} s)"
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return results


if __name__ == "__main__":
    main()
