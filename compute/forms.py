"""Forms of the quota pages: a company asks for more, an operator decides, sets defaults and overrides.

`set_default` is here because `compute.quotas` has no service for defaults yet; it follows the
service rules (one transaction, audit row inside it)."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from catalog.models import ChipType
from compute.engine_settings import engine_config_problems
from compute.models import EngineName, QuotaDefault, QuotaRequest
from compute.quotas import Limits, limits_for
from tenants.choices import SizeClass
from tenants.models import Tenant
from tenants.roles import TenantKind

LIMIT_FIELDS = ("concurrent_cards", "card_hours_month", "concurrent_jobs")
MAX_LIMIT = 1_000_000  # far above any real pool; keeps typos out of the integer column
NON_FIELD = "non_field_errors"


def _limit(label, *, minimum: int = 0, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=minimum, max_value=MAX_LIMIT, required=required)


def chip_choices():
    return ChipType.objects.order_by("vendor", "model")


def request_problems(current: Limits, asked: dict) -> dict[str, str]:
    """Why a request for `asked` cannot be sent, by field: it may not lower a limit (an approval
    would lower it), and it must raise at least one."""
    problems: dict[str, str] = {}
    for name in LIMIT_FIELDS:
        now = getattr(current, name)
        if asked[name] < now:
            problems[name] = str(_("Your limit is already %(n)d; a request can only raise limits.") % {"n": now})
    if not problems and all(asked[name] == getattr(current, name) for name in LIMIT_FIELDS):
        problems[NON_FIELD] = str(
            _("Ask for more than your current limit in at least one of cards at once, card-hours or jobs at once.")
        )
    return problems


def grant_problems(quota_request: QuotaRequest, grants: dict) -> dict[str, str]:
    """An approval may grant less than asked, never more (by field; a missing grant means as asked)."""
    problems = {}
    for name in LIMIT_FIELDS:
        asked = getattr(quota_request, name)
        if grants.get(name) is not None and grants[name] > asked:
            problems[name] = str(_("At most what the company asked for (%(n)d).") % {"n": asked})
    return problems


class QuotaRequestForm(forms.Form):
    """A company asks for higher limits on one chip type; the numbers start at its limits now."""

    chip_type = forms.ModelChoiceField(label=_("Chip type"), queryset=chip_choices(), empty_label=None)
    concurrent_cards = _limit(_("Cards at once"), minimum=1)
    card_hours_month = _limit(_("Card-hours per month"), minimum=1)
    concurrent_jobs = _limit(_("Jobs at once"), minimum=1)
    reason = forms.CharField(
        label=_("Why you need it"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you will run and for how long. The operator reads this before deciding."),
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.chip = self._chosen_chip()
        self.current = limits_for(tenant, self.chip.pk) if self.chip else None
        for name in LIMIT_FIELDS if self.current else ():
            self.fields[name].help_text = _("Your limit now: %(n)d") % {"n": getattr(self.current, name)}

    @classmethod
    def for_chip(cls, *, tenant, chip: ChipType | None, reason: str = "") -> QuotaRequestForm:
        """An empty form for `chip` (or the first chip type), prefilled with the company's limits now."""
        chip = chip or chip_choices().first()
        if chip is None:
            return cls(tenant=tenant)
        current = limits_for(tenant, chip.pk)
        initial = {"chip_type": chip.pk, "reason": reason} | {n: getattr(current, n) for n in LIMIT_FIELDS}
        return cls(tenant=tenant, initial=initial)

    def _chosen_chip(self) -> ChipType | None:
        value = self["chip_type"].value()
        if value in (None, ""):
            return None
        try:
            return chip_choices().filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None

    def clean(self):
        cleaned = super().clean()
        if self.current is None or any(cleaned.get(name) is None for name in LIMIT_FIELDS):
            return cleaned
        for name, message in request_problems(self.current, cleaned).items():
            self.add_error(None if name == NON_FIELD else name, message)
        return cleaned


class DecisionForm(forms.Form):
    """An operator approves (optionally less than asked) or rejects one request."""

    concurrent_cards = _limit(_("Cards at once"), minimum=1, required=False)
    card_hours_month = _limit(_("Card-hours per month"), minimum=1, required=False)
    concurrent_jobs = _limit(_("Jobs at once"), minimum=1, required=False)
    note = forms.CharField(label=_("Note to the company"), max_length=500, required=False)

    def __init__(self, *args, quota_request: QuotaRequest, approve: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.quota_request = quota_request
        self.approve = approve

    def clean(self):
        cleaned = super().clean()
        if not self.approve:
            if not cleaned.get("note", "").strip():
                self.add_error("note", _("Say why the request is rejected; the company sees this note."))
            return cleaned
        for name, message in grant_problems(self.quota_request, cleaned).items():
            self.add_error(name, message)
        return cleaned

    def decision(self) -> dict:
        """Keyword arguments for `quotas.decide` (besides the request and the actor)."""
        data = self.cleaned_data
        grants = (
            {
                "cards": data.get("concurrent_cards"),
                "card_hours": data.get("card_hours_month"),
                "jobs": data.get("concurrent_jobs"),
            }
            if self.approve
            else {}
        )
        return {"approve": self.approve, "note": data.get("note", "").strip(), **grants}


class QuotaDefaultForm(forms.Form):
    size_class = forms.ChoiceField(label=_("Size class"), choices=SizeClass.choices)
    chip_type = forms.ModelChoiceField(
        label=_("Chip type"), queryset=chip_choices(), required=False, empty_label=_("Any chip type")
    )
    concurrent_cards = _limit(_("Cards at once"))
    card_hours_month = _limit(_("Card-hours per month"))
    concurrent_jobs = _limit(_("Jobs at once"))


class OverrideForm(forms.Form):
    """Set one company's limits on one chip type; the company is named by credit code or full name."""

    company = forms.CharField(
        label=_("Company"),
        max_length=200,
        help_text=_("Its unified social credit code, or its full registered name (Chinese or English)."),
        widget=forms.TextInput(attrs={"list": "company-options", "autocomplete": "off"}),
    )
    chip_type = forms.ModelChoiceField(label=_("Chip type"), queryset=chip_choices())
    concurrent_cards = _limit(_("Cards at once"))
    card_hours_month = _limit(_("Card-hours per month"))
    concurrent_jobs = _limit(_("Jobs at once"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_company(self) -> Tenant:
        text = self.cleaned_data["company"].strip()
        matches = list(
            Tenant.objects.filter(kind=TenantKind.COMPANY).filter(
                Q(credit_code__iexact=text) | Q(name_zh=text) | Q(name_en__iexact=text)
            )[:2]
        )
        if not matches:
            raise forms.ValidationError(_("No company has this credit code or name."))
        if len(matches) > 1:
            raise forms.ValidationError(_("Several companies have this name; use the credit code."))
        return matches[0]


@transaction.atomic
def set_default(
    *,
    size_class: str,
    chip_type: ChipType | None,
    actor,
    concurrent_cards: int,
    card_hours_month: int,
    concurrent_jobs: int,
) -> QuotaDefault:
    """Create or change the default quota of a size class (for one chip type, or any), audited."""
    limits = {
        "concurrent_cards": concurrent_cards,
        "card_hours_month": card_hours_month,
        "concurrent_jobs": concurrent_jobs,
    }
    previous = QuotaDefault.objects.select_for_update().filter(size_class=size_class, chip_type=chip_type).first()
    before = {name: getattr(previous, name) for name in LIMIT_FIELDS} if previous else None
    default, _created = QuotaDefault.objects.update_or_create(
        size_class=size_class, chip_type=chip_type, defaults=limits
    )
    audit_record(
        action="quota.default",
        actor=actor,
        obj=default,
        before=before,
        after={"size_class": size_class, "chip": chip_type.slug if chip_type else None, **limits},
    )
    return default


class PoolEngineForm(forms.Form):
    """The engine a pool runs on and the operator's settings for it (checked by compute.engine_settings)."""

    engine = forms.ChoiceField(label=_("Engine"), choices=EngineName.choices)
    engine_config = forms.JSONField(
        label=_("Engine settings (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_(
            'Slurm: {"partition": "gpu"} and optionally "gres_name", "gres_type", "account", "qos". '
            'Kubernetes: optionally "namespace", "resource_name", "node_selector", "image". Local: {}.'
        ),
    )

    def clean(self):
        data = super().clean()
        if "engine" in data and "engine_config" in data:
            data["engine_config"] = data["engine_config"] if data["engine_config"] is not None else {}
            for problem in engine_config_problems(data["engine"], data["engine_config"]):
                self.add_error("engine_config", problem)
        return data
