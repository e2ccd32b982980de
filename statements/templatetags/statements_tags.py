"""Money in statement pages: integer fen shown as yuan."""

from django import template

from billing.services.ledger import format_fen

register = template.Library()


@register.filter
def yuan(amount_fen: int | None) -> str:
    """12345 → "123.45" (with thousands separators); None → "—"."""
    return "—" if amount_fen is None else format_fen(int(amount_fen))
