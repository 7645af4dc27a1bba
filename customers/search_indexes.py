"""Trigram search on PostgreSQL, set up after every migrate.

The GIN index needs the pg_trgm and btree_gin extensions, which SQLite (the embedded default of
`make run`) does not have; so they live here, not in a migration, and are created only on
PostgreSQL, idempotently.
"""

from django.db import connections

STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    # Tenant first: every candidate lookup is within one tenant.
    "CREATE INDEX IF NOT EXISTS customers_customer_name_trgm ON customers_customer "
    "USING gin (tenant_id, normalized_name gin_trgm_ops) WITH (fastupdate = off)",
    # Customers an import creates or renames go straight into the index: with a pending list
    # every lookup scans it, and from a few pages on the planner drops the index for a scan of
    # the tenant's customers (~30 ms a name, 15-20 s per batch of 500; bench/matching_quality.py).
    "ALTER INDEX customers_customer_name_trgm SET (fastupdate = off)",
)


def ensure_search_indexes(sender, using: str = "default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in STATEMENTS:
            cursor.execute(statement)
