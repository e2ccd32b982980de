"""Voucher programs for the demo: the Chengdu bureau's open program (modelled on published rules:
a base ratio, a higher one for domestic chips, a yearly cap per company, four-eyes above ¥50,000),
a draft special program, applications from small companies in every state, and a voucher for the
demo company so its launch estimates show the split. Safe to run again."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from catalog.choices import OfferingKind
from tenants.choices import Industry, Province, SizeClass
from tenants.models import Membership, Tenant
from tenants.roles import Role, TenantKind
from tenants.validators import uscc_check_char
from vouchers import services
from vouchers.models import Application, ApplicationState, Program

GOV_CODE17 = "11510100MB1EPT003"
COMPANY_CODE17 = "91510100MA6CLT001"

SMES = [
    ("成都蓉城优选商贸有限公司", "Rongcheng Select Trading", Industry.RETAIL, SizeClass.MICRO, "2024-04-02", 30_000_00),
    (
        "四川锦江康养医疗科技有限公司",
        "Jinjiang Care Medical Tech",
        Industry.HEALTH,
        SizeClass.SMALL,
        "2018-09-12",
        80_000_00,
    ),
    (
        "成都天府智造精密机械有限公司",
        "Tianfu Precision Machinery",
        Industry.MANUFACTURING,
        SizeClass.MEDIUM,
        "2012-06-30",
        150_000_00,
    ),
    ("绵阳启明教育科技有限公司", "Qiming Education Tech", Industry.EDUCATION, SizeClass.SMALL, "2020-02-17", 45_000_00),
    (
        "成都云翼低空科技有限公司",
        "Yunyi Low-Altitude Tech",
        Industry.LOW_ALTITUDE,
        SizeClass.MICRO,
        "2025-01-08",
        60_000_00,
    ),
    ("德阳川西物流有限公司", "Chuanxi Logistics", Industry.TRANSPORTATION, SizeClass.MEDIUM, "2015-11-03", 120_000_00),
    (
        "成都蜀光影视文化传媒有限公司",
        "Shuguang Film & Media",
        Industry.FILM_MEDIA,
        SizeClass.SMALL,
        "2019-05-21",
        25_000_00,
    ),
    ("乐山嘉州农业科技有限公司", "Jiazhou Agri-Tech", Industry.AGRICULTURE, SizeClass.MICRO, "2022-08-15", 18_000_00),
]


def _code(prefix: str, n: int) -> str:
    first17 = f"{prefix}{n:04d}"[:17]
    return first17 + uscc_check_char(first17)


@transaction.atomic
def seed_vouchers() -> dict[str, int]:
    gov = Tenant.objects.filter(kind=TenantKind.GOVERNMENT, credit_code__startswith=GOV_CODE17).first()
    company = Tenant.objects.filter(kind=TenantKind.COMPANY, credit_code__startswith=COMPANY_CODE17).first()
    if gov is None:
        return {"programs": 0, "applications": 0}
    staff = {m.role: m.user for m in Membership.unscoped.filter(tenant=gov).select_related("user")}
    manager, reviewer = staff.get(Role.PROGRAM_MANAGER), staff.get(Role.REVIEWER)
    reviewers = [m.user for m in Membership.unscoped.filter(tenant=gov, role=Role.REVIEWER).order_by("user__email")]
    today = timezone.localdate()
    program, created = Program.unscoped.get_or_create(
        code="CD-AI-2026",
        defaults={
            "tenant": gov,
            "name": "成都市算力券（2026 年度） Chengdu Compute Vouchers 2026",
            "description": (
                "支持中小企业使用智算中心算力和行业解决方案。国产芯片算力按 30% 补贴，其他按 20%；"
                "初创企业 40%。\nHelps small companies use the AI factory's compute and solution templates: "
                "30% of compute on domestic chips, 20% on others, 40% for startups."
            ),
            "budget_fen": 5_000_000_00,
            "ratio_bp": 2000,
            "domestic_ratio_bp": 3000,
            "startup_ratio_bp": 4000,
            "startup_max_age_months": 36,
            "max_per_voucher_fen": 200_000_00,
            "max_per_company_fen": 2_000_000_00,
            "max_per_company_year_fen": 2_000_000_00,
            "four_eyes_above_fen": 50_000_00,
            "offering_kinds": [OfferingKind.COMPUTE, OfferingKind.SOLUTION],
            "provinces": [Province.SICHUAN],
            "min_company_age_months": 6,
            "applications_open_on": today - timedelta(days=30),
            "applications_close_on": date(today.year + 1, 3, 31),
            "voucher_valid_days": 365,
            "created_by": manager,
        },
    )
    if created:
        services.open_program(program, manager)
        Program.unscoped.get_or_create(
            code="CD-EAI-2027",
            defaults={
                "tenant": gov,
                "name": "具身智能与低空经济专项算力券 Embodied AI & Low-Altitude Vouchers",
                "budget_fen": 2_000_000_00,
                "ratio_bp": 5000,
                "max_per_voucher_fen": 300_000_00,
                "four_eyes_above_fen": 100_000_00,
                "offering_kinds": [OfferingKind.COMPUTE],
                "domestic_chips_only": True,
                "industries": [Industry.EMBODIED_AI, Industry.LOW_ALTITUDE],
                "applications_open_on": date(today.year + 1, 1, 1),
                "applications_close_on": date(today.year + 1, 6, 30),
                "voucher_valid_days": 365,
                "created_by": manager,
            },
        )
    program.refresh_from_db()
    made = 0
    if created:
        for n, (name_zh, name_en, industry, size, founded, amount) in enumerate(SMES, start=1):
            sme, _ = Tenant.objects.get_or_create(
                credit_code=_code("91510100MA7DM", n),
                defaults={
                    "kind": TenantKind.COMPANY,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "province": Province.SICHUAN,
                    "city": "成都",
                    "industry": industry,
                    "size_class": size,
                    "founded_on": date.fromisoformat(founded),
                    "is_verified": True,
                },
            )
            application = services.submit_application(
                program=program,
                company=sme,
                actor=None,
                amount_fen=amount,
                purpose="用行业模板训练和部署 AI 应用 / Train and run an AI app from a solution template",
                expected_outcome="降本增效 / Lower costs, faster service",
            )
            made += 1
            # Some are decided (to fill the report), the rest wait for the reviewers.
            if n in (1, 3, 6):
                application = services.approve(application, reviewers[0])
                if application.state == ApplicationState.SECOND_REVIEW and len(reviewers) > 1:
                    services.approve(application, reviewers[1])
            elif n == 8:
                services.reject(
                    application, reviewer, "经营范围与申报项目不符 / Business scope does not match the project"
                )
            elif n == 2:
                services.approve(application, reviewers[0])  # above ¥50,000: waits for a second reviewer
        if company is not None and not Application.unscoped.filter(tenant=company, program=program).exists():
            owner = Membership.unscoped.filter(tenant=company, role=Role.OWNER).select_related("user").first()
            application = services.submit_application(
                program=program,
                company=company,
                actor=owner.user if owner else None,
                amount_fen=20_000_00,
                purpose="客服知识库与销量预测 / Customer-service knowledge base and demand forecasting",
                expected_outcome="客服响应时间减半 / Halve customer-service response time",
            )
            services.approve(application, reviewers[-1])
            made += 1
    return {"programs": Program.unscoped.filter(tenant=gov).count(), "applications": made}
