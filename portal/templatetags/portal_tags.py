from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

_CLASS_BY_INPUT = {"checkbox": "form-check-input", "radio": "form-check-input", "select": "form-select"}


@register.filter
def bs_widget(bound_field):
    """Render a bound field's widget with the Bootstrap class that fits it and an invalid state."""
    widget = bound_field.field.widget
    input_type = getattr(widget, "input_type", "select" if widget.__class__.__name__.endswith("Select") else "")
    css = _CLASS_BY_INPUT.get(input_type, "form-control")
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def is_choice_list(bound_field):
    return bound_field.field.widget.__class__.__name__ in ("RadioSelect", "CheckboxSelectMultiple")


@register.filter
def pct_class(value) -> str:
    """The `pct-N` class (static/css/portal.css) that gives a bar the width `value` %, rounded
    half up and clamped to 0..100; anything that is not a number is 0. Bars keep their exact value
    in `aria-valuenow`; the class only draws it (the CSP allows no style attributes)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        number = Decimal(0)
    if not number.is_finite():
        number = Decimal(0)
    percent = int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"pct-{max(0, min(100, percent))}"
