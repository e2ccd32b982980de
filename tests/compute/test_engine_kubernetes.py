"""The batch/v1 Job a pool on Kubernetes would run, checked against the official client's models.
(No cluster is reachable from CI; submitting is written for one but not exercised here.)"""

import copy

import pytest
from kubernetes import client

from compute.engines.base import EngineError, JobSpec, get_engine
from compute.engines.kubernetes import KubernetesEngine, job_name, validate_manifest


@pytest.fixture
def jobs_root(tmp_path):
    return tmp_path / "jobs"


@pytest.fixture
def engine(tmp_path, jobs_root):
    return KubernetesEngine(tmp_path / "k8s", jobs_root=jobs_root, namespace="factory", image="workloads:1")


def spec_for(jobs_root, resource: str, *, cards: int = 2, **placement) -> JobSpec:
    job_dir = jobs_root / "7" / "42" / "attempt-1"
    job_dir.mkdir(parents=True, exist_ok=True)
    return JobSpec(
        key="job-42-attempt-1",
        workload="tabular_train",
        job_dir=job_dir,
        cards=cards,
        pool="pool-3",
        pool_cards=8,
        time_limit_seconds=1800,
        env={"WORKLOAD_SLOWDOWN_SECONDS": "0"},
        placement={"gres_type": "ignored-here", "resource_name": resource, **placement},
        labels={"tenant": "7", "job": "42", "attempt": "1"},
    )


@pytest.mark.parametrize(
    "resource",
    ["nvidia.com/gpu", "huawei.com/Ascend910B3", "cambricon.com/mlu", "hygon.com/dcu", "iluvatar.ai/gpu"],
)
def test_manifest_asks_for_the_chips_extended_resource_with_requests_equal_to_limits(engine, jobs_root, resource):
    manifest = engine.render_manifest(spec_for(jobs_root, resource, cards=2))
    job = validate_manifest(manifest)
    assert isinstance(job, client.V1Job)
    container = job.spec.template.spec.containers[0]
    assert container.resources.requests[resource] == "2"
    assert container.resources.requests == container.resources.limits == {resource: "2", "cpu": "2", "memory": "8Gi"}


def test_manifest_carries_tenant_labels_deadline_and_one_try(engine, jobs_root):
    manifest = engine.render_manifest(spec_for(jobs_root, "huawei.com/Ascend910B3"))
    job = validate_manifest(manifest)
    labels = {
        "app.kubernetes.io/managed-by": "ai-factory-portal",
        "ai-factory.portal/tenant": "7",
        "ai-factory.portal/job": "42",
        "ai-factory.portal/attempt": "1",
        "ai-factory.portal/pool": "pool-3",
    }
    assert (manifest["apiVersion"], manifest["kind"]) == ("batch/v1", "Job")
    assert job.metadata.name == "job-42-attempt-1" and job.metadata.namespace == "factory"
    assert job.metadata.labels == job.spec.template.metadata.labels == labels
    assert job.spec.active_deadline_seconds == 1800
    assert job.spec.backoff_limit == 0 and job.spec.template.spec.restart_policy == "Never"
    container = job.spec.template.spec.containers[0]
    assert container.image == "workloads:1"
    assert container.command[-1] == "exec python -m workloads tabular_train --job-dir /job >>/job/log.txt 2>&1"
    # Only this attempt's folder of the shared jobs volume is visible to the workload.
    assert [(m.mount_path, m.sub_path) for m in container.volume_mounts] == [("/job", "7/42/attempt-1")]
    assert {"name": "WORKLOAD_SLOWDOWN_SECONDS", "value": "0"} in manifest["spec"]["template"]["spec"]["containers"][0][
        "env"
    ]


def test_pool_settings_choose_namespace_node_selector_and_image(engine, jobs_root):
    spec = spec_for(
        jobs_root, "nvidia.com/gpu", namespace="tenant-pool", node_selector={"gpu": "a100"}, image="workloads:cuda"
    )
    job = validate_manifest(engine.render_manifest(spec))
    assert job.metadata.namespace == "tenant-pool"
    assert job.spec.template.spec.node_selector == {"gpu": "a100"}
    assert job.spec.template.spec.containers[0].image == "workloads:cuda"


def test_validation_rejects_fields_the_models_do_not_know_and_missing_required_ones(engine, jobs_root):
    manifest = engine.render_manifest(spec_for(jobs_root, "nvidia.com/gpu"))
    misspelt = copy.deepcopy(manifest)
    misspelt["spec"]["activeDeadlineSecond"] = 60
    with pytest.raises(EngineError, match=r"\.spec\.activeDeadlineSecond"):
        validate_manifest(misspelt)
    nameless = copy.deepcopy(manifest)
    del nameless["spec"]["template"]["spec"]["containers"][0]["name"]
    with pytest.raises(EngineError, match="name"):
        validate_manifest(nameless)
    bad_label = copy.deepcopy(manifest)
    bad_label["metadata"]["labels"]["ai-factory.portal/tenant"] = "not ok!"
    with pytest.raises(EngineError, match="label"):
        validate_manifest(bad_label)


def test_a_pool_without_a_valid_resource_name_or_outside_the_volume_is_refused(engine, jobs_root, tmp_path):
    with pytest.raises(EngineError, match="resource name"):
        engine.render_manifest(spec_for(jobs_root, "x y"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spec = spec_for(jobs_root, "nvidia.com/gpu")
    with pytest.raises(EngineError, match="jobs volume"):
        engine.render_manifest(JobSpec(**{**spec.__dict__, "job_dir": elsewhere}))


def test_job_names_are_dns_labels_and_the_engine_is_registered(tmp_path):
    assert job_name("job-42-attempt-1") == "job-42-attempt-1"
    assert job_name("Job_42/Attempt 1") == "job-42-attempt-1"
    engine = get_engine("kubernetes", {"root": tmp_path, "jobs_root": tmp_path})
    assert isinstance(engine, KubernetesEngine)
    assert engine.status("factory/job-1-attempt-1").state == "lost"  # never submitted here
