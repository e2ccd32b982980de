"""Company pages for paying in (wallet, Stripe return pages, bank transfers, receipts) and the
Stripe webhook.

Every company page checks `TOP_UP_PERM`, the one permission for paying in; top-ups and transfers
come from the scoped managers, so another company's are a 404 like missing ones."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from billing.services import ledger
from payments import stripe_gateway
from payments.forms import BankTransferForm, TopUpForm
from payments.models import BankTransfer, TopUp
from payments.receipts import content_type_for
from payments.selectors import wallet_bank_transfers, wallet_topups
from payments.services.bank_transfers import bank_transfer_submit
from payments.services.topups import topup_create
from payments.services.webhooks import Outcome, stripe_event_handle
from tenants.mixins import TenantPageMixin
from tenants.roles import Perm, TenantKind
from tenants.views import _add_errors

TOP_UP_PERM = Perm.MANAGE_BILLING  # who may see the wallet and pay in
PAYER_KINDS = (TenantKind.COMPANY,)
HISTORY_LENGTH = 50


def _go(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def receipt_response(transfer: BankTransfer) -> FileResponse:
    """The stored receipt as a download (never inline: it is a file a customer uploaded)."""
    return FileResponse(
        transfer.receipt.open("rb"),
        as_attachment=True,
        filename=transfer.receipt_name,
        content_type=content_type_for(transfer.receipt_name),
    )


class PaymentsPageMixin(TenantPageMixin):
    permission = TOP_UP_PERM
    tenant_kinds = PAYER_KINDS


class PaymentsObjectMixin(PaymentsPageMixin):
    """Resolve the URL's object first: another company's is a 404 for every method."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and getattr(request, "membership", None) is not None:
            self.object = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class WalletView(PaymentsPageMixin, View):
    """Balance, the top-up form and the history of top-ups and bank transfers."""

    template_name = "payments/wallet.html"

    def get(self, request):
        return self.render_page(TopUpForm())

    def post(self, request):
        """Open a Stripe Checkout session and send the browser to it."""
        form = TopUpForm(request.POST)
        if form.is_valid():
            try:
                topup = topup_create(
                    acting_membership=self.membership,
                    amount_fen=form.amount_fen(),
                    site_url=request.build_absolute_uri("/"),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return _go(request, topup.checkout_url)
        if request.htmx:
            context = {"form": form, "methods": stripe_gateway.payment_methods()}
            return render(request, f"{self.template_name}#topup-form", context, status=400)
        return self.render_page(form, status=400)

    def render_page(self, form, status: int = 200):
        context = {
            "form": form,
            "balance": ledger.format_fen(ledger.balance(self.tenant)),
            "topups": wallet_topups()[:HISTORY_LENGTH],
            "transfers": wallet_bank_transfers()[:HISTORY_LENGTH],
            "methods": stripe_gateway.payment_methods(),
        }
        return render(self.request, self.template_name, context, status=status)


class TopUpSuccessView(PaymentsObjectMixin, View):
    """Where Stripe sends the customer after paying. The webhook may not have arrived yet, so the
    page polls (htmx) until the top-up is settled."""

    model = TopUp
    template_name = "payments/topup_success.html"

    def get(self, request, pk: int):
        context = {"topup": self.object, "balance": ledger.format_fen(ledger.balance(self.tenant))}
        template = f"{self.template_name}#status" if request.htmx else self.template_name
        return render(request, template, context)


class TopUpCancelledView(PaymentsObjectMixin, View):
    model = TopUp

    def get(self, request, pk: int):
        return render(request, "payments/topup_cancelled.html", {"topup": self.object})


class BankTransferCreateView(PaymentsPageMixin, View):
    """Record a transfer to the platform's bank account, with the bank's receipt."""

    template_name = "payments/bank_transfer_form.html"

    def get(self, request):
        return self.render_page(BankTransferForm())

    def post(self, request):
        form = BankTransferForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                bank_transfer_submit(acting_membership=self.membership, **form.service_kwargs())
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request, _("Transfer recorded. Your wallet is credited when operator staff have confirmed it.")
                )
                return _go(request, reverse("payments:wallet"))
        return self.render_page(form, status=400)

    def render_page(self, form, status: int = 200):
        context = {"form": form, "bank": settings.PAYMENTS_BANK_ACCOUNT, "tenant": self.tenant}
        return render(self.request, self.template_name, context, status=status)


class ReceiptView(PaymentsObjectMixin, View):
    model = BankTransfer

    def get(self, request, pk: int):
        return receipt_response(self.object)


# --- Stripe ------------------------------------------------------------------------------------

# Stripe redelivers on any non-2xx answer: a failed event (500) and one being processed by another
# delivery right now (409) come back later; done and duplicate events are acknowledged.
OUTCOME_STATUS = {Outcome.PROCESSED: 200, Outcome.DUPLICATE: 200, Outcome.IN_FLIGHT: 409, Outcome.FAILED: 500}


@csrf_exempt  # Stripe cannot send a CSRF token; the signature on the raw body authenticates it
@require_POST
def stripe_webhook(request):
    try:
        event = stripe_gateway.webhook_event_verify(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except stripe_gateway.InvalidWebhook:
        return HttpResponseBadRequest("invalid signature")
    outcome = stripe_event_handle(event=event)
    return JsonResponse({"received": True, "outcome": outcome.value}, status=OUTCOME_STATUS[outcome])
