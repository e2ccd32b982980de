"""What every compute engine promises: submit a job and forget it, then ask, cancel and tail logs.

Celery never waits on a job. A task submits and stores the returned engine id; short periodic tasks
call ``tick()`` and ``status()`` to reconcile. The contract is shaped so that a batch scheduler
(Slurm) fits behind it as well as local processes: ids are strings the engine chooses, state is
polled, and a submit is idempotent on the caller's key so a retried task never starts a job twice.

No Django here: engines are plain objects configured by a dict, so the runner processes they
start never have to set up the web application.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Self


@dataclass(frozen=True)
class JobSpec:
    """One attempt at running a workload, as the portal hands it to an engine.

    ``key`` is the idempotency key ("job-42-attempt-1"): submitting it again returns the same engine
    id. ``job_dir`` already holds params.json and inputs/; the workload writes output/,
    progress.json and error.json there. ``cards`` of the pool's ``pool_cards`` slots are held while
    the job runs. ``placement`` is where on the engine the pool's jobs go (the operator's per-pool
    engine settings over the chip type's scheduler names, e.g. a Slurm partition and GRES type);
    ``labels`` say whose job it is (tenant, job, attempt) for engines that tag what they create.
    """

    key: str
    workload: str
    job_dir: Path
    cards: int
    pool: str
    pool_cards: int
    time_limit_seconds: int
    env: dict[str, str] = field(default_factory=dict)
    placement: Mapping[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


class EngineState(StrEnum):
    """Where a job is, as far as the engine knows."""

    QUEUED = "queued"  # accepted, waiting for card slots
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    LOST = "lost"  # no record, or the process vanished without leaving an exit status

    @property
    def is_terminal(self) -> bool:
        """Whether the job can no longer change state (so its slots are free)."""
        return self not in (EngineState.QUEUED, EngineState.RUNNING)


@dataclass
class EngineStatus:
    """A snapshot of one job; ``reason`` is a stable machine-ish word such as "no_free_cards",
    "exit_code_1", "input_error" or "time_limit", for the portal to translate."""

    state: EngineState
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    progress: float | None = None
    stage: str = ""
    reason: str = ""
    error: dict[str, Any] | None = None
    ahead: int | None = None  # while queued: jobs before this one in the engine's queue, if it knows


class EngineError(Exception):
    """An engine cannot do what was asked (bad configuration, unknown engine name)."""


class Engine(ABC):
    """The interface the jobs app programs against; see the module docstring for the protocol."""

    name: ClassVar[str]
    # Engines that keep records on disk: the folder under VAR_DIR used when settings give no ``root``.
    default_root: ClassVar[str | None] = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build the engine from its settings dict; without a ``root``, records go to
        ``<VAR_DIR>/<default_root>`` (Django is imported only for that default, so runner processes
        that pass a root never need it)."""
        options = dict(config)
        if cls.default_root and "root" not in options:
            from django.conf import settings

            options["root"] = Path(settings.VAR_DIR) / cls.default_root
        return cls(**options)

    @abstractmethod
    def submit(self, spec: JobSpec) -> str:
        """Accept the job and return its engine id without waiting for it to start.

        Idempotent on ``spec.key``: the same key returns the same id and never starts a second run.
        """

    @abstractmethod
    def status(self, engine_id: str) -> EngineStatus:
        """Return the job's current state cheaply; an unknown id is ``LOST``."""

    @abstractmethod
    def cancel(self, engine_id: str) -> None:
        """Ask the job to stop and return at once; cancelling a finished or unknown job does nothing."""

    @abstractmethod
    def logs(self, engine_id: str, offset: int = 0, limit: int = 64_000) -> tuple[str, int]:
        """Return up to ``limit`` bytes of log from byte ``offset``, decoded, and the offset to ask for next.

        A multibyte character cut by ``limit`` is left for the next call, so tailing never garbles text.
        """

    def purge(self, older_than: timedelta) -> int:
        """Drop the engine's own records of jobs that ended more than ``older_than`` ago (the
        portal has their final state by then; logs and outputs live in the job's folder, not here).
        Jobs that have not ended are never touched. Returns how many were dropped; engines that keep
        no records need not override it."""
        return 0

    @abstractmethod
    def tick(self) -> None:
        """Reconcile everything: reap finished jobs, start queued ones, stop jobs past their time limit.

        The periodic reconciler calls this; ``status()`` does the same for a single job.
        """


_REGISTRY: dict[str, str] = {
    "local": "compute.engines.local.LocalEngine",
    "slurm": "compute.engines.slurm.SlurmEngine",
    "kubernetes": "compute.engines.kubernetes.KubernetesEngine",
}


def register_engine(name: str, dotted_path: str) -> None:
    """Make an engine class available under ``name``; imported only when first asked for."""
    _REGISTRY[name] = dotted_path


def get_engine(name: str, config: Mapping[str, Any] | None = None) -> Engine:
    """Return the engine called ``name`` built from ``config`` (its settings dict)."""
    try:
        module_name, class_name = _REGISTRY[name].rsplit(".", 1)
    except KeyError:
        raise EngineError(f"unknown compute engine {name!r}") from None
    engine_class: type[Engine] = getattr(importlib.import_module(module_name), class_name)
    return engine_class.from_config(config or {})
