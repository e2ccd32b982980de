"""Ratios in basis points shown as percentages."""

from django import template

register = template.Library()


@register.filter
def percent(bp: int | None) -> str:
    """3000 → "30"; 1250 → "12.5"."""
    if bp is None:
        return "—"
    whole, rest = divmod(int(bp), 100)
    return str(whole) if not rest else f"{bp / 100:g}"


@register.simple_tag
def kind_label(kind: str) -> str:
    from catalog.choices import OfferingKind

    return str(dict(OfferingKind.choices).get(kind, kind))


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
