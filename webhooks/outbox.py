"""The transactional outbox: events recorded, and their delivery jobs deferred, in the
transaction of the change that caused them (SPEC §7).

Which endpoints an event is for: every endpoint of the event's client (never another client's or
tenant's) that subscribes to its type (no types named: all). An event is recorded when at least
one such endpoint exists, enabled or disabled, so that an admin can replay it to an endpoint
enabled again later; deliveries are made for the enabled ones only. `billing.created` is for an
endpoint only when it has billing details enabled and its tenant has the billing feature with a
subscription configured; otherwise it is neither recorded nor sent for it.
"""

import functools
from collections import Counter
from collections.abc import Sequence

from django.db import connection
from django.utils import timezone
from procrastinate import jobs as procrastinate_jobs

from ordinavo.db import bulk_insert, fetch, new_instance
from ordinavo.events import TARGET_EVENT_TYPES, DomainEvent, EventType

from .models import TargetEventSequence, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .payloads import payloads_build, webhook_test_data
from .selectors import endpoints_of_clients

DELIVERY_TASK = "webhooks.deliver"
DELIVERY_QUEUE = "webhooks"


def delivery_lock(*, endpoint_id: int, target_id: int | None) -> str | None:
    """Deliveries of one target to one endpoint share a lock: procrastinate runs them one after
    the other in the order they were deferred, and a job waiting for its retry holds back the
    later ones (tests/webhooks/test_worker.py)."""
    if target_id is None:
        return None
    return f"webhook:{endpoint_id}:target:{target_id}"


def _jobs_sql(rows: str) -> str:
    """The call of procrastinate's own defer function (what its `batch_defer_jobs` runs) for
    one delivery job per row of `rows` (columns delivery_id, lock, position), in position
    order; its parameters: the queue, the task name and the priority. Its schema is pinned with
    its minor version (pyproject.toml); tests/webhooks/test_outbox.py reads the jobs back through
    procrastinate's models."""
    return (
        "procrastinate_defer_jobs_v1(array_agg(ROW(%s::varchar, %s::varchar, %s::int, lock, "
        "NULL, jsonb_build_object('delivery_id', delivery_id), NULL)"
        f"::procrastinate_job_to_defer_v1 ORDER BY position)) FROM {rows}"
    )


@functools.cache
def deliveries_defer_sql() -> str:
    """Defer the jobs of deliveries in one statement. Parameters: the queue, the task name, the
    priority; the delivery ids and their locks (two arrays in step).

    Prepared, with the jobs as arrays: through procrastinate's Python API a single import spent
    more CPU building and binding its one job than PostgreSQL spent inserting it
    (bench/import_throughput.py --webhooks compare)."""
    return "SELECT " + _jobs_sql(
        "unnest(%s::bigint[], %s::text[]) WITH ORDINALITY AS j(delivery_id, lock, position)"
    )


def deliveries_defer(*, deliveries: Sequence[WebhookDelivery]) -> None:
    """Defer one delivery job per delivery, in that order, in one statement, on the current
    connection (so in the current transaction). `delivery.event` must be loaded or its
    `target_id` known."""
    if not deliveries:
        return
    fetch(
        deliveries_defer_sql(),
        [
            DELIVERY_QUEUE,
            DELIVERY_TASK,
            procrastinate_jobs.DEFAULT_PRIORITY,
            [delivery.pk for delivery in deliveries],
            [
                delivery_lock(endpoint_id=delivery.endpoint_id, target_id=delivery.event.target_id)
                for delivery in deliveries
            ],
        ],
    )


def endpoint_receives(*, endpoint: WebhookEndpoint, event_type: str) -> bool:
    """Whether events of `event_type` are for `endpoint` (enabled or not): it subscribes to the
    type, and for billing.created it has billing details on and its tenant billing configured.
    Reads `endpoint.tenant`."""
    if not endpoint.subscribes_to(event_type):
        return False
    if event_type == EventType.BILLING_CREATED:
        return endpoint.receives_billing
    return True


@functools.cache
def sequences_take_sql() -> str:
    """Count up the sequences of targets by n each, creating them at n; per target its new last
    value. Parameters: three arrays in step: target ids (each once), their tenant ids, the
    numbers. Rows are locked in target order, so concurrent batches cannot deadlock here."""
    quote = connection.ops.quote_name
    meta = TargetEventSequence._meta
    table = quote(meta.db_table)
    target, tenant, last = (
        quote(meta.get_field(name).column) for name in ("target_id", "tenant", "last")
    )
    return (
        f"INSERT INTO {table} AS s ({target}, {tenant}, {last}) "  # noqa: S608 (quoted identifiers)
        "SELECT w.target_id, w.tenant_id, w.n "
        "FROM unnest(%s::bigint[], %s::bigint[], %s::int[]) AS w(target_id, tenant_id, n) "
        "ORDER BY w.target_id "
        f"ON CONFLICT ({target}) DO UPDATE SET {last} = s.{last} + excluded.{last} "
        f"RETURNING s.{target}, s.{last}"
    )


def _sequences_take(events: Sequence[DomainEvent]) -> list[int | None]:
    """`data.sequence` of each event: the next numbers of its target, consecutive and in order
    for several events of one target; None for events not about a target. One statement."""
    about_targets = [e for e in events if e.target_id is not None and e.type in TARGET_EVENT_TYPES]
    if not about_targets:
        return [None] * len(events)
    counts = Counter(e.target_id for e in about_targets)
    tenants = {e.target_id: e.tenant_id for e in about_targets}
    target_ids = sorted(counts)
    rows = fetch(
        sequences_take_sql(),
        [target_ids, [tenants[t] for t in target_ids], [counts[t] for t in target_ids]],
    )
    # The first number of each target's events in this batch, counted up as they are given out.
    following = {target_id: last - counts[target_id] + 1 for target_id, last in rows}
    sequences: list[int | None] = []
    for event in events:
        if event.target_id is None or event.type not in TARGET_EVENT_TYPES:
            sequences.append(None)
            continue
        sequences.append(following[event.target_id])
        following[event.target_id] += 1
    return sequences


def events_record(*, events: Sequence[DomainEvent]) -> list[WebhookEvent]:
    """Record `events` for the endpoints of their clients that receive them (`endpoint_receives`),
    with their payloads, and defer a delivery per event and enabled endpoint; the events
    recorded, in order. Call it in the transaction of the change (a domain-events subscriber):
    a rollback records and defers nothing.

    A fixed number of queries for any number of events: one when no client of the events has an
    endpoint; with endpoints: the endpoints, the targets' sequences, one read per kind of record
    reported on (targets: per tenant and source system, one for one client's events), the events
    (two statements from eight events on: keys and COPY) and the deliveries with their jobs.
    """
    clients = {(event.tenant_id, event.client_id) for event in events}
    endpoints = endpoints_of_clients(clients=clients)
    if not endpoints:
        return []
    by_client: dict[tuple[int, int], list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_client.setdefault((endpoint.tenant_id, endpoint.client_id), []).append(endpoint)
    recorded: list[DomainEvent] = []
    receivers: list[list[WebhookEndpoint]] = []
    for event in events:
        receiving = [
            endpoint
            for endpoint in by_client.get((event.tenant_id, event.client_id), ())
            if endpoint_receives(endpoint=endpoint, event_type=event.type)
        ]
        if receiving:
            recorded.append(event)
            receivers.append(receiving)
    if not recorded:
        return []
    source_systems = {endpoint.client_id: endpoint.client.source_system for endpoint in endpoints}
    sequences = _sequences_take(recorded)
    payloads = payloads_build(events=recorded, sequences=sequences, source_systems=source_systems)
    webhook_events, endpoints_of_event = [], []
    for event, sequence, payload, receiving in zip(
        recorded, sequences, payloads, receivers, strict=True
    ):
        if payload is None:  # what it reports on is gone (deleted in this transaction)
            continue
        webhook_events.append(
            new_instance(
                WebhookEvent,
                {
                    "tenant_id": event.tenant_id,
                    "client_id": event.client_id,
                    "type": event.type,
                    "target_id": event.target_id,
                    "subject_id": event.subject_id,
                    "sequence": sequence,
                    "payload": payload,
                },
            )
        )
        endpoints_of_event.append([endpoint for endpoint in receiving if endpoint.is_enabled])
    bulk_insert(WebhookEvent, webhook_events)
    _deliveries_insert_and_defer(
        rows=[
            (
                webhook_event.tenant_id,
                webhook_event.pk,
                endpoint.pk,
                delivery_lock(endpoint_id=endpoint.pk, target_id=webhook_event.target_id),
            )
            for webhook_event, enabled in zip(webhook_events, endpoints_of_event, strict=True)
            for endpoint in enabled
        ]
    )
    return webhook_events


# The delivery's fields an event's delivery row is written with; every other one takes its
# default (the same for all rows) and auto_now(_add) date-times the time of the statement.
_DELIVERY_GIVEN = {
    "id": "v.delivery_id",
    "tenant": "v.tenant_id",
    "event": "v.event_id",
    "endpoint": "v.endpoint_id",
}


@functools.cache
def deliveries_insert_and_defer_sql() -> str:
    """Insert delivery rows and defer a job for each, in one statement, in the given order: keys
    drawn from the table's sequence, the rows written, their jobs deferred (`_jobs_sql`).
    Parameters: the table and its key column (for its sequence); tenant ids, event ids,
    endpoint ids and locks (four arrays in step); each default of `_delivery_defaults`; the
    queue, the task name and the priority.

    One statement instead of a model instance per delivery, their COPY and the jobs' statement:
    a tenth of a large import's time with an endpoint went into those
    (bench/import_throughput.py --webhooks compare)."""
    meta = WebhookDelivery._meta
    quote = connection.ops.quote_name
    columns, values = [], []
    for field in meta.concrete_fields:
        columns.append(quote(field.column))
        values.append(_DELIVERY_GIVEN.get(field.name) or f"%s::{field.db_type(connection)}")
    return (
        "WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS id), "  # noqa: S608 (quoted identifiers)
        "v AS MATERIALIZED (SELECT nextval(seq.id) AS delivery_id, r.* FROM seq, "
        "unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[]) WITH ORDINALITY "
        "AS r(tenant_id, event_id, endpoint_id, lock, position)), "
        f"d AS (INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM v ORDER BY position RETURNING 1) "
        f"SELECT (SELECT count(*) FROM d), {_jobs_sql('v')}"
    )


def _delivery_defaults() -> list:
    """The values of the delivery fields `_DELIVERY_GIVEN` leaves out, in field order."""
    now = timezone.now()
    defaults = []
    for field in WebhookDelivery._meta.concrete_fields:
        if field.name in _DELIVERY_GIVEN:
            continue
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        defaults.append(now if auto else field.get_db_prep_save(field.get_default(), connection))
    return defaults


def _deliveries_insert_and_defer(*, rows: list[tuple[int, int, int, str | None]]) -> None:
    """A delivery and its job per (tenant id, event id, endpoint id, lock), in order."""
    if not rows:
        return
    meta = WebhookDelivery._meta
    fetch(
        deliveries_insert_and_defer_sql(),
        [
            meta.db_table,
            meta.pk.column,
            *(list(column) for column in zip(*rows, strict=True)),
            *_delivery_defaults(),
            DELIVERY_QUEUE,
            DELIVERY_TASK,
            procrastinate_jobs.DEFAULT_PRIORITY,
        ],
    )


def webhook_test_record(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for `endpoint` alone (whatever it subscribes to) and its delivery,
    deferred in the current transaction ("send test event" in the admin)."""
    event = WebhookEvent.objects.create(
        tenant_id=endpoint.tenant_id,
        client_id=endpoint.client_id,
        type=EventType.WEBHOOK_TEST,
        payload=webhook_test_data(endpoint=endpoint),
    )
    delivery = WebhookDelivery.objects.create(
        tenant_id=endpoint.tenant_id, event=event, endpoint=endpoint
    )
    deliveries_defer(deliveries=[delivery])
    return delivery
