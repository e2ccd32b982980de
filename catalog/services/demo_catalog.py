"""Load the demo ecosystem catalog: 700+ partners, chip types, 3,000+ live offerings (× --scale),
the model × chip compatibility matrix, and the demo partner's drafts, reviews and daily stats.

Deterministic (fixed seeds, no reliance on database ids or set order) and idempotent: the loader
marks what it makes — its partners' credit codes carry "MADC"/"MADX" in the organisation part, its
offerings' slugs end in "-p/-m/-t" + six digits (never a service-made slug, which ends in six hex
digits) — so a second run is skipped and `--flush` removes exactly what it made.
"""

import hashlib
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from catalog import demo_data as D
from catalog.choices import CompatStatus, OfferingKind, OfferingStatus, VersionState
from catalog.models import (
    ChipType,
    Compatibility,
    Favourite,
    Offering,
    OfferingChip,
    OfferingDailyStat,
    OfferingIndustry,
    OfferingVersion,
    PartnerProfile,
)
from catalog.services.indexing import reindex_versions
from tenants.models import Tenant
from tenants.roles import TenantKind
from tenants.validators import uscc_check_char


class DemoCatalogInUse(Exception):
    """Another partner's listing builds on a demo model, so the demo catalog cannot be flushed."""


SEED = 20260101
LOADER_CODE_RE = r"^91[0-9]{6}MAD[CX][0-9]{5}"
LOADER_SLUG_RE = r"-[pmt][0-9]{6}$"
DEMO_PARTNER_CODE17 = "91510100MA6TFC002"  # 天府智算科技有限公司 (seed_demo)
DEMO_STAFF_EMAIL = "staff@operator.example"
STAT_DAYS = 28
INDUSTRY_PARTNERS = ("government", "manufacturing", "transportation", "health", "education", "film_media")
CENT = Decimal("0.01")


def demo_partner_code() -> str:
    return DEMO_PARTNER_CODE17 + uscc_check_char(DEMO_PARTNER_CODE17)


def loader_partners():
    return Tenant.objects.filter(kind=TenantKind.PARTNER, credit_code__regex=LOADER_CODE_RE)


def loader_offerings():
    return Offering.unscoped.filter(
        Q(tenant__in=loader_partners()) | Q(tenant__credit_code=demo_partner_code(), slug__regex=LOADER_SLUG_RE)
    )


def catalog_digest() -> str:
    """A fingerprint of what the loader made, independent of database ids and dates."""
    h = hashlib.sha256()
    for row in loader_partners().order_by("credit_code").values_list("credit_code", "name_zh", "name_en", "city"):
        h.update(repr(row).encode())
    versions = OfferingVersion.unscoped.filter(offering__in=loader_offerings()).order_by("offering__slug", "number")
    for row in versions.values_list(
        "offering__slug",
        "number",
        "state",
        "name_zh",
        "price_per_card_hour",
        "price_per_run",
        "list_price",
        "perf_score",
        "model_offering__slug",
        "chip_type__slug",
    ):
        h.update(repr(row).encode())
    compat = Compatibility.objects.filter(model_offering__in=loader_offerings()).order_by(
        "model_offering__slug", "chip_type__slug"
    )
    for row in compat.values_list("model_offering__slug", "chip_type__slug", "status", "score", "min_cards"):
        h.update(repr(row).encode())
    return h.hexdigest()[:16]


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _tags(*groups) -> list[str]:
    return list(dict.fromkeys(t for group in groups for t in group))[:20]


@dataclass
class Partner:
    tenant: Tenant
    profile: PartnerProfile
    category: str  # profile category
    industry: str  # tenant industry (the emerging industry for the three emerging partners)
    index: int  # within its category
    city: tuple
    chips: list = field(default_factory=list)
    home_dcs: list = field(default_factory=list)


@dataclass
class Planned:
    offering: Offering
    versions: list[OfferingVersion]
    spec: dict | None = None
    stats: bool = False


class DemoCatalog:
    """Builds the whole catalog in memory, then writes it with a handful of bulk statements."""

    def __init__(self, scale: int):
        self.scale = scale
        self.seq: Counter = Counter()
        self.planned: list[Planned] = []
        self.models_by_key: dict[str, list[Offering]] = defaultdict(list)
        self.models_by_owner: dict[tuple[str, str], list[Offering]] = defaultdict(list)
        self.model_versions: dict[str, OfferingVersion] = {}
        self.template_keys: set[str] = set()
        self.compat: list[Compatibility] = []
        self.ref_date = date.fromisoformat(D.REFERENCE_DATE)
        self.reviewed_at = datetime(2025, 10, 1, 9, 30, tzinfo=UTC)

    def rng(self, *parts) -> random.Random:
        return random.Random(":".join(map(str, (SEED, *parts))))

    # -- partners ------------------------------------------------------------------------------

    def build_partners(self) -> list[Partner]:
        rng = self.rng("partners")
        cities = list(D.CITIES)
        weights = [c[4] for c in D.CITIES]
        dcs = {d[0]: d for d in D.DATA_CENTRES}
        partners: list[Partner] = []
        specs = [(cat, n, "C") for cat, n in D.CATEGORY_COUNTS.items()]
        specs += [(industry, 1, "X") for industry in D.EMERGING_PARTNERS]
        used_sites: set[str] = set()
        for category_or_industry, count, marker in specs:
            names = [(b, d) for b in D.BRANDS for d in D.DOMAINS[category_or_industry]]
            rng.shuffle(names)
            for i in range(count):
                (brand_zh, brand_en), (dom_zh, dom_en) = names[i]
                category = "large_model" if marker == "X" else category_or_industry
                home_dcs = []
                if category == "data_centre":
                    home_dcs = [["ulanqab", "qingyang", "zhongwei"], ["guian", "chongqing", "kunming"]][i]
                    dc = dcs[home_dcs[0]]
                    city = next(c for c in D.CITIES if c[1] == dc[4])
                else:
                    city = rng.choices(cities, weights)[0]
                seq = len(partners) + 1
                code17 = f"91{city[3]}MAD{marker}{seq:05d}"
                large = category in ("chip", "server", "data_centre", "large_model")
                size = rng.choice(["medium", "large", "large"] if large else ["micro", "small", "small", "medium"])
                tenant = Tenant(
                    kind=TenantKind.PARTNER,
                    name_zh=f"{city[1]}{brand_zh}{dom_zh}有限公司",
                    name_en=f"{city[2]} {brand_en} {dom_en} Co., Ltd.",
                    credit_code=code17 + uscc_check_char(code17),
                    province=city[0],
                    city=city[1],
                    industry=category_or_industry,
                    size_class=size,
                    founded_on=date(2003, 1, 1) + timedelta(days=rng.randint(0, 7600)),
                    is_verified=True,
                )
                site = slugify(f"{brand_en} {dom_en}")
                if site in used_sites:
                    site = slugify(f"{brand_en} {dom_en} {city[2]}")
                used_sites.add(site)
                chips = D.CHIP_PARTNER_CHIPS[i] if category == "chip" else []
                chip_specs = [c for c in D.CHIPS if c["slug"] in chips]
                about_zh, about_en = D.PARTNER_ABOUT[category_or_industry]
                fill = {
                    "city": city[1],
                    "vendor_zh": chip_specs[0]["vendor_zh"] if chip_specs else "",
                    "vendor": chip_specs[0]["vendor"] if chip_specs else "",
                    "chips": " / ".join(c["model"] for c in chip_specs),
                }
                profile = PartnerProfile(
                    category=category,
                    description_zh=about_zh.format(name=tenant.name_zh, **fill),
                    description_en=about_en.format(name=tenant.name_en, **{**fill, "city": city[2]}),
                    website=f"https://{site}.example.cn",
                    province=city[0],
                )
                partners.append(Partner(tenant, profile, category, category_or_industry, i, city, chips, home_dcs))
        return partners

    # -- offerings -----------------------------------------------------------------------------

    def _slug(self, letter: str, name_en: str) -> str:
        self.seq[letter] += 1
        return f"{slugify(name_en)[:60].strip('-')}-{letter}{self.seq[letter]:06d}"

    def _popularity(self, rng: random.Random) -> tuple[int, int]:
        views = min(int(rng.paretovariate(1.3) * 30), 60000)
        return views, views // rng.randint(12, 60)

    def _plan(self, tenant, kind, name_en, content, rng, *, state=VersionState.LIVE, spec=None, stats=False):
        letter = {OfferingKind.COMPUTE: "p", OfferingKind.MODEL: "m", OfferingKind.SOLUTION: "t"}[kind]
        views, launches = self._popularity(rng)
        offering = Offering(
            tenant=tenant,
            kind=kind,
            slug=self._slug(letter, name_en),
            status=OfferingStatus.DRAFT,
            view_count=views,
            launch_count=launches,
        )
        version = OfferingVersion(tenant=tenant, kind=kind, number=1, state=state, name_en=name_en, **content)
        if state == VersionState.LIVE:
            version.submitted_at = self.reviewed_at - timedelta(days=2)
            version.reviewed_at = self.reviewed_at
        self.planned.append(Planned(offering, [version], spec, stats))
        return self.planned[-1]

    def pool(self, partner: Partner, chip: dict, dc: tuple, rng, n: int = 0, **overrides) -> Planned:
        """A pool of one chip type in one data centre; `n` numbers a partner's further clusters there."""
        cluster_zh = f" {n + 1} 号集群" if n else ""
        cluster_en = f", cluster {n + 1}" if n else ""
        total = rng.choice([64, 128, 256, 512, 1024, 2048])
        inference = chip["perf_score"] < 75 or chip["memory_gb"] < 48
        sizes = rng.choice([[1, 2, 4], [1, 2], [1, 2, 4, 8]] if inference else [[1, 2, 4, 8], [4, 8], [8], [2, 4, 8]])
        price = _money(float(chip["price"]) * rng.uniform(0.85, 1.15))
        price = overrides.pop("price_per_card_hour", price)
        price_zh = f"¥{price}/卡时" if price else "价格待定"
        price_en = f"at ¥{price} per card-hour" if price else "(price to be set)"
        use_zh, use_en = ("推理", "inference") if inference else ("训练", "training")
        origin = ["国产芯片", "domestic"] if chip["is_domestic"] else ["NVIDIA"]
        content = dict(
            name_zh=f"{dc[1]} {chip['vendor_zh']} {chip['model']} 算力池{cluster_zh}",
            chip_type=self.chips[chip["slug"]],
            data_centre=dc[1],
            province=dc[3],
            total_cards=total,
            card_sizes=sizes,
            price_per_card_hour=price,
            engine="local",
            tags=_tags(["算力", "compute", use_zh, use_en, chip["vendor_zh"], chip["vendor"], chip["model"]], origin),
            industries=[],
            description_zh=(
                f"## 配置\n\n- 芯片：{chip['vendor_zh']} {chip['model']}（{chip['memory_gb']} GB 显存，"
                f"FP16 {chip['fp16_tflops']} TFLOPS，性能分 {chip['perf_score']}）\n- 软件栈：{chip['software_stack']}\n"
                f"- 规模：共 {total} 卡，按 {' / '.join(map(str, sizes))} 卡规格售卖\n"
                f"- 调度：Kubernetes 资源 `{chip['k8s_resource']}`，Slurm GRES `{chip['slurm_gres']}`\n\n"
                f"## 适用场景\n\n位于{dc[4]}的{dc[1]}，适合大模型{use_zh}与微调，按卡时计费，{price_zh}。\n"
            ),
            description_en=(
                f"## Configuration\n\n- Chip: {chip['vendor']} {chip['model']} ({chip['memory_gb']} GB, "
                f"FP16 {chip['fp16_tflops']} TFLOPS, score {chip['perf_score']})\n- Software: {chip['software_stack']}\n"
                f"- Size: {total} cards, sold as {' / '.join(map(str, sizes))} cards\n"
                f"- Scheduling: Kubernetes resource `{chip['k8s_resource']}`, Slurm GRES `{chip['slurm_gres']}`\n\n"
                f"## Good for\n\nLarge-model {use_en} and fine-tuning in {dc[5]}, billed by the card-hour "
                f"{price_en}.\n"
            ),
        )
        state = overrides.pop("state", VersionState.LIVE)
        content.update(overrides, price_per_card_hour=price)
        name_en = f"{chip['vendor']} {chip['model']} pool, {dc[2]}{cluster_en}"
        return self._plan(partner.tenant, OfferingKind.COMPUTE, name_en, content, rng, state=state)

    def plan_pools(self, partners: list[Partner]) -> None:
        chips_by_slug = {c["slug"]: c for c in D.CHIPS}
        dcs = [d for d in D.DATA_CENTRES if d[0] != "tianfu"]
        by_key = {d[0]: d for d in D.DATA_CENTRES}
        weights = [1 if c["is_domestic"] else 2 for c in D.CHIPS]
        pools_per_round = {"chip": 8, "server": 16, "data_centre": 24, "large_model": 4}
        for p in partners:
            per_round = pools_per_round.get(p.category, 0)
            if p.category == "large_model" and (p.industry != "large_model" or p.index >= 11):
                per_round = 0  # a third of the model makers also sell compute
            seen: Counter = Counter()
            for r in range(self.scale if per_round else 0):
                rng = self.rng("pools", p.tenant.credit_code, r)
                for i in range(per_round):
                    if p.chips:  # a chip partner sells its own chips
                        chip = chips_by_slug[p.chips[i % len(p.chips)]]
                    else:
                        chip = rng.choices(D.CHIPS, weights)[0]
                    dc = by_key[p.home_dcs[i % len(p.home_dcs)]] if p.home_dcs else rng.choice(dcs)
                    n = seen[(chip["slug"], dc[0])]
                    seen[(chip["slug"], dc[0])] += 1
                    self.pool(p, chip, dc, rng, n)

    def _model_price(self, spec: dict, rng) -> Decimal:
        params = float(spec["params"])
        low, high = (20, 60) if params > 100 else (5, 20) if params > 10 else (1, 8)
        return _money(rng.uniform(low, high))

    def model(self, partner: Partner, spec: dict, rng, *, flavour=None, variant=None, vertical=False) -> Planned:
        tags_industry = D.INDUSTRY_TAGS.get(partner.industry, []) if vertical else []
        if vertical:
            x, x_en = variant or ("", "")
            hospital_zh, hospital_en = rng.choice(D.HOSPITALS)
            fill = dict(
                x=x,
                x_en=x_en,
                hospital=hospital_zh.format(city=partner.city[1]),
                hospital_en=hospital_en.format(city_en=partner.city[2]),
            )
            name_zh, name_en = (n.format(**fill) for n in spec["name"])
            about_zh, about_en = spec["zh"].format(**fill), spec["en"].format(**fill)
            base_zh = f"\n\n基座模型：{spec['base']}" if spec["base"] else ""
            base_en = f"\n\nBase model: {spec['base']}" if spec["base"] else ""
            tags = _tags(spec["tags"], tags_industry, ["行业模型", "vertical model"])
            industries = list(dict.fromkeys([*spec["industries"], partner.industry]))
            industries = [i for i in industries if i not in ("large_model",)]
        else:
            f_zh, f_en, f_tags = flavour
            name_zh, name_en = f"{spec['name']} {f_zh}", f"{spec['name']} {f_en}"
            about_zh, about_en, base_zh, base_en = spec["zh"], spec["en"], "", ""
            open_source = ["开源", "open source"] if "License" not in spec["license"] else []
            tags = _tags(D.FOUNDATION_TAGS, f_tags, [spec["family"]], spec.get("tags", []), open_source)
            industries = list(spec.get("industries", []))
        context = f"{spec['context']:,}" if spec["context"] else "—"
        content = dict(
            name_zh=name_zh,
            family=spec["family"],
            parameters_b=Decimal(spec["params"]),
            modality=spec["modality"],
            license=spec["license"],
            context_length=spec["context"],
            tasks=list(spec["tasks"]),
            is_foundation=not vertical,
            price_per_run=self._model_price(spec, rng),
            tags=tags,
            industries=industries,
            description_zh=(
                f"## 简介\n\n{about_zh}{base_zh}\n\n## 规格\n\n- 参数量：{spec['params']}B\n"
                f"- 上下文长度：{context}\n- 许可证：{spec['license']}\n- 任务：{', '.join(spec['tasks'])}\n"
            ),
            description_en=(
                f"## About\n\n{about_en}{base_en}\n\n## Specs\n\n- Parameters: {spec['params']}B\n"
                f"- Context length: {context}\n- Licence: {spec['license']}\n- Tasks: {', '.join(spec['tasks'])}\n"
            ),
        )
        planned = self._plan(partner.tenant, OfferingKind.MODEL, name_en, content, rng, spec=spec)
        self.models_by_key[spec["key"]].append(planned.offering)
        self.models_by_owner[(partner.tenant.credit_code, spec["key"])].append(planned.offering)
        self.model_versions[planned.offering.slug] = planned.versions[0]
        return planned

    def plan_models(self, partners: list[Partner]) -> None:
        verticals_by_owner = defaultdict(list)
        for spec in D.VERTICAL_MODELS:
            verticals_by_owner[spec["owner"]].append(spec)
        for p in partners:
            for r in range(self.scale):
                rng = self.rng("models", p.tenant.credit_code, r)
                if p.industry == "large_model":
                    for spec in rng.sample(D.FOUNDATION_MODELS, 9):
                        self.model(p, spec, rng, flavour=rng.choice(D.MODEL_FLAVOURS))
                elif p.industry in D.EMERGING_PARTNERS:
                    for spec in verticals_by_owner[p.industry]:
                        self.model(p, spec, rng, vertical=True)
                elif p.category in INDUSTRY_PARTNERS and p.index % 2 == 0:
                    specs = verticals_by_owner[p.category]
                    k = p.index // 2 + r
                    spec = specs[k % len(specs)]
                    variants = spec.get("variants") or [None]
                    self.model(p, spec, rng, variant=variants[(k // len(specs)) % len(variants)], vertical=True)

    def template(self, partner: Partner, tpl: dict, scenario: tuple, rng, *, state=VersionState.LIVE) -> Planned:
        scen_zh, scen_en = scenario
        own = [o for key in tpl["models"] for o in self.models_by_owner[(partner.tenant.credit_code, key)]]
        candidates = [o for key in tpl["models"] for o in self.models_by_key[key]]
        model = own[0] if own else rng.choice(candidates)
        model_version = self.model_versions[model.slug]
        self.template_keys.add(tpl["key"])
        industry = tpl["industry"]
        if tpl["key"] in ("cs-kb", "demand") and partner.category in INDUSTRY_PARTNERS:
            industry = partner.category
        industry = D.SCENARIO_INDUSTRY.get(scen_zh, industry)
        industries = list(dict.fromkeys([industry, tpl["industry"]]))
        if partner.category in INDUSTRY_PARTNERS or partner.industry in D.EMERGING_PARTNERS:
            industries = list(dict.fromkeys([*industries, partner.industry]))
        fields_zh = "、".join(s["title"].split(" / ")[0] for s in tpl["schema"]["properties"].values())
        fields_en = ", ".join(s["title"].split(" / ")[-1] for s in tpl["schema"]["properties"].values())
        minutes = int(tpl["minutes"] * rng.choice([1, 1, 1.5, 2]))
        cards_en = "1 card" if tpl["cards"] == 1 else f"{tpl['cards']} cards"
        price = _money(rng.choice([9.9, 19, 29, 49, 99, 199])) if rng.random() < 0.6 else None
        content = dict(
            name_zh=f"{tpl['name'][0]}（{scen_zh}）",
            industry=industry,
            platform=tpl["platform"],
            model_offering=model,
            default_cards=tpl["cards"],
            workload=tpl["workload"],
            launch_schema=tpl["schema"],
            example_inputs=tpl["example"],
            typical_runtime_minutes=minutes,
            price_per_run=price,
            tags=_tags(tpl["tags"], *(D.INDUSTRY_TAGS.get(i, []) for i in industries), ["解决方案", "solution"]),
            industries=industries,
            description_zh=(
                f"## 适用场景\n\n{tpl['zh']}本模板面向「{scen_zh}」场景。\n\n## 使用方式\n\n"
                f"1. 填写启动表单：{fields_zh}\n2. 选择算力规格（默认 {tpl['cards']} 卡）\n"
                f"3. 启动后约 {minutes} 分钟完成，结果可下载\n\n## 所用模型\n\n{model_version.name_zh}\n"
            ),
            description_en=(
                f"## Use case\n\n{tpl['en']} This template is set up for {scen_en}.\n\n## How it works\n\n"
                f"1. Fill in the launch form: {fields_en}\n2. Pick a size (default {cards_en})\n"
                f"3. Results in about {minutes} minutes, ready to download\n\n## Model\n\n{model_version.name_en}\n"
            ),
        )
        name_en = f"{tpl['name'][1]} ({scen_en})"
        return self._plan(partner.tenant, OfferingKind.SOLUTION, name_en, content, rng, state=state)

    def _scenarios(self, tpl: dict, partner: Partner) -> list[tuple]:
        """Scenarios tied to another industry partner category are left to that category."""
        own, free = [], []
        for s in tpl["scenarios"]:
            tied = D.SCENARIO_INDUSTRY.get(s[0])
            if tied == partner.category:
                own.append(s)
            elif tied is None or tied not in INDUSTRY_PARTNERS:
                free.append(s)
        return own + free

    def plan_templates(self, partners: list[Partner]) -> None:
        templates = {t["key"]: t for t in D.TEMPLATES}
        for p in partners:
            keys = D.PUBLISHES.get(p.industry) or D.PUBLISHES.get(p.category)
            if p.category in INDUSTRY_PARTNERS:
                per_round = 3 + (p.index % 3 == 0)
            elif p.industry in D.EMERGING_PARTNERS:
                per_round = 4
            elif p.category == "large_model":
                per_round = 3
            else:
                continue
            for r in range(self.scale):
                rng = self.rng("templates", p.tenant.credit_code, r)
                for j in range(per_round):
                    tpl = templates[keys[(p.index + j + r * per_round) % len(keys)]]
                    scenarios = self._scenarios(tpl, p)
                    self.template(p, tpl, scenarios[(p.index + r) % len(scenarios)], rng)

    # -- compatibility -------------------------------------------------------------------------

    def plan_compatibility(self) -> None:
        chips_by_slug = {c["slug"]: c for c in D.CHIPS}
        nvidia = [c for c in D.CHIPS if not c["is_domestic"]]
        domestic = [c for c in D.CHIPS if c["is_domestic"]]
        for pl in self.planned:
            if pl.offering.kind != OfferingKind.MODEL or pl.spec is None:
                continue
            spec = pl.spec
            rng = self.rng("compat", pl.offering.slug)
            tuned = [chips_by_slug[s] for s in spec["tuned"]]
            others = [c for c in domestic if c["slug"] not in spec["tuned"]]
            for chip in nvidia + tuned + rng.sample(others, min(3, len(others))):
                self.compat.append(self._compat_row(pl.offering, spec, chip, chip in tuned, rng))

    def _compat_row(self, offering, spec, chip, tuned, rng) -> Compatibility:
        params = float(spec["params"])
        if spec["modality"] in ("text", "multimodal"):
            need_gb = params * (1 if params > 100 else 2) * 1.2 + 2
            cards = 2 ** max(0, math.ceil(math.log2(max(need_gb / chip["memory_gb"], 1))))
        else:
            cards = 1
        if cards > 32:
            status, score = CompatStatus.UNSUPPORTED, rng.randint(0, 15)
            note = f"显存不足：需约 {cards} 卡 / Not enough memory: needs about {cards} cards"
        elif not chip["is_domestic"]:
            score = max(0, chip["perf_score"] - rng.randint(0, 6))
            status = CompatStatus.VERIFIED if cards <= 16 else CompatStatus.EXPERIMENTAL
            note = "官方 CUDA 推理栈 / Stock CUDA serving stack"
            if cards > 8:
                note += "；需多机部署 / multi-node"
        elif tuned:
            score = min(90, max(70, chip["perf_score"] - rng.randint(0, 5)))
            status = CompatStatus.VERIFIED if cards <= 16 else CompatStatus.EXPERIMENTAL
            note = f"已完成 {chip['software_stack']} 算子与通信调优 / Operators and collectives tuned on {chip['software_stack']}"
        elif rng.random() < 0.7:
            status, score = CompatStatus.EXPERIMENTAL, rng.randint(35, 68)
            note = "已跑通，尚未调优 / Runs, not yet tuned"
        else:
            status, score = CompatStatus.UNSUPPORTED, rng.randint(5, 29)
            note = f"缺少 {chip['software_stack']} 算子支持 / Missing operators on {chip['software_stack']}"
        throughput = None
        if status != CompatStatus.UNSUPPORTED:
            if spec["modality"] in ("text", "multimodal"):
                throughput = Decimal(2400 * score / 100 / float(spec["active"]) ** 0.6).quantize(Decimal("0.1"))
            elif spec["modality"] == "embedding":
                throughput = Decimal(18000 * score / 100).quantize(Decimal("0.1"))
        return Compatibility(
            model_offering=offering,
            chip_type=self.chips[chip["slug"]],
            status=status,
            score=score,
            throughput=throughput,
            min_cards=cards,
            note=note,
            checked_on=self.ref_date - timedelta(days=rng.randint(0, 240)),
        )

    # -- the demo partner ----------------------------------------------------------------------

    def plan_demo_partner(self, tenant: Tenant) -> None:
        """Live listings with a month of daily stats, plus one of each open state for the partner demo."""
        rng = self.rng("demo-partner")
        city = next(c for c in D.CITIES if c[1] == "成都")
        p = Partner(tenant, None, "data_centre", "data_centre", 0, city)
        dc = D.DATA_CENTRES[0]
        chips = {c["slug"]: c for c in D.CHIPS}
        ascend = self.pool(
            p,
            chips["ascend-910b3"],
            dc,
            rng,
            total_cards=512,
            card_sizes=[1, 2, 4, 8],
            price_per_card_hour=Decimal("8.80"),
        )
        for slug, price in (("nvidia-a100-80g", "15.50"), ("hygon-k100", "6.20")):
            self.pool(p, chips[slug], dc, rng, price_per_card_hour=Decimal(price))
        spec = next(s for s in D.FOUNDATION_MODELS if s["key"] == "deepseek-r1-qwen-32b")
        self.model(p, spec, rng, flavour=("昇腾推理服务", "inference on Ascend", ["推理", "inference", "昇腾"]))
        templates = {t["key"]: t for t in D.TEMPLATES}
        self.template(p, templates["policy-kb"], ("算力券申领", "compute vouchers"), rng)
        for pl in self.planned[-5:]:
            pl.stats = True
        # A live pool with a price cut waiting for review (version 2).
        v1 = ascend.versions[0]
        v2 = OfferingVersion(
            tenant=tenant,
            kind=v1.kind,
            number=2,
            state=VersionState.IN_REVIEW,
            submitted_at=timezone.now() - timedelta(hours=20),
            **{
                f: getattr(v1, f)
                for f in (
                    "name_zh",
                    "name_en",
                    "description_zh",
                    "description_en",
                    "tags",
                    "industries",
                    "chip_type",
                    "data_centre",
                    "province",
                    "total_cards",
                    "card_sizes",
                    "engine",
                )
            },
            price_per_card_hour=Decimal("8.20"),
        )
        v2.description_zh = v1.description_zh.replace("8.80", "8.20")
        v2.description_en = v1.description_en.replace("8.80", "8.20")
        ascend.versions.append(v2)
        # A draft still being written (no price yet).
        draft = self.pool(
            p,
            chips["metax-c500"],
            dc,
            rng,
            state=VersionState.DRAFT,
            price_per_card_hour=None,
            name_zh=f"{dc[1]} 沐曦 C500 算力池（筹备中）",
        )
        # A new template waiting for its first review.
        waiting = self.template(
            p, templates["med-summary"], ("出院小结", "discharge notes"), rng, state=VersionState.IN_REVIEW
        )
        waiting.offering.status = OfferingStatus.IN_REVIEW
        waiting.versions[0].submitted_at = timezone.now() - timedelta(days=1)
        # A pool the operator sent back.
        rejected = self.pool(p, chips["nvidia-l20"], dc, rng, state=VersionState.REJECTED, card_sizes=[1, 2, 4, 8, 16])
        version = rejected.versions[0]
        version.submitted_at = timezone.now() - timedelta(days=3)
        version.reviewed_at = timezone.now() - timedelta(days=2)
        version.review_note = (
            "售卖规格只能是 1、2、4、8 卡，请删除 16 卡规格，并补充机房网络带宽说明。"
            " Sizes are sold as 1, 2, 4 or 8 cards: remove the 16-card size and describe the network bandwidth."
        )
        version.card_sizes = [1, 2, 4, 8, 16]
        for pl in (draft, waiting, rejected):
            pl.offering.view_count = pl.offering.launch_count = 0

    # -- writing -------------------------------------------------------------------------------

    def write(self, demo_partner: Tenant | None, staff: User | None) -> dict:
        partners = self.build_partners()
        Tenant.objects.bulk_create([p.tenant for p in partners], batch_size=500)
        for p in partners:
            p.profile.tenant = p.tenant
        if demo_partner is not None:
            PartnerProfile.objects.get_or_create(
                tenant=demo_partner,
                defaults=dict(
                    category="data_centre",
                    province=demo_partner.province,
                    website="https://tianfu-computing.example.cn",
                    description_zh="天府智算科技运营成都天府智算中心，提供昇腾、NVIDIA 与海光异构算力，按卡时计费。",
                    description_en="Tianfu Intelligent Computing runs the Tianfu centre in Chengdu: Ascend, NVIDIA "
                    "and Hygon compute by the card-hour.",
                ),
            )
        PartnerProfile.objects.bulk_create([p.profile for p in partners], batch_size=500)
        self.chips = self.upsert_chips(partners)

        self.plan_pools(partners)
        self.plan_models(partners)
        if demo_partner is not None:
            self.plan_demo_partner(demo_partner)
        self.plan_templates(partners)
        self.plan_compatibility()

        offerings = [pl.offering for pl in self.planned]
        Offering.unscoped.bulk_create(offerings, batch_size=1000)
        versions = []
        for pl in self.planned:
            for v in pl.versions:
                v.offering = pl.offering
                if v.state in (VersionState.REJECTED, VersionState.IN_REVIEW) and v.reviewed_at:
                    v.reviewed_by = staff
                versions.append(v)
        OfferingVersion.unscoped.bulk_create(versions, batch_size=500)
        self.publish(offerings)
        Compatibility.objects.bulk_create(self.compat, batch_size=2000)
        OfferingDailyStat.objects.bulk_create(self.daily_stats(), batch_size=1000)

        live_ids = [v.pk for v in versions if v.state == VersionState.LIVE]
        chunk = 20000 if connection.vendor == "sqlite" else len(live_ids) or 1  # SQLite's bound-variable limit
        for start in range(0, len(live_ids), chunk):
            reindex_versions(live_ids[start : start + chunk])
        # Statistics from before the load would make the catalog's queries pick nested loops over
        # everything until autovacuum catches up.
        analyze(Tenant, PartnerProfile, Offering, OfferingVersion, OfferingChip, OfferingIndustry, Compatibility)
        return {"partners": partners, "versions": versions}

    def upsert_chips(self, partners: list[Partner]) -> dict[str, ChipType]:
        vendor_tenant = {slug: p.tenant for p in partners for slug in p.chips}
        chips = {}
        for spec in D.CHIPS:
            fields = {k: v for k, v in spec.items() if k not in ("slug", "vendor_zh", "price")}
            fields["fp16_tflops"] = Decimal(fields["fp16_tflops"])
            chips[spec["slug"]], _ = ChipType.objects.update_or_create(
                slug=spec["slug"], defaults={**fields, "vendor_tenant": vendor_tenant.get(spec["slug"])}
            )
        return chips

    def publish(self, offerings: list[Offering]) -> None:
        """Point each offering at its live version in one statement (the rows are new)."""
        ids = [o.pk for o in offerings]
        analyze(Offering, OfferingVersion)  # or the planner scans every live version for each offering
        live = (
            OfferingVersion.unscoped.filter(offering=OuterRef("pk"), state=VersionState.LIVE)
            .order_by()
            .values("pk")[:1]
        )
        Offering.unscoped.filter(pk__gte=min(ids), pk__lte=max(ids), live_version__isnull=True).filter(
            Exists(live)
        ).update(live_version_id=Subquery(live), status=OfferingStatus.PUBLISHED)
        for pl in self.planned:
            if any(v.state == VersionState.LIVE for v in pl.versions):
                pl.offering.status = OfferingStatus.PUBLISHED

    def daily_stats(self) -> list[OfferingDailyStat]:
        rows = []
        today = timezone.localdate()
        for pl in self.planned:
            if not pl.stats:
                continue
            rng = self.rng("stats", pl.offering.slug)
            base = rng.randint(20, 120)
            views_total = launches_total = 0
            for back in range(STAT_DAYS, 0, -1):
                day = today - timedelta(days=back)
                weekday = 0.55 if day.weekday() >= 5 else 1.0
                trend = 1 + (STAT_DAYS - back) / STAT_DAYS * 0.6
                views = int(base * weekday * trend * rng.uniform(0.7, 1.3))
                launches = views // rng.randint(8, 20)
                rows.append(OfferingDailyStat(offering=pl.offering, day=day, views=views, launches=launches))
                views_total, launches_total = views_total + views, launches_total + launches
            Offering.unscoped.filter(pk=pl.offering.pk).update(
                view_count=views_total + pl.offering.view_count, launch_count=launches_total + pl.offering.launch_count
            )
        return rows


def analyze(*models) -> None:
    """Refresh PostgreSQL's planner statistics of these tables after a bulk write."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))


def flush_demo_catalog() -> int:
    """Remove what the loader made. Refuses when someone else's listing builds on a demo model."""
    own = loader_offerings()
    outside = OfferingVersion.unscoped.filter(model_offering__in=own).exclude(offering__in=own)
    if outside.exists():
        raise DemoCatalogInUse(
            f"{outside.count()} listing version(s) outside the demo catalog use a demo model; not flushing."
        )
    count = own.count()
    versions = OfferingVersion.unscoped.filter(offering__in=own)
    own.update(live_version=None, status=OfferingStatus.DRAFT)
    OfferingChip.objects.filter(version__in=versions).delete()
    OfferingIndustry.objects.filter(version__in=versions).delete()
    Compatibility.objects.filter(model_offering__in=own).delete()
    OfferingDailyStat.objects.filter(offering__in=own).delete()
    Favourite.objects.filter(offering__in=own).delete()
    try:
        versions.delete()
        own.delete()
        loader_partners().delete()
    except ProtectedError as exc:
        raise DemoCatalogInUse(f"Demo offerings are in use and cannot be flushed: {exc.args[0]}") from exc
    return count
