from django import template

from catalog.rendering import render_markdown

register = template.Library()


@register.filter
def markdown_safe(text: str) -> str:
    """A partner's Markdown as HTML that is safe to show to anyone."""
    return render_markdown(text)


@register.filter
def score_colour(score) -> str:
    """A background colour from red (0) through yellow to green (100) for the heat map."""
    if score is None:
        return "transparent"
    hue = max(0, min(100, int(score))) * 1.2
    return f"hsl({hue:.0f}, 70%, 78%)"


@register.simple_tag
def query_with(request, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return params.urlencode()
