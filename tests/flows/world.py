"""A launchable world: the catalog test world plus pools, prices, templates for each workload and a
funded company. Written directly (system code), like the other test worlds."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from billing.models import AccountKind, TxnKind
from billing.services import ledger, pricebook
from catalog.choices import OfferingKind
from catalog.demo_data import knowledge_base_schema, summary_schema, tabular_schema
from compute.models import QuotaOverride
from compute.pools import ensure_pool
from tenants.roles import Role, TenantKind
from tests.catalog import world as catalog_world
from tests.factories import MembershipFactory, TenantFactory

CSV = "x1,x2,label\n" + "\n".join(f"{i % 7},{(i * 3) % 11},{int(i % 7 > 3)}" for i in range(60)) + "\n"


@dataclass
class FlowWorld:
    catalog: object
    pool: object  # usable (Ascend, verified for the model)
    a100_pool: object  # unsupported for the model
    tabular: object  # live template version, workload tabular_train
    kb: object  # live template version, workload knowledge_base
    summary: object
    company: object
    owner: object


def fund(tenant, fen: int, key: str | None = None) -> None:
    with transaction.atomic():
        ledger.post(
            kind=TxnKind.TOP_UP,
            key=key or f"test-fund:{tenant.pk}:{fen}:{ledger.balance(tenant)}",
            legs=[(ledger.platform(AccountKind.PAYMENT_CLEARING), -fen), (ledger.wallet(tenant), fen)],
            tenant=tenant,
        )


def template(w, workload: str, schema: dict, minutes: int = 1, run_price: str | None = None):
    return catalog_world.live(
        w.health,
        OfferingKind.SOLUTION,
        name_zh=f"模板 {workload}",
        name_en=f"Template {workload}",
        industry="health",
        platform="traditional",
        model_offering=w.model.offering,
        default_cards=1,
        workload=workload,
        launch_schema=schema,
        typical_runtime_minutes=minutes,
        price_per_run=Decimal(run_price) if run_price else None,
    )


def build(*, wallet_fen: int = 100_000, cards_quota: int | None = None) -> FlowWorld:
    w = catalog_world.build()
    pool_versions = {v.chip_type_id: v for v in w.pools}
    pools = {}
    for version in pool_versions.values():
        pool = ensure_pool(version.offering)
        pools[version.chip_type_id] = pool
        pricebook.sync_from_version(version)
    tabular = template(w, "tabular_train", tabular_schema("标签列 / Label column", "classification"))
    kb = template(w, "knowledge_base", knowledge_base_schema("文档 / Documents", "问题 / Questions"))
    summary = template(w, "text_summary", summary_schema("文档 / Documents"), run_price="2.00")
    for version in (tabular, kb, summary):
        pricebook.sync_from_version(version)
    company = TenantFactory(kind=TenantKind.COMPANY)
    owner = MembershipFactory(tenant=company, role=Role.OWNER)
    if wallet_fen:
        fund(company, wallet_fen)
    if cards_quota is not None:
        QuotaOverride.unscoped.create(
            tenant=company,
            chip_type=w.ascend,
            concurrent_cards=cards_quota,
            card_hours_month=10_000,
            concurrent_jobs=100,
        )
    return FlowWorld(w, pools[w.ascend.pk], pools[w.a100.pk], tabular, kb, summary, company, owner)
