"""Reads of the webhooks app: the endpoints events go to, and what an event's payload reports on,
for a whole batch of events at once."""

import functools
from collections.abc import Collection

from django.db import connection

from customers.models import Contact, Customer, Location
from fieldwork.models import BillingDocument, VisitReport
from inbound.models import ImportJob, IntegrationClient, Target
from mapping.choices import ExternalType
from mapping.models import RECORD_FIELD_BY_TYPE, ExternalReference
from ordinavo.db import (
    column_count,
    fetch,
    instance_from_row,
    quoted_table,
    select_columns,
)
from tenants.models import Tenant

from .models import WebhookEndpoint


@functools.cache
def endpoints_of_clients_sql() -> str:
    """Endpoints with their client and tenant: the columns of the three models in turn
    (ordinavo.db.select_columns). Parameters: tenant ids, client ids (two arrays)."""
    e = {
        name: _quote(WebhookEndpoint._meta.get_field(name).column)
        for name in ("tenant", "client", "id")
    }
    client_key = _quote(IntegrationClient._meta.pk.column)
    tenant_key = _quote(Tenant._meta.pk.column)
    return (
        f"SELECT {select_columns(WebhookEndpoint, 'e')}, "  # noqa: S608 (quoted identifiers)
        f"{select_columns(IntegrationClient, 'c')}, {select_columns(Tenant, 't')} "
        f"FROM {quoted_table(WebhookEndpoint)} e "
        f"JOIN {quoted_table(IntegrationClient)} c ON c.{client_key} = e.{e['client']} "
        f"JOIN {quoted_table(Tenant)} t ON t.{tenant_key} = e.{e['tenant']} "
        f"WHERE e.{e['tenant']} = ANY(%s) AND e.{e['client']} = ANY(%s) "
        f"ORDER BY e.{e['tenant']}, e.{e['client']}, e.{e['id']}"
    )


def endpoints_of_clients(*, clients: Collection[tuple[int, int]]) -> list[WebhookEndpoint]:
    """Every endpoint, enabled or not, of these (tenant id, client id) pairs, with its client and
    tenant, in a stable order (tenant, client, id).

    Every import asks, mostly to find none: one prepared statement (ordinavo.db.fetch), as the
    ORM's compiling of a three-table select costs more than running it."""
    clients = set(clients)
    if not clients:
        return []
    rows = fetch(
        endpoints_of_clients_sql(),
        [sorted({tenant for tenant, _ in clients}), sorted({client for _, client in clients})],
    )
    endpoints = []
    client_start = column_count(WebhookEndpoint)
    tenant_start = client_start + column_count(IntegrationClient)
    for row in rows:
        endpoint = instance_from_row(WebhookEndpoint, row)
        if (endpoint.tenant_id, endpoint.client_id) not in clients:
            continue
        endpoint.client = instance_from_row(IntegrationClient, row, client_start)
        endpoint.tenant = instance_from_row(Tenant, row, tenant_start)
        endpoints.append(endpoint)
    return endpoints


# The columns of `target_contexts_sql`, in order: a target and its customer context as an event
# reports them. `*_external_id`: the ID the client's source system knows the record by (NULL
# when it has none).
CONTEXT_COLUMNS = (
    "target_id", "external_id", "title", "description", "priority", "estimated_work_minutes",
    "due_date", "preferred_time_window_start", "preferred_time_window_end",
    "customer_id", "customer_external_id", "customer_number", "customer_name", "customer_type",
    "location_id", "location_external_id", "location_name", "street", "postal_code", "city",
    "region", "country", "latitude", "longitude",
    "contact_id", "contact_external_id", "display_name", "first_name", "last_name", "role",
    "email", "phone", "mobile", "preferred_contact_method",
)  # fmt: skip


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model, alias: str, *names: str) -> list[str]:
    return [f"{alias}.{_quote(model._meta.get_field(name).column)}" for name in names]


def _external_id(external_type: ExternalType, record_alias: str) -> str:
    """The external ID of the record `record_alias` in the row's source system (a scalar
    subquery): the oldest reference when the system has several for it (a stable choice). The
    record's references are found first, through the partial index on the reference's record
    column (OFFSET 0 keeps the other conditions out: with them, a generic plan walked every
    reference of the source system and type for each row, 0.2 ms a row at 1,500 references)."""
    r = {
        name: _quote(ExternalReference._meta.get_field(name).column)
        for name in ("id", "tenant", "source_system", "external_type", "external_id")
    }
    record = _quote(ExternalReference._meta.get_field(RECORD_FIELD_BY_TYPE[external_type]).column)
    return (
        f"(SELECT r.{r['external_id']} FROM (SELECT * FROM {quoted_table(ExternalReference)} "  # noqa: S608 (quoted identifiers)
        f"WHERE {record} = {record_alias}.id OFFSET 0) r "
        f"WHERE r.{r['tenant']} = q.tenant_id AND r.{r['source_system']} = q.source_system "
        f"AND r.{r['external_type']} = '{external_type.value}' ORDER BY r.{r['id']} LIMIT 1)"
    )


def _record_join(model, key_column: str, alias: str) -> str:
    """The target's record of `model`: one probe of its primary key, LATERAL … OFFSET 0, that
    plan whatever the table sizes were when the (prepared) statement was planned (see
    mapping.sql)."""
    return (
        f"LEFT JOIN LATERAL (SELECT * FROM {quoted_table(model)} "  # noqa: S608 (quoted identifiers)
        f"WHERE {_quote(model._meta.pk.column)} = t.{_quote(key_column)} OFFSET 0) {alias} ON TRUE"
    )


# The columns of `TargetContext`, per record.
_TARGET_COLUMNS = (
    "id", "external_id", "title", "description", "priority", "estimated_work_minutes", "due_date",
    "preferred_time_window_start", "preferred_time_window_end",
)  # fmt: skip
_CUSTOMER_COLUMNS = ("customer_number", "name", "type")
_LOCATION_COLUMNS = (
    "name", "street", "postal_code", "city", "region", "country", "latitude", "longitude",
)  # fmt: skip
_CONTACT_COLUMNS = (
    "display_name", "first_name", "last_name", "role", "email", "phone", "mobile",
    "preferred_contact_method",
)  # fmt: skip


# What the statement reads from: many targets of a tenant (an array), or one.
_MANY = (
    "unnest(%(target_ids)s::bigint[]) AS w(target_id), "
    "(VALUES (%(tenant)s::bigint, %(source_system)s::text))"
)
_ONE = (
    "(VALUES (%(target_id)s::bigint)) AS w(target_id), "
    "(VALUES (%(tenant)s::bigint, %(source_system)s::text))"
)


@functools.cache
def target_contexts_sql(*, one: bool = False) -> str:
    """Targets of a tenant with their customer, location and contact and the external IDs of
    those in a source system, as rows of CONTEXT_COLUMNS. Parameters: %(target_ids)s (or with
    `one` %(target_id)s), %(tenant)s, %(source_system)s (whose external IDs are wanted).

    A single target has a statement of its own: with an array, PostgreSQL planned every
    execution anew (the generic plan of an array of unknown length looked dearer than a plan
    for one element), and planning these eleven relations cost more than running them.

    Each record by its primary key alone, the tenant checked on the row: with the tenant in the
    probe, the planner (its statistics not yet counting the targets the import had just
    written) walked the tenant's every target through the (tenant, client, external ID) index.
    """
    target = Target._meta
    expressions = [
        *_columns(Target, "t", *_TARGET_COLUMNS),
        "c.id",
        _external_id(ExternalType.CUSTOMER, "c"),
        *_columns(Customer, "c", *_CUSTOMER_COLUMNS),
        "l.id",
        _external_id(ExternalType.LOCATION, "l"),
        *_columns(Location, "l", *_LOCATION_COLUMNS),
        "k.id",
        _external_id(ExternalType.CONTACT, "k"),
        *_columns(Contact, "k", *_CONTACT_COLUMNS),
    ]
    select = ", ".join(
        f"{expression} AS {name}"
        for expression, name in zip(expressions, CONTEXT_COLUMNS, strict=True)
    )
    joins = " ".join(
        [
            _record_join(Customer, target.get_field("customer").column, "c"),
            _record_join(Location, target.get_field("location").column, "l"),
            _record_join(Contact, target.get_field("contact").column, "k"),
        ]
    )
    key, tenant = _quote(target.pk.column), _quote(target.get_field("tenant").column)
    return (
        f"SELECT x.* FROM {_ONE if one else _MANY} "  # noqa: S608 (quoted identifiers)
        "AS q(tenant_id, source_system) CROSS JOIN LATERAL ("
        f"SELECT {select} FROM (SELECT * FROM {quoted_table(Target)} WHERE {key} = w.target_id "
        f"OFFSET 0) t {joins} WHERE t.{tenant} = q.tenant_id OFFSET 0) x"
    )


def visit_reports_by_id(*, wanted: Collection[tuple[int, int]]) -> dict[int, VisitReport]:
    """Visit reports by id; `wanted`: (tenant id, report id) pairs."""
    return _by_id(VisitReport, wanted)


def billing_documents_by_id(*, wanted: Collection[tuple[int, int]]) -> dict[int, BillingDocument]:
    """Billing documents by id; `wanted`: (tenant id, document id) pairs."""
    return _by_id(BillingDocument, wanted)


def import_jobs_by_id(*, wanted: Collection[tuple[int, int]]) -> dict[int, ImportJob]:
    """Import jobs by id; `wanted`: (tenant id, job id) pairs."""
    return _by_id(ImportJob, wanted)


def _by_id(model, wanted: Collection[tuple[int, int]]) -> dict:
    wanted = set(wanted)
    if not wanted:
        return {}
    records = model.objects.for_tenants({tenant for tenant, _ in wanted}).filter(
        pk__in={pk for _, pk in wanted}
    )
    return {r.pk: r for r in records if (r.tenant_id, r.pk) in wanted}
