"""Forms of the wallet pages. Amounts are typed in yuan and handed to the services in fen."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from payments.receipts import MAX_RECEIPT_BYTES, receipt_check
from payments.services.bank_transfers import BANK_TRANSFER_MAX_FEN, BANK_TRANSFER_MIN_FEN
from payments.services.topups import TOP_UP_MAX_FEN, TOP_UP_MIN_FEN


def yuan_field(*, min_fen: int, max_fen: int, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Amount (¥)"),
        min_value=Decimal(min_fen) / 100,
        max_value=Decimal(max_fen) / 100,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


def to_fen(amount: Decimal) -> int:
    return int(amount * 100)


class TopUpForm(forms.Form):
    amount = yuan_field(
        min_fen=TOP_UP_MIN_FEN,
        max_fen=TOP_UP_MAX_FEN,
        help_text=_("From ¥10 to ¥1,000,000. You pay on Stripe's secure page."),
    )

    def amount_fen(self) -> int:
        return to_fen(self.cleaned_data["amount"])


class BankTransferForm(forms.Form):
    amount = yuan_field(min_fen=BANK_TRANSFER_MIN_FEN, max_fen=BANK_TRANSFER_MAX_FEN)
    payer_account_name = forms.CharField(
        label=_("Payer account name"), max_length=200, help_text=_("The account holder the money came from.")
    )
    bank_reference = forms.CharField(
        label=_("Bank reference"), max_length=100, help_text=_("The transaction number on your bank's receipt.")
    )
    transferred_on = forms.DateField(label=_("Transfer date"), widget=forms.DateInput(attrs={"type": "date"}))
    receipt = forms.FileField(
        label=_("Receipt"),
        help_text=format_lazy(_("PDF, JPG or PNG, at most {mb} MB."), mb=MAX_RECEIPT_BYTES // 1048576),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean_receipt(self):
        upload = self.cleaned_data["receipt"]
        try:
            receipt_check(upload)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["receipt"]) from exc
        return upload

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "amount_fen": to_fen(data["amount"]),
            "payer_account_name": data["payer_account_name"],
            "bank_reference": data["bank_reference"],
            "transferred_on": data["transferred_on"],
            "receipt": data["receipt"],
        }


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        error_messages={"required": _("Tell the company why, so they can put it right.")},
    )
