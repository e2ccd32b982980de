"""Rating: usage records become charges and ledger postings, in batches.

One batch = one database transaction = one ledger transaction whose legs are netted per account
(so a batch of thousands of records touches a few rows per tenant and partner). A batch takes
unrated records with `FOR UPDATE SKIP LOCKED`, so concurrent raters never rate a record twice and
never wait on each other; a record is marked rated in the same transaction that charges it.

Each record is charged the difference of the cumulative cost before and after it (so rounding to
fen never drifts over a job's life), at the price in effect when its interval started (a later
price change never re-rates it). Funding order per charge: vouchers → the job's hold → the wallet →
credit loss (the platform absorbs what nothing covers; the credit guard keeps that small).
"""

from __future__ import annotations

import bisect
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from billing import funding
from billing.models import AccountKind, Charge, Hold, HoldState, PriceEntry, PriceUnit, TxnKind
from billing.services import holds as holds_service
from billing.services import ledger
from billing.services.pricebook import card_seconds_cost

BATCH_SIZE = 20_000


@dataclass
class _Hold:
    obj: Hold
    drawn: int = 0

    @property
    def left(self) -> int:
        return self.obj.remaining_fen - self.drawn


class PriceIndex:
    """Every price entry of some offerings, for looking up the one in effect at a moment."""

    def __init__(self, offering_ids: set[int], unit: str) -> None:
        self.entries: dict[int, list[PriceEntry]] = defaultdict(list)
        for entry in PriceEntry.objects.filter(offering_id__in=offering_ids, unit=unit).order_by("effective_from"):
            self.entries[entry.offering_id].append(entry)
        self.starts = {oid: [e.effective_from for e in rows] for oid, rows in self.entries.items()}

    def at(self, offering_id: int, moment) -> PriceEntry | None:
        i = bisect.bisect_right(self.starts.get(offering_id, []), moment)
        return self.entries[offering_id][i - 1] if i else None


def rate_pending(batch_size: int = BATCH_SIZE, max_batches: int = 100) -> int:
    """Rate until nothing is left (or `max_batches`); returns records rated. Then settle finished holds."""
    rated = 0
    for _ in range(max_batches):
        n = rate_batch(batch_size)
        rated += n
        if n < batch_size:
            break
    rate_runs()
    settle_finished()
    return rated


def rate_batch(batch_size: int = BATCH_SIZE) -> int:
    from compute.models import Pool

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A batch lost in a crash is simply rated again (nothing of it was kept), so it need not
            # wait for its commit to reach the disk.
            with connection.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = off")
        records = _claim(batch_size)
        if not records:
            return 0
        ids = [r["id"] for r in records]
        pools = {
            p["id"]: (p["offering_id"], p["offering__tenant_id"])
            for p in Pool.objects.filter(pk__in={r["pool_id"] for r in records}).values(
                "id", "offering_id", "offering__tenant_id"
            )
        }
        prices = PriceIndex({o for o, _ in pools.values()}, PriceUnit.CARD_HOUR)
        tenants = {r["tenant_id"] for r in records}
        partners = {t for _, t in pools.values()}
        open_holds = {
            (h.job_id, h.attempt): _Hold(h)
            for h in Hold.unscoped.select_for_update()
            .filter(job_id__in={r["job_id"] for r in records}, state=HoldState.OPEN)
            .order_by("id")
        }
        accounts = _accounts(tenants, partners)
        book = funding.open_book(tenants)
        balances = ledger.lock([*_flatten(accounts), *book.account_ids])
        legs: dict[int, int] = defaultdict(int)
        charges: list[tuple] = []
        for record in records:
            charge = _rate_one(record, pools, prices, open_holds, accounts, balances, legs, book)
            if charge is not None:
                charges.append(charge)
        if legs and any(legs.values()):
            posted = ledger.post(
                kind=TxnKind.CHARGE,
                key="rating:" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:40],
                legs=list(legs.items()),
                memo=f"usage records {ids[0]}–{ids[-1]} ({len(ids)})",
            )
            _write_charges(charges, posted.transaction.pk)
            book.write(posted.transaction.pk)
        _save_holds(open_holds)
        _mark_rated(ids)
        return len(ids)


CLAIMED = ("id", "tenant_id", "job_id", "attempt", "pool_id", "period_start", "card_seconds", "cum_card_seconds")


def _claim(batch_size: int) -> list[dict]:
    """Lock up to `batch_size` queued (unrated) records and read them; those another rater holds
    are skipped. Two index lookups: the queue's first ids, then those usage rows by primary key."""
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cur:
        cur.execute(f"SELECT usage_id FROM jobs_ratingqueue ORDER BY usage_id LIMIT %s{lock}", [batch_size])
        ids = [row[0] for row in cur.fetchall()]
        if not ids:
            return []
        if connection.vendor == "postgresql":
            cur.execute(f"SELECT {', '.join(CLAIMED)} FROM jobs_usagerecord WHERE id = ANY(%s) ORDER BY id", [ids])
        else:
            placeholders = ",".join(["%s"] * len(ids))
            cur.execute(
                f"SELECT {', '.join(CLAIMED)} FROM jobs_usagerecord WHERE id IN ({placeholders}) ORDER BY id", ids
            )
        rows = cur.fetchall()
    if connection.vendor != "postgresql":  # SQLite returns text for datetimes in raw queries
        from jobs.models import UsageRecord

        field = UsageRecord._meta.get_field("period_start")
        converters = connection.ops.get_db_converters(field.get_col(UsageRecord._meta.db_table))
        rows = [(*r[:5], _convert(r[5], converters, field), *r[6:]) for r in rows]
    return [dict(zip(CLAIMED, row, strict=True)) for row in rows]


def _convert(value, converters, field):
    for converter in converters:
        value = converter(value, field, connection)
    return value


def _mark_rated(ids: list[int]) -> None:
    """Take the batch off the rating queue (the usage rows themselves are never changed)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DELETE FROM jobs_ratingqueue WHERE usage_id = ANY(%s)", [ids])
        else:
            placeholders = ",".join(["%s"] * len(ids))
            cur.execute(f"DELETE FROM jobs_ratingqueue WHERE usage_id IN ({placeholders})", ids)


def _accounts(tenants: set[int], partners: set[int]) -> dict:
    return {
        "wallet": ledger.tenant_accounts(AccountKind.WALLET, tenants),
        "holds": ledger.tenant_accounts(AccountKind.HOLDS, tenants),
        "payable": ledger.tenant_accounts(AccountKind.PARTNER_PAYABLE, partners),
        "revenue": ledger.platform(AccountKind.PLATFORM_REVENUE).pk,
        "loss": ledger.platform(AccountKind.CREDIT_LOSS).pk,
    }


def _flatten(accounts: dict) -> list[int]:
    ids = [accounts["revenue"], accounts["loss"]]
    for key in ("wallet", "holds", "payable"):
        ids.extend(accounts[key].values())
    return ids


def _rate_one(record, pools, prices, open_holds, accounts, balances, legs, book) -> tuple | None:
    offering_id, partner_id = pools[record["pool_id"]]
    price = prices.at(offering_id, record["period_start"])
    if price is None:
        return None  # never happens for a launched job (launch needs a price); nothing to charge
    amount = card_seconds_cost(price.amount_fen, record["cum_card_seconds"]) - card_seconds_cost(
        price.amount_fen, record["cum_card_seconds"] - record["card_seconds"]
    )
    if amount <= 0:
        return None
    return _charge(
        record["tenant_id"],
        record["job_id"],
        record["attempt"],
        offering_id,
        partner_id,
        price,
        amount,
        record["period_start"],
        open_holds,
        accounts,
        balances,
        legs,
        book,
        usage_id=record["id"],
        card_seconds=record["card_seconds"],
    )


def _charge(
    tenant_id,
    job_id,
    attempt,
    offering_id,
    partner_id,
    price,
    amount,
    at,
    open_holds,
    accounts,
    balances,
    legs,
    book,
    *,
    usage_id=None,
    card_seconds=0,
) -> tuple:
    """Split one charge over its payers, add its legs to the batch and return the Charge row."""
    fee = (amount * price.platform_fee_bp * 2 + 10000) // 20000
    rest = amount
    voucher = 0
    if book.account_ids:  # most batches' payers hold no voucher: no context per charge for them
        context = funding.ChargeContext(tenant_id, job_id, offering_id, partner_id, at, amount, balances, usage_id)
        for account_id, fen in book.shares(context):
            fen = min(fen, rest, balances.get(account_id, 0))
            if fen > 0:
                legs[account_id] -= fen
                balances[account_id] -= fen
                voucher += fen
                rest -= fen
                book.drawn(context, account_id, fen)
    hold = open_holds.get((job_id, attempt))
    from_hold = min(rest, hold.left) if hold else 0
    if from_hold:
        hold.drawn += from_hold
        holds_acct = accounts["holds"][tenant_id]
        legs[holds_acct] -= from_hold
        balances[holds_acct] -= from_hold
        rest -= from_hold
    wallet_acct = accounts["wallet"][tenant_id]
    from_wallet = min(rest, max(0, balances[wallet_acct]))
    if from_wallet:
        legs[wallet_acct] -= from_wallet
        balances[wallet_acct] -= from_wallet
        rest -= from_wallet
    if rest:
        legs[accounts["loss"]] -= rest
    legs[accounts["payable"][partner_id]] += amount - fee
    legs[accounts["revenue"]] += fee
    # In CHARGE_COLUMNS order: rows go straight into COPY.
    return (
        tenant_id,
        usage_id,
        job_id,
        offering_id,
        partner_id,
        price.pk,
        at,
        card_seconds,
        amount,
        fee,
        voucher,
        from_hold,
        from_wallet,
        rest,
    )


CHARGE_COLUMNS = (
    "tenant_id",
    "usage_id",
    "job_id",
    "offering_id",
    "partner_id",
    "price_id",
    "period_start",
    "card_seconds",
    "amount_fen",
    "fee_fen",
    "voucher_fen",
    "hold_fen",
    "wallet_fen",
    "unpaid_fen",
)


def _write_charges(charges: list[tuple], transaction_id: int) -> None:
    """Insert the batch's charges: with COPY on PostgreSQL (the bulk of a batch's time otherwise)."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        Charge.unscoped.bulk_create(
            [
                Charge(**dict(zip(CHARGE_COLUMNS, c, strict=True)), transaction_id=transaction_id, created_at=now)
                for c in charges
            ],
            batch_size=2000,
        )
        return
    columns = ", ".join((*CHARGE_COLUMNS, "transaction_id", "created_at"))
    with connection.cursor() as cur, cur.cursor.copy(f"COPY billing_charge ({columns}) FROM STDIN") as copy:
        for c in charges:
            copy.write_row((*c, transaction_id, now))


def _save_holds(open_holds: dict) -> None:
    changed = [h for h in open_holds.values() if h.drawn]
    for h in changed:
        h.obj.drawn_fen += h.drawn
    Hold.unscoped.bulk_update([h.obj for h in changed], ["drawn_fen"])


# ---------------------------------------------------------------------------------------------
# Per-run prices and the end of a job
# ---------------------------------------------------------------------------------------------


def rate_runs() -> int:
    """Charge the template's per-run price once for each succeeded job that has not paid it."""
    from jobs.models import Job, JobState

    due = (
        Job.unscoped.filter(state=JobState.SUCCEEDED, offering__prices__unit=PriceUnit.RUN)
        # Not `exclude(charges__usage__isnull=True)`: that also drops jobs with no charge at all.
        .exclude(pk__in=Charge.unscoped.filter(usage__isnull=True).values("job_id"))
        .values_list("pk", flat=True)
        .distinct()
    )
    done = 0
    for job_id in due:
        done += _rate_run(job_id)
    return done


def _rate_run(job_id: int) -> int:
    from jobs.models import Job

    with transaction.atomic():
        job = Job.unscoped.select_for_update().select_related("offering").get(pk=job_id)
        if Charge.unscoped.filter(job=job, usage__isnull=True).exists():
            return 0
        prices = PriceIndex({job.offering_id}, PriceUnit.RUN)
        price = prices.at(job.offering_id, job.created_at)
        if price is None or price.amount_fen == 0:
            return 0
        open_holds = {
            (h.job_id, h.attempt): _Hold(h)
            for h in Hold.unscoped.select_for_update().filter(job=job, state=HoldState.OPEN).order_by("id")
        }
        accounts = _accounts({job.tenant_id}, {job.offering.tenant_id})
        book = funding.open_book({job.tenant_id})
        balances = ledger.lock([*_flatten(accounts), *book.account_ids])
        legs: dict[int, int] = defaultdict(int)
        charge = _charge(
            job.tenant_id,
            job.pk,
            job.attempt,
            job.offering_id,
            job.offering.tenant_id,
            price,
            price.amount_fen,
            job.finished_at or timezone.now(),
            open_holds,
            accounts,
            balances,
            legs,
            book,
        )
        posted = ledger.post(
            kind=TxnKind.CHARGE,
            key=f"run:{job.pk}",
            legs=list(legs.items()),
            tenant=job.tenant,
            memo=f"job {job.pk} run price",
        )
        Charge.unscoped.create(**dict(zip(CHARGE_COLUMNS, charge, strict=True)), transaction=posted.transaction)
        book.write(posted.transaction.pk)
        _save_holds(open_holds)
        return 1


def settle_finished() -> int:
    """Settle every open hold whose attempt is over and fully rated (its rest goes back to the wallet)."""
    from jobs.models import TERMINAL_STATES, UNRATED, UsageRecord

    candidates = Hold.unscoped.filter(state=HoldState.OPEN).select_related("job")
    settled = 0
    for hold in candidates:
        job = hold.job
        over = hold.attempt < job.attempt or job.state in TERMINAL_STATES
        if not over:
            continue
        if UsageRecord.unscoped.filter(UNRATED, job_id=job.pk, attempt=hold.attempt).exists():
            continue
        settled += holds_service.settle(hold)
    return settled
