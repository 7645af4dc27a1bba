"""Event payloads (`data`): built when the event is recorded, shaped per endpoint when sent.
(Built by the outbox work of issue #14.)"""

from typing import Any

from .models import WebhookEndpoint


def endpoint_view(data: dict[str, Any], *, event_type: str, endpoint: WebhookEndpoint) -> dict:
    """The event's `data` as `endpoint` may receive it (its payload options applied)."""
    return data
