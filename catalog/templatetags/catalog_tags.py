from django import template

from catalog.rendering import render_markdown

register = template.Library()


@register.filter
def markdown_safe(text: str) -> str:
    """A partner's Markdown as HTML that is safe to show to anyone."""
    return render_markdown(text)


@register.filter
def score_class(score) -> str:
    """The heat map's colour for a score as a class (static/css/portal.css): `score-0` … `score-10`,
    one per ten points from red (0) through yellow to green (100); `score-none` without a score.
    A class, not a style attribute, because the site's CSP allows no style attributes."""
    if score is None:
        return "score-none"
    return f"score-{max(0, min(100, int(score))) // 10}"


@register.simple_tag
def query_with(request, **changes) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return params.urlencode()
