"""The payments API under /api/v1/payments/."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from payments.models import BankTransfer, TopUp
from tenants.roles import Role
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.conftest import member_client
from tests.payments.conftest import BANK_ACCOUNT, balance, deliver, open_topup, paid_event

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\nreceipt"


def test_creating_a_top_up_returns_the_checkout_url(owner_client, owner, standin):
    response = owner_client.post(
        reverse("api:payments-topup-list"), {"amount_fen": 25_000}, content_type="application/json"
    )

    assert response.status_code == 201
    topup = TopUp.unscoped.get()
    assert response.json() == {
        "id": topup.pk,
        "amount_fen": 25_000,
        "currency": "cny",
        "state": "created",
        "failure_reason": "",
        "checkout_url": f"{standin.url}/pay/{topup.stripe_session_id}",
        "created_by": owner.user.email,
        "created_at": response.json()["created_at"],
        "paid_at": None,
    }
    assert standin.state.sessions[topup.stripe_session_id]["amount_total"] == 25_000


def test_an_api_key_can_top_up(owner, standin):
    with tenant_context(owner.tenant):
        _key, plaintext = api_key_create(name="finance", role=Role.ADMIN, acting_membership=owner)
    from django.test import Client

    response = Client().post(
        reverse("api:payments-topup-list"),
        {"amount_fen": 1_000},
        content_type="application/json",
        headers={"Authorization": f"Api-Key {plaintext}"},
    )
    assert response.status_code == 201


def test_a_top_up_below_the_minimum_is_a_400_with_the_stable_error_shape(owner_client, standin):
    response = owner_client.post(
        reverse("api:payments-topup-list"), {"amount_fen": 999}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"amount": ["Top up between ¥10.00 and ¥1,000,000.00."]}
    assert standin.state.sessions == {}


def test_listing_top_ups_shows_the_companys_own_only(owner, owner_client, other_owner, standin):
    mine = open_topup(owner, 1_000)
    deliver(paid_event(standin, mine))
    open_topup(other_owner, 2_000)

    rows = owner_client.get(reverse("api:payments-topup-list")).json()["results"]

    assert [(r["id"], r["state"], r["checkout_url"]) for r in rows] == [(mine.pk, "paid", None)]
    other = member_client(other_owner)
    assert other.get(reverse("api:payments-topup-detail", args=[mine.pk])).status_code == 404


def test_recording_a_bank_transfer_as_multipart(owner_client, owner):
    response = owner_client.post(
        reverse("api:payments-bank-transfer-list"),
        {
            "amount_fen": 100_000,
            "payer_account_name": "甲公司",
            "bank_reference": "REF-1",
            "transferred_on": str(timezone.localdate()),
            "receipt": SimpleUploadedFile("r.pdf", PDF),
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount_fen"], body["state"], body["receipt_name"]) == (100_000, "submitted", "r.pdf")
    listed = owner_client.get(reverse("api:payments-bank-transfer-list")).json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]


def test_a_bad_receipt_through_the_api_is_a_400(owner_client, _media):
    response = owner_client.post(
        reverse("api:payments-bank-transfer-list"),
        {
            "amount_fen": 100_000,
            "payer_account_name": "甲公司",
            "bank_reference": "REF-1",
            "transferred_on": str(timezone.localdate()),
            "receipt": SimpleUploadedFile("r.pdf", b"GIF89a"),
        },
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"receipt": ["This file is not a real PDF file."]}
    assert not BankTransfer.unscoped.exists()


def _transfer(owner_client) -> int:
    return owner_client.post(
        reverse("api:payments-bank-transfer-list"),
        {
            "amount_fen": 100_000,
            "payer_account_name": "甲公司",
            "bank_reference": "REF-1",
            "transferred_on": str(timezone.localdate()),
            "receipt": SimpleUploadedFile("r.pdf", PDF),
        },
    ).json()["id"]


def test_operators_list_confirm_and_reject_through_the_api(owner, owner_client, operator_client):
    pk = _transfer(owner_client)

    listed = operator_client.get(reverse("api:payments-operator-bank-transfer-list") + "?state=submitted").json()
    assert [(r["id"], r["tenant"]) for r in listed["results"]] == [(pk, owner.tenant_id)]

    confirmed = operator_client.post(reverse("api:payments-operator-bank-transfer-confirm", args=[pk]))
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    again = operator_client.post(reverse("api:payments-operator-bank-transfer-confirm", args=[pk]))
    assert again.status_code == 400
    assert again.json()["error"]["message"] == "This transfer has already been confirmed."
    assert balance(owner) == 100_000


def test_rejecting_through_the_api_needs_a_note(owner_client, operator_client):
    pk = _transfer(owner_client)
    url = reverse("api:payments-operator-bank-transfer-reject", args=[pk])

    assert operator_client.post(url, {}, content_type="application/json").status_code == 400
    response = operator_client.post(url, {"note": "No such transfer."}, content_type="application/json")

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["note"]) == ("rejected", "No such transfer.")


def test_companies_cannot_use_the_operator_api(owner_client):
    pk = _transfer(owner_client)

    assert owner_client.get(reverse("api:payments-operator-bank-transfer-list")).status_code == 403
    assert owner_client.post(reverse("api:payments-operator-bank-transfer-confirm", args=[pk])).status_code == 403


def test_members_without_the_permission_get_403(company, make_member, standin):
    client = member_client(make_member(company, Role.VIEWER))

    assert client.get(reverse("api:payments-topup-list")).status_code == 403
    assert client.post(reverse("api:payments-topup-list"), {"amount_fen": 5_000}).status_code == 403
    assert client.get(reverse("api:payments-bank-transfer-list")).status_code == 403
    assert not TopUp.unscoped.exists()


def test_the_schema_documents_the_payments_endpoints(client):
    schema = client.get(reverse("api:schema")).content.decode()

    for path in ("/api/v1/payments/top-ups/", "/api/v1/payments/bank-transfers/", "/confirm/", "/reject/"):
        assert path in schema


def test_the_wallet_shows_the_balance_bank_account_and_history(owner, owner_client, other_owner, standin):
    mine = open_topup(owner, 1_000)
    deliver(paid_event(standin, mine))
    open_topup(other_owner, 2_000)
    pk = _transfer(owner_client)

    body = owner_client.get(reverse("api:payments-wallet")).json()

    assert body["balance_fen"] == balance(owner) == 1_000
    assert body["bank_account"] == BANK_ACCOUNT
    assert [t["id"] for t in body["topups"]] == [mine.pk]
    assert [t["id"] for t in body["bank_transfers"]] == [pk]
    other = member_client(other_owner).get(reverse("api:payments-wallet")).json()
    assert (other["balance_fen"], other["bank_transfers"]) == (0, [])


def test_the_wallet_is_for_those_who_pay_in(company, make_member):
    assert member_client(make_member(company, Role.VIEWER)).get(reverse("api:payments-wallet")).status_code == 403


def test_a_transfers_receipt_downloads_for_its_own_company_only(owner_client, other_owner):
    pk = _transfer(owner_client)
    url = reverse("api:payments-bank-transfer-receipt", args=[pk])

    response = owner_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF
    assert member_client(other_owner).get(url).status_code == 404
