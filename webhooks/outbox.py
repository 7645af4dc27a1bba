"""The transactional outbox: events recorded, and their delivery jobs deferred, in the
transaction of the change that caused them."""

from collections.abc import Sequence

from procrastinate import jobs as procrastinate_jobs

from ordinavo.events import DomainEvent

from .models import WebhookDelivery

DELIVERY_TASK = "webhooks.deliver"
DELIVERY_QUEUE = "webhooks"


def delivery_lock(*, endpoint_id: int, target_id: int | None) -> str | None:
    """Deliveries of one target to one endpoint share a lock: procrastinate runs them one after
    the other in the order they were deferred, and a job waiting for its retry holds back the
    later ones (tests/webhooks/test_worker.py)."""
    if target_id is None:
        return None
    return f"webhook:{endpoint_id}:target:{target_id}"


def deliveries_defer(*, deliveries: Sequence[WebhookDelivery]) -> None:
    """Defer one delivery job per delivery, in one statement, on the current connection (so in
    the current transaction). `delivery.event` must be loaded or its `target_id` known."""
    from procrastinate.contrib.django import app

    if not deliveries:
        return
    app.job_manager.batch_defer_jobs(
        [
            procrastinate_jobs.Job(
                id=None,
                queue=DELIVERY_QUEUE,
                lock=delivery_lock(
                    endpoint_id=delivery.endpoint_id, target_id=delivery.event.target_id
                ),
                queueing_lock=None,
                task_name=DELIVERY_TASK,
                task_kwargs={"delivery_id": delivery.pk},
            )
            for delivery in deliveries
        ]
    )


def events_record(*, events: Sequence[DomainEvent]) -> None:
    """Record `events` for the endpoints of their clients that subscribe to them, with their
    payloads, and defer their deliveries. (Built by the outbox work of issue #14.)"""
