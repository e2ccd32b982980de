"""The budget form: typed in yuan, handed to the service in fen."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from statements.services import BUDGET_MAX_FEN


class BudgetForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Monthly budget (¥)"),
        min_value=Decimal("0.01"),
        max_value=Decimal(BUDGET_MAX_FEN) / 100,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text=_("Owners, admins and billing members are told when this month's spend reaches 80% and 100%."),
    )

    def amount_fen(self) -> int:
        return int(self.cleaned_data["amount"] * 100)
