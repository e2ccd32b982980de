from django import template

from billing.services.ledger import format_fen

register = template.Library()


@register.filter
def fen(amount: int | None) -> str:
    """Integer fen as yuan with two decimals and thousands separators (without the ¥)."""
    return format_fen(amount or 0)


@register.filter
def share(part: int, whole: int) -> int:
    """`part` as a whole percentage of `whole` (0 when `whole` is 0), for bar widths."""
    return round(100 * part / whole) if whole else 0
