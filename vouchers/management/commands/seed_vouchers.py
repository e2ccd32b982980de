"""Voucher programs, applications and a voucher for the demo (safe to run again)."""

from django.core.management.base import BaseCommand

from vouchers.demo import seed_vouchers


class Command(BaseCommand):
    help = "Set up the demo government's voucher programs, applications and the demo company's voucher."

    def handle(self, *args, **options):
        made = seed_vouchers()
        self.stdout.write(f"Vouchers: {made['programs']} programs, {made['applications']} new applications.")
