"""purge_idempotency_keys: forget Idempotency-Keys past their retention (run it from cron)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from inbound.services import idempotency_records_purge


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key records older than the retention (default 24 hours)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=int,
            default=None,
            help="retention in hours; never less than IDEMPOTENCY_RETENTION_HOURS",
        )

    def handle(self, *args, **options) -> None:
        minimum = settings.INBOUND_LIMITS["IDEMPOTENCY_RETENTION_HOURS"]
        hours = max(options["older_than_hours"] or minimum, minimum)
        deleted = idempotency_records_purge(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {deleted} idempotency record(s) older than {hours} hours.")
