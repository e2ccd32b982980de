"""Demo tenants, one of each kind, with a person for every role. Safe to run again.

Later issues extend this with the catalog, pools, programs and vouchers.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from tenants.choices import Industry, Province, SizeClass
from tenants.models import Membership, Tenant
from tenants.roles import Role, TenantKind
from tenants.scoping import tenant_context
from tenants.validators import uscc_check_char

DEMO_PASSWORD = "demo-pass-2026"
# A fixed TOTP secret for the demo staff, so a reviewer can log in with any authenticator app
# (or `manage.py demo_totp`). Never used outside the demo data.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

TENANTS = [
    {
        "kind": TenantKind.COMPANY,
        "name_zh": "成都莲花茶业有限公司",
        "name_en": "Chengdu Lotus Tea Co., Ltd.",
        "code17": "91510100MA6CLT001",
        "province": Province.SICHUAN,
        "city": "成都",
        "industry": Industry.RETAIL,
        "size_class": SizeClass.SMALL,
        "founded_on": "2019-03-18",
        "verified": True,
        "people": [
            ("owner@company.example", "王丽 Wang Li", Role.OWNER),
            ("admin@company.example", "陈刚 Chen Gang", Role.ADMIN),
            ("developer@company.example", "刘洋 Liu Yang", Role.DEVELOPER),
            ("billing@company.example", "赵敏 Zhao Min", Role.BILLING),
            ("viewer@company.example", "孙悦 Sun Yue", Role.VIEWER),
        ],
    },
    {
        "kind": TenantKind.PARTNER,
        "name_zh": "天府智算科技有限公司",
        "name_en": "Tianfu Intelligent Computing Technology Co., Ltd.",
        "code17": "91510100MA6TFC002",
        "province": Province.SICHUAN,
        "city": "成都",
        "industry": Industry.DATA_CENTRE,
        "size_class": SizeClass.MEDIUM,
        "founded_on": "2021-07-01",
        "verified": True,
        "people": [
            ("owner@partner.example", "周强 Zhou Qiang", Role.OWNER),
            ("listings@partner.example", "吴静 Wu Jing", Role.LISTING_MANAGER),
            ("viewer@partner.example", "郑涛 Zheng Tao", Role.VIEWER),
        ],
    },
    {
        "kind": TenantKind.GOVERNMENT,
        "name_zh": "成都市经济和信息化局",
        "name_en": "Chengdu Municipal Bureau of Economy and Information Technology",
        "code17": "11510100MB1EPT003",
        "province": Province.SICHUAN,
        "city": "成都",
        "industry": Industry.GOVERNMENT,
        "size_class": SizeClass.LARGE,
        "founded_on": None,
        "verified": True,
        "people": [
            ("manager@gov.example", "李华 Li Hua", Role.PROGRAM_MANAGER),
            ("reviewer@gov.example", "张伟 Zhang Wei", Role.REVIEWER),
            ("reviewer2@gov.example", "黄芳 Huang Fang", Role.REVIEWER),
            ("auditor@gov.example", "杨军 Yang Jun", Role.AUDITOR),
        ],
    },
    {
        "kind": TenantKind.OPERATOR,
        "name_zh": "智算工厂运营中心",
        "name_en": "AI Factory Operations Centre",
        "code17": "91510100MA6AFQ004",
        "province": Province.SICHUAN,
        "city": "成都",
        "industry": Industry.DATA_CENTRE,
        "size_class": SizeClass.LARGE,
        "founded_on": "2023-01-01",
        "verified": True,
        "people": [("staff@operator.example", "马超 Ma Chao", Role.STAFF)],
    },
]

MFA_KINDS = {TenantKind.GOVERNMENT, TenantKind.OPERATOR}


class Command(BaseCommand):
    help = "Create the demo tenants and people (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        rows = []
        for spec in TENANTS:
            code = spec["code17"] + uscc_check_char(spec["code17"])
            tenant, _ = Tenant.objects.update_or_create(
                credit_code=code,
                defaults={
                    "kind": spec["kind"],
                    "name_zh": spec["name_zh"],
                    "name_en": spec["name_en"],
                    "province": spec["province"],
                    "city": spec["city"],
                    "industry": spec["industry"],
                    "size_class": spec["size_class"],
                    "founded_on": spec["founded_on"],
                    "is_verified": spec["verified"],
                },
            )
            for email, name, role in spec["people"]:
                user = self._person(email, name, mfa=spec["kind"] in MFA_KINDS)
                with tenant_context(tenant):
                    Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
                rows.append((tenant.get_kind_display(), Role(role).label, email))
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD})"))
        for kind, role, email in rows:
            self.stdout.write(f"  {kind:<11} {role:<16} {email}")
        self.stdout.write(
            "Government and operator staff use two-factor authentication. Authenticator secret: "
            f"{DEMO_TOTP_SECRET}\n  or print the current code with: make demo-code EMAIL=reviewer@gov.example"
        )

    def _person(self, email: str, name: str, *, mfa: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name, language="zh-hans")
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        return user
