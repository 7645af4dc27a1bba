"""Database helpers shared by the apps."""

import time
from collections.abc import Sequence

from django.db import connection, models


def bulk_update(
    model: type[models.Model], instances: Sequence[models.Model], fields: Sequence[str]
):
    """Write `fields` of many rows in one statement, in the order given.

    Django's own bulk_update builds a CASE expression per row and field, which costs seconds of
    Python for a few hundred rows; on PostgreSQL this sends `UPDATE … FROM (VALUES …)` instead.
    """
    if not instances or not fields:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(instances, fields)
        return
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    for column in columns:
        if column.name == "updated_at" or getattr(column, "auto_now", False):
            for instance in instances:
                column.pre_save(instance, add=False)
    quote = connection.ops.quote_name
    casts = [pk.db_type(connection), *(column.db_type(connection) for column in columns)]
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    params: list = []
    for instance in instances:
        params.append(pk.get_db_prep_value(instance.pk, connection))
        params.extend(
            column.get_db_prep_save(getattr(instance, column.attname), connection)
            for column in columns
        )
    names = [quote(pk.column), *(quote(column.column) for column in columns)]
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 (quoted identifiers)
        f"FROM (VALUES {', '.join([row] * len(instances))}) AS v({', '.join(names)}) "
        f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def bulk_insert(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert new rows and give each instance its primary key, like `bulk_create`.

    On PostgreSQL the keys are drawn from the table's sequence in one query and the rows sent
    with COPY: Django's bulk_create compiles and adapts every value of an INSERT in Python,
    which is most of an import's time (bench/import_throughput.py). Elsewhere, bulk_create.
    """
    if not instances:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(instances)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), meta.pk
    fields = meta.concrete_fields
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(instances)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        rows = []
        for instance, pk_value in zip(instances, ids, strict=True):
            # What bulk_create does first: foreign keys to objects saved since they were set.
            instance._prepare_related_fields_for_save(operation_name="bulk_insert")
            setattr(instance, pk.attname, pk_value)
            rows.append(
                [
                    field.get_db_prep_save(field.pre_save(instance, add=True), connection)
                    for field in fields
                ]
            )
        columns = ", ".join(quote(field.column) for field in fields)
        statement = f"COPY {table} ({columns}) FROM STDIN"
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias
    if connection.queries_logged:  # COPY bypasses the cursor wrapper that logs statements
        connection.queries_log.append(
            {"sql": f"{statement} -- {len(rows)} rows", "time": f"{time.monotonic() - started:.3f}"}
        )
