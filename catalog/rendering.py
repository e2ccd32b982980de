"""Partner-written Markdown turned into HTML that is safe to show to anyone."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

# What a listing description may use: text structure, lists, tables, code and links. No images
# (they would load third-party content into our pages) and no raw HTML beyond these tags.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    """Markdown → sanitised HTML. Whatever the partner typed, the result carries no script, style
    element or attribute, event handler or foreign element."""
    if not text:
        return mark_safe("")
    html = markdown.markdown(
        text,
        extensions=["extra", "sane_lists"],
        # Column alignment as `align` (allowed below), not as a style attribute: the sanitiser drops
        # every style attribute, and the site's CSP would refuse one.
        extension_configs={"extra": {"tables": {"use_align_attribute": True}}},
        output_format="html",
    )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
