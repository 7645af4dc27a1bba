"""create_integration_client: tenant (if missing), client and API key; the key is the last line."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from django.db import transaction

from inbound.choices import Scope
from inbound.services import (
    DEFAULT_SCOPES,
    IntegrationClientExists,
    api_key_issue,
    integration_client_create,
)
from mapping.choices import MatchingStrategy
from tenants.services import tenant_get_or_create


def _slug(value: str) -> str:
    try:
        validate_slug(value)
    except ValidationError as exc:
        raise CommandError(f"--tenant: {value!r} is not a slug (letters, digits, - and _)") from exc
    return value


class Command(BaseCommand):
    help = (
        "Create an integration client (and its tenant if missing) with an API key. "
        "The key is printed once, as the last line of standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="tenant slug")
        parser.add_argument("--name", required=True, help="client name, unique per tenant")
        parser.add_argument(
            "--source-system",
            required=True,
            metavar="SRC",
            help="external system name, unique per tenant (e.g. sap-erp)",
        )
        parser.add_argument(
            "--strategy",
            choices=MatchingStrategy.values,
            default=MatchingStrategy.EXTERNAL_ID_FIRST,
        )
        parser.add_argument(
            "--scopes",
            nargs="+",
            choices=Scope.values,
            metavar="SCOPE",
            help=f"scopes of the key (default: {' '.join(DEFAULT_SCOPES)}); "
            f"choices: {', '.join(Scope.values)}",
        )
        parser.add_argument("--allow-contact-create", action="store_true")
        parser.add_argument("--customer-number-fallback", action="store_true")

    def handle(self, *args, **options) -> None:
        slug = _slug(options["tenant"])
        name = options["name"].strip()
        source_system = options["source_system"].strip()
        if not name or not source_system:
            raise CommandError("--name and --source-system must not be empty")
        if len(name) > 100 or len(source_system) > 100:
            raise CommandError("--name and --source-system have at most 100 characters")
        try:
            with transaction.atomic():
                tenant = tenant_get_or_create(slug=slug)
                client = integration_client_create(
                    tenant=tenant,
                    name=name,
                    source_system=source_system,
                    strategy=MatchingStrategy(options["strategy"]),
                    allow_contact_create=options["allow_contact_create"],
                    customer_number_fallback=options["customer_number_fallback"],
                )
                api_key, plaintext = api_key_issue(
                    client=client, name=f"{name} key", scopes=options["scopes"] or DEFAULT_SCOPES
                )
        except IntegrationClientExists as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Created integration client {client.name!r} (id {client.pk}) for tenant "
            f"{tenant.slug!r}, source system {client.source_system!r}, strategy {client.strategy}."
        )
        self.stdout.write(f"API key {api_key.prefix} with scopes: {' '.join(api_key.scopes)}")
        self.stdout.write("The key is shown once, on the next line. Store it now:")
        self.stdout.write(plaintext)
