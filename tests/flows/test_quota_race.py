"""Quota under concurrency (real PostgreSQL connections): 20 launches against a quota of N cards
admit at most N cards; the rest wait for quota. Refused launches leave nothing behind."""

import threading

import pytest
from django.db import connection, connections
from django.utils import translation

from billing.models import Hold
from billing.services import ledger
from jobs.models import ADMITTED_STATES, Job, JobState, WaitReason
from jobs.services.launch import LaunchError, launch
from tenants.scoping import tenant_context
from tests.flows import world
from tests.flows.test_job_flow import tabular_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_twenty_concurrent_launches_take_at_most_n_cards(job_dirs):
    n = 3
    w = world.build(cards_quota=n)
    barrier = threading.Barrier(20)
    errors: list = []

    def one(i: int) -> None:
        try:
            barrier.wait()
            with tenant_context(w.company):
                launch(tenant=w.company, actor=w.owner.user, request=tabular_request(w, name=f"race {i}"))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    jobs = Job.unscoped.filter(tenant=w.company)
    assert jobs.count() == 20
    admitted = jobs.filter(state__in=ADMITTED_STATES)
    assert sum(admitted.values_list("cards", flat=True)) == n
    waiting = jobs.filter(state=JobState.PENDING)
    assert waiting.count() == 17
    assert set(waiting.values_list("wait_reason", flat=True)) == {WaitReason.QUOTA}
    assert Hold.unscoped.filter(job__tenant=w.company).count() == 20


def test_job_bigger_than_the_quota_is_refused_and_leaves_nothing(job_dirs):
    w = world.build(cards_quota=1)
    before = ledger.balance(w.company)
    request = tabular_request(w)
    request.cards = 2
    with tenant_context(w.company), pytest.raises(LaunchError) as refused:
        launch(tenant=w.company, actor=w.owner.user, request=request)
    assert refused.value.code == "quota"
    assert "1" in str(refused.value.message)
    assert not Job.unscoped.exists() and not Hold.unscoped.exists()
    assert ledger.balance(w.company) == before


def test_insufficient_funds_is_refused_with_a_top_up_hint(job_dirs):
    w = world.build(wallet_fen=1)
    with translation.override("en"), tenant_context(w.company), pytest.raises(LaunchError) as refused:
        launch(tenant=w.company, actor=w.owner.user, request=tabular_request(w))
    assert refused.value.code == "insufficient_funds"
    assert "Top up" in str(refused.value.message)
    assert not Job.unscoped.exists()
    assert ledger.balance(w.company) == 1


def test_wrong_csv_columns_are_refused_before_anything_is_created(job_dirs, tmp_path):
    w = world.build()
    request = tabular_request(w)
    request.params["target_column"] = "defect"
    with tenant_context(w.company), pytest.raises(LaunchError) as refused:
        launch(tenant=w.company, actor=w.owner.user, request=request)
    assert refused.value.field == "target_column" or refused.value.field == "dataset_csv"
    assert "defect" in str(refused.value.message)
    assert not Job.unscoped.exists() and not Hold.unscoped.exists()
    staging = tmp_path / "jobs" / "staging"
    assert not staging.exists() or not any(staging.iterdir())
