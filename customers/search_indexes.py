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
    "USING gin (tenant_id, normalized_name gin_trgm_ops)",
)


def ensure_search_indexes(sender, using: str = "default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in STATEMENTS:
            cursor.execute(statement)
