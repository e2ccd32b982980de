"""Query counts of the payments lists stay constant as data grows (measured at two sizes)."""

import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments.models import TopUp
from payments.services.bank_transfers import bank_transfer_submit
from tests.conftest import member_client
from tests.factories import MembershipFactory, TenantFactory

_seq = itertools.count()


def grow(owner, n: int) -> None:
    for _ in range(n):
        i = next(_seq)
        TopUp.unscoped.create(tenant=owner.tenant, amount_fen=1_000 + i, created_by=owner.user)
        member = MembershipFactory(tenant=owner.tenant)
        bank_transfer_submit(
            acting_membership=member,
            amount_fen=10_000,
            payer_account_name="payer",
            bank_reference=f"ref-{i}",
            transferred_on=timezone.localdate(),
            receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4"),
        )


ROUTES = [
    ("owner", "payments:wallet", {}),
    ("owner", "api:payments-topup-list", {}),
    ("owner", "api:payments-bank-transfer-list", {}),
    ("operator", "payments:operator-bank-transfers", {}),
    ("operator", "payments:operator-bank-transfers", {"HX-Request": "true"}),
    ("operator", "api:payments-operator-bank-transfer-list", {}),
]


def count(client, url, headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, headers=headers).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("who,name,headers", ROUTES)
def test_query_count_does_not_grow_with_rows(who, name, headers, owner, operator):
    clients = {"owner": member_client(owner), "operator": member_client(operator)}
    client = clients[who]
    url = reverse(name)
    grow(owner, 2)
    grow(MembershipFactory(tenant=TenantFactory()), 1)
    small = count(client, url, headers)
    grow(owner, 6)
    assert count(client, url, headers) == small
