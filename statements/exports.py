"""A statement as files: CSV for spreadsheets and PDF (WeasyPrint) for the records.

Both are worded in the active language. The CSV starts with a UTF-8 byte-order mark, without which
Excel on Chinese Windows reads UTF-8 as GBK and garbles every Chinese name. The PDF is rendered
with no access to the network or the disk (only `data:` URLs), and its fonts come from the
system's fontconfig (Noto CJK for Chinese).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from statements.selectors import Statement, Usage

BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel; names typed by customers and partners
# could otherwise run in the reader's spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_yuan(amount_fen: int) -> str:
    """12345 → "123.45": no thousands separators, so spreadsheets read it as a number."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}{yuan}.{fen:02d}"


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_header() -> list[str]:
    return [
        pgettext("statement table", "Section"),
        _("Date"),
        _("Description"),
        _("Template"),
        _("Pool"),
        _("Card-hours"),
        _("Amount (¥)"),
        _("Paid by vouchers (¥)"),
        _("Paid from balance (¥)"),
        _("Not covered (¥)"),
    ]


def _money_row(section: str, amount_fen: int, *, day: str = "", text: str = "") -> list[str]:
    return [section, day, _text(text), "", "", "", plain_yuan(amount_fen)]


def _usage_row(section: str, usage: Usage, *, text: str = "", template: str = "", pool: str = "") -> list[str]:
    return [
        section,
        "",
        _text(text),
        _text(template),
        _text(pool),
        str(usage.card_hours),
        plain_yuan(usage.amount_fen),
        plain_yuan(usage.voucher_fen),
        plain_yuan(usage.paid_fen),
        plain_yuan(usage.unpaid_fen),
    ]


def statement_rows(st: Statement) -> list[list[str]]:
    """The statement as one table: balances, top-ups, one row per job, totals."""
    first = st.month.first_day.isoformat()
    last = (st.month.next().first_day - timedelta(days=1)).isoformat()
    tz = timezone.get_default_timezone()
    rows = [_money_row(_("Opening balance"), st.opening_fen, day=first)]
    for topup in st.topups:
        day = timezone.localtime(topup.at, tz).date().isoformat()
        rows.append(_money_row(_("Top-up"), topup.amount_fen, day=day, text=topup.reference))
    for line in st.lines:
        rows.append(_usage_row(_("Job"), line.usage, text=line.label, template=line.template, pool=line.pool))
    rows.append(_usage_row(_("Total usage"), st.usage))
    if st.other_fen:
        rows.append(_money_row(_("Other adjustments"), st.other_fen))
    rows.append(_money_row(_("Closing balance"), st.closing_fen, day=last))
    rows.append(_money_row(_("of which held for running jobs"), st.closing_held_fen, day=last))
    return rows


def statement_csv(st: Statement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_header())
    writer.writerows(statement_rows(st))
    return (BOM + out.getvalue()).encode("utf-8")


def statement_pdf(st: Statement) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("statements/statement_pdf.html", {"statement": st, "generated_at": timezone.now()})
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


def filename(st: Statement, extension: str) -> str:
    return f"statement-{st.month}-{st.tenant.pk}.{extension}"
