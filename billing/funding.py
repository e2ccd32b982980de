"""Who pays a charge, in order: the payer's vouchers (rules in `vouchers.redemption`), then the
job's hold, then the wallet. What nothing covers is recorded as a credit loss; a wallet never goes
negative.

Billing does not import the voucher rules; the vouchers app registers a *book factory* here when it
loads. Rating opens one book per batch for the batch's payers: `book.account_ids` are the voucher
accounts rating must lock, `book.shares(context)` returns `[(account_id, fen)]` to draw for one
charge (never more than the charge or than each locked balance, and from one program only),
`book.drawn(...)` tells the book what rating actually took, and `book.write(transaction_id)` keeps
the redemptions once the batch is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ChargeContext:
    tenant_id: int
    job_id: int
    offering_id: int
    partner_id: int
    at: datetime
    amount_fen: int
    balances: dict[int, int] = field(default_factory=dict)  # locked account balances, updated as drawn
    usage_id: int | None = None


class NoVouchers:
    """The book when no voucher rules are installed: nothing to lock, nothing paid."""

    account_ids: list[int] = []

    def shares(self, context: ChargeContext) -> list[tuple[int, int]]:
        return []

    def drawn(self, context: ChargeContext, account_id: int, fen: int) -> None:
        raise AssertionError("no voucher can be drawn without voucher rules")

    def write(self, transaction_id: int) -> None:
        return None

    def estimate(self, context: ChargeContext) -> int:
        return 0


BookFactory = Callable[[set[int]], Any]
_factory: BookFactory | None = None


def register_voucher_books(factory: BookFactory) -> None:
    global _factory
    _factory = factory


def open_book(tenant_ids) -> Any:
    """The voucher book for these payers (rating opens one per batch)."""
    ids = set(tenant_ids)
    return _factory(ids) if _factory is not None and ids else NoVouchers()


def voucher_accounts_for(tenant_ids: set[int]) -> list[int]:
    """Active voucher account ids of these tenants."""
    return list(open_book(tenant_ids).account_ids)


def coverable(job, paid_fen: int) -> int:
    """The largest cost of the job's pool usage that `paid_fen` (hold + wallet) and the payer's
    vouchers cover together: the largest C with C − vouchers' share of C ≤ paid. Found by iterating
    C ← paid + share(C) down from paid + all voucher money (share(C) ≤ C, so it only decreases)."""
    from billing.models import Account

    book = open_book({job.tenant_id})
    if not book.account_ids:
        return paid_fen
    balances = dict(Account.objects.filter(pk__in=book.account_ids).values_list("pk", "balance_fen"))
    from django.utils import timezone

    def share(amount: int) -> int:
        context = ChargeContext(
            job.tenant_id,
            job.pk,
            job.pool.offering_id,
            job.pool.offering.tenant_id,
            timezone.now(),
            amount,
            dict(balances),
        )
        return book.estimate(context)

    cost = paid_fen + sum(balances.values())
    for _ in range(60):
        nxt = paid_fen + share(cost)
        if nxt >= cost:
            break
        cost = nxt
    return cost


def voucher_estimate(tenant_id: int, parts: list[tuple[int, int, int]], at, job_id: int = 0) -> int:
    """What the payer's vouchers would pay now of charges `[(offering_id, partner_id, fen)]` (the
    launch estimate and the hold): the same rules as rating, nothing drawn."""
    from billing.models import Account

    book = open_book({tenant_id})
    if not book.account_ids:
        return 0
    balances = dict(Account.objects.filter(pk__in=book.account_ids).values_list("pk", "balance_fen"))
    total = 0
    for offering_id, partner_id, amount in parts:
        context = ChargeContext(tenant_id, job_id, offering_id, partner_id, at, amount, balances)
        for account_id, fen in book.shares(context):
            balances[account_id] -= fen
            total += fen
    return total
