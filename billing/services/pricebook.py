"""The price book: what an offering costs at a moment, and what a launch is estimated to cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from billing.models import PriceEntry, PriceUnit


class NoPrice(Exception):
    """The offering has no price in effect at that moment."""


def price_at(offering_id: int, unit: str, at: datetime) -> PriceEntry:
    entry = (
        PriceEntry.objects.filter(offering_id=offering_id, unit=unit, effective_from__lte=at)
        .order_by("-effective_from")
        .first()
    )
    if entry is None:
        raise NoPrice(f"offering {offering_id} has no {unit} price at {at.isoformat()}")
    return entry


def current_price(offering_id: int, unit: str) -> PriceEntry | None:
    try:
        return price_at(offering_id, unit, timezone.now())
    except NoPrice:
        return None


def yuan_to_fen(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def card_seconds_cost(price_fen_per_card_hour: int, card_seconds: int) -> int:
    """Cost in fen of `card_seconds`, rounded half up. Rating charges cumulative differences of this,
    so per-interval rounding never adds up to more or less than the whole."""
    return (price_fen_per_card_hour * card_seconds * 2 + 3600) // 7200


@transaction.atomic
def set_price(
    *,
    offering,
    unit: str,
    amount_fen: int,
    effective_from: datetime | None = None,
    platform_fee_bp: int | None = None,
    actor=None,
) -> PriceEntry:
    """Add a price from `effective_from` (now by default). Past usage keeps the price it had."""
    fee = settings.PLATFORM_FEE_BP if platform_fee_bp is None else platform_fee_bp
    entry, _created = PriceEntry.objects.update_or_create(
        offering=offering,
        unit=unit,
        effective_from=effective_from or timezone.now(),
        defaults={"amount_fen": amount_fen, "platform_fee_bp": fee, "created_by": actor},
    )
    audit_record(
        action="price.set",
        tenant=None,
        actor=actor,
        obj=entry,
        after={"offering": offering.pk, "unit": unit, "amount_fen": amount_fen, "fee_bp": fee},
    )
    return entry


def sync_from_version(version, *, actor=None) -> None:
    """When a version goes live, its list price enters the price book (if it changed)."""
    wanted = []
    if version.price_per_card_hour is not None:
        wanted.append((PriceUnit.CARD_HOUR, yuan_to_fen(version.price_per_card_hour)))
    if version.price_per_run is not None:
        wanted.append((PriceUnit.RUN, yuan_to_fen(version.price_per_run)))
    for unit, amount in wanted:
        current = current_price(version.offering_id, unit)
        if current is None or current.amount_fen != amount:
            set_price(offering=version.offering, unit=unit, amount_fen=amount, actor=actor)


@dataclass(frozen=True)
class Estimate:
    card_hour_fen: int
    run_fen: int
    cards: int
    minutes: int

    @property
    def compute_fen(self) -> int:
        return card_seconds_cost(self.card_hour_fen, self.cards * self.minutes * 60)

    voucher_fen: int = 0  # what the payer's vouchers would pay of it (see `billing.funding`)

    @property
    def total_fen(self) -> int:
        return self.compute_fen + self.run_fen

    @property
    def to_pay_fen(self) -> int:
        """What the company pays itself (held from its wallet at launch)."""
        return self.total_fen - self.voucher_fen


def estimate(*, pool_offering_id: int, template_offering_id: int | None, cards: int, minutes: int) -> Estimate | None:
    """price × cards × typical hours (+ the template's per-run price); None when the pool has no price."""
    compute = current_price(pool_offering_id, PriceUnit.CARD_HOUR)
    if compute is None:
        return None
    run = current_price(template_offering_id, PriceUnit.RUN) if template_offering_id else None
    return Estimate(compute.amount_fen, run.amount_fen if run else 0, cards, minutes)
