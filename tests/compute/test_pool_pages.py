"""The operators' pool page: utilisation now, the chart of cards in use, and its query count."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compute.models import PoolSample
from compute.selectors import pool_history, pool_rows
from jobs.models import JobState
from tests.compute import world as compute_world
from tests.conftest import member_client

HX = {"HX-Request": "true"}


@pytest.fixture
def w(db):
    return compute_world.build()


def sample(pool, at, cards_in_use: int) -> PoolSample:
    return PoolSample.objects.create(
        pool=pool, at=at, cards_in_use=cards_in_use, total_cards=pool.total_cards, queued_jobs=0, running_jobs=1
    )


def test_pools_table_shows_cards_in_use_and_queues(w):
    response = member_client(w.staff).get(reverse("compute-operator:pools"))

    assert response.status_code == 200
    pools = {p.name: p for p in response.context["pools"]}
    ascend = pools["Ascend 910B pool"]
    # Running 2 cards (queued jobs wait for cards, they do not use them); one queued, none running elsewhere.
    assert (ascend.cards_in_use, ascend.total_cards, ascend.running_jobs, ascend.queued_jobs) == (2, 32, 1, 1)
    assert (pools["A100 80GB pool"].cards_in_use, pools["A100 80GB pool"].queued_jobs) == (0, 1)
    assert (pools["H800 pool"].cards_in_use, pools["H800 pool"].running_jobs) == (4, 1)
    body = response.content.decode()
    assert "2 / 32" in body and "4 / 32" in body
    assert 'id="pool-history"' in body and "js/compute-charts.js" in body


def test_history_takes_the_busiest_minute_of_each_interval(w):
    now = timezone.now().replace(hour=12, minute=34, second=56)
    sample(w.ascend_pool, now.replace(minute=21, second=0), 3)
    sample(w.ascend_pool, now.replace(minute=25, second=0), 7)
    sample(w.ascend_pool, now.replace(minute=33, second=0), 5)
    sample(w.ascend_pool, now - timedelta(hours=30), 9)  # outside 24 h

    history = pool_history(pool_rows(), "24h", now=now)

    assert len(history.labels) == 144
    local = timezone.localtime(now)
    assert history.labels[-1] == local.replace(minute=30).strftime("%H:%M")
    ascend = next(s for s in history.series if s["label"] == "Ascend 910B pool")
    assert ascend["data"][-2:] == [7, 5]
    assert ascend["data"][:-2] == [None] * 142
    assert all(v is None for s in history.series if s is not ascend for v in s["data"])

    week = pool_history(pool_rows(), "7d", now=now)
    ascend = next(s for s in week.series if s["label"] == "Ascend 910B pool")
    assert len(week.labels) == 168
    assert ascend["data"][-1] == 7 and ascend["data"][-31] == 9 and ascend["data"].count(None) == 166


def test_range_toggle_returns_the_chart_fragment(w):
    sample(w.h800_pool, timezone.now() - timedelta(days=3), 4)
    client = member_client(w.staff)

    response = client.get(reverse("compute-operator:pools"), {"range": "7d"}, headers=HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="pool-chart">')
    chart = json.loads(re.search(r'<script id="pool-history" type="application/json">(.*?)</script>', body)[1])
    assert chart["range"] == "7d" and len(chart["labels"]) == 168
    h800 = next(s for s in chart["datasets"] if s["label"] == "H800 pool")
    assert h800["data"].count(4) == 1
    assert chart["y_label"] == "Cards in use"

    assert client.get(reverse("compute-operator:pools"), {"range": "1y"}).context["range"] == "24h"


def test_the_page_takes_the_same_queries_for_3_and_20_pools(w):
    client = member_client(w.staff)
    url = reverse("compute-operator:pools")
    now = timezone.now()
    for p in (w.ascend_pool, w.a100_pool, w.h800_pool):
        sample(p, now - timedelta(minutes=30), 2)
    client.get(url)  # warm the session and the chip cache alike for both counts
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(url).context["pools"]) == 3

    for i in range(17):
        extra = compute_world.pool(w.idc, w.a100, f"Extra {i:02d}", 8)
        compute_world.job(w.company, extra, w.solution, cards=1, state=JobState.RUNNING)
        sample(extra, now - timedelta(minutes=30), 1)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(url)
    assert len(response.context["pools"]) == 20
    assert len(twenty) == len(three), [q["sql"] for q in twenty.captured_queries]


def test_company_members_cannot_see_pools(w):
    for member in (w.owner, w.developer):
        assert member_client(member).get(reverse("compute-operator:pools")).status_code == 403


def test_the_api_gives_the_charts_numbers(w):
    sample(w.ascend_pool, timezone.now(), 6)  # in the last interval, whatever the minute
    client = member_client(w.staff)

    data = client.get(reverse("api:operator-pool-history")).json()
    assert data["range"] == "24h" and len(data["interval_starts"]) == 144
    ascend = next(p for p in data["pools"] if p["name"] == "Ascend 910B pool")
    assert ascend["pool"] == w.ascend_pool.pk and 6 in ascend["cards_in_use"][-2:]
    assert len(client.get(reverse("api:operator-pool-history"), {"range": "7d"}).json()["interval_starts"]) == 168
    assert client.get(reverse("api:operator-pool-history"), {"range": "1y"}).status_code == 400
    assert member_client(w.owner).get(reverse("api:operator-pool-history")).status_code == 403
