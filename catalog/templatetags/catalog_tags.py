import markdown as md
import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def markdown_safe(text: str) -> str:
    """Render a partner's Markdown, keeping only harmless HTML (nh3 removes scripts, handlers…)."""
    html = md.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    return mark_safe(nh3.clean(html, link_rel="noopener noreferrer nofollow"))  # noqa: S308 - sanitised above


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
