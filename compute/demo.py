"""Operations set-up for the demo: a pool behind every live compute offering, every live price in
the price book, default quotas per company size, and credit in the demo company's wallet."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import AccountKind, PriceEntry, PriceUnit, TxnKind
from billing.services import ledger
from billing.services.pricebook import yuan_to_fen
from catalog.choices import OfferingKind
from catalog.models import OfferingVersion
from compute.models import Pool, QuotaDefault
from tenants.choices import SizeClass

# (cards at once, card-hours per month, jobs at once) by company size: what an operator would start with.
DEFAULT_QUOTAS = {
    SizeClass.MICRO: (4, 100, 2),
    SizeClass.SMALL: (8, 400, 4),
    SizeClass.MEDIUM: (16, 1500, 8),
    SizeClass.LARGE: (64, 8000, 16),
}
DEMO_WALLET_FEN = 200_000  # ¥2,000 to launch with


@transaction.atomic
def seed_operations(demo_company=None) -> dict[str, int]:
    live = OfferingVersion.unscoped.live().select_related("offering")
    pools = _pools(live.filter(kind=OfferingKind.COMPUTE))
    prices = _prices(live)
    for size, (cards, hours, jobs) in DEFAULT_QUOTAS.items():
        QuotaDefault.objects.get_or_create(
            size_class=size,
            chip_type=None,
            defaults={"concurrent_cards": cards, "card_hours_month": hours, "concurrent_jobs": jobs},
        )
    if demo_company is not None:
        ledger.post(
            kind=TxnKind.TOP_UP,
            key=f"demo-credit:{demo_company.pk}",
            legs=[
                (ledger.platform(AccountKind.PAYMENT_CLEARING), -DEMO_WALLET_FEN),
                (ledger.wallet(demo_company), DEMO_WALLET_FEN),
            ],
            tenant=demo_company,
            memo="demo credit",
        )
    return {"pools": pools, "prices": prices}


def _pools(versions) -> int:
    have = set(Pool.objects.values_list("offering_id", flat=True))
    rows = [
        Pool(
            offering_id=v.offering_id,
            chip_type_id=v.chip_type_id,
            name=v.name_zh,
            total_cards=v.total_cards or 8,
            engine=v.engine or "local",
        )
        for v in versions
        if v.offering_id not in have and v.chip_type_id
    ]
    Pool.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _prices(versions) -> int:
    have = set(PriceEntry.objects.values_list("offering_id", "unit"))
    now = timezone.now()
    rows = []
    for v in versions:
        for unit, amount in ((PriceUnit.CARD_HOUR, v.price_per_card_hour), (PriceUnit.RUN, v.price_per_run)):
            if amount is not None and (v.offering_id, unit) not in have:
                rows.append(
                    PriceEntry(
                        offering_id=v.offering_id,
                        unit=unit,
                        amount_fen=yuan_to_fen(amount),
                        platform_fee_bp=settings.PLATFORM_FEE_BP,
                        effective_from=now,
                    )
                )
    PriceEntry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
