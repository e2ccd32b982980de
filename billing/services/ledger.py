"""Posting to the double-entry ledger: the only code that writes transactions, legs and balances.

`post()` runs inside the caller's database transaction, so a posting commits or rolls back with the
domain change it pays for (a hold with its job, a top-up with its webhook event). It
- is idempotent: a second posting with the same key returns the first one and moves nothing;
- locks every account it touches in ascending id order (no deadlocks between postings), then
  refuses to take a non-signed account below zero (`InsufficientFunds`), before writing anything;
- writes the audit row in the same transaction.
The database backs this up: legs must sum to zero (checked per insert and, deferred, per
transaction at commit: migration 0007), balances of non-signed
accounts cannot go negative (CHECK) and ledger rows cannot be updated or deleted (migration 0002).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from audit.context import request_ip
from audit.services import audit_record
from billing.models import SIGNED_KINDS, Account, AccountKind, Transaction


class LedgerError(Exception):
    pass


class InsufficientFunds(LedgerError):
    """An account would go below zero. `shortfall_fen` is how much is missing."""

    def __init__(self, account_id: int, kind: str, shortfall_fen: int) -> None:
        super().__init__(f"account {account_id} ({kind}) short by {shortfall_fen} fen")
        self.account_id = account_id
        self.kind = kind
        self.shortfall_fen = shortfall_fen

    @property
    def message(self) -> str:
        return str(_("Not enough funds: ¥{amount} more is needed.").format(amount=format_fen(self.shortfall_fen)))


@dataclass(frozen=True)
class Posted:
    transaction: Transaction
    created: bool


def format_fen(amount_fen: int) -> str:
    """¥ amount with two decimals and thousands separators, from integer fen."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{yuan:,}.{fen:02d}"


# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------


def account(kind: str, *, tenant=None, ref: str = "") -> Account:
    """The account of that kind for the tenant (or the platform when tenant is None), made on first use."""
    obj, _created = Account.objects.get_or_create(
        kind=kind, tenant=tenant, ref=ref, defaults={"allow_negative": kind in SIGNED_KINDS}
    )
    return obj


def wallet(tenant) -> Account:
    return account(AccountKind.WALLET, tenant=tenant)


def holds(tenant) -> Account:
    return account(AccountKind.HOLDS, tenant=tenant)


def partner_payable(tenant) -> Account:
    return account(AccountKind.PARTNER_PAYABLE, tenant=tenant)


def platform(kind: str) -> Account:
    return account(kind)


def tenant_accounts(kind: str, tenant_ids: Iterable[int]) -> dict[int, int]:
    """{tenant id: account id} of one kind for many tenants, made where missing (two queries, not 2n)."""
    wanted = set(tenant_ids)
    found = dict(Account.objects.filter(kind=kind, ref="", tenant_id__in=wanted).values_list("tenant_id", "pk"))
    missing = wanted - found.keys()
    if missing:
        Account.objects.bulk_create(
            [Account(kind=kind, tenant_id=t, ref="", allow_negative=kind in SIGNED_KINDS) for t in missing],
            ignore_conflicts=True,
        )
        found |= dict(Account.objects.filter(kind=kind, ref="", tenant_id__in=missing).values_list("tenant_id", "pk"))
    return found


def balance(tenant, kind: str = AccountKind.WALLET) -> int:
    """A tenant's balance in fen (0 when the account does not exist yet); no lock, for display."""
    row = Account.objects.filter(kind=kind, tenant=tenant, ref="").values_list("balance_fen", flat=True).first()
    return row or 0


# ---------------------------------------------------------------------------------------------
# Posting
# ---------------------------------------------------------------------------------------------


def post(
    *,
    kind: str,
    key: str,
    legs: Iterable[tuple[Account | int, int]],
    tenant=None,
    memo: str = "",
    actor=None,
    reverses: Transaction | None = None,
) -> Posted:
    """Post a balanced transaction. Must run inside `transaction.atomic()`."""
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("ledger.post() must run inside a database transaction")
    amounts = _net(legs)
    if not amounts:
        raise LedgerError("a transaction needs at least one non-zero leg")
    if sum(amounts.values()) != 0:
        raise LedgerError(f"legs of {key} do not balance: {sum(amounts.values())}")
    fields = {
        "kind": kind,
        "idempotency_key": key,
        "tenant": tenant,
        "memo": memo[:255],
        "created_by": actor,
        "reverses": reverses,
    }
    audit_after = {"kind": kind, "key": key, "legs": [[acc, amt] for acc, amt in sorted(amounts.items())]}
    if connection.vendor == "postgresql":
        txn, created = _post_in_database(fields, amounts, audit_after)
    else:
        txn, created = _post_here(fields, amounts)
        if created:
            audit_record(action="ledger.post", tenant=tenant, actor=actor, obj=txn, after=audit_after)
    return Posted(txn, created=created)


def _post_in_database(fields: dict, amounts: dict[int, int], audit_after: dict) -> tuple[Transaction, bool]:
    """PostgreSQL: the whole posting, audit row included, in one call of `billing_post()` (migrations
    0004 and 0009)."""
    ids = sorted(amounts)
    actor = fields["created_by"]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT * FROM billing_post(%s, %s, %s, %s, %s, %s, %s::bigint[], %s::bigint[], %s, %s::inet, %s::jsonb)",
            [
                fields["kind"],
                fields["idempotency_key"],
                getattr(fields["tenant"], "pk", None),
                fields["memo"],
                getattr(fields["created_by"], "pk", None),
                getattr(fields["reverses"], "pk", None),
                ids,
                [amounts[i] for i in ids],
                getattr(actor, "email", "") or "",
                request_ip.get(),
                json.dumps(audit_after),
            ],
        )
        txn_id, created_at, created, short_account, short_kind, shortfall = cur.fetchone()
    if short_account is not None:
        raise InsufficientFunds(short_account, short_kind, shortfall)
    if not created:
        return Transaction.objects.get(pk=txn_id), False
    return Transaction(pk=txn_id, created_at=created_at, **fields), True


def _post_here(fields: dict, amounts: dict[int, int]) -> tuple[Transaction, bool]:
    """Other databases (the SQLite demo): the same steps from Python."""
    existing = Transaction.objects.filter(idempotency_key=fields["idempotency_key"]).first()
    if existing is not None:
        return existing, False
    _lock_and_check(amounts)
    txn = Transaction.objects.create(**fields)
    _write_legs(txn.pk, amounts)
    return txn, True


def reverse(txn: Transaction, *, actor=None, memo: str = "") -> Posted:
    """Post the mirror image of `txn` (its correction); once per transaction."""
    legs = [(leg.account_id, -leg.amount_fen) for leg in txn.legs.all()]
    return post(
        kind="reversal",
        key=f"reversal:{txn.pk}",
        legs=legs,
        tenant=txn.tenant,
        memo=memo or f"reverses #{txn.pk}",
        actor=actor,
        reverses=txn,
    )


def _net(legs: Iterable[tuple[Account | int, int]]) -> dict[int, int]:
    amounts: dict[int, int] = defaultdict(int)
    for acc, amount in legs:
        if not isinstance(amount, int):
            raise LedgerError("amounts are integer fen")
        amounts[acc if isinstance(acc, int) else acc.pk] += amount
    return {acc: amt for acc, amt in amounts.items() if amt}


def lock(account_ids: Iterable[int]) -> dict[int, int]:
    """Lock accounts (ascending id, the one order every posting uses) and return their balances.
    For callers that must decide amounts from balances before posting, e.g. rating."""
    return {row[0]: row[2] for row in _lock_rows(sorted(set(account_ids)))}


def _lock_rows(ids: list[int]) -> list[tuple]:
    placeholders = ",".join(["%s"] * len(ids))
    clause = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, kind, balance_fen, allow_negative FROM billing_account WHERE id IN ({placeholders}) "
            f"ORDER BY id{clause}",
            ids,
        )
        rows = cur.fetchall()
    if len(rows) != len(ids):
        raise LedgerError("unknown account in posting")
    return rows


def _lock_and_check(amounts: dict[int, int]) -> None:
    for account_id, kind, balance_fen, allow_negative in _lock_rows(sorted(amounts)):
        after = balance_fen + amounts[account_id]
        if after < 0 and not allow_negative:
            raise InsufficientFunds(account_id, kind, -after)


def _write_legs(txn_id: int, amounts: dict[int, int]) -> None:
    ids = sorted(amounts)
    with connection.cursor() as cur:
        values = ",".join(["(%s,%s,%s)"] * len(ids))
        params: list[int] = []
        for acc in ids:
            params += [txn_id, acc, amounts[acc]]
        cur.execute(f"INSERT INTO billing_leg (transaction_id, account_id, amount_fen) VALUES {values}", params)
        cases = " ".join(["WHEN %s THEN %s"] * len(ids))
        case_params: list[int] = []
        for acc in ids:
            case_params += [acc, amounts[acc]]
        placeholders = ",".join(["%s"] * len(ids))
        cur.execute(
            f"UPDATE billing_account SET balance_fen = balance_fen + CASE id {cases} END WHERE id IN ({placeholders})",
            case_params + ids,
        )
