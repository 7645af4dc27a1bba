"""Enum spellings of the public contract (seeds and SPEC §3/§4): never rename a value."""

from django.db import models


class Scope(models.TextChoices):
    TARGETS_WRITE = "inbound.targets.write"
    TARGETS_WRITE_ALIAS = "targets.write"
    TARGETS_BATCH_WRITE = "inbound.targets.batch.write"
    CUSTOMERS_MAP = "customers.map"
    CUSTOMERS_WRITE = "customers.write"
    CUSTOMERS_READ = "customers.read"


class ImportJobKind(models.TextChoices):
    SINGLE = "Single"
    BATCH = "Batch"
    ASYNC = "Async"


class ImportJobStatus(models.TextChoices):
    ACCEPTED = "Accepted"
    PROCESSING = "Processing"
    COMPLETED = "Completed"
    COMPLETED_WITH_ERRORS = "CompletedWithErrors"


class ImportStatus(models.TextChoices):
    IMPORTED = "Imported"
    UPDATED = "Updated"
    FAILED = "Failed"


class ReviewState(models.TextChoices):
    """Whether an item waits for a dispatcher; only Open items are in the review queue."""

    NOT_NEEDED = "NotNeeded"
    OPEN = "Open"
    RESOLVED = "Resolved"
    DISMISSED = "Dismissed"
