"""purge_import_payloads: clear import payloads past their retention (SPEC §9; run it daily)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from inbound.services import PAYLOAD_PURGE_BATCH_SIZE, import_payloads_purge


class Command(BaseCommand):
    help = (
        "Clear the incoming customer, location and contact data of import items that wait for "
        "no review and were resolved (or, never reviewed, imported) more than "
        "IMPORT_PAYLOAD_RETENTION_DAYS ago. Statuses, warnings, decisions and links stay."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            help="retention in days; never less than IMPORT_PAYLOAD_RETENTION_DAYS",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=PAYLOAD_PURGE_BATCH_SIZE,
            help=f"rows per UPDATE (default {PAYLOAD_PURGE_BATCH_SIZE})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the payloads that would be cleared"
        )

    def handle(self, *args, **options) -> None:
        minimum = settings.IMPORT_PAYLOAD_RETENTION_DAYS
        days = max(options["older_than_days"] or minimum, minimum)
        batch_size = max(options["batch_size"], 1)
        count = import_payloads_purge(
            older_than=timedelta(days=days), batch_size=batch_size, dry_run=options["dry_run"]
        )
        verb = "Would clear" if options["dry_run"] else "Cleared"
        self.stdout.write(f"{verb} {count} import item payload(s) kept longer than {days} days.")
