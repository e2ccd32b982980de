"""Forms of the voucher pages. People type yuan and percentages; the models keep fen and basis points."""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from billing.services.ledger import format_fen
from catalog.choices import OfferingKind
from payments.forms import to_fen
from payments.receipts import MAX_RECEIPT_BYTES, SIGNATURES
from tenants.choices import Industry, Province, SizeClass
from tenants.models import Tenant
from tenants.roles import TenantKind
from tenants.validators import validate_uscc
from vouchers.models import Program

MAX_ATTACHMENTS = 5
MAX_PROGRAM_FEN = 10_000_000_000_00  # ¥10 billion


def _yuan(label, *, required=True, help_text="", max_fen=MAX_PROGRAM_FEN) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0.01"),
        max_value=Decimal(max_fen) / 100,
        max_digits=14,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _percent(label, *, required=True, help_text="") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _bp(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def _pct(bp: int | None) -> Decimal | None:
    return None if bp is None else Decimal(bp) / 100


def _fen_to_yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen) / 100


def parse_codes(text: str) -> list[str]:
    """Credit codes typed one per line (or separated by commas/spaces); each must be valid."""
    codes = [c.strip().upper() for c in text.replace(",", "\n").replace("，", "\n").split() if c.strip()]
    bad = []
    for code in codes:
        try:
            validate_uscc(code)
        except ValidationError:
            bad.append(code)
    if bad:
        raise ValidationError(
            _("These are not valid unified social credit codes: %(codes)s") % {"codes": ", ".join(bad[:10])}
        )
    return sorted(set(codes))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe): cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ProgramForm(forms.ModelForm):
    """Create or edit a draft program."""

    budget = _yuan(_("Total budget (¥)"))
    ratio = _percent(_("Subsidy ratio (%)"), help_text=_("The part of each qualifying charge the voucher pays."))
    domestic_ratio = _percent(
        _("Ratio for domestic-chip compute (%)"), required=False, help_text=_("Optional, e.g. 30 where others get 20.")
    )
    startup_ratio = _percent(_("Ratio for startups (%)"), required=False, help_text=_("Optional, e.g. 60."))
    max_per_voucher = _yuan(_("Largest voucher (¥)"))
    max_per_company = _yuan(_("Cap per company in this program (¥)"), required=False)
    max_per_company_year = _yuan(_("Cap per company per calendar year (¥)"), required=False)
    four_eyes_above = forms.DecimalField(
        label=_("Second reviewer needed above (¥)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        initial=Decimal(0),
        help_text=_("Approvals of larger amounts need a second reviewer. 0: every approval."),
    )
    offering_kinds = forms.MultipleChoiceField(
        label=_("Vouchers pay for"),
        choices=OfferingKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[OfferingKind.COMPUTE],
    )
    providers = forms.ModelMultipleChoiceField(
        label=_("Only these providers"),
        queryset=Tenant.objects.none(),
        required=False,
        help_text=_("Leave empty for every partner in the catalog."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    provinces = forms.MultipleChoiceField(
        label=_("Registered in"),
        choices=Province.choices,
        required=False,
        help_text=_("Leave empty for any province."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    industries = forms.MultipleChoiceField(
        label=_("Industries"),
        choices=Industry.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every industry."),
    )
    size_classes = forms.MultipleChoiceField(
        label=_("Company sizes"),
        choices=SizeClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every size."),
    )
    blocklist_text = forms.CharField(
        label=_("Excluded companies"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Unified social credit codes, one per line."),
    )

    class Meta:
        model = Program
        fields = [
            "name",
            "code",
            "description",
            "startup_max_age_months",
            "domestic_chips_only",
            "city",
            "min_company_age_months",
            "applications_open_on",
            "applications_close_on",
            "voucher_valid_days",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "applications_open_on": forms.DateInput(attrs={"type": "date"}),
            "applications_close_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["providers"].queryset = Tenant.objects.filter(kind=TenantKind.PARTNER).order_by("name_zh")
        program = self.instance
        if program.pk:
            self.initial |= {
                "budget": _fen_to_yuan(program.budget_fen),
                "ratio": _pct(program.ratio_bp),
                "domestic_ratio": _pct(program.domestic_ratio_bp),
                "startup_ratio": _pct(program.startup_ratio_bp),
                "max_per_voucher": _fen_to_yuan(program.max_per_voucher_fen),
                "max_per_company": _fen_to_yuan(program.max_per_company_fen),
                "max_per_company_year": _fen_to_yuan(program.max_per_company_year_fen),
                "four_eyes_above": _fen_to_yuan(program.four_eyes_above_fen),
                "offering_kinds": program.offering_kinds,
                "providers": list(program.providers.all()),
                "provinces": program.provinces,
                "industries": program.industries,
                "size_classes": program.size_classes,
                "blocklist_text": "\n".join(program.blocklist),
            }
        else:
            today = timezone.localdate()
            self.initial.setdefault("applications_open_on", today)
            self.initial.setdefault("applications_close_on", today.replace(month=12, day=31))

    def clean_code(self):
        code = self.cleaned_data["code"].upper()
        if Program.unscoped.filter(code__iexact=code).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another program already uses this code."))
        return code

    def clean_blocklist_text(self):
        return parse_codes(self.cleaned_data.get("blocklist_text", ""))

    def clean(self):
        data = super().clean()
        opens, closes = data.get("applications_open_on"), data.get("applications_close_on")
        if opens and closes and closes < opens:
            self.add_error("applications_close_on", _("The window must close on or after the day it opens."))
        budget, largest = data.get("budget"), data.get("max_per_voucher")
        if budget and largest and largest > budget:
            self.add_error("max_per_voucher", _("A voucher cannot be larger than the whole budget."))
        per_company = data.get("max_per_company")
        if per_company and largest and largest > per_company:
            self.add_error("max_per_voucher", _("A voucher cannot be larger than the cap per company."))
        return data

    def save(self, commit=True):
        program = super().save(commit=False)
        data = self.cleaned_data
        program.budget_fen = to_fen(data["budget"])
        program.ratio_bp = _bp(data["ratio"])
        program.domestic_ratio_bp = _bp(data.get("domestic_ratio"))
        program.startup_ratio_bp = _bp(data.get("startup_ratio"))
        program.max_per_voucher_fen = to_fen(data["max_per_voucher"])
        program.max_per_company_fen = to_fen(data["max_per_company"]) if data.get("max_per_company") else None
        program.max_per_company_year_fen = (
            to_fen(data["max_per_company_year"]) if data.get("max_per_company_year") else None
        )
        program.four_eyes_above_fen = to_fen(data["four_eyes_above"])
        program.offering_kinds = list(data["offering_kinds"])
        program.provinces = list(data.get("provinces") or [])
        program.industries = list(data.get("industries") or [])
        program.size_classes = list(data.get("size_classes") or [])
        program.blocklist = data.get("blocklist_text") or []
        if commit:
            program.save()
            program.providers.set(data.get("providers") or [])
        return program


class ApplicationForm(forms.Form):
    amount = _yuan(_("Amount (¥)"), help_text=_("The voucher you ask for."))
    purpose = forms.CharField(
        label=_("What the compute is for"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_outcome = forms.CharField(
        label=_("Expected outcome"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you expect to achieve, e.g. a model in production, hours saved, new customers."),
    )
    affiliates = forms.CharField(
        label=_("Affiliated organisations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Credit codes of organisations related to yours (shareholders, subsidiaries), one per line. "
            "Their offerings are never paid by the voucher."
        ),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=format_lazy(
            _("Business licence, project plan: PDF, JPG or PNG, up to {n} files of {mb} MB each."),
            n=MAX_ATTACHMENTS,
            mb=MAX_RECEIPT_BYTES // 1048576,
        ),
    )

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["amount"] = _yuan(
            _("Amount (¥)"),
            max_fen=program.max_per_voucher_fen,
            help_text=_("The voucher you ask for: at most ¥%(max)s.")
            % {"max": format_fen(program.max_per_voucher_fen)},
        )

    def clean_affiliates(self):
        return parse_codes(self.cleaned_data.get("affiliates", ""))

    def clean_attachments(self):
        return validate_attachments(self.cleaned_data.get("attachments") or [])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "amount_fen": to_fen(data["amount"]),
            "purpose": data["purpose"],
            "expected_outcome": data["expected_outcome"],
            "affiliates": data["affiliates"],
            "files": data["attachments"],
        }


def validate_attachments(files: list) -> list:
    """An application's uploads (the page's form and the API alike): at most MAX_ATTACHMENTS PDF,
    JPG or PNG files (checked by their first bytes) of at most MAX_RECEIPT_BYTES each."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(_("Attach at most %(n)d files.") % {"n": MAX_ATTACHMENTS})
    for upload in files:
        if upload.size is not None and upload.size > MAX_RECEIPT_BYTES:
            raise ValidationError(
                _("%(name)s is too large; the limit is %(mb)d MB.")
                % {"name": upload.name, "mb": MAX_RECEIPT_BYTES // 1048576}
            )
        signature = SIGNATURES.get(PurePath(upload.name or "").suffix.lower())
        upload.seek(0)
        head = upload.read(len(signature or b""))
        upload.seek(0)
        if signature is None or head != signature:
            raise ValidationError(_("%(name)s is not a PDF, JPG or PNG file.") % {"name": upload.name})
    return files


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=500, required=False)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        error_messages={"required": _("Say why the voucher is revoked (the company will see it).")},
    )
