from django import template

from billing.services.ledger import format_fen

register = template.Library()


@register.filter
def fen(amount_fen: int | None) -> str:
    """Integer fen as yuan: 123456 → "1,234.56"."""
    return format_fen(int(amount_fen or 0))
