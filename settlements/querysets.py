"""Reusable filters on settlements."""

from __future__ import annotations

from datetime import date

from settlements.choices import SettlementState
from tenants.scoping import TenantOwnedQuerySet


class SettlementQuerySet(TenantOwnedQuerySet):
    def issued(self) -> SettlementQuerySet:
        """Issued or paid: what a partner may see (a draft can still change)."""
        return self.exclude(state=SettlementState.DRAFT)

    def for_month(self, month: date) -> SettlementQuerySet:
        return self.filter(period__month=month)
