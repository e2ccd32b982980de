"""CSV statements: UTF-8 with a byte-order mark, so spreadsheet programs on Chinese Windows read
them right; amounts in yuan with two decimals and no thousands separator."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.models import Settlement, SettlementPeriod

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _amounts(row) -> list[str]:
    return [
        str(row.card_hours),
        str(row.runs),
        yuan(row.gross_fen),
        yuan(row.fee_fen),
        yuan(row.voucher_fen),
        yuan(row.net_fen),
    ]


def _amount_headers() -> list[str]:
    return [
        _("Card-hours"),
        _("Runs"),
        _("Gross (¥)"),
        _("Platform fee (¥)"),
        _("Paid by vouchers (¥)"),
        _("Net payable (¥)"),
    ]


def _encode(rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def settlement_csv(settlement: Settlement) -> bytes:
    """One partner's statement: a line per offering, then the total. Expects `lines` prefetched."""
    rows = [[_("Month"), _("Offering"), _("Kind"), *_amount_headers()]]
    month = f"{settlement.period.month:%Y-%m}"
    for line in settlement.lines.all():
        rows.append([month, _text(line.name), str(line.get_offering_kind_display()), *_amounts(line)])
    rows.append([month, _("Total"), "", *_amounts(settlement)])
    return _encode(rows)


def period_csv(period: SettlementPeriod, settlements: Iterable[Settlement]) -> bytes:
    """Every partner's settlement of one month, one row each. Expects `tenant` and `paid_by` joined."""
    rows = [
        [
            _("Month"),
            _("Partner"),
            _("Unified social credit code"),
            _("State"),
            *_amount_headers(),
            _("Paid at"),
            _("Bank reference"),
        ]
    ]
    month = f"{period.month:%Y-%m}"
    for s in settlements:
        rows.append(
            [
                month,
                _text(s.tenant.name_zh),
                s.tenant.credit_code,
                str(s.get_state_display()),
                *_amounts(s),
                timezone.localtime(s.paid_at).strftime("%Y-%m-%d %H:%M") if s.paid_at else "",
                _text(s.bank_reference),
            ]
        )
    return _encode(rows)
