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
from collections.abc import Collection, Iterable, Sequence

from django.conf import settings
from django.db import connection
from django.utils import timezone
from procrastinate import jobs as procrastinate_jobs
from psycopg.types.json import Jsonb

from ordinavo.db import fetch, quoted_column, quoted_table
from ordinavo.events import TARGET_EVENT_TYPES, DomainEvent, EventType

from .models import (
    TargetEventSequence,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSendRequest,
)
from .payloads import customer_context_json_sql, payload_extras, target_json_sql, webhook_test_data
from .selectors import endpoints_of_clients, target_contexts_sql

SEND_TASK = "webhooks.send"
SEND_QUEUE = "webhooks"


def lane_lock(*, endpoint_id: int, lane: int) -> str:
    """One send run per lane of an endpoint at a time (procrastinate's job lock)."""
    return f"webhooks:endpoint:{endpoint_id}:lane:{lane}"


def _lanes_request_sql(lanes: str) -> str:
    """The CTEs (after a WITH and a comma) and the select that ask for the send runs of the
    lanes in the relation `lanes` (columns tenant_id, endpoint_id, lane; each lane once). Its
    parameters: %(queue)s, %(task)s, %(priority)s. The select's first column counts the lanes
    not covered (see `lanes_request`), the second holds the ids of the jobs deferred (NULL when
    none was: procrastinate's function is then not called at all).

    A lane whose request row exists needs nothing but a KEY SHARE lock on it, held to the end of
    this transaction: the run, which deletes the row before it reads what is due, waits for this
    transaction, so it sees what this one wrote. A lane without a row gets one and a job
    (procrastinate's own defer function, as its `batch_defer_jobs` calls it; its schema is
    pinned with its minor version). Concurrent transactions only share locks: none waits for
    another, except for the one that inserts a lane's row, until it commits."""
    r = WebhookSendRequest
    tenant, endpoint, lane, at = (
        quoted_column(r, name) for name in ("tenant", "endpoint", "lane", "requested_at")
    )
    table = quoted_table(r)
    return (
        f"held AS MATERIALIZED (SELECT q.{endpoint} AS endpoint_id, q.{lane} AS lane "  # noqa: S608 (quoted identifiers)
        f"FROM {table} q WHERE (q.{endpoint}, q.{lane}) IN (SELECT endpoint_id, lane FROM {lanes}) "
        "FOR KEY SHARE OF q), "
        f"new AS (INSERT INTO {table} ({tenant}, {endpoint}, {lane}, {at}) "
        f"SELECT l.tenant_id, l.endpoint_id, l.lane, now() FROM {lanes} l WHERE NOT EXISTS "
        "(SELECT 1 FROM held h WHERE h.endpoint_id = l.endpoint_id AND h.lane = l.lane) "
        f"ORDER BY l.endpoint_id, l.lane ON CONFLICT ({endpoint}, {lane}) DO NOTHING "
        f"RETURNING {tenant} AS tenant_id, {endpoint} AS endpoint_id, {lane} AS lane), "
        "jobs AS (SELECT procrastinate_defer_jobs_v1(array_agg(ROW(%(queue)s::varchar, "
        "%(task)s::varchar, %(priority)s::int, "
        "'webhooks:endpoint:' || n.endpoint_id || ':lane:' || n.lane, NULL, "
        "jsonb_build_object('tenant_id', n.tenant_id, 'endpoint_id', n.endpoint_id, "
        "'lane', n.lane), NULL)::procrastinate_job_to_defer_v1 ORDER BY n.endpoint_id, n.lane)) "
        "AS ids FROM new n HAVING count(*) > 0) "
        f"SELECT (SELECT count(*) FROM {lanes}) - (SELECT count(*) FROM held) "
        "- (SELECT count(*) FROM new), (SELECT ids FROM jobs)"
    )


def _job_parameters() -> dict:
    return {
        "queue": SEND_QUEUE,
        "task": SEND_TASK,
        "priority": procrastinate_jobs.DEFAULT_PRIORITY,
    }


@functools.cache
def lanes_request_sql() -> str:
    """`_lanes_request_sql` for lanes given as three arrays in step: %(tenants)s,
    %(endpoints)s, %(lanes)s."""
    return (
        "WITH lanes AS MATERIALIZED (SELECT DISTINCT * FROM unnest(%(tenants)s::bigint[], "  # noqa: S608 (quoted identifiers)
        "%(endpoints)s::bigint[], %(lanes)s::int[]) AS l(tenant_id, endpoint_id, lane)), "
        + _lanes_request_sql("lanes")
    )


def lanes_request(*, lanes: Collection[tuple[int, int, int]]) -> None:
    """Ask for the send runs of these (tenant id, endpoint id, lane) lanes, in the current
    transaction: a job each, unless one is asked for already and has not started.

    Again while a lane is not covered: a concurrent transaction inserted its request row and
    committed while this statement waited, and the row is then locked only by the next try."""
    lanes = sorted(set(lanes))
    if not lanes:
        return
    tenants, endpoints, numbers = (list(column) for column in zip(*lanes, strict=True))
    parameters = {"tenants": tenants, "endpoints": endpoints, "lanes": numbers}
    while True:
        ((uncovered, _),) = fetch(lanes_request_sql(), {**parameters, **_job_parameters()})
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


def events_record(*, events: Sequence[DomainEvent]) -> list[int]:
    """Record `events` for the endpoints of their clients that receive them (`endpoint_receives`),
    with their payloads, and a pending delivery per event and enabled endpoint, whose lanes'
    send runs are asked for; the ids of the events recorded, in order. Call it in the
    transaction of the change (a domain-events subscriber): a rollback records and queues
    nothing. An event whose record is gone (deleted in the same transaction) is not recorded.

    A fixed number of statements for any number of events: one when no client of the events has
    an endpoint; with endpoints, that one and, per client with events for its endpoints (an
    import: one), one more (`record_sql`), plus one read per kind of record other than targets
    reported on (visit reports, billing documents, import jobs)."""
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
    extras = payload_extras(events=recorded)
    groups: dict[tuple[int, int], list[tuple[DomainEvent, dict, list[WebhookEndpoint]]]] = {}
    for event, extra, receiving in zip(recorded, extras, receivers, strict=True):
        if extra is None:  # what it reports on is gone
            continue
        groups.setdefault((event.tenant_id, event.client_id), []).append((event, extra, receiving))
    recorded_ids: list[int] = []
    for (tenant_id, client_id), group in groups.items():
        source_system = by_client[(tenant_id, client_id)][0].client.source_system
        recorded_ids += _group_record(
            tenant_id=tenant_id, client_id=client_id, source_system=source_system, group=group
        )
    return recorded_ids


def _group_record(
    *,
    tenant_id: int,
    client_id: int,
    source_system: str,
    group: list[tuple[DomainEvent, dict, list[WebhookEndpoint]]],
) -> list[int]:
    """One client's events, their deliveries and lanes' requests: one statement (`record_sql`)."""
    target_ids = sorted({event.target_id for event, _, _ in group if event.target_id is not None})
    one = len(target_ids) <= 1
    delivery_positions, delivery_endpoints = [], []
    for position, (_, _, receiving) in enumerate(group, start=1):
        for endpoint in receiving:
            if endpoint.is_enabled:
                delivery_positions.append(position)
                delivery_endpoints.append(endpoint.pk)
    parameters = {
        "types": [event.type for event, _, _ in group],
        "targets": [event.target_id for event, _, _ in group],
        "subjects": [event.subject_id for event, _, _ in group],
        # An event about a target gets its target and customer context in record_sql.
        "extras": [Jsonb(extra) if extra else None for _, extra, _ in group],
        "numbered": [
            event.target_id is not None and event.type in TARGET_EVENT_TYPES
            for event, _, _ in group
        ],
        "tenant": tenant_id,
        "client": client_id,
        "source_system": source_system,
        "now": timezone.now(),
        "lane_count": settings.WEBHOOK_LANES_PER_ENDPOINT,
        "delivery_positions": delivery_positions,
        "delivery_endpoints": delivery_endpoints,
        **_delivery_defaults(),
        **_job_parameters(),
    }
    if one:
        parameters["target_id"] = target_ids[0] if target_ids else None
    else:
        parameters["target_ids"] = target_ids
    ((uncovered, _, event_ids),) = fetch(record_sql(one=one), parameters)
    if uncovered:
        lanes_request(
            lanes=set(
                WebhookDelivery.objects.for_tenant(tenant_id)
                .filter(event_id__in=event_ids or [])
                .values_list("tenant_id", "endpoint_id", "lane")
            )
        )
    return event_ids or []


# The delivery's fields that record_sql writes from the event; every other one takes its default
# (the same for all rows; `_delivery_defaults`) and auto_now(_add) date-times the event's time.
_DELIVERY_GIVEN = {
    "tenant": "%(tenant)s::bigint",
    "event": "v.event_id",
    "endpoint": "v.endpoint_id",
    "target_id": "v.target_id",
    "lane": "v.lane",
}


def _delivery_default_fields() -> list:
    return [
        field
        for field in WebhookDelivery._meta.concrete_fields
        if field.name not in _DELIVERY_GIVEN and not field.primary_key
    ]


def _delivery_defaults() -> dict:
    """The values of the delivery fields `_DELIVERY_GIVEN` leaves out, by parameter name."""
    now = timezone.now()
    defaults = {}
    for field in _delivery_default_fields():
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = now if auto else field.get_db_prep_save(field.get_default(), connection)
        defaults[f"delivery_{field.column}"] = value
    return defaults


@functools.cache
def record_sql(*, one: bool) -> str:
    """Events of one client, their deliveries and their lanes' requests, in one statement.

    - `w`: the events (arrays in step: %(types)s, %(targets)s, %(subjects)s, %(extras)s,
      %(numbered)s) in order, each with its webhook-id;
    - `seq`: the targets' sequences counted up by their numbered events (rows locked in target
      order, so concurrent imports cannot deadlock here; the lock orders their numbers);
    - `ctx`: the targets with their customer context (selectors.target_contexts_sql, for
      %(target_ids)s, or %(target_id)s with `one`: planned apart, see there), as JSON;
    - `ev`: the events written, their `data` the extra parts (a visit report, …) with the target,
      the customer context and the sequence; an event about a target that is gone is left out;
    - `dv`: a delivery per (%(delivery_positions)s, %(delivery_endpoints)s), in its event's lane
      (`models.delivery_lane`: %(lane_count)s lanes);
    - then the lanes requested (`_lanes_request_sql`).
    Returns: lanes not covered, the jobs deferred, the event ids in order.

    One statement instead of seven (sequences, contexts, event keys, their COPY, deliveries and
    jobs) and the payloads built by PostgreSQL instead of Python: a batch import's time with an
    endpoint had gone up by a third (bench/import_throughput.py --webhooks compare)."""
    e, s, d = WebhookEvent, TargetEventSequence, WebhookDelivery
    event_columns = ", ".join(
        quoted_column(e, name)
        for name in (
            "tenant", "webhook_id", "client", "type", "target_id", "subject_id", "sequence",
            "payload", "created_at",
        )
    )  # fmt: skip
    s_target, s_tenant, s_last = (
        quoted_column(s, name) for name in ("target_id", "tenant", "last")
    )
    delivery_columns = [*_DELIVERY_GIVEN, *(f.name for f in _delivery_default_fields())]
    delivery_values = [
        *_DELIVERY_GIVEN.values(),
        *(f"%(delivery_{f.column})s::{f.db_type(connection)}" for f in _delivery_default_fields()),
    ]
    contexts = target_contexts_sql(one=one)
    return (
        "WITH w AS MATERIALIZED (SELECT *, gen_random_uuid() AS webhook_id FROM unnest("  # noqa: S608 (quoted identifiers)
        "%(types)s::text[], %(targets)s::bigint[], %(subjects)s::bigint[], %(extras)s::jsonb[], "
        "%(numbered)s::boolean[]) WITH ORDINALITY "
        "AS w(type, target_id, subject_id, extra, numbered, position)), "
        "counts AS MATERIALIZED (SELECT target_id, count(*)::int AS n FROM w WHERE numbered "
        "GROUP BY target_id), "
        f"seq AS (INSERT INTO {quoted_table(s)} AS s ({s_target}, {s_tenant}, {s_last}) "
        "SELECT target_id, %(tenant)s::bigint, n FROM counts ORDER BY target_id "
        f"ON CONFLICT ({s_target}) DO UPDATE SET {s_last} = s.{s_last} + excluded.{s_last} "
        f"RETURNING s.{s_target} AS target_id, s.{s_last} AS last), "
        f"ctx AS MATERIALIZED (SELECT x.target_id, {target_json_sql('x')} AS target, "
        f"{customer_context_json_sql('x')} AS customer_context FROM ({contexts}) x), "
        "n AS MATERIALIZED (SELECT w.*, CASE WHEN w.numbered THEN seq.last - counts.n "
        "+ row_number() OVER (PARTITION BY w.target_id, w.numbered ORDER BY w.position) END "
        "AS sequence, ctx.target, ctx.customer_context FROM w "
        "LEFT JOIN counts ON w.numbered AND counts.target_id = w.target_id "
        "LEFT JOIN seq ON w.numbered AND seq.target_id = w.target_id "
        "LEFT JOIN ctx ON ctx.target_id = w.target_id "
        "WHERE w.target_id IS NULL OR ctx.target_id IS NOT NULL), "
        f"ev AS (INSERT INTO {quoted_table(e)} ({event_columns}) "
        "SELECT %(tenant)s::bigint, n.webhook_id, %(client)s::bigint, n.type, n.target_id, "
        "n.subject_id, "
        "n.sequence, CASE WHEN n.target IS NULL THEN n.extra ELSE COALESCE(n.extra, '{}') "
        "|| jsonb_build_object("
        "'target', n.target, 'customerContext', n.customer_context, 'sequence', n.sequence) END, "
        "%(now)s::timestamptz FROM n ORDER BY n.position "
        f"RETURNING {quoted_column(e, 'id')} AS id, "
        f"{quoted_column(e, 'webhook_id')} AS webhook_id), "
        "v AS MATERIALIZED (SELECT ev.id AS event_id, p.endpoint_id, n.target_id, "
        "(COALESCE(n.target_id, ev.id) %% %(lane_count)s::int)::int AS lane, n.position "
        "FROM unnest(%(delivery_positions)s::bigint[], %(delivery_endpoints)s::bigint[]) "
        "AS p(position, endpoint_id) JOIN n ON n.position = p.position "
        "JOIN ev ON ev.webhook_id = n.webhook_id), "
        f"dv AS (INSERT INTO {quoted_table(d)} "
        f"({', '.join(quoted_column(d, name) for name in delivery_columns)}) "
        f"SELECT {', '.join(delivery_values)} FROM v ORDER BY v.position, v.endpoint_id), "
        "lanes AS MATERIALIZED (SELECT DISTINCT %(tenant)s::bigint AS tenant_id, endpoint_id, "
        "lane FROM v), "
        + _lanes_request_sql("lanes")
        + ", (SELECT array_agg(ev.id ORDER BY n.position) FROM ev "
        "JOIN n ON n.webhook_id = ev.webhook_id)"
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
