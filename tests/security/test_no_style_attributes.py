"""The site's CSP refuses style attributes (`style-src 'self'`, no `style-src-attr`): no template or
script of ours writes one, and what used to be inline (bar widths, score colours) is a class.
`tests/e2e/test_csp.py` checks in a real browser that the classes draw what the values say."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.rendering import render_markdown
from catalog.templatetags.catalog_tags import score_class
from portal.templatetags.portal_tags import pct_class

ROOT = Path(__file__).resolve().parents[2]
STYLE_ATTRIBUTE = re.compile(r"(?<![\w.-])style\s*=", re.IGNORECASE)
# Our scripts may set element.style (the CSSOM is not covered by the policy), not the attribute.
SCRIPT_STYLE_ATTRIBUTE = re.compile(r"""setAttribute\(\s*["']style["']|style\s*=\s*\\?["']""", re.IGNORECASE)
CSS = (ROOT / "static/css/portal.css").read_text()


def test_no_template_has_a_style_attribute():
    templates = sorted(path for path in (ROOT / "templates").rglob("*") if path.is_file())
    assert len(templates) > 50
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if STYLE_ATTRIBUTE.search(line)
    ]
    assert offenders == []


def test_no_script_of_ours_writes_a_style_attribute():
    scripts = sorted((ROOT / "static/js").glob("*.js"))
    assert scripts
    assert [str(path.relative_to(ROOT)) for path in scripts if SCRIPT_STYLE_ATTRIBUTE.search(path.read_text())] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "pct-0"),
        (37, "pct-37"),
        (37.5, "pct-38"),  # half up, like floatformat
        (Decimal("12.49"), "pct-12"),
        ("64", "pct-64"),
        (100, "pct-100"),
        (250, "pct-100"),
        (-3, "pct-0"),
        (None, "pct-0"),
        ("", "pct-0"),
        ("n/a", "pct-0"),
        (float("nan"), "pct-0"),
    ],
)
def test_pct_class_rounds_and_clamps(value, expected):
    assert pct_class(value) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (None, "score-none"),
        (0, "score-0"),
        (9, "score-0"),
        (10, "score-1"),
        (82, "score-8"),
        (99, "score-9"),
        (100, "score-10"),
        (130, "score-10"),
        (-5, "score-0"),
    ],
)
def test_score_class_is_one_band_per_ten_points(score, expected):
    assert score_class(score) == expected


def test_every_class_the_filters_return_is_in_the_style_sheet():
    for n in range(101):
        assert re.search(rf"\.pct-{n} {{ width: {n}%; }}", CSS), n
    for band in range(11):
        assert re.search(rf"\.score-{band} {{[^}}]*background-color", CSS), band
    for name in ("score-none", "score-unsupported", "progress-thin", "progress-slim", "progress-tall"):
        assert f".{name} {{" in CSS, name


def test_markdown_keeps_no_style_attribute():
    html = render_markdown(
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
        'A paragraph {: style="color: red" }\n\n'
        '<p style="color: red">raw</p><span style="background: url(x)">span</span>'
    )
    assert not re.search(r"<[^>]*\sstyle\s*=", html)  # the text may say style=, no tag has it
    assert '<th align="left">a</th>' in html and '<td align="right">2</td>' in html  # alignment survives
