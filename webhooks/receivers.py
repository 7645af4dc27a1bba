"""The webhooks app's subscription to domain events (connected in WebhooksConfig.ready)."""

from collections.abc import Sequence

from ordinavo.events import DomainEvent

from .outbox import events_record


def domain_events_record(sender, *, events: Sequence[DomainEvent], **kwargs) -> None:
    events_record(events=events)
