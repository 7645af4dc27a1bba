"""The transactional outbox: events recorded, their deliveries written and the send runs of
their lanes asked for, in the transaction of the change that caused them (SPEC §7).

Which endpoints an event is for: every endpoint of the event's client (never another client's or
tenant's) that subscribes to its type (no types named: all). An event is recorded when at least
one such endpoint exists, enabled or disabled, so that an admin can replay it to an endpoint
enabled again later; deliveries are made for the enabled ones only. `billing.created` is for an
endpoint only when it has billing details enabled and its tenant has the billing feature with a
subscription configured; otherwise it is neither recorded nor sent for it.
"""

import functools
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from django.db import connection
from django.utils import timezone
from procrastinate import jobs as procrastinate_jobs

from ordinavo.db import bulk_insert, fetch, new_instance
from ordinavo.events import TARGET_EVENT_TYPES, DomainEvent, EventType

from .models import (
    TargetEventSequence,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSendRequest,
    delivery_lane,
)
from .payloads import payloads_build, webhook_test_data
from .selectors import endpoints_of_clients

SEND_TASK = "webhooks.send"
SEND_QUEUE = "webhooks"


def lane_lock(*, endpoint_id: int, lane: int) -> str:
    """One send run per lane of an endpoint at a time (procrastinate's job lock)."""
    return f"webhooks:endpoint:{endpoint_id}:lane:{lane}"


def _lanes_request_sql(lanes: str) -> str:
    """The CTEs (after a WITH and a comma) and the select that ask for the send runs of the
    lanes in the relation `lanes` (columns tenant_id, endpoint_id, lane; each lane once). Its
    parameters: the queue, the task name and the priority. The select's first column counts the
    lanes not covered (see `lanes_request`).

    A lane whose request row exists needs nothing but a KEY SHARE lock on it, held to the end of
    this transaction: the run, which deletes the row before it reads what is due, waits for this
    transaction, so it sees what this one wrote. A lane without a row gets one and a job
    (procrastinate's own defer function, as its `batch_defer_jobs` calls it; its schema is
    pinned with its minor version). Concurrent importers only share locks: none waits for
    another, except for the one that inserts a lane's row until it commits."""
    r = WebhookSendRequest
    quote = connection.ops.quote_name
    table = quote(r._meta.db_table)
    tenant, endpoint, lane, at = (
        quote(r._meta.get_field(name).column)
        for name in ("tenant", "endpoint", "lane", "requested_at")
    )
    return (
        f"held AS MATERIALIZED (SELECT q.{endpoint} AS endpoint_id, q.{lane} AS lane "  # noqa: S608 (quoted identifiers)
        f"FROM {table} q WHERE (q.{endpoint}, q.{lane}) IN (SELECT endpoint_id, lane FROM {lanes}) "
        "FOR KEY SHARE OF q), "
        f"new AS (INSERT INTO {table} ({tenant}, {endpoint}, {lane}, {at}) "
        f"SELECT l.tenant_id, l.endpoint_id, l.lane, now() FROM {lanes} l WHERE NOT EXISTS "
        "(SELECT 1 FROM held h WHERE h.endpoint_id = l.endpoint_id AND h.lane = l.lane) "
        f"ORDER BY l.endpoint_id, l.lane ON CONFLICT ({endpoint}, {lane}) DO NOTHING "
        f"RETURNING {tenant} AS tenant_id, {endpoint} AS endpoint_id, {lane} AS lane), "
        "jobs AS (SELECT procrastinate_defer_jobs_v1(array_agg(ROW(%s::varchar, %s::varchar, "
        "%s::int, 'webhooks:endpoint:' || n.endpoint_id || ':lane:' || n.lane, NULL, "
        "jsonb_build_object('tenant_id', n.tenant_id, 'endpoint_id', n.endpoint_id, "
        "'lane', n.lane), NULL)::procrastinate_job_to_defer_v1 ORDER BY n.endpoint_id, n.lane)) "
        "AS ids FROM new n) "
        f"SELECT (SELECT count(*) FROM {lanes}) - (SELECT count(*) FROM held) "
        "- (SELECT count(*) FROM new), (SELECT ids FROM jobs)"
    )


@functools.cache
def lanes_request_sql() -> str:
    """`_lanes_request_sql` for lanes given as three arrays in step (tenant ids, endpoint ids,
    lanes), then its own parameters."""
    return (
        "WITH lanes AS MATERIALIZED (SELECT DISTINCT * FROM unnest(%s::bigint[], %s::bigint[], "  # noqa: S608 (quoted identifiers)
        "%s::int[]) AS l(tenant_id, endpoint_id, lane)), " + _lanes_request_sql("lanes")
    )


def _job_parameters() -> list:
    return [SEND_QUEUE, SEND_TASK, procrastinate_jobs.DEFAULT_PRIORITY]


def lanes_request(*, lanes: Collection[tuple[int, int, int]]) -> None:
    """Ask for the send runs of these (tenant id, endpoint id, lane) lanes, in the current
    transaction: a job each, unless one is asked for already and has not started.

    Again while a lane is not covered: a concurrent transaction inserted its request row and
    committed while this statement waited, and the row is then locked only by the next try."""
    lanes = sorted(set(lanes))
    while lanes:
        ((uncovered, _),) = fetch(
            lanes_request_sql(), [*(list(c) for c in zip(*lanes, strict=True)), *_job_parameters()]
        )
        if not uncovered:
            return


def deliveries_queue(*, deliveries: Iterable[WebhookDelivery]) -> None:
    """Ask for the send runs of the lanes of these pending deliveries (see `lanes_request`)."""
    lanes_request(lanes={(d.tenant_id, d.endpoint_id, d.lane) for d in deliveries})


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
    with their payloads, and a pending delivery per event and enabled endpoint, whose lanes'
    send runs are asked for; the events recorded, in order. Call it in the transaction of the
    change (a domain-events subscriber): a rollback records and queues nothing.

    A fixed number of queries for any number of events: one when no client of the events has an
    endpoint; with endpoints: the endpoints, the targets' sequences, one read per kind of record
    reported on (targets: per tenant and source system, one for one client's events), the events
    (two statements from eight events on: keys and COPY) and the deliveries with their lanes'
    requests (a job per lane whose run was not asked for yet: none while the worker is behind).
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
    _deliveries_insert(
        rows=[
            (webhook_event.tenant_id, webhook_event.pk, endpoint.pk, webhook_event.target_id)
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
    "target_id": "v.target_id",
    "lane": "v.lane",
}


@functools.cache
def deliveries_insert_sql() -> str:
    """Insert delivery rows and ask for the send runs of their lanes, in one statement: keys
    drawn from the table's sequence, the rows written, the lanes requested
    (`_lanes_request_sql`). Parameters: the table and its key column (for its sequence); tenant
    ids, event ids, endpoint ids, target ids and lanes (five arrays in step); each default of
    `_delivery_defaults`; the queue, the task name and the priority. The first column: lanes
    not covered (see `lanes_request`)."""
    meta = WebhookDelivery._meta
    quote = connection.ops.quote_name
    columns, values = [], []
    for field in meta.concrete_fields:
        columns.append(quote(field.column))
        values.append(_DELIVERY_GIVEN.get(field.name) or f"%s::{field.db_type(connection)}")
    return (
        "WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS id), "  # noqa: S608 (quoted identifiers)
        "v AS MATERIALIZED (SELECT nextval(seq.id) AS delivery_id, r.* FROM seq, "
        "unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::int[]) "
        "WITH ORDINALITY AS r(tenant_id, event_id, endpoint_id, target_id, lane, position)), "
        f"d AS (INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM v ORDER BY position RETURNING 1), "
        "lanes AS MATERIALIZED (SELECT DISTINCT tenant_id, endpoint_id, lane FROM v), "
        + _lanes_request_sql("lanes")
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


def _deliveries_insert(*, rows: list[tuple[int, int, int, int | None]]) -> None:
    """A pending delivery per (tenant id, event id, endpoint id, target id), in order, and the
    send runs of their lanes asked for."""
    if not rows:
        return
    meta = WebhookDelivery._meta
    columns = [list(column) for column in zip(*rows, strict=True)]
    lanes = [
        delivery_lane(target_id=target_id, event_id=event_id) for _, event_id, _, target_id in rows
    ]
    ((uncovered, _),) = fetch(
        deliveries_insert_sql(),
        [
            meta.db_table,
            meta.pk.column,
            *columns,
            lanes,
            *_delivery_defaults(),
            *_job_parameters(),
        ],
    )
    if uncovered:
        lanes_request(
            lanes={
                (tenant_id, endpoint_id, lane)
                for (tenant_id, _, endpoint_id, _), lane in zip(rows, lanes, strict=True)
            }
        )


def webhook_test_record(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for `endpoint` alone (whatever it subscribes to) and its delivery,
    queued in the current transaction ("send test event" in the admin)."""
    event = WebhookEvent.objects.create(
        tenant_id=endpoint.tenant_id,
        client_id=endpoint.client_id,
        type=EventType.WEBHOOK_TEST,
        payload=webhook_test_data(endpoint=endpoint),
    )
    delivery = WebhookDelivery.objects.create(
        tenant_id=endpoint.tenant_id, event=event, endpoint=endpoint
    )
    deliveries_queue(deliveries=[delivery])
    return delivery
