"""Who pays a charge, in order: the payer's vouchers (rules from the vouchers issue plug in here),
then the job's hold, then the wallet. What nothing covers is recorded as a credit loss; a wallet
never goes negative.

A voucher source is a callable `(context: ChargeContext) -> list[(account_id, fen)]` returning the
voucher accounts and amounts to draw for one charge; it must not return more than the charge or
than each account holds (rating passes the locked balances in the context). Sources are consulted
in registration order; one charge is never subsidised by two programs, which a source enforces by
returning at most one program's vouchers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ChargeContext:
    tenant_id: int
    job_id: int
    offering_id: int
    partner_id: int
    at: datetime
    amount_fen: int
    balances: dict[int, int] = field(default_factory=dict)  # locked account balances, updated as drawn


VoucherSource = Callable[[ChargeContext], list[tuple[int, int]]]
VOUCHER_SOURCES: list[VoucherSource] = []


def register_voucher_source(source: VoucherSource) -> None:
    if source not in VOUCHER_SOURCES:
        VOUCHER_SOURCES.append(source)


def voucher_accounts_for(tenant_ids: set[int]) -> list[int]:
    """Voucher account ids rating must lock for these tenants (none until vouchers exist)."""
    ids: list[int] = []
    for source in VOUCHER_SOURCES:
        accounts = getattr(source, "accounts_for", None)
        if accounts is not None:
            ids.extend(accounts(tenant_ids))
    return ids


def voucher_shares(context: ChargeContext) -> list[tuple[int, int]]:
    for source in VOUCHER_SOURCES:
        shares = source(context)
        if shares:
            return shares
    return []
