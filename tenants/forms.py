from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant
from tenants.roles import TenantKind, role_choices
from tenants.services import organisations as organisation_services
from tenants.validators import normalize_uscc

PROFILE_FIELDS = list(organisation_services.PROFILE_FIELDS)


class OrganisationForm(forms.ModelForm):
    """Registration details. Model validators (e.g. the credit code's check character) run here."""

    class Meta:
        model = Tenant
        fields = PROFILE_FIELDS
        widgets = {"founded_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "credit_code": _("18 characters, as printed on your business licence (统一社会信用代码)."),
        }

    def clean_credit_code(self):
        return normalize_uscc(self.cleaned_data.get("credit_code", ""))


class RegisterOrganisationForm(OrganisationForm):
    kind = forms.ChoiceField(
        label=_("We are a"),
        choices=[(TenantKind.COMPANY, _("Company using AI")), (TenantKind.PARTNER, _("Ecosystem partner offering AI"))],
        widget=forms.RadioSelect,
        initial=TenantKind.COMPANY,
    )

    class Meta(OrganisationForm.Meta):
        fields = ["kind", *PROFILE_FIELDS]


class OperatorRegisterForm(OrganisationForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=TenantKind.choices)
    first_member_email = forms.EmailField(label=_("Invite its first administrator"), required=False)

    class Meta(OrganisationForm.Meta):
        fields = ["kind", *PROFILE_FIELDS]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, kind: str, acting_role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(kind, acting_role)
        self.fields["role"].initial = self.fields["role"].choices[-1][0]  # least privilege first


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, kind: str, acting_role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(kind, acting_role)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For example “CI pipeline” or “shop backend”."))
    role = forms.ChoiceField(label=_("Acts as"))

    def __init__(self, *args, kind: str, acting_role: str, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [value for value, _label in role_choices(kind, acting_role)]
        self.fields["role"].choices = role_choices(kind, acting_role)
        self.fields["role"].initial = "developer" if "developer" in choices else choices[-1]
