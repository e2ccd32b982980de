"""Forms of partner self-service and operator review. They parse what a person typed into the
content dict the listing services take; the rules themselves live in `catalog.validation`."""

import json
import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.choices import CARD_SIZES, Modality, OfferingKind, OfferingStatus, Platform, Workload
from catalog.models import ChipType, Offering, OfferingVersion
from catalog.selectors_partner import published_models
from catalog.validation import REQUIRED, content_fields
from tenants.choices import Industry, Province

LIST_SEPARATORS = re.compile(r"[,，、]")
# Content fields a partner does not set from the form (`engine` is chosen by operations).
NOT_IN_FORM = ("engine",)
BLANK = [("", "—")]


def split_list(text: str) -> list[str]:
    """'a, b，c' → ['a', 'b', 'c'] (ASCII and Chinese commas; empty items dropped)."""
    return [part.strip() for part in LIST_SEPARATORS.split(text or "") if part.strip()]


class CommaListField(forms.CharField):
    """A list of short words typed as comma-separated text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separate with commas."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return split_list(super().to_python(value))


class JsonObjectField(forms.CharField):
    """A JSON object typed into a textarea."""

    widget = forms.Textarea(attrs={"rows": 8, "spellcheck": "false"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, indent=2) if value else ""
        return value

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)d, column %(col)d: %(msg)s)."),
                params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
                code="invalid_json",
            ) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("Enter a JSON object: {…}."), code="not_object")
        return data


class PublishedModelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Offering) -> str:
        return f"{obj.live_version.name} ({obj.slug})"


def _yes_no_choices():
    return [("", _("Not stated")), ("true", _("Yes")), ("false", _("No"))]


def _to_bool(value: str):
    return {"true": True, "false": False}.get(value)


class ListingForm(forms.Form):
    """The content of one listing version. Built for one kind: only that kind's fields remain."""

    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    description_zh = forms.CharField(
        label=_("Description (Chinese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: **bold**, lists, tables, links."),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: **bold**, lists, tables, links."),
    )
    tags = CommaListField(label=_("Tags"))
    industries = forms.MultipleChoiceField(
        label=_("Industries"),
        choices=Industry.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    # Compute pool
    chip_type = forms.ModelChoiceField(
        label=_("Chip type"), queryset=ChipType.objects.all(), required=False, empty_label="—"
    )
    data_centre = forms.CharField(label=_("Data centre"), max_length=120, required=False)
    province = forms.ChoiceField(label=_("Region"), choices=BLANK + list(Province.choices), required=False)
    total_cards = forms.IntegerField(label=_("Total cards"), min_value=1, required=False)
    card_sizes = forms.TypedMultipleChoiceField(
        label=_("Sizes sold (cards)"),
        choices=[(n, str(n)) for n in CARD_SIZES],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    price_per_card_hour = forms.DecimalField(
        label=_("Price per card-hour (CNY)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )

    # Model
    family = forms.CharField(label=_("Model family"), max_length=60, required=False)
    parameters_b = forms.DecimalField(
        label=_("Parameters (billions)"), max_digits=8, decimal_places=2, min_value=0, required=False
    )
    modality = forms.ChoiceField(label=_("Modality"), choices=BLANK + list(Modality.choices), required=False)
    license = forms.CharField(label=_("Licence"), max_length=80, required=False)
    context_length = forms.IntegerField(label=_("Context length (tokens)"), min_value=1, required=False)
    tasks = CommaListField(label=_("Tasks"))
    is_foundation = forms.TypedChoiceField(
        label=_("Foundation model?"), choices=_yes_no_choices, coerce=_to_bool, empty_value=None, required=False
    )

    # Solution template
    industry = forms.ChoiceField(label=_("Industry"), choices=BLANK + list(Industry.choices), required=False)
    platform = forms.ChoiceField(
        label=pgettext_lazy("solution template", "Platform"), choices=BLANK + list(Platform.choices), required=False
    )
    model_offering = PublishedModelChoiceField(
        label=_("Model"), queryset=Offering.unscoped.none(), required=False, empty_label="—"
    )
    default_cards = forms.TypedChoiceField(
        label=_("Default size (cards)"),
        choices=BLANK + [(n, str(n)) for n in CARD_SIZES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    workload = forms.ChoiceField(label=_("Workload"), choices=BLANK + list(Workload.choices), required=False)
    launch_schema = JsonObjectField(
        label=_("Launch form (JSON Schema)"),
        help_text=_('A JSON Schema of type "object": the form a customer fills in to launch this template.'),
    )
    example_inputs = JsonObjectField(
        label=_("Example inputs (JSON)"), help_text=_("A filled-in launch form that fits the schema above.")
    )
    typical_runtime_minutes = forms.IntegerField(label=_("Typical runtime (minutes)"), min_value=1, required=False)
    price_per_run = forms.DecimalField(
        label=_("Price per run (CNY)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        keep = [f for f in content_fields(kind) if f not in NOT_IN_FORM]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "model_offering" in self.fields:
            self.fields["model_offering"].queryset = published_models()
        for name in REQUIRED[kind]:
            field = self.fields.get(name)
            if field is not None and not field.required:
                field.needed_for_review = True  # marked on the page; a draft may still leave it empty

    def content(self) -> dict:
        """The cleaned form as the content dict of `catalog.services.listings` (every field of
        the kind, so clearing a field clears it)."""
        return dict(self.cleaned_data)

    @classmethod
    def initial_for(cls, version: OfferingVersion) -> dict:
        """Initial values from an existing version (for editing)."""
        initial = {}
        for name in content_fields(version.kind):
            if name in NOT_IN_FORM:
                continue
            if name in ("chip_type", "model_offering"):
                initial[name] = getattr(version, f"{name}_id")
            elif name == "is_foundation":
                initial[name] = {True: "true", False: "false"}.get(version.is_foundation, "")
            else:
                initial[name] = getattr(version, name)
        return initial

    def section_fields(self) -> dict[str, list]:
        """Bound fields grouped for the page: the common ones, then the kind's own."""
        common = ("name_zh", "name_en", "description_zh", "description_en", "tags", "industries")
        return {
            "common": [self[f] for f in common if f in self.fields],
            "kind": [self[f] for f in self.fields if f not in common],
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        allow_empty_file=True,  # the importer says what is wrong with it, empty or not
        help_text=_("UTF-8 or GB18030 CSV, or .xlsx; at most 2 MB. The first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    submit_for_review = forms.BooleanField(
        label=_("Submit every imported listing for review"), required=False, initial=False
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the partner)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the service words the "say why" error
    )


class PartnerListingFilter(django_filters.FilterSet):
    """Filters of the partner's listing list, for the page and the API alike."""

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OfferingKind.choices, empty_label=_("All kinds"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OfferingStatus.choices, empty_label=_("All statuses")
    )
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Offering
        fields = ["kind", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        matching = OfferingVersion.objects.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value)).values(
            "offering_id"
        )
        return queryset.filter(Q(pk__in=matching) | Q(slug__icontains=value))


class ReviewFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OfferingKind.choices, empty_label=_("All kinds"))

    class Meta:
        model = OfferingVersion
        fields = ["kind"]
