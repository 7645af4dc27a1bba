"""Database helpers shared by the apps."""

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
