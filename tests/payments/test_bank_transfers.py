"""Bank transfers: a company records one with its receipt, operator staff confirm or reject it."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from billing.models import Transaction, TxnKind
from notifications.models import Notification
from payments.models import BankTransfer, BankTransferState
from payments.receipts import MAX_RECEIPT_BYTES
from payments.services.bank_transfers import bank_transfer_confirm, bank_transfer_reject, bank_transfer_submit
from tenants.roles import Role
from tests.conftest import member_client
from tests.payments.conftest import balance

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n% a receipt\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def receipt(name: str = "receipt.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def form_data(**overrides) -> dict:
    return {
        "amount": "5000.00",
        "payer_account_name": "成都甲科技有限公司",
        "bank_reference": "BOC20260101-0001",
        "transferred_on": str(timezone.localdate()),
        "receipt": receipt(),
        **overrides,
    }


def submit(membership, **overrides) -> BankTransfer:
    data = {
        "amount_fen": 500_000,
        "payer_account_name": "成都甲科技有限公司",
        "bank_reference": "BOC20260101-0001",
        "transferred_on": timezone.localdate(),
        "receipt": receipt(),
        **overrides,
    }
    return bank_transfer_submit(acting_membership=membership, **data)


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- Recording a transfer -----------------------------------------------------------------------


def test_the_form_shows_the_platforms_bank_details(owner_client, owner):
    body = owner_client.get(reverse("payments:bank-transfer-create")).content.decode()

    assert "AI Factory Platform Co., Ltd." in body
    assert "1234 5678 9012 3456" in body
    assert owner.tenant.credit_code in body
    assert 'enctype="multipart/form-data"' in body


def test_recording_a_transfer_stores_it_with_its_receipt_under_the_tenant(owner_client, owner, operator, _media):
    response = owner_client.post(reverse("payments:bank-transfer-create"), form_data())

    assert response.status_code == 302 and response["Location"] == reverse("payments:wallet")
    transfer = BankTransfer.unscoped.get()
    assert (transfer.tenant_id, transfer.amount_fen, transfer.state) == (owner.tenant_id, 500_000, "submitted")
    assert (transfer.bank_reference, transfer.receipt_name, transfer.submitted_by) == (
        "BOC20260101-0001",
        "receipt.pdf",
        owner.user,
    )
    assert transfer.receipt.name.startswith(f"payments/receipts/tenant-{owner.tenant_id}/")
    assert transfer.receipt.name.endswith(".pdf")
    [path] = stored_files(_media)
    assert path.read_bytes() == PDF
    assert balance(owner) == 0  # nothing until an operator confirms
    assert AuditEntry.unscoped.filter(action="bank_transfer.submit", object_id=str(transfer.pk)).count() == 1
    assert Notification.objects.filter(recipient=operator.user).count() == 1
    wallet = owner_client.get(reverse("payments:wallet")).content.decode()
    assert "BOC20260101-0001" in wallet and "Waiting for confirmation" in wallet


@pytest.mark.parametrize(
    "upload,message",
    [
        (lambda: receipt("receipt.txt", b"hello"), "Upload the receipt as a PDF, JPG or PNG file."),
        (lambda: receipt("receipt.exe", b"MZ\x90\x00"), "Upload the receipt as a PDF, JPG or PNG file."),
        (lambda: receipt("receipt.pdf", b"<html>not a pdf</html>"), "This file is not a real PDF file."),
        (lambda: receipt("receipt.png", PDF), "This file is not a real PNG file."),
        (lambda: receipt("big.pdf", PDF + b"0" * MAX_RECEIPT_BYTES), "The receipt is too large; the limit is 10 MB."),
    ],
)
def test_a_bad_receipt_gets_a_clear_error_and_nothing_is_stored(upload, message, owner_client, _media):
    response = owner_client.post(reverse("payments:bank-transfer-create"), form_data(receipt=upload()))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BankTransfer.unscoped.exists()
    assert stored_files(_media) == []


def test_the_service_refuses_bad_receipts_too(owner, _media):
    with pytest.raises(ValidationError) as exc:
        submit(owner, receipt=receipt("r.jpg", PNG))

    assert exc.value.message_dict == {"receipt": ["This file is not a real JPG file."]}
    assert stored_files(_media) == []


def test_png_and_jpeg_receipts_are_accepted(owner):
    submit(owner, receipt=receipt("scan.PNG", PNG), bank_reference="A1")
    submit(owner, receipt=receipt("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16), bank_reference="A2")

    assert sorted(BankTransfer.unscoped.values_list("receipt_name", flat=True)) == ["photo.jpeg", "scan.PNG"]


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"amount": "9.99"}, "amount", "Ensure this value is greater than or equal to 10"),
        (
            {"transferred_on": str(timezone.localdate() + timedelta(days=1))},
            "transferred_on",
            "cannot be in the future",
        ),
        ({"bank_reference": "   "}, "bank_reference", "This field is required."),
    ],
)
def test_invalid_fields_are_refused(overrides, field, message, owner_client, _media):
    response = owner_client.post(reverse("payments:bank-transfer-create"), form_data(**overrides))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BankTransfer.unscoped.exists()
    assert stored_files(_media) == []


def test_the_same_bank_reference_cannot_be_recorded_twice_unless_rejected(owner, operator, _media):
    first = submit(owner)
    with pytest.raises(ValidationError) as exc:
        submit(owner)
    assert "already been recorded" in exc.value.message_dict["bank_reference"][0]
    assert len(stored_files(_media)) == 1

    bank_transfer_reject(transfer=first, acting_membership=operator, note="Not on our statement.")
    submit(owner)  # after a rejection the company may record it again
    assert BankTransfer.unscoped.count() == 2


# --- Confirming and rejecting ------------------------------------------------------------------


def test_an_operator_confirms_a_transfer_and_the_wallet_is_credited(owner, operator, operator_client):
    transfer = submit(owner)

    response = operator_client.post(reverse("payments:operator-bank-transfer-confirm", args=[transfer.pk]))

    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.state, transfer.reviewed_by) == (BankTransferState.CONFIRMED, operator.user)
    assert balance(owner) == 500_000
    [txn] = Transaction.objects.filter(idempotency_key=f"bank:{transfer.pk}")
    assert (txn.kind, txn.tenant_id, txn.created_by) == (TxnKind.TOP_UP, owner.tenant_id, operator.user)
    assert transfer.transaction_id == txn.pk
    [note] = Notification.objects.filter(recipient=owner.user)
    assert note.title == "¥5,000.00 was added to your wallet"
    assert AuditEntry.unscoped.filter(action="bank_transfer.confirm", actor=operator.user).count() == 1


def test_confirming_twice_credits_once(owner, operator, operator_client):
    transfer = submit(owner)
    url = reverse("payments:operator-bank-transfer-confirm", args=[transfer.pk])

    operator_client.post(url)
    response = operator_client.post(url, follow=True)

    assert "This transfer has already been confirmed." in response.content.decode()
    assert balance(owner) == 500_000
    assert Transaction.objects.count() == 1


def test_confirming_from_the_list_row_with_htmx_removes_the_row(owner, operator_client):
    transfer = submit(owner)
    page = operator_client.get(reverse("payments:operator-bank-transfers")).content.decode()
    assert f'id="transfer-row-{transfer.pk}"' in page and "BOC20260101-0001" in page

    response = operator_client.post(
        reverse("payments:operator-bank-transfer-confirm", args=[transfer.pk]),
        headers={"HX-Request": "true", "HX-Target": f"transfer-row-{transfer.pk}"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="pending-count" class="badge text-bg-secondary" hx-swap-oob="true">0<' in body
    assert "added to the wallet of" in body
    assert balance(owner) == 500_000


@pytest.mark.django_db(transaction=True)
def test_two_operators_confirming_at_the_same_moment_credit_once(owner, operator):
    transfer = submit(owner)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm():
        try:
            barrier.wait()
            bank_transfer_confirm(transfer=transfer, acting_membership=operator)
            outcomes.append("confirmed")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["This transfer has already been confirmed.", "confirmed"]
    assert balance(owner) == 500_000
    assert Transaction.objects.filter(idempotency_key=f"bank:{transfer.pk}").count() == 1


def test_rejecting_needs_a_note(owner, operator_client):
    transfer = submit(owner)
    url = reverse("payments:operator-bank-transfer-reject", args=[transfer.pk])

    response = operator_client.post(
        url, {"note": "  "}, headers={"HX-Request": "true", "HX-Target": f"transfer-row-{transfer.pk}"}
    )

    assert response.status_code == 200
    assert "Tell the company why, so they can put it right." in response.content.decode()
    assert f'id="transfer-row-{transfer.pk}"' in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.state == BankTransferState.SUBMITTED


def test_rejecting_with_a_note_tells_the_company(owner, operator, operator_client):
    transfer = submit(owner)

    operator_client.post(
        reverse("payments:operator-bank-transfer-reject", args=[transfer.pk]),
        {"note": "Amount differs from statement."},
    )

    transfer.refresh_from_db()
    assert (transfer.state, transfer.note, transfer.reviewed_by) == (
        "rejected",
        "Amount differs from statement.",
        operator.user,
    )
    assert balance(owner) == 0
    [note] = Notification.objects.filter(recipient=owner.user)
    assert note.body == "Amount differs from statement."
    wallet = member_client(owner).get(reverse("payments:wallet")).content.decode()
    assert "Amount differs from statement." in wallet
    with pytest.raises(ValidationError):
        bank_transfer_confirm(transfer=transfer, acting_membership=operator)
    assert balance(owner) == 0


def test_the_operator_list_filters_by_state(owner, operator, operator_client):
    waiting = submit(owner, bank_reference="W1")
    done = submit(owner, bank_reference="D1")
    bank_transfer_confirm(transfer=done, acting_membership=operator)

    pending = operator_client.get(reverse("payments:operator-bank-transfers")).content.decode()
    confirmed = operator_client.get(
        reverse("payments:operator-bank-transfers") + "?state=confirmed", headers={"HX-Request": "true"}
    ).content.decode()

    assert f'data-id="{waiting.pk}"' in pending and f'data-id="{done.pk}"' not in pending
    assert f'data-id="{done.pk}"' in confirmed and f'data-id="{waiting.pk}"' not in confirmed
    assert confirmed.lstrip().startswith('<div id="transfers">')


def test_only_operator_staff_may_confirm_even_through_the_service(owner, other_owner):
    transfer = submit(owner)

    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        bank_transfer_confirm(transfer=transfer, acting_membership=owner)
    assert balance(owner) == 0


# --- Receipts and isolation --------------------------------------------------------------------


def test_receipts_download_for_their_company_and_operators_only(owner, owner_client, other_owner, operator_client):
    transfer = submit(owner)
    own = owner_client.get(reverse("payments:bank-transfer-receipt", args=[transfer.pk]))
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PDF
    assert own["Content-Type"] == "application/pdf"
    assert own["Content-Disposition"] == 'attachment; filename="receipt.pdf"'

    other = member_client(other_owner)
    assert other.get(reverse("payments:bank-transfer-receipt", args=[transfer.pk])).status_code == 404
    assert "BOC20260101-0001" not in other.get(reverse("payments:wallet")).content.decode()

    operator_copy = operator_client.get(reverse("payments:operator-bank-transfer-receipt", args=[transfer.pk]))
    assert b"".join(operator_copy.streaming_content) == PDF
    assert owner_client.get(reverse("payments:operator-bank-transfer-receipt", args=[transfer.pk])).status_code == 403


def test_company_members_cannot_reach_operator_pages(owner_client, owner):
    transfer = submit(owner)

    assert owner_client.get(reverse("payments:operator-bank-transfers")).status_code == 403
    assert owner_client.post(reverse("payments:operator-bank-transfer-confirm", args=[transfer.pk])).status_code == 403
    assert balance(owner) == 0


def test_a_viewer_cannot_record_a_transfer(company, make_member, _media):
    viewer = make_member(company, Role.VIEWER)

    response = member_client(viewer).post(reverse("payments:bank-transfer-create"), form_data())

    assert response.status_code == 403
    assert not BankTransfer.unscoped.exists()
    assert stored_files(_media) == []
