"""Placeholder until the demo catalog loader lands."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo ecosystem catalog."

    def handle(self, *args, **options):
        self.stdout.write("Demo catalog: not loaded yet.")
