"""A small world in which a company can launch a job: a priced pool its template's model runs on,
a pool on a chip the model does not support, a live tabular solution template and a funded wallet.
Written directly (test set-up is system code); everything under test goes through the services."""

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from billing.models import AccountKind, PriceUnit
from billing.services import ledger, pricebook
from catalog.choices import CompatStatus, OfferingKind, OfferingStatus, VersionState
from catalog.demo_data import tabular_schema
from catalog.models import ChipType, Compatibility, Offering, OfferingVersion
from compute.models import Pool
from jobs import storage
from jobs.models import Job, JobArtifact, JobState
from jobs.services import lifecycle
from jobs.services.launch import LaunchRequest, launch
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tests.factories import MembershipFactory, TenantFactory

_seq = itertools.count()

CARD_HOUR_FEN = 1000  # ¥10.00 per card-hour
RUN_FEN = 500  # ¥5.00 template fee per run
TYPICAL_MINUTES = 30
WALLET_FEN = 100_000  # ¥1,000.00
# One typical run on one card: ¥10 × 1 × 0.5 h + ¥5 = ¥10.00
ONE_CARD_ESTIMATE_FEN = CARD_HOUR_FEN // 2 + RUN_FEN

CSV_TEXT = "thickness_mm,temperature_c,defect\n" + "".join(
    f"{1.1 + i / 100:.2f},{180 + i},{i % 2}\n" for i in range(12)
)
EXAMPLE = {"dataset_csv": CSV_TEXT, "target_column": "defect", "task": "classification", "test_fraction": 0.25}


@dataclass
class JobsWorld:
    partner: object
    good_chip: ChipType
    bad_chip: ChipType
    pool: Pool
    bad_pool: Pool
    model: OfferingVersion
    template: OfferingVersion
    company: object
    owner: object
    developer: object
    viewer: object
    other_company: object
    other_owner: object

    @property
    def slug(self) -> str:
        return self.template.offering.slug


def live(tenant, kind: str, **content) -> OfferingVersion:
    offering = Offering.unscoped.create(tenant=tenant, kind=kind, slug=f"jobs-{kind}-{next(_seq)}")
    version = OfferingVersion.unscoped.create(
        tenant=tenant, offering=offering, kind=kind, number=1, state=VersionState.LIVE, **content
    )
    Offering.unscoped.filter(pk=offering.pk).update(live_version=version, status=OfferingStatus.PUBLISHED)
    return OfferingVersion.unscoped.select_related("offering").get(pk=version.pk)


def chip(slug: str, score: int) -> ChipType:
    return ChipType.objects.create(
        slug=slug,
        vendor="Vendor",
        model=slug.upper(),
        is_domestic=True,
        memory_gb=64,
        fp16_tflops=Decimal("300"),
        software_stack="CANN",
        perf_score=score,
        k8s_resource="x/y",
        slurm_gres=slug,
    )


def priced_pool(partner, chip_type: ChipType, name: str) -> Pool:
    version = live(
        partner,
        OfferingKind.COMPUTE,
        name_zh=name,
        name_en=name,
        chip_type=chip_type,
        data_centre="天府智算中心",
        province="51",
        total_cards=16,
        card_sizes=[1, 2, 4],
        price_per_card_hour=Decimal(CARD_HOUR_FEN) / 100,
    )
    since = timezone.now() - timedelta(days=1)
    pricebook.set_price(
        offering=version.offering, unit=PriceUnit.CARD_HOUR, amount_fen=CARD_HOUR_FEN, effective_from=since
    )
    return Pool.objects.create(offering=version.offering, chip_type=chip_type, name=name, total_cards=16)


def fund(company, fen: int) -> None:
    with transaction.atomic():
        ledger.post(
            kind="top_up",
            key=f"test-top-up-{company.pk}-{next(_seq)}",
            legs=[(ledger.platform(AccountKind.PAYMENT_CLEARING), -fen), (ledger.wallet(company), fen)],
            tenant=company,
        )


def build(*, wallet_fen: int = WALLET_FEN) -> JobsWorld:
    partner = TenantFactory(kind=TenantKind.PARTNER, name_en="Tianfu Compute")
    good_chip, bad_chip = chip("good-chip", 80), chip("bad-chip", 95)
    pool = priced_pool(partner, good_chip, "Chengdu pool")
    bad_pool = priced_pool(partner, bad_chip, "Shanghai pool")
    model = live(
        partner, OfferingKind.MODEL, name_zh="缺陷模型", name_en="Defect model", family="X", modality="tabular"
    )
    checked = date(2026, 1, 1)
    Compatibility.objects.create(
        model_offering=model.offering, chip_type=good_chip, status=CompatStatus.VERIFIED, score=85, checked_on=checked
    )
    Compatibility.objects.create(
        model_offering=model.offering,
        chip_type=bad_chip,
        status=CompatStatus.UNSUPPORTED,
        score=0,
        checked_on=checked,
        note="Kernels missing on this chip",
    )
    template = live(
        partner,
        OfferingKind.SOLUTION,
        name_zh="制造缺陷分类",
        name_en="Defect classification",
        description_en="Trains a **defect** classifier.",
        industry="manufacturing",
        platform="traditional",
        model_offering=model.offering,
        default_cards=1,
        workload="tabular_train",
        launch_schema=tabular_schema("缺陷标签列 / Defect label column", "classification"),
        example_inputs=EXAMPLE,
        typical_runtime_minutes=TYPICAL_MINUTES,
        price_per_run=Decimal(RUN_FEN) / 100,
    )
    pricebook.set_price(
        offering=template.offering,
        unit=PriceUnit.RUN,
        amount_fen=RUN_FEN,
        effective_from=timezone.now() - timedelta(days=1),
    )
    company = TenantFactory(kind=TenantKind.COMPANY)
    other = TenantFactory(kind=TenantKind.COMPANY)
    if wallet_fen:
        fund(company, wallet_fen)
    fund(other, WALLET_FEN)
    return JobsWorld(
        partner=partner,
        good_chip=good_chip,
        bad_chip=bad_chip,
        pool=pool,
        bad_pool=bad_pool,
        model=model,
        template=template,
        company=company,
        owner=MembershipFactory(tenant=company, role=Role.OWNER),
        developer=MembershipFactory(tenant=company, role=Role.DEVELOPER),
        viewer=MembershipFactory(tenant=company, role=Role.VIEWER),
        other_company=other,
        other_owner=MembershipFactory(tenant=other, role=Role.OWNER),
    )


# --- Helpers for the test modules ---------------------------------------

LOG_TEXT = "10:00:00 [  5%] Reading the CSV\n10:00:01 [ 80%] 训练模型\n10:00:02 [100%] Done\n"
METRICS = {
    "task": "classification",
    "target": "defect",
    "model": "random_forest",
    "rows": {"in_file": 12, "with_target": 12, "train": 9, "test": 3},
    "test": {
        "accuracy": 0.875,
        "f1_macro": 0.8,
        "majority_class": "0",
        "per_class": {"0": {"precision": 1.0, "recall": 0.5, "f1": 0.67, "support": 2}},
        "confusion_matrix": {
            "labels": ["0", "1"],
            "rows": "actual",
            "columns": "predicted",
            "matrix": [[1, 1], [0, 1]],
        },
    },
}


def use_own_job_files(settings, tmp_path) -> None:
    """Jobs' files in the test's own folder, never the shared var/ directory."""
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.COMPUTE_ENGINES = {"local": {"root": tmp_path / "engine"}}


def launch_job(membership, version, pool, *, cards: int = 1, name: str = "", **params) -> Job:
    """A job launched through the service, as the launch page would."""
    inputs = {"target_column": "defect", "task": "classification", **params}
    files = {"dataset_csv": SimpleUploadedFile("data.csv", CSV_TEXT.encode())}
    request = LaunchRequest(version=version, pool=pool, cards=cards, params=inputs, files=files, name=name)
    with tenant_context(membership.tenant):
        job, _created = launch(tenant=membership.tenant, actor=membership.user, request=request)
    return job


def finish(
    job: Job, state: str = JobState.SUCCEEDED, *, outputs: dict[str, str] | None = None, failure: str = ""
) -> Job:
    """Put a job where a run would have left it: its log and output files on disk, its artifacts
    recorded and its final state on the timeline."""
    folder = storage.attempt_dir(job)
    (folder / "output").mkdir(parents=True, exist_ok=True)
    storage.log_path(job).write_text(LOG_TEXT, encoding="utf-8")
    for name, text in (outputs or {}).items():
        (folder / "output" / name).write_text(text, encoding="utf-8")
        JobArtifact.unscoped.create(
            tenant_id=job.tenant_id, job=job, attempt=job.attempt, name=name, path=name, size=len(text.encode())
        )
    with transaction.atomic():
        locked = Job.unscoped.select_for_update().get(pk=job.pk)
        locked.started_at = locked.started_at or timezone.now()
        locked.card_seconds = 1800 * locked.cards
        locked.progress = 100 if state == JobState.SUCCEEDED else 40
        locked.failure = failure
        lifecycle.transition(locked, state, reason=failure or "succeeded")
    return Job.unscoped.get(pk=job.pk)
