"""Offerings side by side: the catalog's compare page and `GET /api/v1/catalog/compare/` show the
same rows, built here once."""

from dataclasses import dataclass

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.choices import OfferingKind
from catalog.models import OfferingVersion
from catalog.selectors import live_versions

COMPARE_MAX = 4
NONE = "—"


@dataclass(frozen=True)
class Cell:
    value: str  # what the cell says ("—" when the offering has nothing here)
    note: str = ""  # the unit or qualifier shown after it ("per card-hour")


@dataclass(frozen=True)
class CompareRow:
    key: str
    label: str
    cells: list[Cell]


def compare_versions(slugs) -> tuple[list[OfferingVersion], list[str]]:
    """The live versions for up to `COMPARE_MAX` slugs, in the order given (repeats dropped), and
    the slugs that name no published offering."""
    slugs = list(dict.fromkeys(s for s in slugs if s))[:COMPARE_MAX]
    by_slug = {
        v.offering.slug: v
        for v in live_versions()
        .select_related("offering", "tenant", "chip_type", "model_offering")
        .filter(offering__slug__in=slugs)
    }
    return [by_slug[s] for s in slugs if s in by_slug], [s for s in slugs if s not in by_slug]


def _money(value) -> str:
    return f"¥{value}"


def _price(v: OfferingVersion) -> Cell:
    if v.kind == OfferingKind.COMPUTE:
        return (
            Cell(_money(v.price_per_card_hour), _("per card-hour")) if v.price_per_card_hour is not None else Cell(NONE)
        )
    if v.kind == OfferingKind.SOLUTION:
        return Cell(f"≈ {_money(v.list_price)}", _("per typical run")) if v.list_price else Cell(NONE)
    if v.price_per_run:
        return Cell(_money(v.price_per_run), _("per run"))
    return Cell(_("No licence fee"))


def _text(value) -> Cell:
    return Cell(str(value)) if value not in (None, "", []) else Cell(NONE)


def _runtime(v: OfferingVersion) -> Cell:
    m = v.typical_runtime_minutes
    if not m:
        return Cell(NONE)
    return Cell(ngettext("%(m)d minute", "%(m)d minutes", m) % {"m": m})


# (key, label, cell) in the order the page shows them.
ROWS = (
    ("kind", gettext_lazy("Kind"), lambda v: Cell(str(v.get_kind_display()))),
    ("price", gettext_lazy("Price"), _price),
    ("perf_score", gettext_lazy("Performance score"), lambda v: _text(v.perf_score)),
    ("chip_type", gettext_lazy("Chip"), lambda v: _text(v.chip_type)),
    (
        "memory_gb",
        gettext_lazy("Memory per card"),
        lambda v: Cell(f"{v.chip_type.memory_gb} GB") if v.chip_type else Cell(NONE),
    ),
    ("province", gettext_lazy("Region"), lambda v: _text(v.get_province_display())),
    ("card_sizes", gettext_lazy("Sizes sold"), lambda v: _text(", ".join(str(n) for n in v.card_sizes or []))),
    ("family", gettext_lazy("Family"), lambda v: _text(v.family)),
    (
        "parameters_b",
        gettext_lazy("Parameters"),
        lambda v: Cell(f"{floatformat(v.parameters_b, -1)}B") if v.parameters_b else Cell(NONE),
    ),
    ("context_length", gettext_lazy("Context length"), lambda v: _text(v.context_length)),
    ("license", gettext_lazy("Licence"), lambda v: _text(v.license)),
    ("industry", gettext_lazy("Industry"), lambda v: _text(v.get_industry_display())),
    ("typical_runtime_minutes", gettext_lazy("Typical runtime"), _runtime),
)


def compare_rows(versions: list[OfferingVersion]) -> list[CompareRow]:
    return [CompareRow(key, str(label), [cell(v) for v in versions]) for key, label, cell in ROWS]
