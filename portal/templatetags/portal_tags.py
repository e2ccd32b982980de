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
