"""One attempt of a webhook delivery (SPEC §7), run by the `webhooks.deliver` task.

An attempt costs one query to load and one statement to record (the attempt inserted and the
delivery updated together), after the HTTP call: no transaction (and no row lock) is held while a
receiver takes its time. A failure that may be retried raises DeliveryRetry, which the task's
retry strategy turns into the next run of the same job, so the procrastinate lock of the
endpoint and target keeps the target's later events waiting.
"""

import contextlib
import email.utils
import functools
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ordinavo.db import column_count, fetch, instance_from_row, select_columns

from . import http, signing, ssrf
from .choices import DeliveryStatus, DisabledReason
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .payloads import endpoint_view

logger = logging.getLogger(__name__)

# Bounds of a receiver's Retry-After.
RETRY_AFTER_MIN_SECONDS = 1.0
RETRY_AFTER_MAX_SECONDS = 10 * 3600.0
JITTER = 0.1  # ±10% on the schedule's delays
ERROR_MAX_LENGTH = 500  # WebhookAttempt.error


class DeliveryRetry(Exception):
    """The attempt failed and the delivery is to be tried again at `retry_at`."""

    def __init__(self, message: str, *, retry_at: datetime):
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class Outcome:
    """An attempt's result, as recorded."""

    succeeded: bool
    status_code: int | None
    error: str
    body: str
    duration_ms: int
    retry_after: float | None  # seconds a 429/503 asked for


def retry_schedule() -> list[float]:
    """Seconds before each retry; read when deciding, so tests can shorten it."""
    return [float(seconds) for seconds in settings.WEBHOOK_RETRY_SCHEDULE]


def retry_delay(*, retries_done: int, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after `retries_done` retries (None: give up). A
    receiver's Retry-After (bounded) replaces the schedule's delay, with up to 10% added so that
    the deliveries it held back do not all come back in the same second."""
    schedule = retry_schedule()
    if retries_done >= len(schedule):
        return None
    if retry_after is not None:
        bounded = min(max(retry_after, RETRY_AFTER_MIN_SECONDS), RETRY_AFTER_MAX_SECONDS)
        return bounded * random.uniform(1.0, 1.0 + JITTER)  # noqa: S311 (jitter, not secrets)
    return schedule[retries_done] * random.uniform(1.0 - JITTER, 1.0 + JITTER)  # noqa: S311


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """A Retry-After header's wait: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by the RFC
        when = when.replace(tzinfo=now.tzinfo)
    return max((when - now).total_seconds(), 0.0)


def delivery_attempt(*, delivery_id: int, attempt: int, final: bool) -> None:
    """Run attempt number `attempt` (1 for the first run of the delivery's job) of a delivery;
    `final` when no retry may follow. Raises DeliveryRetry when it is to be retried."""
    delivery = delivery_get(delivery_id=delivery_id)
    if delivery is None:
        logger.warning("webhook delivery %s not found; nothing sent", delivery_id)
        return
    if delivery.status != DeliveryStatus.PENDING:
        return  # delivered, given up or cancelled meanwhile (a stalled job run again)
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.is_enabled:
        WebhookDelivery.objects.for_tenant(delivery.tenant_id).filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING
        ).update(status=DeliveryStatus.CANCELLED, next_attempt_at=None)
        return

    body = signing.envelope_body(
        event=event, data=endpoint_view(event.payload, event_type=event.type, endpoint=endpoint)
    )
    sent_at = timezone.now()
    headers = signing.signature_headers(event=event, endpoint=endpoint, body=body, sent_at=sent_at)
    try:
        target = ssrf.url_target(endpoint.url)
        addresses = ssrf.addresses_checked(target.host, target.port)
    except ssrf.WebhookUrlRefused as exc:
        outcome = Outcome(
            succeeded=False,
            status_code=None,
            error=f"Not sent: {exc}",
            body="",
            duration_ms=0,
            retry_after=None,
        )
    else:
        answer = http.post(
            target=target,
            addresses=addresses,
            body=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
        outcome = _outcome(answer, now=timezone.now())
    _record(delivery, outcome, attempted_at=sent_at, attempt=attempt, final=final)


def delivery_get(*, delivery_id: int) -> WebhookDelivery | None:
    """The delivery with its event and endpoint, all three of the delivery's own tenant.

    Every attempt reads it: hand-written SQL, run prepared (ordinavo.db), since compiling the
    ORM's three-table select cost about a millisecond of CPU per attempt."""
    rows = fetch(_delivery_sql(), [delivery_id])
    if not rows:
        return None
    (row,) = rows
    delivery = instance_from_row(WebhookDelivery, row)
    event_start = column_count(WebhookDelivery)
    delivery.event = instance_from_row(WebhookEvent, row, event_start)
    delivery.endpoint = instance_from_row(
        WebhookEndpoint, row, event_start + column_count(WebhookEvent)
    )
    return delivery


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


@functools.cache
def _delivery_sql() -> str:
    d, e, p = WebhookDelivery, WebhookEvent, WebhookEndpoint
    return (
        f"SELECT {select_columns(d, 'd')}, {select_columns(e, 'e')}, {select_columns(p, 'p')} "  # noqa: S608 (quoted identifiers)
        f"FROM {_table(d)} d "
        f"JOIN {_table(e)} e ON e.{_column(e, 'id')} = d.{_column(d, 'event')} "
        f"AND e.{_column(e, 'tenant')} = d.{_column(d, 'tenant')} "
        f"JOIN {_table(p)} p ON p.{_column(p, 'id')} = d.{_column(d, 'endpoint')} "
        f"AND p.{_column(p, 'tenant')} = d.{_column(d, 'tenant')} "
        f"WHERE d.{_column(d, 'id')} = %s"
    )


@functools.cache
def _record_sql() -> str:
    """One statement: the attempt inserted, the delivery updated (by tenant and key)."""
    a, d = WebhookAttempt, WebhookDelivery
    inserted = ", ".join(
        _column(a, name)
        for name in (
            "tenant", "delivery", "attempted_at", "status_code", "duration_ms", "succeeded",
            "error", "response_body",
        )
    )  # fmt: skip
    count = _column(d, "attempt_count")
    return (
        f"WITH attempt AS (INSERT INTO {_table(a)} ({inserted}) VALUES "  # noqa: S608 (quoted identifiers)
        "(%(tenant)s, %(delivery)s, %(attempted_at)s, %(status_code)s::integer, "
        "%(duration_ms)s, %(succeeded)s, %(error)s, %(body)s)) "
        f"UPDATE {_table(d)} SET {_column(d, 'status')} = %(status)s, {count} = {count} + 1, "
        f"{_column(d, 'last_attempt_at')} = %(attempted_at)s, "
        f"{_column(d, 'next_attempt_at')} = %(next_attempt_at)s::timestamptz, "
        f"{_column(d, 'delivered_at')} = %(delivered_at)s::timestamptz "
        f"WHERE {_column(d, 'tenant')} = %(tenant)s AND {_column(d, 'id')} = %(delivery)s "
        f"RETURNING {_column(d, 'id')}"
    )


def _outcome(answer: http.Answer, *, now: datetime) -> Outcome:
    status = answer.status
    succeeded = status is not None and 200 <= status < 300
    error = answer.error
    if not error and not succeeded:
        if status is not None and 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed"
        else:
            error = f"HTTP {status}"
    return Outcome(
        succeeded=succeeded,
        status_code=status,
        error=error[:ERROR_MAX_LENGTH],
        body=answer.body.decode("utf-8", errors="replace"),
        duration_ms=answer.duration_ms,
        retry_after=(
            retry_after_seconds(answer.retry_after, now=now) if status in (429, 503) else None
        ),
    )


def _record(
    delivery: WebhookDelivery,
    outcome: Outcome,
    *,
    attempted_at: datetime,
    attempt: int,
    final: bool,
) -> None:
    """Write the attempt, the delivery's new state and (when it changed) the endpoint's health
    in one transaction; raise DeliveryRetry afterwards when the delivery is to be tried again."""
    endpoint = delivery.endpoint
    now = timezone.now()
    endpoint_changes: dict = {}
    endpoint_only_if: dict = {}
    retry_at = None
    if outcome.succeeded:
        status = DeliveryStatus.DELIVERED
        if endpoint.failing_since is not None:
            endpoint_changes = {"failing_since": None}
    elif outcome.status_code == 410:
        status = DeliveryStatus.FAILED
        endpoint_changes = {
            "is_enabled": False,
            "disabled_reason": DisabledReason.GONE,
            "disabled_at": now,
        }
        endpoint_only_if = {"is_enabled": True}
    elif endpoint.failing_since is not None and now - endpoint.failing_since >= timedelta(
        days=settings.WEBHOOK_DISABLE_AFTER_FAILING_DAYS
    ):
        status = DeliveryStatus.FAILED
        endpoint_changes = {
            "is_enabled": False,
            "disabled_reason": DisabledReason.FAILING,
            "disabled_at": now,
        }
        endpoint_only_if = {"is_enabled": True}
    else:
        delay = (
            None
            if final
            else retry_delay(retries_done=attempt - 1, retry_after=outcome.retry_after)
        )
        if delay is None:
            status = DeliveryStatus.FAILED  # given up: the schedule ran out
        else:
            status = DeliveryStatus.PENDING
            retry_at = now + timedelta(seconds=delay)
        if endpoint.failing_since is None:  # the first failure of a run of them
            endpoint_changes = {"failing_since": now}
            endpoint_only_if = {"failing_since__isnull": True}
    tenant_id = delivery.tenant_id
    # One statement (so one transaction of its own); with the endpoint's update, when its health
    # changed (rarely), in one transaction.
    with transaction.atomic() if endpoint_changes else contextlib.nullcontext():
        fetch(
            _record_sql(),
            {
                "tenant": tenant_id,
                "delivery": delivery.pk,
                "attempted_at": attempted_at,
                "status_code": outcome.status_code,
                "duration_ms": outcome.duration_ms,
                "succeeded": outcome.succeeded,
                "error": outcome.error,
                "body": outcome.body,
                "status": status,
                "next_attempt_at": retry_at,
                "delivered_at": now if outcome.succeeded else None,
            },
        )
        if endpoint_changes:
            WebhookEndpoint.objects.for_tenant(tenant_id).filter(
                pk=endpoint.pk, **endpoint_only_if
            ).update(**endpoint_changes, updated_at=now)
    logger.log(
        logging.DEBUG if outcome.succeeded else logging.INFO,
        "webhook delivery %s attempt %s to endpoint %s: %s in %s ms",
        delivery.pk,
        attempt,
        endpoint.pk,
        outcome.status_code or outcome.error.split(":", 1)[0],
        outcome.duration_ms,
    )
    if retry_at is not None:
        raise DeliveryRetry(outcome.error, retry_at=retry_at)
