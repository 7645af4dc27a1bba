"""Standard Webhooks (version 1) envelope and signature headers (SPEC §7), signed with the
`standardwebhooks` package itself, so a receiver verifying with it agrees by construction."""

import functools
from datetime import UTC, datetime
from typing import Any

import orjson
from standardwebhooks import Webhook

from .models import WebhookEndpoint, WebhookEvent


def envelope_body(*, event: WebhookEvent, data: dict[str, Any]) -> bytes:
    """The body, serialized once: these exact bytes are signed and sent. `timestamp` is when the
    event happened (the same on every attempt), ISO 8601 in UTC."""
    return orjson.dumps(
        {
            "type": event.type,
            "timestamp": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": data,
        }
    )


def signature_headers(
    *, event: WebhookEvent, endpoint: WebhookEndpoint, body: bytes, sent_at: datetime
) -> dict[str, str]:
    """`webhook-id` (the event's, the same on every retry), `webhook-timestamp` (this attempt)
    and `webhook-signature`: signed with the current secret, and also with the previous one
    while its grace period after a rotation lasts (space-separated, as the specification says)."""
    message_id = event.message_id
    sent_at = sent_at.astimezone(UTC).replace(microsecond=0)
    text = body.decode()
    secrets = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at is not None
        and endpoint.previous_secret_expires_at > sent_at
    ):
        secrets.append(endpoint.previous_secret)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": " ".join(
            _signer(secret).sign(message_id, sent_at, text) for secret in secrets
        ),
    }


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    # Decoding the base64 secret once per secret, not once per attempt.
    return Webhook(secret)
