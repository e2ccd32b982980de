"""Print the current two-factor code of a demo account (only accounts using the demo secret)."""

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError

from tenants.management.commands.seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current TOTP code for a demo staff account."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        auth = Authenticator.objects.filter(user__email__iexact=email, type=Authenticator.Type.TOTP).first()
        if auth is None or decrypt(auth.data["secret"]) != DEMO_TOTP_SECRET:
            raise CommandError(f"{email} has no demo two-factor secret")
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30)))
