"""Trigram search of the review queue on PostgreSQL, set up after every migrate.

Like customers/search_indexes.py: the GIN index needs pg_trgm and btree_gin, which SQLite does not
have, so it lives here and not in a migration. It is built by Django from the very expression the
queue filters on (`item_search_text`), so the planner recognises it; change the expression and
rename the index together.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import connections
from django.db.models import F, Q
from django.db.models.functions import Upper

from inbound.choices import ReviewState
from inbound.models import ImportItem

from .selectors import item_search_text

OPEN_ITEM_SEARCH_INDEX = GinIndex(
    F("tenant"),  # tenant first, like every lookup (btree_gin)
    OpClass(Upper(item_search_text()), name="gin_trgm_ops"),
    condition=Q(review_state=ReviewState.OPEN),
    name="inbound_item_open_search",
)


def ensure_search_indexes(sender, using: str = "default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        existing = connection.introspection.get_constraints(cursor, ImportItem._meta.db_table)
    if OPEN_ITEM_SEARCH_INDEX.name not in existing:
        with connection.schema_editor() as editor:
            editor.add_index(ImportItem, OPEN_ITEM_SEARCH_INDEX)
