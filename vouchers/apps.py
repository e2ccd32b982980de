from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VouchersConfig(AppConfig):
    """Government compute-voucher programs, applications with four-eyes review, vouchers, reports."""

    name = "vouchers"
    verbose_name = _("Compute vouchers")

    def ready(self) -> None:
        from billing import funding
        from vouchers.redemption import open_book

        funding.register_voucher_books(open_book)
