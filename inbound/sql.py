"""The inbound app's hand-written SQL, in one place: the hot statements of every API request
(API key, throttle, idempotency, an import's targets), run prepared by `ordinavo.db.fetch`.
Table and column names come from the models' `_meta`, quoted."""

import functools

from django.db import connection

from ordinavo.db import select_columns
from tenants.models import Tenant

from .models import (
    ApiKey,
    IdempotencyRecord,
    ImportJobTally,
    IntegrationClient,
    Target,
    ThrottleWindow,
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model, *names: str) -> dict[str, str]:
    """The quoted columns of the fields `names`, by name."""
    return {name: connection.ops.quote_name(model._meta.get_field(name).column) for name in names}


@functools.cache
def api_key_sql() -> str:
    """The unrevoked key of a prefix, with its client and tenant: the columns of the three
    models in turn (ordinavo.db.select_columns). Parameter: the prefix."""
    key = _columns(ApiKey, "client", "prefix", "revoked")
    client = _columns(IntegrationClient, "id", "tenant")
    tenant_key = connection.ops.quote_name(Tenant._meta.pk.column)
    return (
        f"SELECT {select_columns(ApiKey, 'k')}, {select_columns(IntegrationClient, 'c')}, "  # noqa: S608 (quoted identifiers)
        f"{select_columns(Tenant, 't')} FROM {_table(ApiKey)} k "
        f"JOIN {_table(IntegrationClient)} c ON c.{client['id']} = k.{key['client']} "
        f"JOIN {_table(Tenant)} t ON t.{tenant_key} = c.{client['tenant']} "
        f"WHERE k.{key['prefix']} = %s AND NOT k.{key['revoked']}"
    )


@functools.cache
def targets_of_client_sql() -> str:
    """The targets of one client with these external IDs, every column (select_columns).
    Parameters: the IDs (an array: one statement text for any batch), the tenant, the client.

    Per ID one probe of the unique index inbound_target_unique_external_id_per_client: LATERAL
    … OFFSET 0, so that is the plan whatever the table size was when the (prepared) statement
    was planned. `external_id = ANY(…)` instead got a generic plan, made on a nearly empty
    table, that walked the client's every target with the IDs as a filter: it more than halved
    single imports in bench/import_throughput.py.
    """
    t = _columns(Target, "tenant", "client", "external_id")
    return (
        f"SELECT {select_columns(Target, 't')} "  # noqa: S608 (quoted identifiers)
        "FROM unnest(%s::text[]) AS w(external_id) "
        f"JOIN LATERAL (SELECT * FROM {_table(Target)} t WHERE t.{t['tenant']} = %s "
        f"AND t.{t['client']} = %s AND t.{t['external_id']} = w.external_id OFFSET 0) t ON TRUE"
    )


def _throttle_count_sql() -> str:
    c = _columns(ThrottleWindow, "tenant", "client", "opened_at", "count")
    return f"""
    INSERT INTO {_table(ThrottleWindow)} AS w ({c["tenant"]}, {c["client"]}, {c["opened_at"]}, {c["count"]})
    VALUES (%s, %s, %s, 1)
    ON CONFLICT ({c["tenant"]}, {c["client"]}) DO UPDATE SET
        {c["opened_at"]} = CASE WHEN w.{c["opened_at"]} <= %s THEN excluded.{c["opened_at"]} ELSE w.{c["opened_at"]} END,
        {c["count"]} = CASE WHEN w.{c["opened_at"]} <= %s THEN 1 ELSE w.{c["count"]} + 1 END
    RETURNING {c["opened_at"]}, {c["count"]}
"""  # noqa: S608, E501 (quoted identifiers)


# Count one request in the client's window, opening a new one after the last closed.
# Parameters: tenant, client, now, closed_before, closed_before.
THROTTLE_COUNT_SQL = _throttle_count_sql()


def _idempotency_reserve_sql() -> str:
    c = _columns(
        IdempotencyRecord,
        "id", "tenant", "client", "endpoint", "key", "request_hash", "created_at",
        "response_status", "response_body",
    )  # fmt: skip
    return f"""
    INSERT INTO {_table(IdempotencyRecord)} AS r
        ({c["tenant"]}, {c["client"]}, {c["endpoint"]}, {c["key"]}, {c["request_hash"]}, {c["created_at"]})
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT ({c["tenant"]}, {c["client"]}, {c["endpoint"]}, {c["key"]}) DO UPDATE SET
        {c["request_hash"]} = excluded.{c["request_hash"]},
        {c["created_at"]} = excluded.{c["created_at"]},
        {c["response_status"]} = NULL,
        {c["response_body"]} = NULL
    WHERE r.{c["created_at"]} < %s OR r.{c["response_status"]} IS NULL
    RETURNING {c["id"]}, set_config('lock_timeout', %s, true)
"""  # noqa: S608, E501 (quoted identifiers)


# Reserve the key, or take over a record past its retention (or left without an answer by a
# version that reserved keys outside the import). On a conflict with a running request's
# uncommitted row the statement waits (at most `lock_timeout`) for it to end: gone, the row is
# ours; committed, no row comes back and that request's answer is replayed. RETURNING puts the
# transaction's lock_timeout back (`set_config`), so the import's own waits are not cut short.
IDEMPOTENCY_RESERVE_SQL = _idempotency_reserve_sql()

# The transaction's lock_timeout, and a new one for the rest of the transaction.
LOCK_TIMEOUT_SET_SQL = (
    "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)"
)


def _tallies_add_sql() -> str:
    c = _columns(
        ImportJobTally, "tenant", "job", "import_status", "mapping_status", "review_state", "count"
    )
    state = f"{c['import_status']}, {c['mapping_status']}, {c['review_state']}"
    return f"""
    INSERT INTO {_table(ImportJobTally)} AS t ({c["tenant"]}, {c["job"]}, {state}, {c["count"]})
    SELECT %s, %s, s.import_status, s.mapping_status, s.review_state, s.count
    FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[])
        AS s(import_status, mapping_status, review_state, count)
    ON CONFLICT ({c["tenant"]}, {c["job"]}, {state}) DO UPDATE SET
        {c["count"]} = t.{c["count"]} + excluded.{c["count"]}
    RETURNING {c["count"]}
"""  # noqa: S608 (quoted identifiers)


# Add counts to a job's tallies (a negative count takes away), one row per state, created when
# missing. Parameters: tenant, job, then the arrays of import statuses, mapping statuses, review
# states and counts, in the order of the states (so concurrent writers lock rows in one order).
TALLIES_ADD_SQL = _tallies_add_sql()


# A synchronous import holds this advisory lock (namespace "OI", key 1) shared for its
# transaction; a worker about to import a chunk of an asynchronous one asks, never waiting,
# whether anybody holds it, to leave the machine to the requests (async_imports.sync_imports_yield).
SYNC_IMPORT_LOCK = (0x4F49, 1)
SYNC_IMPORT_MARK_SQL = "SELECT pg_advisory_xact_lock_shared(%s, %s)"
# True while a synchronous import holds the lock (taken exclusively for no longer than the
# statement when free, so a request never waits on it).
SYNC_IMPORTS_RUNNING_SQL = (
    "SELECT CASE WHEN pg_try_advisory_lock(%s, %s) THEN NOT pg_advisory_unlock(%s, %s) "
    "ELSE true END"
)
