"""Launching a job: everything is checked before anything is created, then the job, its quota and
its hold are taken in one transaction. A refused launch leaves nothing behind: no job, no hold,
no files, no quota.

Order inside the transaction: the tenant's quota row for the chip is locked first (serialising
launches of one tenant on one chip type), then the job is created, the hold placed (wallet row
lock, via the ledger) and, if the concurrent quota allows, the job admitted.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from billing import funding
from billing.services import holds, ledger, pricebook
from catalog.choices import CompatStatus, OfferingKind
from catalog.models import Compatibility
from catalog.services.engagement import offering_record_launch
from compute import quotas
from compute.models import Pool
from jobs import storage
from jobs.models import Job, JobState
from jobs.services import lifecycle

USABLE_COMPAT = (CompatStatus.VERIFIED, CompatStatus.EXPERIMENTAL)
# What the pool picker never shows of a pool's catalog version (long texts, search data).
HEAVY_VERSION_FIELDS = (
    "description_zh",
    "description_en",
    "search_text",
    "search_tokens",
    "launch_schema",
    "example_inputs",
    "review_note",
)


class LaunchError(Exception):
    """Why a launch was refused, for the user: `field` names the form field when there is one,
    `link` is where to fix it (e.g. the top-up page)."""

    def __init__(self, message, *, field: str | None = None, code: str = "invalid", link: str = "") -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
        self.link = link


@dataclass
class LaunchRequest:
    version: object  # a live OfferingVersion of a solution template
    pool: Pool
    cards: int
    params: dict
    files: dict[str, object] = field(default_factory=dict)  # param name → uploaded file (with .chunks())
    deadline: datetime | None = None
    name: str = ""
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        """What makes two requests 'the same body' for Idempotency-Key: every field and the bytes of
        every file. Taken before the files are staged (staging adds their paths to the params)."""
        digests = {}
        for name, upload in sorted(self.files.items()):
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            digests[name] = digest.hexdigest()
        body = {
            "version": self.version.pk,
            "pool": self.pool.pk,
            "cards": self.cards,
            "params": self.params,
            "files": digests,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "name": self.name,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class PoolChoice:
    """A pool as the launch form offers it: usable or not, and why not."""

    pool: Pool
    usable: bool
    reason: str
    compat: Compatibility | None
    sizes: list[int]


def pool_choices(version, *, only_pool: int | None = None) -> list[PoolChoice]:
    """Every active pool (or just `only_pool`), with whether the template's model runs on its chip
    (verified or experimental compatibility) and which sizes can be launched there."""
    compat = (
        {c.chip_type_id: c for c in Compatibility.objects.filter(model_offering_id=version.model_offering_id)}
        if version.model_offering_id
        else {}
    )
    pools = Pool.objects.filter(is_active=True).select_related("chip_type", "offering__live_version")
    if only_pool is not None:
        pools = pools.filter(pk=only_pool)
    choices = []
    for pool in pools.defer(*(f"offering__live_version__{f}" for f in HEAVY_VERSION_FIELDS)):
        sizes = sorted(pool.offering.live_version.card_sizes or [1]) if pool.offering.live_version else []
        row = compat.get(pool.chip_type_id)
        if not sizes:
            choices.append(PoolChoice(pool, False, str(_("This pool is not on sale at the moment.")), row, []))
        elif version.model_offering_id and row is None:
            choices.append(PoolChoice(pool, False, str(_("The model has not been adapted to this chip.")), None, []))
        elif row is not None and row.status not in USABLE_COMPAT:
            reason = row.note or str(_("The model does not run on this chip."))
            choices.append(PoolChoice(pool, False, reason, row, []))
        else:
            usable_sizes = [s for s in sizes if row is None or s >= row.min_cards]
            reason = "" if usable_sizes else str(_("The model needs at least %(n)d cards.") % {"n": row.min_cards})
            choices.append(PoolChoice(pool, bool(usable_sizes), reason, row, usable_sizes))
    default = version.default_cards or 1
    # Usable first; among them those selling the template's default size, then the best-scoring.
    choices.sort(
        key=lambda c: (not c.usable, default not in c.sizes, -(c.compat.score if c.compat else 0), c.pool.name)
    )
    return choices


def typical_minutes(version) -> int:
    return version.typical_runtime_minutes or 30


# A model launched on a pool without a template runs a "try it on your own documents" job: questions
# answered from the documents, or summaries for models made for summarising.
MODEL_TRIAL_MINUTES = 15
SUMMARY_TASKS = ("summar", "摘要")


def as_launchable(version):
    """A live template as it is; a live model given, in memory, what launching needs (a workload,
    its form, an example and a typical runtime), and itself as the model whose chip compatibility
    decides the pools. Never saved: the model's listing is untouched."""
    if version.kind != OfferingKind.MODEL:
        return version
    from catalog.demo_data import knowledge_base_schema, summary_schema

    summarises = any(word in str(task).lower() for task in version.tasks or [] for word in SUMMARY_TASKS)
    if summarises:
        version.workload = "text_summary"
        version.launch_schema = summary_schema("文档 / Documents")
        version.example_inputs = {"documents": [MODEL_TRIAL_DOCUMENT], "max_sentences": 2, "language": "zh"}
    else:
        version.workload = "knowledge_base"
        version.launch_schema = knowledge_base_schema("文档 / Documents", "问题 / Questions")
        version.example_inputs = {
            "documents": [MODEL_TRIAL_DOCUMENT, "会员积分：每消费 1 元累计 1 积分，积分有效期 12 个月。"],
            "questions": ["买了 5 天的东西还能退吗？"],
            "top_k": 1,
            "language": "zh",
        }
    version.typical_runtime_minutes = MODEL_TRIAL_MINUTES
    version.default_cards = 1
    version.model_offering_id = version.offering_id
    return version


MODEL_TRIAL_DOCUMENT = (
    "退货政策：自签收之日起 7 天内可无理由退货，商品需保持完好。超过 7 天的商品如有质量问题，可在 30 天内申请换货。"
)


def quote(version, pool: Pool, cards: int, tenant=None) -> pricebook.Estimate | None:
    """The estimate; with `tenant`, also what its vouchers would pay of it."""
    estimate = pricebook.estimate(
        pool_offering_id=pool.offering_id,
        template_offering_id=version.offering_id,
        cards=cards,
        minutes=typical_minutes(version),
    )
    if estimate is None or tenant is None:
        return estimate
    parts = [(pool.offering_id, pool.offering.tenant_id, estimate.compute_fen)]
    if estimate.run_fen:
        parts.append((version.offering_id, version.offering.tenant_id, estimate.run_fen))
    return replace(estimate, voucher_fen=funding.voucher_estimate(tenant.pk, parts, timezone.now()))


def launch(*, tenant, actor, request: LaunchRequest) -> tuple[Job, bool]:
    """Create, pay for and (quota allowing) admit a job. Returns (job, created); `created` is False
    when an earlier launch with the same idempotency key and the same body is returned."""
    fingerprint = request.fingerprint() if request.idempotency_key else ""
    if request.idempotency_key:
        existing = _existing(tenant, request.idempotency_key, fingerprint)
        if existing is not None:
            return existing, False
    _check_pool(request)
    estimate = quote(request.version, request.pool, request.cards, tenant)
    if estimate is None:
        raise LaunchError(_("This pool has no price yet, so it cannot be launched on."), field="pool")
    _check_deadline(request.deadline)
    staged = _stage_files(request)
    try:
        _check_inputs(request, staged)
        job = _create(tenant, actor, request, estimate, staged, fingerprint)
    except IntegrityError:
        shutil.rmtree(staged, ignore_errors=True)
        existing = _existing(tenant, request.idempotency_key, fingerprint) if request.idempotency_key else None
        if existing is None:
            raise
        return existing, False
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return job, True


def _existing(tenant, key: str, fingerprint: str) -> Job | None:
    job = Job.unscoped.filter(tenant=tenant, idempotency_key=key).first()
    if job is not None and job.request_hash != fingerprint:
        raise LaunchError(
            _("This Idempotency-Key was already used with a different request."), code="idempotency_conflict"
        )
    return job


def _check_pool(request: LaunchRequest) -> PoolChoice:
    version = request.version
    launchable = version.kind in (OfferingKind.SOLUTION, OfferingKind.MODEL)
    if not launchable or version.offering.live_version_id != version.pk:
        raise LaunchError(_("Only live solution templates and models can be launched."), field="template")
    choice = next(iter(pool_choices(version, only_pool=request.pool.pk)), None)
    if choice is None or not choice.usable:
        raise LaunchError(choice.reason if choice else _("This pool cannot be used."), field="pool")
    if request.cards not in choice.sizes:
        sizes = ", ".join(str(s) for s in choice.sizes)
        raise LaunchError(_("This pool sells %(sizes)s cards per job.") % {"sizes": sizes}, field="cards")
    return choice


def _check_deadline(deadline: datetime | None) -> None:
    if deadline is not None and deadline <= timezone.now():
        raise LaunchError(_("The deadline must be in the future."), field="deadline")


def _stage_files(request: LaunchRequest) -> Path:
    """Write uploads to a private folder first; they move into the job only if it is created."""
    staged = Path(tempfile.mkdtemp(prefix="launch-", dir=_staging_root()))
    for name, upload in request.files.items():
        suffix = Path(getattr(upload, "name", "") or "").suffix.lower()[:10] or ".dat"
        target = staged / f"{name}{suffix}"
        size = 0
        with target.open("wb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > settings.JOB_UPLOAD_MAX_BYTES:
                    raise LaunchError(
                        _("The file is larger than %(mb)d MB.") % {"mb": settings.JOB_UPLOAD_MAX_BYTES // 2**20},
                        field=name,
                    )
                out.write(chunk)
        request.params[name] = f"inputs/{target.name}"
    return staged


def _staging_root() -> Path:
    root = Path(settings.JOBS_ROOT) / "staging"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _check_inputs(request: LaunchRequest, staged: Path) -> None:
    from jobs.services.problems import problem_message
    from workloads.checks import check_inputs

    files = {name: staged / Path(request.params[name]).name for name in request.files}
    problems = check_inputs(request.version.workload, request.params, files)
    if problems:
        first = problems[0]
        raise LaunchError(problem_message(first), field=first.field, code=first.code)


@transaction.atomic(durable=True)
def _create(tenant, actor, request: LaunchRequest, estimate, staged: Path, fingerprint: str) -> Job:
    version, pool = request.version, request.pool
    quotas.lock(tenant, pool.chip_type_id)
    limits = quotas.limits_for(tenant, pool.chip_type_id)
    usage = quotas.usage_for(tenant, pool.chip_type_id)
    if request.cards > limits.concurrent_cards:
        raise LaunchError(
            _("Your quota allows %(limit)d %(chip)s cards at once; ask for more on the quotas page.")
            % {"limit": limits.concurrent_cards, "chip": pool.chip_type},
            field="cards",
            code="quota",
            link=_link("compute:quotas"),
        )
    needed_hours = request.cards * typical_minutes(version) / 60
    if usage.card_hours_month + needed_hours > limits.card_hours_month:
        left = max(0.0, limits.card_hours_month - usage.card_hours_month)
        raise LaunchError(
            _("This job needs about %(need).1f card-hours but only %(left).1f of this month's %(limit)d are left.")
            % {"need": needed_hours, "left": left, "limit": limits.card_hours_month},
            code="quota",
            link=_link("compute:quotas"),
        )
    job = Job.objects.create(
        tenant=tenant,
        name=request.name,
        offering=version.offering,
        version=version,
        model_offering_id=version.model_offering_id,
        pool=pool,
        cards=request.cards,
        workload=version.workload,
        params=request.params,
        engine=pool.engine,
        deadline=request.deadline,
        time_limit_seconds=typical_minutes(version) * 60 * settings.JOB_MAX_RUNTIME_FACTOR,
        estimate_fen=estimate.total_fen,
        voucher_estimate_fen=estimate.voucher_fen,
        created_by=actor,
        idempotency_key=request.idempotency_key,
        request_hash=fingerprint,
    )
    try:
        holds.place(job=job, amount_fen=estimate.to_pay_fen, actor=actor)
    except ledger.InsufficientFunds as short:
        raise LaunchError(
            _(
                "Your balance does not cover this job's estimated cost of ¥%(cost)s (¥%(short)s missing). "
                "Top up your wallet and launch again."
            )
            % {"cost": ledger.format_fen(estimate.to_pay_fen), "short": ledger.format_fen(short.shortfall_fen)},
            code="insufficient_funds",
            link=_link("payments:wallet"),
        ) from short
    lifecycle.transition(job, JobState.PENDING, reason="launched", from_state="")
    # Registered before admission's submit callback, so the inputs are in place when it runs.
    transaction.on_commit(lambda: _keep_inputs(job, staged))
    lifecycle.try_admit(job)
    counted = [version.offering_id, pool.offering_id]
    if version.model_offering_id and version.model_offering_id != version.offering_id:
        counted.append(version.model_offering_id)
    offering_record_launch(offering_ids=counted)
    audit_record(
        action="job.launch",
        tenant=tenant,
        actor=actor,
        obj=job,
        after={
            "template": version.offering.slug,
            "pool": pool.pk,
            "cards": request.cards,
            "estimate_fen": estimate.total_fen,
            "voucher_estimate_fen": estimate.voucher_fen,
        },
    )
    return job


def _keep_inputs(job: Job, staged: Path) -> None:
    if any(staged.iterdir()):
        target = storage.inputs_dir(job)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(target))
    else:
        staged.rmdir()


def _link(url_name: str) -> str:
    try:
        return reverse(url_name)
    except NoReverseMatch:  # e.g. the payments app is not installed on this site
        return ""
