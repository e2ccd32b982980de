"""Telling a partner's people about their settlements (those who may see them)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from notifications.services import notify
from tenants.models import Membership
from tenants.roles import GRANTS, Perm


def recipients_by_partner(partner_ids: Iterable[int]) -> dict[int, list]:
    """Users who may see settlements, per partner tenant id, in one query."""
    people: dict[int, list] = {}
    memberships = Membership.unscoped.select_related("user").filter(
        tenant_id__in=list(partner_ids), role__in=GRANTS[Perm.VIEW_SETTLEMENTS]
    )
    for membership in memberships.order_by("pk"):
        people.setdefault(membership.tenant_id, []).append(membership.user)
    return people


def tell(settlement, people: list, *, title, body="") -> None:
    notify(
        recipients=people,
        tenant=settlement.tenant,
        title=title,
        body=body,
        url=reverse("settlements:detail", args=[settlement.pk]),
    )
