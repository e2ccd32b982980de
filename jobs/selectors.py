"""Reads for the jobs pages and API: the launch page's pools and estimate, a job's timeline, logs
and results. Everything tenant-owned goes through the scoped managers, so it only ever sees the
active tenant's jobs."""

from __future__ import annotations

import codecs
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from billing.models import PriceUnit
from billing.services import ledger, pricebook
from catalog.choices import OfferingKind
from catalog.models import Offering, OfferingVersion
from catalog.rendering import render_markdown
from catalog.selectors import live_version_by_slug
from compute import quotas
from jobs import storage
from jobs.models import ACTIVE_STATES, Job, JobArtifact, JobEvent, JobState
from jobs.services import launch, lifecycle

log = logging.getLogger(__name__)

LOG_CHUNK_BYTES = 64_000
INLINE_MAX_BYTES = 512 * 1024  # larger outputs are for downloading, not for showing on the page
MARKDOWN_OUTPUTS = ("answers.md", "summaries.md")

# Timeline reasons that are not failures (failures are in lifecycle.FAILURE_MESSAGES).
REASON_LABELS = {
    "launched": _("Launched and paid for (funds held)."),
    "admitted": _("Quota granted; handed to the compute engine."),
    "started": _("Cards assigned; the workload is starting."),
    "progress": _("The workload is running."),
    "succeeded": _("Finished successfully."),
    "retry": _("Retried as a new attempt."),
    "failed": _("The workload stopped with an error."),
}
METRIC_LABELS = {
    "accuracy": _("Accuracy"),
    "balanced_accuracy": _("Balanced accuracy"),
    "f1_macro": _("F1 score (macro average)"),
    "f1_weighted": _("F1 score (weighted average)"),
    "majority_class": _("Most common class"),
    "majority_class_accuracy": _("Accuracy of always guessing the most common class"),
    "mae": _("Mean absolute error"),
    "rmse": _("Root mean squared error"),
    "r2": _("R² (share of the variation explained)"),
    "mean_baseline_mae": _("Mean absolute error of always guessing the average"),
    "mean_baseline_rmse": _("Root mean squared error of always guessing the average"),
}
PERCENT_METRICS = frozenset({"accuracy", "balanced_accuracy", "majority_class_accuracy"})


# ---------------------------------------------------------------------------------------------
# Launch page
# ---------------------------------------------------------------------------------------------


def live_template(slug: str) -> OfferingVersion | None:
    """What `slug` launches: a published solution template, or a published model (run as a trial on
    your documents, see `launch.as_launchable`); None for a pool or a draft."""
    from jobs.services.launch import as_launchable

    version = live_version_by_slug(slug)
    if version is None or version.kind not in (OfferingKind.SOLUTION, OfferingKind.MODEL):
        return None
    return as_launchable(version)


@dataclass(frozen=True)
class PoolOption:
    """A pool as the launch page shows it: the service's verdict plus what a buyer compares."""

    choice: launch.PoolChoice
    price_fen: int | None  # per card-hour

    @property
    def pool(self):
        return self.choice.pool

    @property
    def usable(self) -> bool:
        return self.choice.usable and self.price_fen is not None

    @property
    def reason(self) -> str:
        if self.choice.usable and self.price_fen is None:
            return str(_("This pool has no price yet, so it cannot be launched on."))
        return self.choice.reason

    @property
    def sizes(self) -> list[int]:
        return self.choice.sizes if self.usable else []

    @property
    def offering_version(self):
        return self.pool.offering.live_version

    @property
    def score(self) -> int:
        """The model's measured score on this chip when there is one, else the chip's own."""
        return self.choice.compat.score if self.choice.compat else self.pool.chip_type.perf_score

    @property
    def price(self) -> str:
        return ledger.format_fen(self.price_fen) if self.price_fen is not None else ""


def pool_options(version: OfferingVersion) -> list[PoolOption]:
    return [PoolOption(choice, _card_hour_fen(choice.pool.offering_id)) for choice in launch.pool_choices(version)]


def _card_hour_fen(offering_id: int) -> int | None:
    entry = pricebook.current_price(offering_id, PriceUnit.CARD_HOUR)
    return entry.amount_fen if entry else None


@dataclass
class Sizing:
    """The chosen pool and size, what a typical run costs there, and whether funds and quota allow it."""

    option: PoolOption | None
    cards: int | None
    estimate: pricebook.Estimate | None = None
    balance_fen: int = 0
    quota_exceeded: bool = False
    month_exceeded: bool = False
    will_wait: bool = False
    limits: quotas.Limits | None = None
    usage: quotas.Usage | None = None

    @property
    def sizes(self) -> list[int]:
        return self.option.sizes if self.option else []

    @property
    def short_fen(self) -> int:
        return max(0, self.estimate.to_pay_fen - self.balance_fen) if self.estimate else 0

    @property
    def hours(self) -> float:
        return self.estimate.minutes / 60 if self.estimate else 0.0

    def money(self) -> dict[str, str]:
        """The amounts as ¥ strings, for templates (which cannot call format_fen)."""
        e = self.estimate
        amounts = {"balance": self.balance_fen, "short": self.short_fen}
        if e is not None:
            amounts |= {
                "total": e.total_fen,
                "compute": e.compute_fen,
                "run": e.run_fen,
                "card_hour": e.card_hour_fen,
                "voucher": e.voucher_fen,
                "to_pay": e.to_pay_fen,
            }
        return {key: ledger.format_fen(value) for key, value in amounts.items()}


def sizing(version: OfferingVersion, tenant, options: list[PoolOption], pool_id: Any, cards: Any) -> Sizing:
    """The estimate fragment's facts for the pool and size picked (or the best usable pool and the
    template's default size when nothing usable is picked)."""
    usable = [o for o in options if o.usable]
    option = next((o for o in usable if str(o.pool.pk) == str(pool_id)), usable[0] if usable else None)
    result = Sizing(option=option, cards=None, balance_fen=ledger.balance(tenant))
    if option is None:
        return result
    result.cards = _pick_size(option.sizes, cards, version.default_cards)
    result.estimate = launch.quote(version, option.pool, result.cards, tenant)
    limits = quotas.limits_for(tenant, option.pool.chip_type_id)
    usage = quotas.usage_for(tenant, option.pool.chip_type_id)
    result.limits, result.usage = limits, usage
    result.quota_exceeded = result.cards > limits.concurrent_cards
    needed_hours = result.cards * launch.typical_minutes(version) / 60
    result.month_exceeded = usage.card_hours_month + needed_hours > limits.card_hours_month
    result.will_wait = not result.quota_exceeded and not quotas.fits_now(limits, usage, result.cards)
    return result


def _pick_size(sizes: list[int], wanted: Any, default: int | None) -> int:
    for candidate in (wanted, default):
        try:
            if int(candidate) in sizes:
                return int(candidate)
        except (TypeError, ValueError):
            continue
    return sizes[0]


# ---------------------------------------------------------------------------------------------
# Jobs list
# ---------------------------------------------------------------------------------------------


def job_rows(queryset: QuerySet[Job]) -> QuerySet[Job]:
    """What a row of the jobs table shows, in one query whatever the number of jobs."""
    return queryset.select_related("version", "offering", "pool__chip_type").order_by("-created_at", "-id")


def launched_templates() -> list[tuple[str, str]]:
    """(slug, name) of the templates the active tenant has launched, for the list's filter."""
    ids = Job.objects.values("offering_id").distinct()
    offerings = Offering.unscoped.filter(pk__in=ids).select_related("live_version").order_by("slug")
    return [(o.slug, o.live_version.name if o.live_version else o.slug) for o in offerings]


# ---------------------------------------------------------------------------------------------
# Job page
# ---------------------------------------------------------------------------------------------


def job_for_page(pk: int) -> Job | None:
    return Job.objects.select_related("version", "offering", "pool__chip_type", "created_by").filter(pk=pk).first()


def reason_text(reason: str, detail: str = "") -> str:
    """A timeline reason code in the reader's language; the detail when we have no words for it."""
    if reason in lifecycle.FAILURE_MESSAGES:
        return str(lifecycle.FAILURE_MESSAGES[reason])
    if reason in REASON_LABELS:
        return str(REASON_LABELS[reason])
    return detail or reason


def failure_text(job: Job) -> str:
    return str(lifecycle.FAILURE_MESSAGES.get(job.failure, job.failure))


@dataclass(frozen=True)
class TimelineEntry:
    event: JobEvent
    from_label: str
    to_label: str
    text: str


def timeline(job: Job) -> list[TimelineEntry]:
    labels = dict(JobState.choices)
    return [
        TimelineEntry(
            e,
            str(labels.get(e.from_state, "")),
            str(labels.get(e.to_state, e.to_state)),
            reason_text(e.reason, e.detail),
        )
        for e in JobEvent.objects.filter(job=job).order_by("at", "id")
    ]


@dataclass(frozen=True)
class Attempt:
    number: int
    started: datetime
    ended: datetime | None
    state: str
    state_label: str


def attempts(entries: list[TimelineEntry]) -> list[Attempt]:
    """Each attempt's first and last moment and where it ended, from the timeline."""
    by_number: dict[int, list[TimelineEntry]] = {}
    for entry in entries:
        by_number.setdefault(entry.event.attempt, []).append(entry)
    result = []
    for number, rows in sorted(by_number.items()):
        last = rows[-1].event
        ended = last.at if last.to_state not in ACTIVE_STATES else None
        result.append(Attempt(number, rows[0].event.at, ended, last.to_state, rows[-1].to_label))
    return result


@dataclass(frozen=True)
class Usage:
    running_seconds: int
    card_hours_metered: float
    card_hours_so_far: float


def usage_so_far(job: Job) -> Usage:
    """Metered card-hours, plus the live figure while the job runs (metering lags by an interval)."""
    end = job.finished_at or timezone.now()
    running = int((end - job.started_at).total_seconds()) if job.started_at else 0
    metered = job.card_seconds / 3600
    live = job.cards * running / 3600 if job.is_active else metered
    return Usage(max(0, running), metered, max(metered, live))


@dataclass(frozen=True)
class Paid:
    """What the job's charges came to so far and who paid them (¥ strings)."""

    total_fen: int
    voucher_fen: int
    company_fen: int

    def money(self) -> dict[str, str]:
        return {
            "total": ledger.format_fen(self.total_fen),
            "voucher": ledger.format_fen(self.voucher_fen),
            "company": ledger.format_fen(self.company_fen),
        }


def paid_so_far(job: Job) -> Paid:
    from billing.models import Charge

    row = Charge.unscoped.filter(job_id=job.pk).aggregate(
        total=Sum("amount_fen", default=0), voucher=Sum("voucher_fen", default=0)
    )
    return Paid(row["total"], row["voucher"], row["total"] - row["voucher"])


def artifacts(job: Job) -> list[JobArtifact]:
    return list(JobArtifact.objects.filter(job=job).order_by("-attempt", "name"))


@dataclass(frozen=True)
class LogChunk:
    text: str
    next_offset: int
    done: bool


def read_log(job: Job, offset: int) -> LogChunk:
    """New log text from a byte offset: from the engine while the job runs there, else from the
    attempt's log file (where the engine kept it). `done` once the job is over and all is read."""
    offset = max(0, offset)
    if job.files_removed_at:
        return LogChunk("", offset, True)
    if job.is_active:
        if not job.engine_job_id:
            return LogChunk("", offset, False)
        try:
            text, next_offset = lifecycle.engine_for(job.engine).logs(job.engine_job_id, offset)
        except Exception:  # the engine being unreachable must not break the page; the next poll retries
            log.warning("reading the log of job %s failed", job.pk, exc_info=True)
            return LogChunk("", offset, False)
        return LogChunk(text, next_offset, False)
    text, next_offset, size = _read_file(storage.log_path(job), offset)
    return LogChunk(text, next_offset, next_offset >= size)


def _read_file(path: Path, offset: int) -> tuple[str, int, int]:
    """Up to LOG_CHUNK_BYTES from `offset`, without cutting a UTF-8 character; (text, next, size)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read(LOG_CHUNK_BYTES)
    except FileNotFoundError:
        return "", offset, 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(chunk, final=offset + len(chunk) >= size)
    pending = len(decoder.getstate()[0])
    return text, offset + len(chunk) - pending, size


# ---------------------------------------------------------------------------------------------
# Results shown on the page
# ---------------------------------------------------------------------------------------------


@dataclass
class Results:
    """What a succeeded job produced, made readable: Markdown reports, scores and top features."""

    documents: list[tuple[str, str]] = field(default_factory=list)  # (file name, safe HTML)
    facts: list[tuple[str, str]] = field(default_factory=list)
    scores: list[tuple[str, str]] = field(default_factory=list)
    per_class: list[dict] = field(default_factory=list)
    confusion: dict | None = None
    top_features: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.documents or self.facts or self.scores or self.top_features)


def results(job: Job, files: list[JobArtifact]) -> Results | None:
    if job.state != JobState.SUCCEEDED:
        return None
    mine = {a.name: a for a in files if a.attempt == job.attempt}
    found = Results()
    for name in MARKDOWN_OUTPUTS:
        text = _inline_text(job, mine.get(name))
        if text:
            found.documents.append((name, render_markdown(text)))
    metrics = _inline_json(job, mine.get("metrics.json"))
    if isinstance(metrics, dict):
        _add_metrics(found, metrics)
    result = _inline_json(job, mine.get("result.json"))
    if isinstance(result, dict):
        found.top_features = [f for f in result.get("top_features") or [] if isinstance(f, dict)][:10]
        if not found.facts:
            found.facts = _scalars(result, skip=("workload", "title", "seconds"))
    return found


def _inline_text(job: Job, artifact: JobArtifact | None) -> str:
    if artifact is None or artifact.size > INLINE_MAX_BYTES:
        return ""
    path = storage.artifact_path(job, artifact.attempt, artifact.name)
    return path.read_text(encoding="utf-8", errors="replace") if path else ""


def _inline_json(job: Job, artifact: JobArtifact | None) -> Any:
    text = _inline_text(job, artifact)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _add_metrics(found: Results, metrics: dict) -> None:
    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else metrics
    found.scores = [(str(METRIC_LABELS.get(k, k)), _format_metric(k, v)) for k, v in test.items() if _is_scalar(v)]
    per_class = test.get("per_class")
    if isinstance(per_class, dict):
        found.per_class = [{"label": label, **row} for label, row in per_class.items() if isinstance(row, dict)]
    matrix = test.get("confusion_matrix")
    if isinstance(matrix, dict) and isinstance(matrix.get("labels"), list) and isinstance(matrix.get("matrix"), list):
        found.confusion = {
            "labels": matrix["labels"],
            "rows": list(zip(matrix["labels"], matrix["matrix"], strict=False)),
        }
    rows = metrics.get("rows") if isinstance(metrics.get("rows"), dict) else {}
    found.facts = [
        (str(label), str(value))
        for label, value in (
            (_("Task"), metrics.get("task")),
            (_("Target column"), metrics.get("target")),
            (_("Model chosen"), metrics.get("model")),
            (_("Rows used for training"), rows.get("train")),
            (_("Rows held back for testing"), rows.get("test")),
        )
        if value not in (None, "")
    ]


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _format_metric(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and key in PERCENT_METRICS:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


# Labels for the facts workloads put in result.json; an unknown key is shown as it is.
FACT_LABELS = {
    "model": _("Model"),
    "documents": _("Documents"),
    "passages": _("Passages"),
    "questions": _("Questions"),
    "top_k": _("Passages per answer"),
    "sentences": _("Sentences"),
    "max_sentences": _("Sentences per summary"),
    "rows": _("Rows"),
    "columns": _("Columns"),
    "task": _("Task"),
    "target_column": _("Target column"),
    "best_model": _("Best model"),
}


def _scalars(data: dict, *, skip: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (str(FACT_LABELS.get(k, k.replace("_", " ").capitalize())), str(v))
        for k, v in data.items()
        if k not in skip and _is_scalar(v)
    ]


def elapsed(seconds: int) -> str:
    """'1:02:03' for a running time."""
    return str(timedelta(seconds=max(0, seconds)))


def files_removed_text(job: Job) -> str:
    return _("The files of this job were removed on %(date)s: they are kept for %(days)d days after a job ends.") % {
        "date": date_format(timezone.localtime(job.files_removed_at), "DATE_FORMAT"),
        "days": settings.JOB_FILES_RETENTION_DAYS,
    }
