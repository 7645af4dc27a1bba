"""seed_demo: a demo tenant to look around in. Safe to run twice; never meant for production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inbound.demo import DEMO_ADMIN, DEMO_DISPATCHER, demo_seed


class Command(BaseCommand):
    help = "Load demo data (tenant, client, customers, items to review) and print a fresh API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with DEBUG off (the demo logins have well-known passwords)",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates logins with well-known passwords; it runs only with DEBUG on "
                "(or with --force)."
            )
        with transaction.atomic():
            result = demo_seed()
        self.stdout.write(f"Demo tenant: {result.tenant.slug} ({result.tenant.name})")
        self.stdout.write(
            f"Integration client: {result.client.name} "
            f"(source system {result.client.source_system})"
        )
        self.stdout.write(f"Admin login:      {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}")
        self.stdout.write(f"Dispatcher login: {DEMO_DISPATCHER[0]} / {DEMO_DISPATCHER[1]}")
        self.stdout.write(f"Items waiting for review: {result.open_review_items}")
        self.stdout.write("Demo API key (new on every run; earlier demo keys are revoked):")
        self.stdout.write(result.api_key)
