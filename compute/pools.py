"""Pools: made from live compute offerings; their utilisation now and over time."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from audit.services import audit_record
from compute.models import Pool, PoolSample


def ensure_pool(offering) -> Pool | None:
    """The pool behind a live compute offering, made on first go-live (cards and chip from the version)."""
    version = offering.live_version
    if version is None or not version.chip_type_id:
        return None
    pool, created = Pool.objects.get_or_create(
        offering=offering,
        defaults={
            "chip_type_id": version.chip_type_id,
            "name": version.name_en or version.name_zh,
            "total_cards": version.total_cards or 8,
            "engine": version.engine or "local",
        },
    )
    if not created and version.total_cards and pool.total_cards != version.total_cards:
        pool.total_cards = version.total_cards
        pool.save(update_fields=["total_cards"])
    return pool


def utilisation():
    """Every pool with cards in use and jobs waiting, in two aggregate queries' worth of SQL."""
    from jobs.models import JobState

    busy = (JobState.STARTING, JobState.RUNNING)
    waiting = (JobState.PENDING, JobState.QUEUED)
    return Pool.objects.select_related("chip_type").annotate(
        cards_in_use=Sum("jobs__cards", filter=Q(jobs__state__in=busy), default=0),
        running_jobs=Count("jobs", filter=Q(jobs__state__in=busy)),
        queued_jobs=Count("jobs", filter=Q(jobs__state__in=waiting)),
    )


def sample() -> int:
    """Store one utilisation sample per pool for this minute (idempotent within the minute)."""
    at = timezone.now().replace(second=0, microsecond=0)
    rows = [
        PoolSample(
            pool=p,
            at=at,
            cards_in_use=p.cards_in_use,
            total_cards=p.total_cards,
            queued_jobs=p.queued_jobs,
            running_jobs=p.running_jobs,
        )
        for p in utilisation()
    ]
    PoolSample.objects.bulk_create(rows, ignore_conflicts=True)
    PoolSample.objects.filter(at__lt=at - timedelta(days=35)).delete()
    return len(rows)


class PoolEngineError(Exception):
    """The engine settings cannot be saved; ``problems`` are the messages for the operator."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@transaction.atomic(durable=True)
def pool_engine_set(*, pool_id: int, engine: str, engine_config: dict, actor) -> Pool:
    """Put a pool on an engine with the operator's settings for it (audited). Jobs already submitted
    stay where they are; the next submission uses the new settings."""
    from compute.engine_settings import engine_config_problems

    if problems := engine_config_problems(engine, engine_config):
        raise PoolEngineError(problems)
    pool = Pool.objects.select_for_update().get(pk=pool_id)
    before = {"engine": pool.engine, "engine_config": pool.engine_config}
    pool.engine, pool.engine_config = engine, engine_config
    pool.save(update_fields=["engine", "engine_config"])
    audit_record(
        action="pool.engine",
        actor=actor,
        obj=pool,
        before=before,
        after={"engine": engine, "engine_config": engine_config},
    )
    return pool
