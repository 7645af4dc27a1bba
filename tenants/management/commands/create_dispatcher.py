"""create_dispatcher: a staff user in the Dispatcher group, member of an existing tenant."""

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Tenant
from tenants.services import dispatcher_create_or_add_tenant, dispatcher_password_validate


class Command(BaseCommand):
    help = (
        "Create a dispatcher (staff user who works the review queue) for an existing tenant; "
        "for an existing user, add the tenant to the user's tenants and set the password. "
        "Django's password validators apply."
    )
    # call_command(..., stdin=StringIO(...)) feeds --password-stdin in tests.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--tenant", required=True, metavar="SLUG")
        password = parser.add_mutually_exclusive_group(required=True)
        password.add_argument(
            "--password", help="the password (visible in the process list and shell history)"
        )
        password.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )

    def _password(self, options) -> str:
        if not options["password_stdin"]:
            return options["password"]
        stdin = options.get("stdin") or sys.stdin
        # The first line without its line break, as `docker login --password-stdin` reads it.
        return stdin.readline().removesuffix("\n").removesuffix("\r")

    def handle(self, *args, **options) -> None:
        username = options["username"].strip()
        if not username or len(username) > 150:
            raise CommandError("USERNAME must have 1 to 150 characters")
        password = self._password(options)
        if not password:
            source = "standard input" if options["password_stdin"] else "--password"
            raise CommandError(f"The password from {source} must not be empty")
        try:
            tenant = Tenant.objects.get(slug=options["tenant"])
        except Tenant.DoesNotExist as exc:
            raise CommandError(
                f"No tenant with slug {options['tenant']!r}; create it first "
                "(e.g. with create_integration_client)."
            ) from exc
        try:
            dispatcher_password_validate(username=username, password=password)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        user, created = dispatcher_create_or_add_tenant(
            username=username, password=password, tenant=tenant
        )
        tenants = ", ".join(
            user.tenant_memberships.order_by("tenant__slug").values_list("tenant__slug", flat=True)
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} dispatcher {user.get_username()!r}; tenants: {tenants}")
