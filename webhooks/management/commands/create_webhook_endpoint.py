"""create_webhook_endpoint: an endpoint of an integration client; its secret is the last line."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inbound.models import IntegrationClient
from ordinavo.events import EventType
from tenants.models import Tenant
from webhooks.services import WebhookEndpointExists, webhook_endpoint_create
from webhooks.ssrf import WebhookUrlRefused


class Command(BaseCommand):
    help = (
        "Create a webhook endpoint for the integration client of a tenant and source system. "
        "Its signing secret (whsec_…) is printed once, as the last line of standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="tenant slug")
        parser.add_argument(
            "--source-system",
            required=True,
            metavar="SRC",
            help="the integration client's source system (e.g. sap-erp)",
        )
        parser.add_argument("--url", required=True, help="where events are POSTed (https)")
        parser.add_argument(
            "--events",
            nargs="+",
            metavar="TYPE",
            help=f"event types to send (default: all); choices: {', '.join(EventType.values)}",
        )
        parser.add_argument(
            "--no-contact-details",
            action="store_true",
            help="send a contact as its id and externalId only",
        )
        parser.add_argument(
            "--summary-preview", action="store_true", help="send visit reports' summaryPreview"
        )
        parser.add_argument(
            "--billing-details",
            action="store_true",
            help="send billing.created (also needs the tenant's billing feature and subscription)",
        )
        parser.add_argument("--description", default="", help="a note for the admin")

    def handle(self, *args, **options) -> None:
        slug, source_system = options["tenant"], options["source_system"].strip()
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"--tenant: no tenant {slug!r}")
        client = (
            IntegrationClient.objects.for_tenant(tenant).filter(source_system=source_system).first()
        )
        if client is None:
            raise CommandError(
                f"--source-system: tenant {slug!r} has no integration client for "
                f"{source_system!r} (create_integration_client makes one)"
            )
        try:
            with transaction.atomic():
                endpoint, secret = webhook_endpoint_create(
                    client=client,
                    url=options["url"],
                    event_types=options["events"],
                    include_contact_details=not options["no_contact_details"],
                    include_summary_preview=options["summary_preview"],
                    include_billing_details=options["billing_details"],
                    description=options["description"],
                )
        except WebhookUrlRefused as exc:
            raise CommandError(f"--url refused: {exc}") from exc
        except ValueError as exc:
            raise CommandError(f"--events: {exc}") from exc
        except WebhookEndpointExists as exc:
            raise CommandError(str(exc)) from exc
        events = " ".join(endpoint.event_types) or "all"
        self.stdout.write(
            f"Created webhook endpoint {endpoint.pk} for client {client.name!r} of tenant "
            f"{tenant.slug!r}: {endpoint.url}"
        )
        self.stdout.write(f"Event types: {events}")
        options_shown = [
            f"contact details {'on' if endpoint.include_contact_details else 'off'}",
            f"summary preview {'on' if endpoint.include_summary_preview else 'off'}",
            f"billing details {'on' if endpoint.include_billing_details else 'off'}",
        ]
        self.stdout.write(f"Payload options: {', '.join(options_shown)}")
        if endpoint.include_billing_details and not tenant.billing_configured:
            self.stdout.write(
                "Note: billing.created is not sent until the tenant's billing feature is enabled "
                "with a subscription (admin, Tenants)."
            )
        self.stdout.write("The signing secret is shown once, on the next line. Store it now:")
        self.stdout.write(secret)
