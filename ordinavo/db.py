"""Database helpers shared by the apps."""

import functools
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.utils import timezone
from psycopg.types.json import Jsonb

from ordinavo.jsoncodec import json_dumps

# --- prepared statements -------------------------------------------------------------------------
# Django binds parameters on the client, so PostgreSQL parses and plans every statement anew:
# for an import's few short statements that was half of the database's CPU. The hot statements
# (API key, references, inserts) run here instead: bound on the server and prepared once per
# connection. Their texts must not grow with the data (`in_values` sends a list as one array).


def fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    """The rows of one statement that returns rows: on PostgreSQL bound on the server and
    prepared; elsewhere through Django's cursor.

    PostgreSQL may keep a prepared statement's generic plan, made when a table was nearly empty,
    for the life of the connection: write a statement whose best plan depends on table sizes so
    that its plan does not (`mapping.selectors.referenced_records`: LATERAL … OFFSET 0).
    """
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    started = time.monotonic()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cursor:

        def execute(sql, params, many, context):
            cursor.execute(sql, params, prepare=True)

        _with_execute_wrappers(db, cursor, execute)(sql, params)
        rows = cursor.fetchall()
    if db.queries_logged:
        _log(db, sql, started)
    return rows


def _with_execute_wrappers(db, cursor, execute: Callable) -> Callable[[str, Any], Any]:
    """`execute(sql, params)` through the connection's `execute_wrapper` hooks (APM agents,
    query counters), as Django's own cursor runs a statement: statements sent past that cursor
    are seen by them too."""
    for wrapper in reversed(db.execute_wrappers):
        execute = functools.partial(wrapper, execute)
    context = {"connection": db, "cursor": cursor}
    return lambda sql, params: execute(sql, params, False, context)


def in_values(column: str, values: Collection) -> tuple[str, list]:
    """`column IN (values)` as SQL and parameters: one array parameter on PostgreSQL, so the
    statement stays the same for any number of values."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _log(db, statement: str, started: float) -> None:
    """Statements sent past Django's cursor wrapper, for CaptureQueriesContext and DEBUG."""
    db.queries_log.append({"sql": statement, "time": f"{time.monotonic() - started:.3f}"})


# --- reading rows of hand-written SQL ------------------------------------------------------------
# The hot reads of an import (API key, external references) are a few fixed statements; compiling
# them through the ORM on every request cost more CPU than running them
# (bench/import_throughput.py). They are hand-written SQL; these helpers give their select lists
# and make instances of their rows the way the ORM does.


@functools.cache
def _read_plan(
    model: type[models.Model],
) -> tuple[list[str], int, list[tuple[int, object, list]]]:
    """The attribute names of `model`'s concrete fields, the primary key's index among them, and
    per field that needs them the converters the ORM applies to its database value (JSON, and
    SQLite's dates and booleans)."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            converters.append((index, column, functions))
    return [field.attname for field in fields], fields.index(model._meta.pk), converters


@functools.cache
def select_columns(model: type[models.Model], alias: str) -> str:
    """The select list of every concrete column of `model` under the table alias `alias`, in
    the order `instance_from_row` reads them."""
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(alias)}.{quote(f.column)}" for f in model._meta.concrete_fields)


def column_count(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


def instance_from_row(
    model: type[models.Model], row: Sequence, start: int = 0
) -> models.Model | None:
    """The instance whose columns (see `select_columns`) start at `start` in `row`; None when its
    primary key is NULL (no row on that side of an outer join)."""
    attnames, pk_index, converters = _read_plan(model)
    values = list(row[start : start + len(attnames)])
    if values[pk_index] is None:
        return None
    for index, column, functions in converters:
        value = values[index]
        for function in functions:
            value = function(value, column, connection)
        values[index] = value
    instance = _constructed(model, attnames, values)
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    return instance


@functools.cache
def _stores_values_plainly(model: type[models.Model]) -> bool:
    """Whether `model(*values)` (and `model.from_db`) only store each value under its field's
    attribute name: Django's own constructor and from_db, no receivers of the init signals
    (connected when the apps are ready) and, on every concrete field, only Django's
    deferred-attribute descriptors, which read the instance's __dict__."""
    if model.__init__ is not models.Model.__init__ or model.from_db.__func__ is not (
        models.Model.from_db.__func__
    ):
        return False
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return False
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    return all(type(getattr(model, f.attname, None)) in plain for f in model._meta.concrete_fields)


def _constructed(model: type[models.Model], attnames: list[str], values: list) -> models.Model:
    """`model(*values)` (values of every concrete field, in order), as a new instance: what the
    constructor does, without its per-field descriptor calls and signal sends, which were a tenth
    of a batch's import time (an import builds thousands of instances)."""
    if not _stores_values_plainly(model):
        return model(*values)
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    instance._state = ModelState()
    return instance


def _no_default() -> None:
    return None


@functools.cache
def _new_plan(model: type[models.Model]) -> tuple[list, list, frozenset]:
    """Per concrete field its attribute name and default (a foreign key without one: None,
    without the related model's checks of ForeignKey.get_default)."""
    fields = model._meta.concrete_fields
    attnames = [f.attname for f in fields]
    defaults = [
        _no_default if f.is_relation and not f.has_default() else f.get_default for f in fields
    ]
    return list(zip(attnames, defaults, strict=True)), attnames, frozenset(attnames)


def new_instance(model: type[models.Model], values: dict, **related: models.Model):
    """`model(**values, **related)` for a new row: `values` by attribute name (`tenant_id`), and
    related objects by field name."""
    plan, attnames, known = _new_plan(model)
    if unknown := values.keys() - known:
        raise TypeError(f"{model.__name__} has no fields {sorted(unknown)}")
    instance = _constructed(
        model, attnames, [values[name] if name in values else default() for name, default in plan]
    )
    for name, value in related.items():
        setattr(instance, name, value)
    return instance


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


@dataclass(frozen=True)
class _Columns:
    """The columns a COPY or INSERT of `model` sends, and how each value becomes a database
    value: most as they are; auto_now(_add) date-times the time of the statement (what pre_save
    sets: timezone.now()), other auto fields by pre_save, JSON by orjson (`json_dumps`) and
    anything else by Django's own conversion. Positions, so a row is one list comprehension."""

    fields: list[models.Field]
    attnames: list[str]
    names: str  # the quoted column names
    now: list[int]
    pre_save: list[tuple[int, models.Field]]
    json: list[tuple[int, Callable[[Any], bytes | str]]]
    prepare: list[tuple[int, models.Field]]

    @classmethod
    def of(cls, model: type[models.Model], *, with_key: bool) -> "_Columns":
        fields = [f for f in model._meta.concrete_fields if with_key or f is not model._meta.pk]
        now, pre_save, json_columns, prepare = [], [], [], []
        for index, field in enumerate(fields):
            auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            if auto and isinstance(field, models.DateTimeField):
                now.append(index)
            elif auto:
                pre_save.append((index, field))
            elif isinstance(field, models.JSONField):
                json_columns.append((index, json_dumps(field.encoder)))
            elif not isinstance(field, _PLAIN_FIELDS):
                prepare.append((index, field))
        quote = connection.ops.quote_name
        return cls(
            fields=fields,
            attnames=[f.attname for f in fields],
            names=", ".join(quote(f.column) for f in fields),
            now=now,
            pre_save=pre_save,
            json=json_columns,
            prepare=prepare,
        )

    def row(self, values: dict, now: datetime, db, instance: models.Model | None = None) -> list:
        """One row's database values, from `values` by attribute name (a left-out field takes
        its default), with `now` for the auto_now(_add) date-times; an instance's are set to it,
        as pre_save sets them."""
        try:
            row = [values[name] for name in self.attnames]
        except KeyError:
            row = [
                values[f.attname] if f.attname in values else f.get_default() for f in self.fields
            ]
        for index in self.now:
            row[index] = now
            if instance is not None:
                instance.__dict__[self.attnames[index]] = now
        for index, field in self.pre_save:
            row[index] = field.pre_save(instance, add=True) if instance is not None else now
        for index, dumps in self.json:  # None is SQL NULL, as JSONField.get_db_prep_save makes it
            if row[index] is not None:
                row[index] = Jsonb(row[index], dumps=dumps)
        for index, field in self.prepare:
            row[index] = field.get_db_prep_save(row[index], db)
        return row


@functools.cache
def _columns(model: type[models.Model], *, with_key: bool) -> _Columns:
    return _Columns.of(model, with_key=with_key)


@functools.cache
def _foreign_keys(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.is_relation]


def _take_related_keys(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Foreign keys to objects saved after they were set: their keys now (as bulk_create does)."""
    foreign_keys = _foreign_keys(model)
    for instance in instances:
        if not instance._state.fields_cache:
            continue  # no related object set, only key values
        for field in foreign_keys:
            related = field.get_cached_value(instance, default=None)
            if related is not None:
                if related.pk is None:
                    raise ValueError(f"{model.__name__}.{field.name} is not saved yet.")
                setattr(instance, field.attname, related.pk)


def _insert(model: type[models.Model], names: str, data: list[list]) -> list:
    """INSERT … RETURNING of rows of column values (columns `names`); their keys."""
    quote = connection.ops.quote_name
    placeholders = "(" + ", ".join(["%s"] * len(data[0])) + ")"
    rows = fetch(
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608 (quoted identifiers)
        f"VALUES {', '.join([placeholders] * len(data))} RETURNING {quote(model._meta.pk.column)}",
        [value for row in data for value in row],
    )
    return [key for (key,) in rows]


def _copy(model: type[models.Model], names: str, data: list[list]) -> None:
    """COPY of rows of column values (columns `names`)."""
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
    started = time.monotonic()
    with connection.cursor() as cursor, connection.wrap_database_errors:

        def execute(sql, params, many, context):
            with cursor.cursor.copy(sql) as copy:
                for row in params:
                    copy.write_row(row)

        _with_execute_wrappers(cursor.db, cursor, execute)(statement, data)
    if connection.queries_logged:
        _log(connection, f"{statement} -- {len(data)} rows", started)


def bulk_insert(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert new rows and give each instance its primary key, like `bulk_create`.

    On PostgreSQL the statement is built from a per-model column plan instead of Django's INSERT
    compiler, which compiled and adapted every value in Python and was most of an import's time
    (bench/import_throughput.py): from COPY_FROM_ROWS rows on, the keys are drawn from the
    table's sequence in one query and the rows sent with COPY; below, one INSERT … RETURNING.
    Elsewhere, bulk_create.
    """
    if not instances:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(instances)
        return
    meta = model._meta
    db = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    _take_related_keys(model, instances)
    if len(instances) < COPY_FROM_ROWS:
        columns = _columns(model, with_key=False)
        data = [columns.row(instance.__dict__, now, db, instance) for instance in instances]
        keys = _insert(model, columns.names, data)
        for instance, key in zip(instances, keys, strict=True):
            setattr(instance, meta.pk.attname, key)
    else:
        # The key's sequence looked up once (MATERIALIZED), not once per key: that lookup took
        # three quarters of the statement's time.
        rows = fetch(
            "WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS id) "
            "SELECT nextval(seq.id) FROM seq, generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(instances)],
        )
        for instance, (key,) in zip(instances, rows, strict=True):
            setattr(instance, meta.pk.attname, key)  # before the rows: the key is one of them
        columns = _columns(model, with_key=True)
        data = [columns.row(instance.__dict__, now, db, instance) for instance in instances]
        _copy(model, columns.names, data)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = db.alias


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert new rows given as plain values, without instances and without their keys back: for
    rows nobody reads again in the request (an import's references). Each row maps attribute
    names (`customer_id`) to values; a field left out takes its default, and auto_now(_add)
    fields the time now. On PostgreSQL as bulk_insert sends them (COPY from COPY_FROM_ROWS
    rows on); elsewhere bulk_create.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows])
        return
    columns = _columns(model, with_key=False)
    now = timezone.now()
    db = connections[DEFAULT_DB_ALIAS]
    data = [columns.row(values, now, db) for values in rows]
    if len(data) < COPY_FROM_ROWS:
        _insert(model, columns.names, data)
    else:
        _copy(model, columns.names, data)
