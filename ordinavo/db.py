"""Database helpers shared by the apps."""

import functools
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


# Below this many rows one INSERT is cheaper than the two round trips of keys and COPY.
COPY_FROM_ROWS = 8

# Fields whose Python value psycopg adapts as it is: no Django conversion needed for COPY.
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,  # EmailField, URLField, SlugField and choices (psycopg dumps enum values)
    models.DateField,  # DateTimeField too: aware datetimes, USE_TZ is on
    models.FloatField,
    models.ForeignKey,
    models.IntegerField,  # its subclasses (big, small, positive)
    models.TextField,
)


@functools.cache
def _copy_plan(model: type[models.Model]) -> tuple[list, list]:
    """Per column of `model`: how an instance's value becomes a COPY value (fast where plain);
    and the foreign keys, to take the keys of objects saved since they were set."""
    columns = []
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append((field, "pre_save"))
        elif isinstance(field, _PLAIN_FIELDS):
            columns.append((field, "plain"))
        else:  # JSON and anything else: Django's own conversion
            columns.append((field, "prepare"))
    foreign_keys = [f for f in model._meta.concrete_fields if f.is_relation]
    return columns, foreign_keys


def _copy_row(instance: models.Model, columns: list) -> list:
    values = instance.__dict__
    row = []
    for field, how in columns:
        if how == "plain":
            row.append(values[field.attname])
        elif how == "pre_save":
            row.append(field.pre_save(instance, add=True))
        else:
            row.append(field.get_db_prep_save(values[field.attname], connection))
    return row


def bulk_insert(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert new rows and give each instance its primary key, like `bulk_create`.

    On PostgreSQL, from COPY_FROM_ROWS rows on, the keys are drawn from the table's sequence in
    one query and the rows sent with COPY: Django's bulk_create compiles and adapts every value
    of an INSERT in Python, which was most of an import's time (bench/import_throughput.py).
    Elsewhere, and for fewer rows, bulk_create.
    """
    if not instances:
        return
    if connection.vendor != "postgresql" or len(instances) < COPY_FROM_ROWS:
        model._default_manager.bulk_create(instances)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns, foreign_keys = _copy_plan(model)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(instances)],
        )
        rows = []
        for instance, (pk_value,) in zip(instances, cursor.fetchall(), strict=True):
            for field in foreign_keys:
                # A related object saved after it was set: its key now (as bulk_create does).
                related = field.get_cached_value(instance, default=None)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"{model.__name__}.{field.name} is not saved yet.")
                    setattr(instance, field.attname, related.pk)
            setattr(instance, meta.pk.attname, pk_value)
            rows.append(_copy_row(instance, columns))
        names = ", ".join(quote(field.column) for field, _ in columns)
        statement = f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
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
