"""Webhook rows for the tests of endpoint management, the admin and the purges: written
directly (the outbox and the worker that write them in production are tested on their own)."""

from datetime import datetime

from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from inbound.models import IntegrationClient
from webhooks.choices import DeliveryStatus
from webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSendRequest,
)
from webhooks.outbox import SEND_TASK
from webhooks.services import webhook_endpoint_create

# Loopback over plain HTTP: what the test settings let the SSRF guard through (no DNS).
URL = "http://127.0.0.1:9/hooks"


def endpoint_make(client: IntegrationClient, url: str = URL, **options) -> WebhookEndpoint:
    endpoint, _secret = webhook_endpoint_create(client=client, url=url, **options)
    return endpoint


def event_make(
    client: IntegrationClient,
    *,
    type: str = "target.imported",
    target_id: int | None = 1,
    at: datetime | None = None,
    payload: dict | None = None,
) -> WebhookEvent:
    event = WebhookEvent.objects.create(
        tenant_id=client.tenant_id,
        client=client,
        type=type,
        target_id=target_id,
        payload=payload if payload is not None else {"target": {"id": target_id}},
    )
    if at is not None:  # created_at is auto_now_add: set afterwards
        WebhookEvent.objects.filter(pk=event.pk).update(created_at=at)
        event.created_at = at
    return event


def delivery_make(
    event: WebhookEvent,
    endpoint: WebhookEndpoint,
    *,
    status: str = DeliveryStatus.DELIVERED,
    attempt_count: int = 1,
) -> WebhookDelivery:
    now = timezone.now()
    return WebhookDelivery.objects.create(
        tenant_id=event.tenant_id,
        event=event,
        endpoint=endpoint,
        status=status,
        attempt_count=attempt_count,
        last_attempt_at=now if attempt_count else None,
        delivered_at=now if status == DeliveryStatus.DELIVERED else None,
    )


def attempt_make(
    delivery: WebhookDelivery,
    *,
    at: datetime | None = None,
    status_code: int | None = 200,
    body: str = "ok",
    error: str = "",
) -> WebhookAttempt:
    return WebhookAttempt.objects.create(
        tenant_id=delivery.tenant_id,
        delivery=delivery,
        attempted_at=at or timezone.now(),
        status_code=status_code,
        duration_ms=12,
        succeeded=status_code is not None and 200 <= status_code < 300,
        error=error,
        response_body=body,
    )


def send_jobs() -> list[ProcrastinateJob]:
    """The send-run jobs deferred so far, in the order they were deferred."""
    return list(ProcrastinateJob.objects.filter(task_name=SEND_TASK).order_by("id"))


def queued_delivery_ids() -> list[int]:
    """The pending deliveries a send run is asked for (their lane has a request and a job),
    in the order they go out (per target: event order)."""
    requested = {(r.endpoint_id, r.lane) for r in WebhookSendRequest.objects.all()}
    jobs = {(job.args["endpoint_id"], job.args["lane"]) for job in send_jobs()}
    assert requested <= jobs  # every request row has its job
    return [
        delivery.pk
        for delivery in WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).order_by(
            "event_id"
        )
        if (delivery.endpoint_id, delivery.lane) in requested
    ]
