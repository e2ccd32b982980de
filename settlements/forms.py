from django import forms
from django.utils.translation import gettext_lazy as _

from settlements import periods
from settlements.services.payouts import REFERENCE_MAX


class MonthForm(forms.Form):
    """The month an operator generates or issues, as YYYY-MM."""

    month = forms.CharField(label=_("Month"), max_length=7)

    def clean_month(self):
        month = periods.parse(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("Give the month as YYYY-MM."), code="invalid")
        return month


class MarkPaidForm(forms.Form):
    reference = forms.CharField(label=_("Bank reference"), max_length=REFERENCE_MAX)
