"""create_dispatcher: a staff user in the Dispatcher group, member of an existing tenant."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Tenant
from tenants.services import dispatcher_create_or_add_tenant


class Command(BaseCommand):
    help = (
        "Create a dispatcher (staff user who works the review queue) for an existing tenant; "
        "for an existing user, add the tenant to the user's tenants and set the password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--tenant", required=True, metavar="SLUG")
        parser.add_argument("--password", required=True)

    def handle(self, *args, **options) -> None:
        username = options["username"].strip()
        if not username or len(username) > 150:
            raise CommandError("USERNAME must have 1 to 150 characters")
        if not options["password"]:
            raise CommandError("--password must not be empty")
        try:
            tenant = Tenant.objects.get(slug=options["tenant"])
        except Tenant.DoesNotExist as exc:
            raise CommandError(
                f"No tenant with slug {options['tenant']!r}; create it first "
                "(e.g. with create_integration_client)."
            ) from exc
        user, created = dispatcher_create_or_add_tenant(
            username=username, password=options["password"], tenant=tenant
        )
        tenants = ", ".join(
            user.tenant_memberships.order_by("tenant__slug").values_list("tenant__slug", flat=True)
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} dispatcher {user.get_username()!r}; tenants: {tenants}")
