"""What the bench scripts share: Django set up on the bench database, and credit codes of their own."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"


def django_setup(env: dict | None = None) -> None:
    """Django with the bench settings on `portal_bench` (or DATABASE_URL), plus `env`."""
    os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
    os.environ.update(env or {})
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def bench_code(prefix: str, n: int) -> str:
    """A valid credit code of a bench's own series, so reruns and other benches never collide."""
    from tenants.validators import uscc_check_char

    first17 = f"91510100{prefix}{n:07d}"
    return first17 + uscc_check_char(first17)
