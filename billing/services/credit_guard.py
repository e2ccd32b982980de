"""The credit guard: a running job whose payer's funds are running out is warned about, then stopped.

Funds left for a job = its hold's rest + the wallet + what vouchers add to them. When they last
less than CREDIT_WARN_SECONDS at the job's burn rate, the tenant's billing people are notified once;
when they are gone, or CREDIT_GRACE_SECONDS after the warning they still do not cover the next
interval, the job is stopped. Rating never takes a wallet below zero, whatever happens.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing import funding
from billing.models import Hold, HoldState, PriceUnit
from billing.services import ledger
from billing.services.pricebook import card_seconds_cost, current_price
from notifications.services import notify


def funds_left(job) -> int:
    """How much more usage the job's payer can pay for: the hold's rest and the wallet, plus what
    vouchers would add to them (they pay only their ratio of each charge)."""
    held = (
        Hold.unscoped.filter(job=job, attempt=job.attempt, state=HoldState.OPEN).aggregate(
            s=Sum("amount_fen") - Sum("drawn_fen")
        )["s"]
        or 0
    )
    paid = held + max(0, ledger.balance(job.tenant))
    return funding.coverable(job, paid)


def unrated_cost(job, price_fen: int) -> int:
    """What the job has used but rating has not charged yet."""
    from jobs.models import UNRATED, UsageRecord

    pending = UsageRecord.unscoped.filter(UNRATED, job=job).aggregate(s=Sum("card_seconds"))["s"] or 0
    unmetered = 0
    if job.started_at:
        metered_until = job.started_at + timedelta(seconds=job.card_seconds // max(job.cards, 1))
        unmetered = max(0, int((timezone.now() - metered_until).total_seconds())) * job.cards
    return card_seconds_cost(price_fen, pending + unmetered)


def check_running_jobs() -> int:
    """Warn or stop running jobs short of funds. Returns how many were stopped."""
    from jobs.models import Job, JobState
    from jobs.services.lifecycle import JobActionError, cancel

    stopped = 0
    now = timezone.now()
    for job in Job.unscoped.filter(state__in=(JobState.STARTING, JobState.RUNNING)).select_related("pool", "tenant"):
        price = current_price(job.pool.offering_id, PriceUnit.CARD_HOUR)
        if price is None or price.amount_fen == 0:
            continue
        left = funds_left(job) - unrated_cost(job, price.amount_fen)
        per_second = price.amount_fen * job.cards / 3600
        step = settings.METERING_INTERVAL_SECONDS
        if left <= per_second * step or (
            job.credit_warned_at
            and now >= job.credit_warned_at + timedelta(seconds=settings.CREDIT_GRACE_SECONDS)
            and left <= per_second * settings.CREDIT_WARN_SECONDS
        ):
            try:
                cancel(job=job, actor=None, reason="credit_exhausted")
                stopped += 1
            except JobActionError:
                pass
        elif left <= per_second * settings.CREDIT_WARN_SECONDS and job.credit_warned_at is None:
            _warn(job, left)
    return stopped


def _warn(job, left_fen: int) -> None:
    from tenants.models import Membership
    from tenants.roles import GRANTS, Perm

    with transaction.atomic():
        updated = (
            type(job).unscoped.filter(pk=job.pk, credit_warned_at__isnull=True).update(credit_warned_at=timezone.now())
        )
        if not updated:
            return
        people = [
            m.user
            for m in Membership.unscoped.filter(tenant=job.tenant, role__in=GRANTS[Perm.MANAGE_BILLING]).select_related(
                "user"
            )
        ]
        if job.created_by and job.created_by not in people:
            people.append(job.created_by)
        notify(
            recipients=people,
            tenant=job.tenant,
            title=lambda: _("Job %(job)s is about to run out of funds") % {"job": job},
            body=lambda: _(
                "Only ¥%(left)s is left for it. Top up within %(minutes)d minutes or the job will be stopped."
            )
            % {"left": ledger.format_fen(max(0, left_fen)), "minutes": settings.CREDIT_GRACE_SECONDS // 60},
            url=reverse("jobs:detail", args=[job.pk]),
        )
