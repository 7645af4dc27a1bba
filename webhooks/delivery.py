"""Send runs (SPEC §7): the `webhooks.send` task sends the due deliveries of one lane of an
endpoint, oldest event first, over the worker's kept connection, and records them in batches.

An endpoint's deliveries go through WEBHOOK_LANES_PER_ENDPOINT lanes, a target's always through
the same one, and procrastinate runs one job per lane at a time (its `lock`), so lanes go out in
parallel and a target's events in order. Which deliveries are due is the database's to say: a
pending delivery whose time has come (`next_attempt_at` empty or past) and no earlier event of
the same target still pending for the endpoint. So a delivery waiting for its retry holds back
the later events of its target, and only those.

A batch costs one query to read and one statement to record (attempts inserted, deliveries
updated), around the HTTP calls: no transaction (and no row lock) is held while a receiver takes
its time. A failed attempt leaves its delivery Pending with `next_attempt_at` set (the retry
schedule, or the receiver's Retry-After); `webhooks.tasks.retries_due` asks for the run of a
lane whose retries come due.
"""

import email.utils
import functools
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ordinavo.db import fetch, instance_from_row, quoted_column, quoted_table, select_columns

from . import http, signing, ssrf
from .choices import DeliveryStatus, DisabledReason
from .models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSendRequest,
)
from .payloads import endpoint_view

logger = logging.getLogger(__name__)

# Bounds of a receiver's Retry-After.
RETRY_AFTER_MIN_SECONDS = 1.0
RETRY_AFTER_MAX_SECONDS = 10 * 3600.0
JITTER = 0.1  # ±10% on the schedule's delays
ERROR_MAX_LENGTH = 500  # WebhookAttempt.error


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


@dataclass(slots=True)
class DueDelivery:
    """A delivery as a send run reads it: with what its event's envelope needs."""

    id: int
    attempt_count: int
    event: WebhookEvent


@dataclass(slots=True)
class Attempted:
    """A delivery attempted, to be recorded: its outcome and its new state."""

    delivery_id: int
    attempted_at: datetime
    outcome: Outcome
    status: str
    next_attempt_at: datetime | None


def lane_send(
    *, tenant_id: int, endpoint_id: int, lane: int, run_seconds: float | None = None
) -> bool:
    """Send the due deliveries of one lane of an endpoint, batch by batch, until none is due
    (True) or `run_seconds` (WEBHOOK_SEND_RUN_SECONDS) have passed (False: the caller asks for
    another run, so that one lane cannot keep a worker from the others, nor from stopping).
    A transport failure (no answer: refused, timed out) ends the run too: the endpoint is not
    called again for the rest until the next run."""
    deadline = time.monotonic() + (
        settings.WEBHOOK_SEND_RUN_SECONDS if run_seconds is None else run_seconds
    )
    # Later deliveries of the lane ask for a run of their own from now on (webhooks.outbox).
    fetch(_request_clear_sql(), [endpoint_id, lane])
    while True:
        endpoint = endpoint_get(tenant_id=tenant_id, endpoint_id=endpoint_id)
        if endpoint is None:
            return True  # deleted, and its deliveries with it
        if not endpoint.is_enabled:
            _lane_cancel(tenant_id=tenant_id, endpoint_id=endpoint_id, lane=lane)
            return True
        due = deliveries_due(
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            lane=lane,
            limit=settings.WEBHOOK_SEND_BATCH_SIZE,
        )
        if not due:
            return True
        go_on = batch_send(endpoint=endpoint, due=due, deadline=deadline)
        if not endpoint.is_enabled:
            _lane_cancel(tenant_id=tenant_id, endpoint_id=endpoint_id, lane=lane)
            return True
        if not go_on:
            return True
        if time.monotonic() >= deadline:
            return False


def batch_send(
    *, endpoint: WebhookEndpoint, due: Sequence[DueDelivery], deadline: float | None = None
) -> bool:
    """Send `due` (of `endpoint`, with its tenant) one after the other and record them; stop
    early at `deadline` (time.monotonic) or when the endpoint is disabled (a 410) or gives no
    answer (refused, timed out: the rest waits for another run). False after such a stop.
    A disabled endpoint gets nothing: its deliveries are Cancelled."""
    if not endpoint.is_enabled:
        WebhookDelivery.objects.for_tenant(endpoint.tenant_id).filter(
            pk__in=[d.id for d in due], status=DeliveryStatus.PENDING
        ).update(status=DeliveryStatus.CANCELLED, next_attempt_at=None)
        return False
    attempted = []
    go_on = True
    try:  # its URL, parsed once a batch; the address is checked before every attempt
        target: ssrf.UrlTarget | ssrf.WebhookUrlRefused = ssrf.url_target(endpoint.url)
    except ssrf.WebhookUrlRefused as exc:
        target = exc
    for delivery in due:
        done = _attempt(delivery, endpoint, target)
        attempted.append(done)
        health = _health(endpoint, done)
        if health is not None:
            endpoint_health_record(endpoint=endpoint, changes=health)
        if not endpoint.is_enabled or done.outcome.status_code is None:
            go_on = False
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
    attempts_record(tenant_id=endpoint.tenant_id, attempted=attempted)
    return go_on


def deliveries_due(*, tenant_id: int, endpoint_id: int, lane: int, limit: int) -> list[DueDelivery]:
    """The next deliveries of a lane that may be sent now, in event order: Pending, their time
    come, and no earlier event of their target still pending for the endpoint. With its event."""
    rows = fetch(_due_sql(), [tenant_id, endpoint_id, lane, limit])
    start = 2
    return [
        DueDelivery(
            id=row[0], attempt_count=row[1], event=instance_from_row(WebhookEvent, row, start)
        )
        for row in rows
    ]


def lanes_with_due_deliveries() -> list[tuple[int, int, int]]:
    """(tenant id, endpoint id, lane) of every lane with a delivery that may be sent now."""
    return [tuple(row) for row in fetch(_lanes_due_sql())]


def endpoint_get(*, tenant_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint, read afresh for each batch (a disabling or a rotation shows at once);
    prepared (ordinavo.db.fetch): the ORM's compiling cost more than the query."""
    rows = fetch(_endpoint_sql(), [tenant_id, endpoint_id])
    return instance_from_row(WebhookEndpoint, rows[0]) if rows else None


def _attempt(
    delivery: DueDelivery,
    endpoint: WebhookEndpoint,
    target: ssrf.UrlTarget | ssrf.WebhookUrlRefused,
) -> Attempted:
    event = delivery.event
    body = signing.envelope_body(
        event=event, data=endpoint_view(event.payload, event_type=event.type, endpoint=endpoint)
    )
    sent_at = timezone.now()
    headers = signing.signature_headers(event=event, endpoint=endpoint, body=body, sent_at=sent_at)
    try:
        if isinstance(target, ssrf.WebhookUrlRefused):
            raise target
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
    now = timezone.now()
    next_attempt_at = None
    if outcome.succeeded:
        status = DeliveryStatus.DELIVERED
    elif outcome.status_code == 410 or _failing_too_long(endpoint, now):
        status = DeliveryStatus.FAILED
    else:
        delay = retry_delay(retries_done=delivery.attempt_count, retry_after=outcome.retry_after)
        if delay is None:
            status = DeliveryStatus.FAILED  # given up: the schedule ran out
        else:
            status = DeliveryStatus.PENDING
            next_attempt_at = now + timedelta(seconds=delay)
    logger.log(
        logging.DEBUG if outcome.succeeded else logging.INFO,
        "webhook delivery %s attempt %s to endpoint %s: %s in %s ms",
        delivery.id,
        delivery.attempt_count + 1,
        endpoint.pk,
        outcome.status_code or outcome.error.split(":", 1)[0],
        outcome.duration_ms,
    )
    return Attempted(
        delivery_id=delivery.id,
        attempted_at=sent_at,
        outcome=outcome,
        status=status,
        next_attempt_at=next_attempt_at,
    )


def _failing_too_long(endpoint: WebhookEndpoint, now: datetime) -> bool:
    return endpoint.failing_since is not None and now - endpoint.failing_since >= timedelta(
        days=settings.WEBHOOK_DISABLE_AFTER_FAILING_DAYS
    )


def _health(endpoint: WebhookEndpoint, done: Attempted) -> dict | None:
    """What the attempt changes of the endpoint's health (applied to `endpoint` too), if
    anything: a success ends a run of failures, the first failure starts one, a 410 or five
    days of failures disable it."""
    now = timezone.now()
    if done.outcome.succeeded:
        if endpoint.failing_since is None:
            return None
        endpoint.failing_since = None
        return {"failing_since": None}
    if done.outcome.status_code == 410 or _failing_too_long(endpoint, now):
        reason = DisabledReason.GONE if done.outcome.status_code == 410 else DisabledReason.FAILING
        endpoint.is_enabled = False
        return {"is_enabled": False, "disabled_reason": reason, "disabled_at": now}
    if endpoint.failing_since is None:  # the first failure of a run of them
        endpoint.failing_since = now
        return {"failing_since": now}
    return None


def endpoint_health_record(*, endpoint: WebhookEndpoint, changes: dict) -> None:
    """Write an endpoint's health as an attempt changed it: disabling only an enabled endpoint
    (the admin may have enabled it again meanwhile), starting a run of failures only once."""
    only_if: dict = {}
    if changes.get("is_enabled") is False:
        only_if = {"is_enabled": True}
    elif changes.get("failing_since") is not None:
        only_if = {"failing_since__isnull": True}
    WebhookEndpoint.objects.for_tenant(endpoint.tenant_id).filter(pk=endpoint.pk, **only_if).update(
        **changes, updated_at=timezone.now()
    )


def attempts_record(*, tenant_id: int, attempted: Sequence[Attempted]) -> None:
    """The attempts inserted and their deliveries updated, in one statement."""
    if not attempted:
        return
    fetch(
        _record_sql(),
        {
            "ids": [a.delivery_id for a in attempted],
            "attempted_at": [a.attempted_at for a in attempted],
            "status_code": [a.outcome.status_code for a in attempted],
            "duration_ms": [a.outcome.duration_ms for a in attempted],
            "succeeded": [a.outcome.succeeded for a in attempted],
            "error": [a.outcome.error for a in attempted],
            "body": [a.outcome.body for a in attempted],
            "status": [a.status for a in attempted],
            "next_attempt_at": [a.next_attempt_at for a in attempted],
            "delivered_at": [a.attempted_at if a.outcome.succeeded else None for a in attempted],
            "tenant": tenant_id,
        },
    )


def _lane_cancel(*, tenant_id: int, endpoint_id: int, lane: int) -> None:
    """A disabled endpoint's pending deliveries of the lane are not sent: Cancelled."""
    WebhookDelivery.objects.for_tenant(tenant_id).filter(
        endpoint_id=endpoint_id, lane=lane, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.CANCELLED, next_attempt_at=None)


@functools.cache
def _endpoint_sql() -> str:
    e = WebhookEndpoint
    return (
        f"SELECT {select_columns(e, 'e')} FROM {quoted_table(e)} e "  # noqa: S608 (quoted identifiers)
        f"WHERE e.{quoted_column(e, 'tenant')} = %s AND e.{quoted_column(e, 'id')} = %s"
    )


@functools.cache
def _request_clear_sql() -> str:
    r = WebhookSendRequest
    return (
        f"DELETE FROM {quoted_table(r)} WHERE {quoted_column(r, 'endpoint')} = %s "  # noqa: S608 (quoted identifiers)
        f"AND {quoted_column(r, 'lane')} = %s RETURNING 1"
    )


# A delivery is due: Pending, its time come; the status a literal, as in the partial indexes.
_PENDING = f"'{DeliveryStatus.PENDING.value}'"


@functools.cache
def _due_sql() -> str:
    """Parameters: tenant id, endpoint id, lane, limit. Walks the lane's pending deliveries in
    event order (webhooks_delivery_lane_pending); an earlier pending event of the same target is
    one probe of webhooks_delivery_target_wait."""
    d, e = WebhookDelivery, WebhookEvent
    c = {name: quoted_column(d, name) for name in ("id", "tenant", "endpoint", "lane", "event")}
    return (
        f"SELECT d.{c['id']}, d.{quoted_column(d, 'attempt_count')}, {select_columns(e, 'e')} "  # noqa: S608 (quoted identifiers)
        f"FROM {quoted_table(d)} d JOIN {quoted_table(e)} e "
        f"ON e.{quoted_column(e, 'id')} = d.{c['event']} "
        f"AND e.{quoted_column(e, 'tenant')} = d.{c['tenant']} "
        f"WHERE d.{c['tenant']} = %s AND d.{c['endpoint']} = %s AND d.{c['lane']} = %s "
        f"AND {_due_condition('d')} ORDER BY d.{c['event']} LIMIT %s"
    )


def _due_condition(alias: str) -> str:
    """A pending delivery `alias` whose time has come and whose target has no earlier event
    pending for the endpoint."""
    d = WebhookDelivery
    c = {name: quoted_column(d, name) for name in (
        "endpoint", "event", "target_id", "status", "next_attempt_at",
    )}  # fmt: skip
    return (
        f"{alias}.{c['status']} = {_PENDING} "  # noqa: S608 (quoted identifiers)
        f"AND ({alias}.{c['next_attempt_at']} IS NULL "
        f"OR {alias}.{c['next_attempt_at']} <= statement_timestamp()) "
        f"AND ({alias}.{c['target_id']} IS NULL OR NOT EXISTS (SELECT 1 FROM {quoted_table(d)} p "
        f"WHERE p.{c['endpoint']} = {alias}.{c['endpoint']} "
        f"AND p.{c['target_id']} = {alias}.{c['target_id']} "
        f"AND p.{c['status']} = {_PENDING} AND p.{c['event']} < {alias}.{c['event']}))"
    )


@functools.cache
def _lanes_due_sql() -> str:
    d = WebhookDelivery
    columns = ", ".join(f"d.{quoted_column(d, name)}" for name in ("tenant", "endpoint", "lane"))
    return f"SELECT DISTINCT {columns} FROM {quoted_table(d)} d WHERE {_due_condition('d')}"  # noqa: S608 (quoted identifiers)


@functools.cache
def _record_sql() -> str:
    """Parameters: %(ids)s and nine more arrays in step (attempted at, status code, duration,
    succeeded, error, answer, new status, next attempt, delivered at), %(tenant)s. The
    deliveries are found by their keys (an index scan of the primary key for the array: joined
    with the values alone, PostgreSQL hashed every delivery of the tenant)."""
    a, d = WebhookAttempt, WebhookDelivery
    inserted = ", ".join(
        quoted_column(a, name)
        for name in (
            "tenant", "delivery", "attempted_at", "status_code", "duration_ms", "succeeded",
            "error", "response_body",
        )
    )  # fmt: skip
    count = quoted_column(d, "attempt_count")
    key = quoted_column(d, "id")
    return (
        "WITH o AS MATERIALIZED (SELECT * FROM unnest(%(ids)s::bigint[], "  # noqa: S608 (quoted identifiers)
        "%(attempted_at)s::timestamptz[], %(status_code)s::integer[], %(duration_ms)s::integer[], "
        "%(succeeded)s::boolean[], %(error)s::text[], %(body)s::text[], %(status)s::text[], "
        "%(next_attempt_at)s::timestamptz[], %(delivered_at)s::timestamptz[]) "
        "AS o(delivery_id, attempted_at, status_code, duration_ms, succeeded, error, body, "
        "status, next_attempt_at, delivered_at)), "
        f"a AS (INSERT INTO {quoted_table(a)} ({inserted}) "
        "SELECT %(tenant)s::bigint, o.delivery_id, "
        "o.attempted_at, o.status_code, o.duration_ms, o.succeeded, o.error, o.body FROM o) "
        f"UPDATE {quoted_table(d)} d SET {quoted_column(d, 'status')} = o.status, "
        f"{count} = d.{count} + 1, "
        f"{quoted_column(d, 'last_attempt_at')} = o.attempted_at, "
        f"{quoted_column(d, 'next_attempt_at')} = o.next_attempt_at, "
        f"{quoted_column(d, 'delivered_at')} = o.delivered_at "
        f"FROM o WHERE d.{key} = ANY(%(ids)s::bigint[]) AND d.{key} = o.delivery_id "
        f"AND d.{quoted_column(d, 'tenant')} = %(tenant)s::bigint RETURNING d.{key}"
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
        # PostgreSQL text holds no NUL.
        body=answer.body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        duration_ms=answer.duration_ms,
        retry_after=(
            retry_after_seconds(answer.retry_after, now=now) if status in (429, 503) else None
        ),
    )
