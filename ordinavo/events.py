"""Domain events: what happened to business data, published inside the transaction that made it
happen, so a subscriber that records them (the webhooks outbox) commits or rolls back with the
change itself.

Lower apps publish here without knowing who listens (the webhooks app sits above them all and
subscribes in its AppConfig.ready). Publishers send one list per unit of work (a whole batch), so
a subscriber can resolve what it needs in bulk.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models
from django.dispatch import Signal


class EventType(models.TextChoices):
    """Event types of SPEC §7; the spelling is a public contract (webhook `type`)."""

    TARGET_IMPORTED = "target.imported", "Target imported"
    TARGET_UPDATED = "target.updated", "Target updated"
    TARGET_CUSTOMER_CONTEXT_CHANGED = (
        "target.customer_context_changed",
        "Target customer context changed",
    )
    VISIT_REPORT_SUBMITTED = "visit_report.submitted", "Visit report submitted"
    BILLING_CREATED = "billing.created", "Billing document created"
    IMPORT_JOB_COMPLETED = "import_job.completed", "Import job completed"
    WEBHOOK_TEST = "webhook.test", "Test event"


# Event types that are about one target: their deliveries keep the target's order.
TARGET_EVENT_TYPES = frozenset(
    {
        EventType.TARGET_IMPORTED,
        EventType.TARGET_UPDATED,
        EventType.TARGET_CUSTOMER_CONTEXT_CHANGED,
        EventType.VISIT_REPORT_SUBMITTED,
        EventType.BILLING_CREATED,
    }
)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One thing that happened. `client_id` is the integration client the event belongs to
    (the target's client); `subject_id` names the record of the event's type: the visit report,
    the billing document or the import job (None for target events)."""

    type: str
    tenant_id: int
    client_id: int
    target_id: int | None = None
    subject_id: int | None = None


# Sent with `events: Sequence[DomainEvent]`, in the order they happened.
domain_events = Signal()


def publish(events: Sequence[DomainEvent]) -> None:
    """Hand events to the subscribers. Call it inside the transaction of the change: the
    subscribers write in it, so nothing is announced that did not commit."""
    if events:
        domain_events.send(sender=DomainEvent, events=list(events))
