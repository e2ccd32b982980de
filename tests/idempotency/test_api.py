"""`Idempotency-Key` on the API's POSTs that create a job, a payment or a voucher action: a retry gets
the first answer and does nothing twice, even a hundred at once; another body with the key is a 422."""

import json
import threading
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idempotency.models import IdempotentRequest
from idempotency.services import idempotent_requests_expire
from jobs.models import Job
from payments.models import BankTransfer, TopUp
from tenants.roles import Role
from tenants.scoping import tenant_context
from tenants.services.api_keys import api_key_create
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory
from tests.jobs.world import CSV_TEXT, build, use_own_job_files
from tests.vouchers import world as vw
from vouchers.models import Application, ApplicationState

PDF = b"%PDF-1.4\nreceipt"


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    use_own_job_files(settings, tmp_path)
    settings.MEDIA_ROOT = tmp_path / "media"


def api(membership) -> Client:
    with tenant_context(membership.tenant):
        _key, plaintext = api_key_create(name="ci", role=membership.role, acting_membership=membership)
    return Client(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")


def launch_body(w, **overrides) -> dict:
    inputs = {"dataset_csv": CSV_TEXT, "target_column": "defect", "task": "classification", "test_fraction": 0.25}
    return {"template": w.slug, "pool": w.pool.pk, "cards": 1, "inputs": inputs, "name": "nightly", **overrides}


def post_json(client: Client, url: str, data: dict, key: str | None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


# --- Jobs ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the key's lock is a PostgreSQL advisory lock")
def test_a_hundred_concurrent_replays_of_one_key_launch_one_job():
    w = build()
    client = api(w.developer)
    url = reverse("api:job-list")
    n = 100
    # 100 clients send at once; at most 40 are inside the application together, like a server with
    # 40 workers (the shared PostgreSQL allows 100 connections for every test run on the machine).
    barrier, workers = threading.Barrier(n), threading.BoundedSemaphore(40)
    results: list = [None] * n

    def send(i: int) -> None:
        try:
            barrier.wait()
            with workers:
                response = post_json(client, url, launch_body(w), key="nightly-2026-01-01")
                results[i] = (response.status_code, response.json(), response.get("Idempotent-Replayed"))
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not [r for r in results if isinstance(r, Exception)]
    (job,) = Job.unscoped.filter(tenant=w.company)
    assert {status for status, _body, _replayed in results} == {201}
    assert all(body == results[0][1] for _status, body, _replayed in results)
    assert results[0][1]["id"] == job.pk
    assert sorted(str(replayed) for _s, _b, replayed in results) == ["None"] + ["true"] * 99
    assert IdempotentRequest.unscoped.filter(tenant=w.company).count() == 1


@pytest.mark.django_db
def test_a_key_is_per_organisation_and_per_endpoint():
    w = build()
    mine, theirs = api(w.owner), api(w.other_owner)

    first = post_json(mine, reverse("api:job-list"), launch_body(w), key="same")
    other_tenant = post_json(theirs, reverse("api:job-list"), launch_body(w), key="same")
    other_endpoint = post_json(mine, reverse("api:job-retry", args=[first.json()["id"]]), {}, key="same")

    assert (first.status_code, other_tenant.status_code) == (201, 201)
    assert other_tenant.json()["id"] != first.json()["id"]
    assert other_tenant.get("Idempotent-Replayed") is None
    assert other_endpoint.status_code == 409  # a queued job cannot be retried: the key did not replay the launch
    assert other_endpoint.json()["error"]["code"] == "not_retryable"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "中文"])
def test_a_malformed_key_is_a_400_and_launches_nothing(key):
    w = build()

    response = post_json(api(w.owner), reverse("api:job-list"), launch_body(w), key=key)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "Idempotency-Key": ["Use 1 to 255 visible ASCII characters (no spaces)."]
    }
    assert not Job.unscoped.exists() and not IdempotentRequest.unscoped.exists()


@pytest.mark.django_db
def test_a_refused_request_is_not_kept_so_it_can_be_fixed_and_sent_with_its_key():
    w = build()
    client = api(w.owner)

    refused = post_json(client, reverse("api:job-list"), launch_body(w, cards=3), key="k")
    fixed = post_json(client, reverse("api:job-list"), launch_body(w), key="k")

    assert (refused.status_code, fixed.status_code) == (400, 201)
    assert Job.unscoped.filter(tenant=w.company).count() == 1


# --- Vouchers ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_replayed_voucher_application_and_approval_happen_once():
    gov = vw.office()
    shop = MembershipFactory(tenant=TenantFactory(founded_on=date(2020, 5, 1)), role=Role.OWNER)
    program = vw.program(gov, four_eyes_above_fen=10_000_00)
    company, reviewer = api(shop), member_client(gov.reviewer)  # a browser session works the same
    body = {"program": program.pk, "amount_fen": 300_00, "purpose": "质检", "expected_outcome": "效率"}

    applied = [post_json(company, reverse("api:voucher-application-list"), body, key="apply-1") for _ in range(2)]
    reused = post_json(company, reverse("api:voucher-application-list"), body | {"amount_fen": 400_00}, key="apply-1")

    assert [r.status_code for r in applied] == [201, 201] and applied[0].json() == applied[1].json()
    assert applied[1]["Idempotent-Replayed"] == "true"
    assert reused.status_code == 422
    assert reused.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used with a different request.",
        "fields": {},
    }
    (application,) = Application.unscoped.all()
    approve = reverse("api:gov-application-approve", args=[application.pk])

    approvals = [post_json(reviewer, approve, {"note": "ok"}, key="approve-1") for _ in range(2)]

    assert [r.status_code for r in approvals] == [200, 200]
    assert approvals[0].json() == approvals[1].json() and approvals[0].json()["state"] == ApplicationState.ISSUED
    # Without the key the same approval is refused: it was done once.
    assert post_json(reviewer, approve, {"note": "ok"}, key=None).status_code == 400


# --- Payments ------------------------------------------------------------------------------------


def transfer_form(receipt: bytes = PDF) -> dict:
    return {
        "amount_fen": 100_000,
        "payer_account_name": "甲公司",
        "bank_reference": "REF-1",
        "transferred_on": str(date.today()),
        "receipt": SimpleUploadedFile("r.pdf", receipt),
    }


@pytest.mark.django_db
def test_a_replayed_bank_transfer_is_recorded_once_and_the_receipt_bytes_count():
    owner = MembershipFactory(tenant=TenantFactory(), role=Role.OWNER)
    client = api(owner)
    url = reverse("api:payments-bank-transfer-list")

    first = client.post(url, transfer_form(), HTTP_IDEMPOTENCY_KEY="transfer-1")
    again = client.post(url, transfer_form(), HTTP_IDEMPOTENCY_KEY="transfer-1")
    other_receipt = client.post(url, transfer_form(PDF + b"\n2"), HTTP_IDEMPOTENCY_KEY="transfer-1")

    assert (first.status_code, again.status_code, other_receipt.status_code) == (201, 201, 422)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert BankTransfer.unscoped.count() == 1


@pytest.mark.django_db
def test_a_replayed_top_up_opens_one_checkout(settings):
    from payments.stripe_standin import StandinServer, StandinState

    settings.STRIPE_SECRET_KEY = "sk_test_standin"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_standin_secret"
    settings.STRIPE_PAYMENT_METHODS = ["card"]
    standin = StandinServer("127.0.0.1", 0, StandinState(webhook_url="http://127.0.0.1:9/", secret="whsec_x")).start()
    settings.STRIPE_API_BASE = standin.url
    try:
        client = api(MembershipFactory(tenant=TenantFactory(), role=Role.OWNER))
        url = reverse("api:payments-topup-list")
        responses = [post_json(client, url, {"amount_fen": 25_000}, key="top-up-1") for _ in range(3)]
    finally:
        standin.stop()

    assert [r.status_code for r in responses] == [201, 201, 201]
    assert responses[2].json() == responses[0].json()
    assert TopUp.unscoped.count() == 1 and len(standin.state.sessions) == 1


# --- Expiry --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keys_are_forgotten_after_a_day():
    w = build()
    client = api(w.owner)
    post_json(client, reverse("api:job-list"), launch_body(w), key="old")
    post_json(client, reverse("api:job-list"), launch_body(w, name="second"), key="new")
    IdempotentRequest.unscoped.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    assert idempotent_requests_expire() == 1

    assert list(IdempotentRequest.unscoped.values_list("key", flat=True)) == ["new"]
