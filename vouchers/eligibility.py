"""Who may apply to a program: each rule says whether it passes for a company and why.

The same check is the pre-check companies see before applying, the gate at submission (every rule
must pass) and the snapshot reviewers read next to the application.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.choices import Industry, Province, SizeClass
from tenants.roles import TenantKind
from vouchers.models import Program, ProgramStatus, company_age_months


@dataclass(frozen=True)
class RuleResult:
    rule: str  # stable code: "window", "region", "industry", …
    label: str  # what the rule asks, in the user's language
    passed: bool
    detail: str  # why it passes or fails, naming the company's own value

    def as_dict(self) -> dict:
        return asdict(self)


def _names(choices, values) -> str:
    labels = dict(choices.choices)
    return (
        "、".join(str(labels.get(v, v)) for v in values) if _zh() else ", ".join(str(labels.get(v, v)) for v in values)
    )


def _zh() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("zh")


def check(program: Program, company, today: date | None = None) -> list[RuleResult]:
    """Every eligibility rule of `program` for `company` (a Tenant), in the order shown to users."""
    today = today or timezone.localdate()
    results: list[RuleResult] = []

    def add(rule: str, label: str, passed: bool, detail: str) -> None:
        results.append(RuleResult(rule, label, passed, detail))

    if company.kind != TenantKind.COMPANY:
        add("kind", _("Applicant is a company"), False, _("Only companies can apply for vouchers."))
    # The application window.
    if program.status != ProgramStatus.OPEN:
        add("window", _("Program is open"), False, _("This program is not taking applications."))
    elif today < program.applications_open_on:
        add(
            "window",
            _("Application window"),
            False,
            _("Applications open on %(date)s.") % {"date": program.applications_open_on.isoformat()},
        )
    elif today > program.applications_close_on:
        add(
            "window",
            _("Application window"),
            False,
            _("Applications closed on %(date)s.") % {"date": program.applications_close_on.isoformat()},
        )
    else:
        add(
            "window",
            _("Application window"),
            True,
            _("Open until %(date)s.") % {"date": program.applications_close_on.isoformat()},
        )
    # Registered region.
    if program.provinces:
        ok = company.province in program.provinces
        add(
            "region",
            _("Registered in %(provinces)s") % {"provinces": _names(Province, program.provinces)},
            ok,
            _("Your company is registered in %(province)s.") % {"province": company.get_province_display()},
        )
    if program.city:
        ok = company.city.strip().removesuffix("市") == program.city.strip().removesuffix("市")
        add(
            "city",
            _("Registered in the city of %(city)s") % {"city": program.city},
            ok,
            _("Your company is registered in %(city)s.") % {"city": company.city or "—"},
        )
    if program.industries:
        add(
            "industry",
            _("Industry: %(industries)s") % {"industries": _names(Industry, program.industries)},
            company.industry in program.industries,
            _("Your company's industry is %(industry)s.") % {"industry": company.get_industry_display()},
        )
    if program.size_classes:
        add(
            "size",
            _("Company size: %(sizes)s") % {"sizes": _names(SizeClass, program.size_classes)},
            company.size_class in program.size_classes,
            _("Your company is registered as %(size)s.") % {"size": company.get_size_class_display()},
        )
    if program.min_company_age_months:
        months = company_age_months(company.founded_on, today)
        label = _("Founded at least %(months)s months ago") % {"months": program.min_company_age_months}
        if months is None:
            add("age", label, False, _("Your organisation profile has no founding date; add it first."))
        else:
            add(
                "age",
                label,
                months >= program.min_company_age_months,
                _("Your company was founded on %(date)s (%(months)s months ago).")
                % {"date": company.founded_on.isoformat(), "months": months},
            )
    blocked = company.credit_code in set(program.blocklist or ())
    add(
        "blocklist",
        _("Not excluded from this program"),
        not blocked,
        _("Your company is excluded from this program; contact the program office.")
        if blocked
        else _("Your company is not on the program's exclusion list."),
    )
    return results


def passes(results: list[RuleResult]) -> bool:
    return all(r.passed for r in results)


def failures(results: list[RuleResult]) -> list[RuleResult]:
    return [r for r in results if not r.passed]
