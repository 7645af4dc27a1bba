"""seed_demo: a demo tenant to look around in. Safe to run twice; never meant for production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from demo.seeding import DEMO_ADMIN, DEMO_DISPATCHER, DEMO_WEBHOOK_URL, demo_seed


class Command(BaseCommand):
    help = (
        "Load demo data (tenant, client, customers, items to review, a webhook endpoint, a visit "
        "report and a billing document) and print a fresh API key as the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with DEBUG off (the demo logins have well-known passwords)",
        )
        parser.add_argument(
            "--webhook-url",
            default=DEMO_WEBHOOK_URL,
            help=f"the demo endpoint's URL (default: the local inbox, {DEMO_WEBHOOK_URL}); "
            "the local settings allow http and 127.0.0.1",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates logins with well-known passwords; it runs only with DEBUG on "
                "(or with --force)."
            )
        with transaction.atomic():
            result = demo_seed(webhook_url=options["webhook_url"])
        self.stdout.write(f"Demo tenant: {result.tenant.slug} ({result.tenant.name})")
        self.stdout.write(
            f"Integration client: {result.client.name} "
            f"(source system {result.client.source_system})"
        )
        self.stdout.write(f"Admin login:      {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}")
        self.stdout.write(f"Dispatcher login: {DEMO_DISPATCHER[0]} / {DEMO_DISPATCHER[1]}")
        self.stdout.write(f"Items waiting for review: {result.open_review_items}")
        self.stdout.write(
            f"Visit reports: {result.visit_reports}, billing documents: "
            f"{result.billing_documents} (billing feature on, subscription "
            f"{result.tenant.billing_subscription})"
        )
        endpoint = result.webhook_endpoint
        if endpoint is None:
            self.stdout.write(
                f"No demo webhook endpoint: its URL was refused: {result.webhook_refused}"
            )
        else:
            self.stdout.write(
                f"Webhook endpoint: {endpoint.url} (every event type; the worker delivers; "
                "with DEBUG on the inbox there shows what arrived)"
            )
            if result.webhook_secret:
                self.stdout.write(
                    f"Webhook signing secret (shown this once): {result.webhook_secret}"
                )
        self.stdout.write("Demo API key (new on every run; earlier demo keys are revoked):")
        self.stdout.write(result.api_key)
