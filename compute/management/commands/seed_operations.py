"""Pools, prices, default quotas and demo credit for `make demo` (safe to run again)."""

from django.core.management.base import BaseCommand

from compute.demo import seed_operations
from tenants.models import Tenant
from tenants.roles import TenantKind

DEMO_COMPANY_CODE17 = "91510100MA6CLT001"


class Command(BaseCommand):
    help = "Set up pools, the price book, default quotas and the demo company's credit."

    def handle(self, *args, **options):
        company = Tenant.objects.filter(kind=TenantKind.COMPANY, credit_code__startswith=DEMO_COMPANY_CODE17).first()
        made = seed_operations(company)
        self.stdout.write(f"Operations: {made['pools']} new pools, {made['prices']} new prices; demo credit in place.")
