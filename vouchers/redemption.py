"""Which vouchers pay how much of a charge. Rating opens one `VoucherBook` per batch.

The rules (one charge, one payer):
- a voucher applies when the usage time lies in its validity, it still has money, the offering is
  in its program's scope (offering kind, provider whitelist, domestic chips) and the provider is not
  one of the holder's declared affiliates;
- the payer's vouchers are taken in a fixed order: earliest expiry, then earliest issue (then id);
- the program of the first applicable voucher (whose caps leave room) is the only one that pays:
  min(ratio × charge, what is left of its per-company caps), rounded down to the fen; no second
  program adds to it (no double subsidy);
- that amount is drawn from the payer's applicable vouchers of that program, in the same order
  (several vouchers of one program combine); the wallet pays the rest.
The ratio is the program's base ratio, or its domestic-chip ratio for compute on a domestic chip,
or its startup ratio when the voucher was issued at the startup rate (the larger applies).

Balances come from rating, which has locked every voucher account of the batch's payers, so two
batches cannot draw the same voucher money; the ledger's CHECK backs that up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from billing import funding
from vouchers.models import Program, Redemption, Voucher, VoucherState


@dataclass(frozen=True)
class OfferingFacts:
    kind: str
    partner_id: int
    partner_code: str
    domestic: bool | None  # the pool's chip for compute; unknown (None) for models and templates


class VoucherBook:
    """The active vouchers of some payers and what this batch has drawn from them."""

    def __init__(self, tenant_ids) -> None:
        vouchers = (
            Voucher.unscoped.filter(tenant_id__in=set(tenant_ids), state=VoucherState.ACTIVE)
            .select_related("program", "application")
            .order_by("valid_until", "issued_at", "id")
        )
        self.by_tenant: dict[int, list[Voucher]] = defaultdict(list)
        for voucher in vouchers:
            self.by_tenant[voucher.tenant_id].append(voucher)
        self.account_ids = [v.account_id for vs in self.by_tenant.values() for v in vs]
        self._offerings: dict[int, OfferingFacts] = {}
        self._providers: dict[int, set[int]] = {}
        self._used: dict[tuple[int, int], dict[int | None, int]] = {}  # (tenant, program) → {year or None: fen}
        self.pending: list[Redemption] = []

    # -- what rating calls -------------------------------------------------------------------------

    def shares(self, context: funding.ChargeContext) -> list[tuple[int, int]]:
        vouchers = self.by_tenant.get(context.tenant_id)
        if not vouchers or context.amount_fen <= 0:
            return []
        offering = self._offering(context.offering_id)
        if offering is None:
            return []
        for voucher in vouchers:
            if not self._applies(voucher, offering, context):
                continue
            program = voucher.program
            target = context.amount_fen * program.ratio_for(
                startup=voucher.startup, domestic_chip=bool(offering.domestic)
            )
            target //= 10000
            room = self._room(context.tenant_id, program, context.at)
            if room is not None:
                target = min(target, room)
            if target <= 0:
                continue  # this program's caps are used up (or it pays nothing of so small a charge)
            return self._draw_plan(vouchers, program, offering, context, target)
        return []

    def drawn(self, context: funding.ChargeContext, account_id: int, fen: int) -> None:
        """Rating took `fen` from the voucher account for this charge: remember it as a redemption."""
        voucher = next(v for v in self.by_tenant[context.tenant_id] if v.account_id == account_id)
        used = self._used_for(context.tenant_id, voucher.program_id)
        used[None] += fen
        year = timezone.localtime(context.at).year
        used[year] = used.get(year, 0) + fen
        self.pending.append(
            Redemption(
                tenant_id=context.tenant_id,
                voucher=voucher,
                program_id=voucher.program_id,
                partner_id=context.partner_id,
                offering_id=context.offering_id,
                job_id=context.job_id,
                usage_id=context.usage_id,
                charge_fen=context.amount_fen,
                amount_fen=fen,
                at=context.at,
            )
        )

    def write(self, transaction_id: int) -> None:
        for row in self.pending:
            row.transaction_id = transaction_id
        Redemption.unscoped.bulk_create(self.pending, batch_size=2000)
        self.pending = []

    def estimate(self, context: funding.ChargeContext) -> int:
        """What vouchers would pay of a charge now (the launch estimate), without drawing anything."""
        return sum(fen for _account, fen in self.shares(context))

    # -- rules ---------------------------------------------------------------------------------------

    def _draw_plan(self, vouchers, program: Program, offering, context, target: int) -> list[tuple[int, int]]:
        plan: list[tuple[int, int]] = []
        left = target
        for voucher in vouchers:
            if voucher.program_id != program.pk or not self._applies(voucher, offering, context):
                continue
            take = min(left, context.balances.get(voucher.account_id, 0))
            if take > 0:
                plan.append((voucher.account_id, take))
                left -= take
            if left == 0:
                break
        return plan

    def _applies(self, voucher: Voucher, offering: OfferingFacts, context) -> bool:
        program = voucher.program
        if not (voucher.valid_from <= context.at < voucher.valid_until):
            return False
        if context.balances.get(voucher.account_id, 0) <= 0:
            return False
        if offering.kind not in program.offering_kinds:
            return False
        if program.domestic_chips_only and not offering.domestic:
            return False
        providers = self._provider_ids(program)
        if providers and offering.partner_id not in providers:
            return False
        return offering.partner_code not in set(voucher.application.affiliates or ())

    def _room(self, tenant_id: int, program: Program, at) -> int | None:
        used = self._used_for(tenant_id, program.pk)
        rooms = []
        if program.max_per_company_fen is not None:
            rooms.append(program.max_per_company_fen - used[None])
        if program.max_per_company_year_fen is not None:
            rooms.append(program.max_per_company_year_fen - used.get(timezone.localtime(at).year, 0))
        return max(0, min(rooms)) if rooms else None

    def _used_for(self, tenant_id: int, program_id: int) -> dict[int | None, int]:
        key = (tenant_id, program_id)
        if key not in self._used:
            rows = (
                Redemption.unscoped.filter(tenant_id=tenant_id, program_id=program_id)
                .annotate(year=ExtractYear("at"))
                .values("year")
                .annotate(fen=Sum("amount_fen"))
            )
            used: dict[int | None, int] = {row["year"]: row["fen"] for row in rows}
            used[None] = sum(used.values())
            self._used[key] = used
        return self._used[key]

    def _provider_ids(self, program: Program) -> set[int]:
        if program.pk not in self._providers:
            self._providers[program.pk] = set(program.providers.values_list("pk", flat=True))
        return self._providers[program.pk]

    def _offering(self, offering_id: int) -> OfferingFacts | None:
        if offering_id not in self._offerings:
            from catalog.models import Offering

            row = (
                Offering.unscoped.filter(pk=offering_id)
                .values("kind", "tenant_id", "tenant__credit_code", "pool__chip_type__is_domestic")
                .first()
            )
            if row is None:
                return None
            self._offerings[offering_id] = OfferingFacts(
                row["kind"], row["tenant_id"], row["tenant__credit_code"], row["pool__chip_type__is_domestic"]
            )
        return self._offerings[offering_id]


def open_book(tenant_ids) -> VoucherBook:
    return VoucherBook(tenant_ids)
