"""Quotas: what a company may use of each chip type, checked at launch and held while jobs run.

Limits come from the tenant's override for the chip, else the operator's default for its size class
and chip, else the default for its size class on any chip, else BUILT_IN. Taking quota always
happens under the tenant's `QuotaLock` row for the chip, so concurrent launches are serialised
there and cannot both take the last card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from compute.models import QuotaDefault, QuotaLock, QuotaOverride, QuotaRequest, RequestState
from notifications.services import notify


@dataclass(frozen=True)
class Limits:
    concurrent_cards: int
    card_hours_month: int
    concurrent_jobs: int


BUILT_IN = Limits(concurrent_cards=8, card_hours_month=200, concurrent_jobs=4)


@dataclass(frozen=True)
class Usage:
    cards: int
    jobs: int
    card_seconds_month: int

    @property
    def card_hours_month(self) -> float:
        return self.card_seconds_month / 3600


def limits_for(tenant, chip_type_id: int) -> Limits:
    override = QuotaOverride.unscoped.filter(tenant=tenant, chip_type_id=chip_type_id).first()
    if override:
        return Limits(override.concurrent_cards, override.card_hours_month, override.concurrent_jobs)
    defaults = {
        d.chip_type_id: d
        for d in QuotaDefault.objects.filter(size_class=tenant.size_class).filter(
            Q(chip_type_id=chip_type_id) | Q(chip_type__isnull=True)
        )
    }
    default = defaults.get(chip_type_id) or defaults.get(None)
    if default:
        return Limits(default.concurrent_cards, default.card_hours_month, default.concurrent_jobs)
    return BUILT_IN


def month_start(now: datetime | None = None) -> datetime:
    now = timezone.localtime(now or timezone.now())
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def usage_for(tenant, chip_type_id: int) -> Usage:
    from jobs.models import ADMITTED_STATES, Job, UsageRecord

    active = Job.unscoped.filter(tenant=tenant, pool__chip_type_id=chip_type_id, state__in=ADMITTED_STATES).aggregate(
        cards=Sum("cards"), jobs=Count("id")
    )
    metered = UsageRecord.unscoped.filter(
        tenant=tenant, pool__chip_type_id=chip_type_id, period_start__gte=month_start()
    ).aggregate(s=Sum("card_seconds"))["s"]
    return Usage(active["cards"] or 0, active["jobs"] or 0, metered or 0)


def lock(tenant, chip_type_id: int) -> None:
    """Serialise quota decisions for this tenant and chip type until the transaction ends."""
    QuotaLock.unscoped.get_or_create(tenant=tenant, chip_type_id=chip_type_id)
    QuotaLock.unscoped.select_for_update().get(tenant=tenant, chip_type_id=chip_type_id)


def fits_now(limits: Limits, usage: Usage, cards: int) -> bool:
    """Whether a job of `cards` may start now (the concurrent limits)."""
    return usage.cards + cards <= limits.concurrent_cards and usage.jobs + 1 <= limits.concurrent_jobs


# ---------------------------------------------------------------------------------------------
# Requests for more
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def request_increase(
    *, tenant, actor, chip_type, concurrent_cards: int, card_hours_month: int, concurrent_jobs: int, reason: str
) -> QuotaRequest:
    request = QuotaRequest.objects.create(
        tenant=tenant,
        chip_type=chip_type,
        concurrent_cards=concurrent_cards,
        card_hours_month=card_hours_month,
        concurrent_jobs=concurrent_jobs,
        reason=reason,
        requested_by=actor,
    )
    audit_record(
        action="quota.request",
        tenant=tenant,
        actor=actor,
        obj=request,
        after={
            "chip": chip_type.slug,
            "cards": concurrent_cards,
            "card_hours": card_hours_month,
            "jobs": concurrent_jobs,
        },
    )
    _tell_operators(request)
    return request


class DecisionError(Exception):
    pass


@transaction.atomic
def decide(
    *,
    request: QuotaRequest,
    actor,
    approve: bool,
    note: str = "",
    cards: int | None = None,
    card_hours: int | None = None,
    jobs: int | None = None,
) -> QuotaRequest:
    """Approve (optionally less than asked) or reject a pending request; the company is told."""
    request = QuotaRequest.unscoped.select_for_update().get(pk=request.pk)
    if request.state != RequestState.PENDING:
        raise DecisionError(_("This request has already been decided."))
    if not approve and not note.strip():
        raise DecisionError(_("Say why the request is rejected."))
    request.state = RequestState.APPROVED if approve else RequestState.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    if approve:
        request.granted_cards = min(cards or request.concurrent_cards, request.concurrent_cards)
        request.granted_card_hours = min(card_hours or request.card_hours_month, request.card_hours_month)
        request.granted_jobs = min(jobs or request.concurrent_jobs, request.concurrent_jobs)
        QuotaOverride.unscoped.update_or_create(
            tenant=request.tenant,
            chip_type=request.chip_type,
            defaults={
                "concurrent_cards": request.granted_cards,
                "card_hours_month": request.granted_card_hours,
                "concurrent_jobs": request.granted_jobs,
                "set_by": actor,
                "note": f"request {request.pk}",
            },
        )
    request.save()
    audit_record(
        action="quota.approve" if approve else "quota.reject",
        tenant=request.tenant,
        actor=actor,
        obj=request,
        after={
            "cards": request.granted_cards,
            "card_hours": request.granted_card_hours,
            "jobs": request.granted_jobs,
            "note": note,
        },
    )
    _tell_company(request)
    if approve:
        from jobs.services.lifecycle import admit_later

        admit_later(request.tenant_id, request.chip_type_id)
    return request


@transaction.atomic
def set_override(
    *, tenant, chip_type, actor, concurrent_cards: int, card_hours_month: int, concurrent_jobs: int, note: str = ""
) -> QuotaOverride:
    override, _created = QuotaOverride.unscoped.update_or_create(
        tenant=tenant,
        chip_type=chip_type,
        defaults={
            "concurrent_cards": concurrent_cards,
            "card_hours_month": card_hours_month,
            "concurrent_jobs": concurrent_jobs,
            "set_by": actor,
            "note": note,
        },
    )
    audit_record(
        action="quota.override",
        tenant=tenant,
        actor=actor,
        obj=override,
        after={"cards": concurrent_cards, "card_hours": card_hours_month, "jobs": concurrent_jobs},
    )
    from jobs.services.lifecycle import admit_later

    admit_later(tenant.pk, chip_type.pk)
    return override


def _tell_operators(request: QuotaRequest) -> None:
    from tenants.models import Membership
    from tenants.roles import TenantKind

    staff = Membership.unscoped.filter(tenant__kind=TenantKind.OPERATOR).select_related("user", "tenant")
    for membership in staff:
        notify(
            recipients=[membership.user],
            tenant=membership.tenant,
            title=lambda: _("Quota request from %(company)s") % {"company": request.tenant.display_name},
            body=request.reason[:500],
            url=reverse("compute:quota-requests"),
        )


def _tell_company(request: QuotaRequest) -> None:
    if request.requested_by is None:
        return
    approved = request.state == RequestState.APPROVED

    def title() -> str:
        text = (
            _("Your quota request for %(chip)s was approved")
            if approved
            else _("Your quota request for %(chip)s was rejected")
        )
        return text % {"chip": str(request.chip_type)}

    notify(
        recipients=[request.requested_by],
        tenant=request.tenant,
        title=title,
        body=request.decision_note,
        url=reverse("compute:quotas"),
    )
