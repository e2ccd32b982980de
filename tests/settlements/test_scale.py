"""How long computing and issuing a month takes with many partners (700 by default; set
SETTLEMENT_SCALE_PARTNERS to change it), each with a pool and 30 metered hours in the month, rated
by the real rating. To keep the set-up short, the usage of every pool is recorded against one
launched job (rating charges the partner of the record's pool; launching 700 jobs would take minutes
and tell nothing more about settlements). Run with `-s` to see the times."""

import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs.models import UsageRecord
from notifications.models import Notification
from settlements.models import Settlement
from settlements.services.statements import settlements_generate, settlements_issue
from tenants.roles import Role
from tests.conftest import member_client
from tests.factories import MembershipFactory
from tests.settlements import world as settle_world
from tests.settlements.conftest import JAN

PARTNERS = int(os.environ.get("SETTLEMENT_SCALE_PARTNERS", "700"))
HOURS = 30


def timed(label: str, func):
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s, {len(ctx.captured_queries)} queries")
    return result, seconds


@pytest.mark.slow
@pytest.mark.django_db
def test_a_month_of_many_partners_is_computed_and_issued_in_a_request(w, django_capture_on_commit_callbacks):
    start = time.perf_counter()
    job = settle_world.launch_tabular(w)
    records = []
    for i in range(PARTNERS):
        partner, pool = settle_world.add_partner_pool(w, f"规模{i}")
        MembershipFactory(tenant=partner, role=Role.OWNER)
        for day in range(1, HOURS + 1):
            seq = len(records)
            records.append(
                UsageRecord(
                    tenant_id=job.tenant_id,
                    job=job,
                    attempt=job.attempt,
                    seq=seq,
                    pool=pool,
                    period_start=settle_world.at(JAN, 1 + day % 28, 10),
                    period_end=settle_world.at(JAN, 1 + day % 28, 11),
                    card_seconds=3600,
                    cum_card_seconds=3600 * (seq + 1),
                )
            )
    UsageRecord.unscoped.bulk_create(records, batch_size=5000)
    settle_world.rate()
    print(f"\nset-up of {PARTNERS} partners, {len(records)} charges: {time.perf_counter() - start:.1f} s")

    _period, generate_s = timed("generate", lambda: settlements_generate(month=JAN, acting_membership=w.staff))

    def issue():
        with django_capture_on_commit_callbacks(execute=True):
            return settlements_issue(month=JAN, acting_membership=w.staff)

    _period, issue_s = timed(f"issue (and telling {PARTNERS} partners)", issue)
    client = member_client(w.staff)
    _response, page_s = timed(
        "operator page", lambda: client.get(reverse("settlements-operator:list"), {"month": "2025-01"})
    )
    _response, csv_s = timed(
        "operator CSV", lambda: client.get(reverse("settlements-operator:csv"), {"month": "2025-01"})
    )

    assert Settlement.unscoped.filter(period__month=JAN).count() == PARTNERS
    assert set(Settlement.unscoped.values_list("gross_fen", flat=True)) == {HOURS * 800}
    assert Notification.objects.filter(title__contains="2025-01").count() == PARTNERS
    assert max(generate_s, issue_s) < 10 and max(page_s, csv_s) < 2
