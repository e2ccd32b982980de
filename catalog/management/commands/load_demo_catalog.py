"""`manage.py load_demo_catalog`: the deterministic demo catalog (see catalog/services/demo_catalog.py)."""

import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from catalog.services.demo_catalog import (
    DEMO_STAFF_EMAIL,
    DemoCatalog,
    DemoCatalogInUse,
    demo_partner_code,
    flush_demo_catalog,
    loader_offerings,
    loader_partners,
)
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Load the demo ecosystem catalog (deterministic; skipped when already loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="Multiply the number of offerings (1–100).")
        parser.add_argument("--flush", action="store_true", help="Remove what the loader made, then load.")

    def handle(self, *args, scale: int, flush: bool, **options):
        if not 1 <= scale <= 100:
            raise CommandError("--scale must be between 1 and 100.")
        started = time.monotonic()
        with transaction.atomic():
            try:
                removed = flush_demo_catalog() if flush else 0
            except DemoCatalogInUse as exc:
                raise CommandError(str(exc)) from exc
            if loader_partners().exists():
                n = loader_offerings().count()
                self.stdout.write(f"Demo catalog already loaded ({n} offerings); use --flush to reload.")
                return
            demo_partner = Tenant.objects.filter(credit_code=demo_partner_code()).first()
            staff = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
            builder = DemoCatalog(scale)
            made = builder.write(demo_partner, staff)
        self.stdout.write(self.summary(builder, made, removed, demo_partner, time.monotonic() - started))

    def summary(self, builder, made, removed, demo_partner, seconds) -> str:
        kinds = Counter(pl.offering.kind for pl in builder.planned)
        families = {pl.spec["family"] for pl in builder.planned if pl.spec}
        status = Counter(c.status for c in builder.compat)
        partners = len(made["partners"]) + (demo_partner is not None)
        flushed = f"flushed {removed} offerings; " if removed else ""
        missing = "" if demo_partner else " (no seed_demo partner: run seed_demo first for the partner demo)"
        return (
            f"Demo catalog: {flushed}{partners} partners, {len(builder.planned)} offerings "
            f"(compute {kinds['compute']}, model {kinds['model']}, solution {kinds['solution']}), "
            f"{len(families)} model families, {len(builder.template_keys)} templates, "
            f"compatibility {len(builder.compat)} (verified {status['verified']}, experimental {status['experimental']}, "
            f"unsupported {status['unsupported']}), {len(builder.chips)} chip types, in {seconds:.1f} s.{missing}"
        )
