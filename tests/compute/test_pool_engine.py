"""Operators put a pool on an engine with its settings (a Slurm partition, a Kubernetes namespace),
checked with messages they can act on; jobs submitted afterwards carry them as their placement."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from compute.models import Pool
from tests.compute import world as compute_world
from tests.conftest import member_client


@pytest.fixture
def w(db):
    return compute_world.build()


def url(pool) -> str:
    return reverse("compute-operator:pool-engine", args=[pool.pk])


def test_operator_puts_a_pool_on_slurm(w):
    client = member_client(w.staff)
    assert 'id="pool-engine-form"' in client.get(url(w.ascend_pool)).content.decode()

    response = client.post(
        url(w.ascend_pool), {"engine": "slurm", "engine_config": '{"partition": "ascend", "qos": "normal"}'}
    )

    assert response.status_code == 302
    pool = Pool.objects.get(pk=w.ascend_pool.pk)
    assert (pool.engine, pool.engine_config) == ("slurm", {"partition": "ascend", "qos": "normal"})
    assert pool.engine_placement() == {
        "gres_type": pool.chip_type.slurm_gres,
        "resource_name": pool.chip_type.k8s_resource,
        "partition": "ascend",
        "qos": "normal",
    }
    entry = AuditEntry.unscoped.get(action="pool.engine")
    assert entry.before == {"engine": "local", "engine_config": {}}
    assert entry.after == {"engine": "slurm", "engine_config": {"partition": "ascend", "qos": "normal"}}


@pytest.mark.parametrize(
    ("engine", "config", "message"),
    [
        ("slurm", "{}", "Set “partition”: the slurm engine needs it."),
        ("slurm", '{"partition": "a b"}', "“partition” must be a Slurm name"),
        ("slurm", '{"partition": "gpu", "namespace": "x"}', "“namespace” is not a setting of the slurm engine"),
        ("kubernetes", '{"namespace": "Not_OK"}', "“namespace” must be a Kubernetes namespace"),
        ("kubernetes", '{"resource_name": "gpu"}', "“resource_name” must be an extended resource"),
        ("kubernetes", '{"node_selector": ["a"]}', "“node_selector” must map node label names to values"),
        ("local", '{"partition": "gpu"}', "The local engine takes no settings"),
        ("slurm", "[1, 2]", "must be a JSON object"),
        ("slurm", "{partition: gpu}", "Enter a valid JSON."),
    ],
)
def test_bad_settings_are_refused_with_a_message_and_change_nothing(w, engine, config, message):
    response = member_client(w.staff).post(url(w.ascend_pool), {"engine": engine, "engine_config": config})

    assert response.status_code == 400
    assert message in response.content.decode()
    pool = Pool.objects.get(pk=w.ascend_pool.pk)
    assert (pool.engine, pool.engine_config) == ("local", {})
    assert not AuditEntry.unscoped.filter(action="pool.engine").exists()
