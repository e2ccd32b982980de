"""The Kubernetes engine: each job attempt is one batch/v1 Job in the pool's namespace.

``render_manifest()`` is the contract and is tested: the chip type's extended resource (e.g.
``huawei.com/Ascend910B3``) with requests equal to limits, the tenant, job and attempt as labels, the
time limit (already cut to the deadline) as ``activeDeadlineSeconds``, one try (a retry is a new
attempt of the portal's job), and only this attempt's folder of the shared jobs volume mounted at
``/job``. ``validate_manifest()`` checks it against the official client's OpenAPI models.

Submitting, polling, cancelling and reading logs use the official ``kubernetes`` client and are
written to work against a real cluster, but no cluster is reachable from this project's machines, so
that half is untested here (see the README). The workload appends its output to ``/job/log.txt`` on
the shared volume, so the portal tails logs from the file, as for the other engines; the final state
is kept under ``root``, because finished Jobs are deleted after ``ttlSecondsAfterFinished``.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from compute.engines.base import Engine, EngineError, EngineState, EngineStatus, JobSpec
from compute.engines.local import _percent, _read_whole_characters
from compute.engines.local_runner import exit_reason
from compute.engines.local_store import create_json, read_json, write_json

LABEL_PREFIX = "ai-factory.portal/"
JOB_MOUNT = "/job"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_RESOURCE_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_WORKLOAD_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# Pod scheduling failures that mean "the cards are busy" (the scheduler's reason is Unschedulable).
_UNSCHEDULABLE = "Unschedulable"


class KubernetesEngine(Engine):
    """Runs ``python -m <workload_module> <workload> --job-dir /job`` in ``image`` as a batch/v1 Job.

    Per pool (``JobSpec.placement``): ``resource_name`` (default the chip type's extended resource),
    ``namespace``, ``node_selector`` (a dict of node labels), ``image``.
    """

    name = "kubernetes"

    def __init__(
        self,
        root: Path | str,
        *,
        jobs_root: Path | str,
        jobs_volume_claim: str = "portal-jobs",
        namespace: str = "portal-jobs",
        image: str = "registry.example/ai-factory/workloads:latest",
        python: str = "python",
        workload_module: str = "workloads",
        cpu: str = "2",
        memory: str = "8Gi",
        service_account: str = "",
        ttl_seconds_after_finished: int = 86_400,
        kubeconfig: str = "",
        in_cluster: bool = False,
    ) -> None:
        self.root = Path(root)
        self.jobs_root = Path(jobs_root)
        self.jobs_volume_claim = jobs_volume_claim
        self.namespace = namespace
        self.image = image
        self.python = python
        self.workload_module = workload_module
        self.cpu = cpu
        self.memory = memory
        self.service_account = service_account
        self.ttl_seconds_after_finished = ttl_seconds_after_finished
        self.kubeconfig = kubeconfig
        self.in_cluster = in_cluster

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KubernetesEngine:
        """Build from a settings dict; by default records in ``<VAR_DIR>/kubernetes``, jobs in ``JOBS_ROOT``."""
        options = dict(config)
        if "root" not in options or "jobs_root" not in options:
            from django.conf import settings  # only for these defaults

            options.setdefault("root", Path(settings.VAR_DIR) / "kubernetes")
            options.setdefault("jobs_root", settings.JOBS_ROOT)
        return cls(**options)

    # -----------------------------------------------------------------------------------------
    # The manifest
    # -----------------------------------------------------------------------------------------

    def render_manifest(self, spec: JobSpec) -> dict[str, Any]:
        """The batch/v1 Job for one attempt, as the API server takes it (camelCase JSON)."""
        if not _WORKLOAD_NAME.fullmatch(spec.workload):
            raise EngineError(f"invalid workload name {spec.workload!r}")
        if spec.cards < 1 or spec.time_limit_seconds <= 0:
            raise EngineError("a job needs at least one card and a positive time limit")
        placement = spec.placement
        resource = str(placement.get("resource_name", ""))
        if not _RESOURCE_NAME.fullmatch(resource):
            raise EngineError(f"the pool has no valid Kubernetes resource name for its chip ({resource!r})")
        try:
            folder = spec.job_dir.resolve().relative_to(self.jobs_root.resolve()).as_posix()
        except ValueError:
            raise EngineError(f"{spec.job_dir} is not on the jobs volume ({self.jobs_root})") from None
        labels = {"app.kubernetes.io/managed-by": "ai-factory-portal"} | {
            f"{LABEL_PREFIX}{name}": _label_value(value) for name, value in spec.labels.items()
        }
        labels[f"{LABEL_PREFIX}pool"] = _label_value(spec.pool)
        amount = {resource: str(spec.cards), "cpu": self.cpu, "memory": self.memory}
        command = [self.python, "-m", self.workload_module, spec.workload, "--job-dir", JOB_MOUNT]
        pod_spec: dict[str, Any] = {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "workload",
                    "image": str(placement.get("image") or self.image),
                    # Output goes to the job's log file on the shared volume, which the portal tails.
                    "command": ["/bin/sh", "-c", f"exec {shlex.join(command)} >>{JOB_MOUNT}/log.txt 2>&1"],
                    "workingDir": JOB_MOUNT,
                    "env": [{"name": name, "value": value} for name, value in sorted(spec.env.items())]
                    + [{"name": "PYTHONUNBUFFERED", "value": "1"}],
                    "resources": {"requests": dict(amount), "limits": dict(amount)},
                    "volumeMounts": [{"name": "job", "mountPath": JOB_MOUNT, "subPath": folder}],
                }
            ],
            "volumes": [{"name": "job", "persistentVolumeClaim": {"claimName": self.jobs_volume_claim}}],
        }
        if placement.get("node_selector"):
            pod_spec["nodeSelector"] = {str(k): str(v) for k, v in dict(placement["node_selector"]).items()}
        if self.service_account:
            pod_spec["serviceAccountName"] = self.service_account
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": job_name(spec.key),
                "namespace": self._namespace(placement),
                "labels": labels,
                "annotations": {f"{LABEL_PREFIX}key": spec.key},
            },
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": spec.time_limit_seconds,
                "ttlSecondsAfterFinished": self.ttl_seconds_after_finished,
                "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            },
        }

    def _namespace(self, placement: Mapping[str, Any]) -> str:
        namespace = str(placement.get("namespace") or self.namespace)
        if not _DNS_LABEL.fullmatch(namespace) or len(namespace) > 63:
            raise EngineError(f"invalid namespace {namespace!r}")
        return namespace

    # -----------------------------------------------------------------------------------------
    # The engine interface (against a live cluster)
    # -----------------------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> str:
        """Create the Job; a Job of the same name (the key's) already there is this job: same id."""
        manifest = self.render_manifest(spec)
        validate_manifest(manifest)
        namespace, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
        engine_id = f"{namespace}/{name}"
        from kubernetes.client.rest import ApiException

        try:
            self._batch().create_namespaced_job(namespace, manifest)
        except ApiException as error:
            if error.status != 409:  # 409: it exists, from an earlier try of this very submit
                raise EngineError(f"creating job {engine_id} failed: {error.reason}") from error
        self._records().mkdir(parents=True, exist_ok=True)
        create_json(self._record_path(engine_id), {"engine_id": engine_id, "job_dir": str(spec.job_dir.resolve())})
        return engine_id

    def purge(self, older_than: timedelta) -> int:
        cutoff = time.time() - older_than.total_seconds()
        dropped = 0
        for path in self._records().glob("*.json"):
            try:
                ended = bool((read_json(path) or {}).get("final")) and path.stat().st_mtime < cutoff
            except OSError:
                continue
            if ended:
                path.unlink(missing_ok=True)
                dropped += 1
        return dropped

    def status(self, engine_id: str) -> EngineStatus:
        record = read_json(self._record_path(engine_id)) if _valid_id(engine_id) else None
        if record is None:
            return EngineStatus(EngineState.LOST, reason="no_record")
        job_dir = Path(record["job_dir"])
        final = record.get("final")
        if final is None:
            from kubernetes.client.rest import ApiException

            namespace, name = engine_id.split("/")
            try:
                job = self._batch().read_namespaced_job(name, namespace)
            except ApiException as error:
                if error.status != 404:
                    raise EngineError(f"reading job {engine_id} failed: {error.reason}") from error
                job = None
            final = self._ended(job, namespace, name, cancelled=bool(record.get("cancel_requested")))
            if final is None:
                return self._live(job, namespace, name, job_dir)
            record["final"] = final
            write_json(self._record_path(engine_id), record)
        progress = read_json(job_dir / "progress.json") or {}
        return EngineStatus(
            state=EngineState(final["state"]),
            started_at=_parse(final.get("started")),
            finished_at=_parse(final.get("finished")),
            exit_code=final.get("exit_code"),
            progress=_percent(progress.get("percent")),
            stage=str(progress.get("stage", "")),
            reason=final.get("reason", ""),
            error=read_json(job_dir / "error.json"),
        )

    def cancel(self, engine_id: str) -> None:
        """Delete the Job and its pod (Kubernetes stops the container with SIGTERM, then SIGKILL)."""
        record = read_json(self._record_path(engine_id)) if _valid_id(engine_id) else None
        if record is None or record.get("final"):
            return
        record["cancel_requested"] = True
        write_json(self._record_path(engine_id), record)
        from kubernetes.client.rest import ApiException

        namespace, name = engine_id.split("/")
        try:
            self._batch().delete_namespaced_job(name, namespace, propagation_policy="Background")
        except ApiException as error:
            if error.status != 404:
                raise EngineError(f"deleting job {engine_id} failed: {error.reason}") from error

    def logs(self, engine_id: str, offset: int = 0, limit: int = 64_000) -> tuple[str, int]:
        if offset < 0:
            raise ValueError("offset must not be negative")
        record = read_json(self._record_path(engine_id)) if _valid_id(engine_id) else None
        if record is None:
            return "", offset
        text, used = _read_whole_characters(Path(record["job_dir"]) / "log.txt", offset, limit)
        return text, offset + used

    def tick(self) -> None:
        """Nothing to do: Kubernetes schedules and enforces limits itself; status() reads each Job."""

    def _ended(self, job: Any, namespace: str, name: str, *, cancelled: bool) -> dict[str, Any] | None:
        if job is None:  # deleted: by a cancel, or by the TTL controller before we saw its end
            state = EngineState.CANCELLED if cancelled else EngineState.LOST
            return {"state": state.value, "reason": "cancelled" if cancelled else "forgotten"}
        status = job.status
        conditions = {c.type: c for c in status.conditions or [] if c.status == "True"}
        if "Complete" not in conditions and "Failed" not in conditions:
            return None
        terminated = self._terminated(namespace, name)
        exit_code = terminated.exit_code if terminated else None
        ended = conditions.get("Complete") or conditions["Failed"]
        if "Complete" in conditions:
            state, reason = EngineState.SUCCEEDED, ""
        elif conditions["Failed"].reason == "DeadlineExceeded":
            state, reason = EngineState.TIMED_OUT, "time_limit"
        else:
            state, reason = EngineState.FAILED, exit_reason(exit_code) if exit_code else "failed"
        return {
            "state": state.value,
            "reason": reason,
            "exit_code": exit_code,
            "started": status.start_time.isoformat() if status.start_time else None,
            "finished": (status.completion_time or ended.last_transition_time).isoformat(),
        }

    def _live(self, job: Any, namespace: str, name: str, job_dir: Path) -> EngineStatus:
        if job.status.active and job.status.ready:
            progress = read_json(job_dir / "progress.json") or {}
            return EngineStatus(
                EngineState.RUNNING,
                started_at=job.status.start_time,
                progress=_percent(progress.get("percent")),
                stage=str(progress.get("stage", "")),
            )
        reason = self._pending_reason(namespace, name)
        return EngineStatus(
            EngineState.QUEUED,
            reason="no_free_cards" if reason == _UNSCHEDULABLE else "engine",
            stage=f"Kubernetes: pending ({reason})" if reason else "",
        )

    def _pods(self, namespace: str, name: str) -> list[Any]:
        core = self._core()
        return core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items

    def _pending_reason(self, namespace: str, name: str) -> str:
        for pod in self._pods(namespace, name):
            for condition in pod.status.conditions or []:
                if condition.type == "PodScheduled" and condition.status == "False":
                    return condition.reason or ""
        return ""

    def _terminated(self, namespace: str, name: str) -> Any:
        for pod in self._pods(namespace, name):
            for container in pod.status.container_statuses or []:
                if container.state and container.state.terminated:
                    return container.state.terminated
        return None

    def _batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self._api_client())

    def _core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self._api_client())

    def _api_client(self) -> Any:
        from kubernetes import client, config

        if self.in_cluster:
            config.load_incluster_config()
            return client.ApiClient()
        return config.new_client_from_config(config_file=self.kubeconfig or None)

    def _records(self) -> Path:
        return self.root / "jobs"

    def _record_path(self, engine_id: str) -> Path:
        return self._records() / (engine_id.replace("/", "__") + ".json")


def job_name(key: str) -> str:
    """A DNS-1123 label for a submit key ("job-42-attempt-1" stays as it is)."""
    name = re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-")[:63].rstrip("-")
    if not name:
        raise EngineError(f"cannot make a Kubernetes name of {key!r}")
    return name


def validate_manifest(manifest: dict[str, Any]) -> Any:
    """Check a manifest against the official client's OpenAPI models and return it as a ``V1Job``.

    The models enforce required fields and types; a round trip back to JSON must give the manifest
    unchanged, which catches a misspelt or misplaced field (the models would drop it silently).
    """
    from kubernetes import client

    api = client.ApiClient()
    try:
        job = api._ApiClient__deserialize(manifest, "V1Job")  # the client's own JSON → model path
    except (TypeError, ValueError) as error:
        raise EngineError(f"not a valid batch/v1 Job: {error}") from error
    round_trip = api.sanitize_for_serialization(job)
    if round_trip != manifest:
        raise EngineError(
            f"fields the Job model does not know or types it does not take: {_diff(manifest, round_trip)}"
        )
    for labels in (manifest["metadata"].get("labels", {}), manifest["spec"]["template"]["metadata"].get("labels", {})):
        for value in labels.values():
            if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
                raise EngineError(f"invalid label value {value!r}")
    return job


def _diff(expected: Any, actual: Any, path: str = "") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            if expected.get(key) != actual.get(key):
                return _diff(expected.get(key), actual.get(key), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            if left != right:
                return _diff(left, right, f"{path}[{index}]")
    return f"{path or '.'}: {expected!r} became {actual!r}"


def _label_value(value: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(value))[:63].strip("-_.")
    return cleaned


def _valid_id(engine_id: str) -> bool:
    parts = engine_id.split("/")
    return len(parts) == 2 and all(_DNS_LABEL.fullmatch(part) for part in parts)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
