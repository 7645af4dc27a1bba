"""The import's fast path to PostgreSQL, on public APIs only.

What it keeps, because each paid for itself in bench/import_throughput.py: the hot reads run
prepared (`fetch`, psycopg's `prepare=True`), rows of hand-written SQL become instances through
`Model.from_db`, new rows go in with COPY (`bulk_insert`, `insert_rows`) and changed ones with
one `UPDATE … FROM (VALUES …)` (`bulk_update`), JSON is encoded by orjson. New instances are
made by the model's constructor (positional, in concrete-field order: its fast path).

Per model it works from a plan made on first use, which refuses, with FastPathUnsupported, any
model feature it does not handle (see `_refusals`), instead of writing or reading such a model
differently from the ORM. tests/ordinavo/test_db.py holds it to the ORM for every hot model.
"""

import functools
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import Any

import psycopg
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals
from django.utils import timezone
from psycopg.types.json import Jsonb

from ordinavo.jsoncodec import json_dumps


class FastPathUnsupported(ImproperlyConfigured):
    """A model uses a feature the fast path does not handle; use the ORM for it."""


# --- prepared statements -------------------------------------------------------------------------
# Django binds parameters on the client (psycopg's ClientCursor), so PostgreSQL parses and plans
# every statement anew: for an import's few short statements that was half of the database's
# CPU. Django's `server_side_binding` option would bind every statement of the app on the server,
# where some of Django's own queries do not work; so only the hot statements (API key,
# references, inserts) run here: on a plain psycopg cursor of Django's connection, bound on the
# server and prepared once per connection. Their texts must not grow with the data (`in_values`
# sends a list as one array).


def quoted_table(model: type[models.Model]) -> str:
    """The model's table name, quoted, for hand-written SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def quoted_column(model: type[models.Model], name: str) -> str:
    """The column of the model's field `name`, quoted, for hand-written SQL."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def fetch(sql: str, params: Sequence = ()) -> list[tuple]:
    """The rows of one statement that returns rows, bound on the server and prepared (unless the
    connection's `prepare_threshold` is None: DATABASE_PREPARED_STATEMENTS=false).

    PostgreSQL may keep a prepared statement's generic plan, made when a table was nearly empty,
    for the life of the connection: write a statement whose best plan depends on table sizes so
    that its plan does not (`mapping.sql`: LATERAL … OFFSET 0).
    """
    db = connections[DEFAULT_DB_ALIAS]
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


_END = object()
# Chunked rows need libpq 17 (psycopg[binary] bundles a newer one); an older libpq streams them
# one at a time.
CHUNKED_ROWS = psycopg.pq.version() >= 170000


def stream(sql: str, params: Sequence = (), *, size: int = 100) -> Iterator[tuple]:
    """The rows of one statement as the server sends them, `size` at a time (libpq's chunked
    rows mode), bound on the server: the caller works on the first rows while PostgreSQL is
    still computing the rest (a statement that neither sorts nor groups its whole result sends
    rows as it finds them). Not prepared (psycopg cannot stream a prepared statement). Its
    placeholders are PostgreSQL's own ($1, $2, ...), `params` a sequence: psycopg sends the
    statement as it is (a RawCursor), where it parsed psycopg's placeholders anew on every run
    of a long statement. Read it to the end before the connection's next statement; psycopg
    cancels the statement when the iteration stops early."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    db.validate_no_broken_transaction()
    started = time.monotonic()
    with db.wrap_database_errors, psycopg.RawCursor(db.connection) as cursor:
        sent = []

        def execute(sql, params, many, context):
            rows = cursor.stream(sql, params, size=size if CHUNKED_ROWS else 1)
            sent.append((rows, next(rows, _END)))  # sends it, and waits for the first rows

        _with_execute_wrappers(db, cursor, execute)(sql, params)
        if db.queries_logged:
            _log(db, sql, started)
        rows, first = sent[0]
        if first is not _END:
            yield first
            yield from rows


def _with_execute_wrappers(db, cursor, execute: Callable) -> Callable[[str, Any], Any]:
    """`execute(sql, params)` through the connection's `execute_wrapper` hooks (APM agents,
    query counters), as Django's own cursor runs a statement: statements sent past that cursor
    are seen by them too."""
    for wrapper in reversed(db.execute_wrappers):
        execute = functools.partial(wrapper, execute)
    context = {"connection": db, "cursor": cursor}
    return lambda sql, params: execute(sql, params, False, context)


def in_values(column: str, values: Collection) -> tuple[str, list]:
    """`column = ANY(values)` as SQL and parameters: one array parameter, so the statement
    stays the same for any number of values."""
    return f"{column} = ANY(%s)", [list(values)]


def _log(db, statement: str, started: float) -> None:
    """Statements sent past Django's cursor wrapper, for CaptureQueriesContext and DEBUG."""
    db.queries_log.append({"sql": statement, "time": f"{time.monotonic() - started:.3f}"})


# --- the per-model plan --------------------------------------------------------------------------


# pre_save methods that only return the value, or set auto_now(_add) dates (the column plan
# sets those itself, as they set them).
_PLAIN_PRE_SAVE = frozenset(
    {models.Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save}
)


def _refusals(model: type[models.Model], *, writes: bool) -> list[str]:
    """What of `model` the fast path does not handle (empty: it handles the model)."""
    meta = model._meta
    problems = []
    if meta.abstract or meta.proxy or meta.parents:
        problems.append("it is abstract, a proxy or inherits a concrete model")
    if not isinstance(meta.pk, models.Field) or meta.pk.column is None:
        problems.append("its primary key is not one column")
    # Receivers of the init signals (connected once the apps are ready) watch instances made by
    # the constructor, which the rows written by COPY never pass through.
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        problems.append("pre_init/post_init signals have receivers")
    for field in meta.concrete_fields:
        if field.generated:
            problems.append(f"{field.name} is a GeneratedField")
        if field.has_db_default():
            problems.append(f"{field.name} has a db_default")
        if field.db_returning and not field.primary_key:
            problems.append(f"{field.name} is returned by the database on insert")
    if writes:
        if not isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
            problems.append("its primary key is not an auto field (keys come from its sequence)")
        for field in meta.concrete_fields:
            if type(field).pre_save not in _PLAIN_PRE_SAVE:
                problems.append(f"{field.name} sets its value on save (pre_save)")
    return problems


def _refuse_unsupported(model: type[models.Model], *, writes: bool) -> None:
    if problems := _refusals(model, writes=writes):
        raise FastPathUnsupported(
            f"ordinavo.db cannot {'write' if writes else 'read'} {model._meta.label}: "
            + "; ".join(problems)
            + ". Use the ORM for this model, or teach ordinavo.db the feature."
        )


@dataclass(frozen=True)
class _ReadPlan:
    attnames: tuple[str, ...]
    pk_index: int
    # Fields whose database value the ORM converts (Field.from_db_value: JSON).
    from_db: list[tuple[int, models.Field]]
    # Where the DateTimeFields stand (`datetimes_as_text`).
    datetimes: tuple[int, ...]


@functools.cache
def _read_plan(model: type[models.Model]) -> _ReadPlan:
    _refuse_unsupported(model, writes=False)
    fields = model._meta.concrete_fields
    return _ReadPlan(
        attnames=tuple(field.attname for field in fields),
        pk_index=fields.index(model._meta.pk),
        from_db=[(i, f) for i, f in enumerate(fields) if hasattr(f, "from_db_value")],
        datetimes=tuple(i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)),
    )


@functools.cache
def select_columns(model: type[models.Model], alias: str, *, datetimes_as_text=False) -> str:
    """The select list of every concrete column of `model` under the table alias `alias`, in
    the order `instance_from_row` reads them. `datetimes_as_text`: the DateTimeFields' columns as
    text, for rows most of which never become instances (read as text they cost nothing, a
    timestamptz goes through Django's loader in Python); give `instance_from_row` the same."""
    plan = _read_plan(model)
    quote = connection.ops.quote_name
    columns = [f"{quote(alias)}.{quote(f.column)}" for f in model._meta.concrete_fields]
    if datetimes_as_text:
        for index in plan.datetimes:
            columns[index] += "::text"
    return ", ".join(columns)


def column_count(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


def instance_from_row(
    model: type[models.Model], row: Sequence, start: int = 0, *, datetimes_as_text=False
) -> models.Model | None:
    """`model.from_db` of the columns (see `select_columns`) that start at `start` in `row`;
    None when its primary key is NULL (no row on that side of an outer join)."""
    plan = _read_plan(model)
    values = row[start : start + len(plan.attnames)]
    if values[plan.pk_index] is None:
        return None
    if plan.from_db or (datetimes_as_text and plan.datetimes):
        values = list(values)
        for index, field in plan.from_db:
            values[index] = field.from_db_value(values[index], None, connection)
        if datetimes_as_text:
            for index in plan.datetimes:
                values[index] = _timestamptz_of_text(values[index])
    return model.from_db(DEFAULT_DB_ALIAS, plan.attnames, values)


def _timestamptz_of_text(text: str | None) -> datetime | None:
    """A timestamptz PostgreSQL sent as text, loaded as the connection loads one (Django's
    loader, in the connection's time zone): the value a row read as it is holds."""
    if text is None:
        return None
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    return _timestamptz_loader(db.connection).load(text.encode())


@functools.lru_cache(maxsize=1)  # the connection's: a loader made per value cost 2 µs
def _timestamptz_loader(conn: psycopg.Connection) -> psycopg.adapt.Loader:
    oid = conn.adapters.types["timestamptz"].oid
    return conn.adapters.get_loader(oid, psycopg.pq.Format.TEXT)(oid, conn)


def _no_default() -> None:
    return None


@dataclass(frozen=True)
class _NewPlan:
    attnames: frozenset[str]
    # Per concrete field, in order: its attribute name and default (a foreign key without one:
    # None, without the related model's checks of ForeignKey.get_default).
    defaults: list[tuple[str, Callable[[], Any]]]


@functools.cache
def _new_plan(model: type[models.Model]) -> _NewPlan:
    _refuse_unsupported(model, writes=True)
    fields = model._meta.concrete_fields
    return _NewPlan(
        attnames=frozenset(f.attname for f in fields),
        defaults=[
            (f.attname, _no_default if f.is_relation and not f.has_default() else f.get_default)
            for f in fields
        ],
    )


def new_instance(model: type[models.Model], values: dict, **related: models.Model):
    """`model(**values, **related)` for a new row: `values` by attribute name (`tenant_id`), and
    related objects by field name. The constructor is called with every concrete field's value
    in order, its fast path (half the time of keywords)."""
    plan = _new_plan(model)
    if unknown := values.keys() - plan.attnames:
        raise TypeError(f"{model.__name__} has no fields {sorted(unknown)}")
    instance = model(
        *[values[name] if name in values else default() for name, default in plan.defaults]
    )
    for name, value in related.items():
        setattr(instance, name, value)
    return instance


# --- writes --------------------------------------------------------------------------------------


def bulk_update(
    model: type[models.Model], instances: Sequence[models.Model], fields: Sequence[str]
):
    """Write `fields` of many rows in one statement, in the order given: what the manager's
    bulk_update writes.

    Django's own bulk_update builds a CASE expression per row and field, which costs seconds of
    Python for a few hundred rows; this sends `UPDATE … FROM unnest(…)`, one array per column:
    the same statement for any number of rows, so it is bound on the server and prepared
    (`fetch`) instead of a VALUES list of every row's values that psycopg spliced into the text
    and PostgreSQL parsed anew.
    """
    if not instances or not fields:
        return
    _new_plan(model)
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    for column in columns:
        if isinstance(column, ArrayField):
            raise FastPathUnsupported(f"bulk_update of {column.name}: unnest flattens arrays")
        if getattr(column, "auto_now", False):
            for instance in instances:
                column.pre_save(instance, add=False)
    quote = connection.ops.quote_name
    casts = [pk.db_type(connection), *(column.db_type(connection) for column in columns)]
    arrays = [[pk.get_db_prep_value(instance.pk, connection) for instance in instances]]
    arrays += [
        [
            column.get_db_prep_save(getattr(instance, column.attname), connection)
            for instance in instances
        ]
        for column in columns
    ]
    names = [quote(pk.column), *(quote(column.column) for column in columns)]
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 (quoted identifiers)
        f"FROM unnest({', '.join(f'%s::{cast}[]' for cast in casts)}) AS v({', '.join(names)}) "
        f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)} RETURNING t.{quote(pk.column)}"
    )
    fetch(sql, arrays)


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
    anything else by Django's own conversion (get_db_prep_save). Positions, so a row is one
    list comprehension."""

    fields: list[models.Field]
    attnames: list[str]
    values_of: Callable[[models.Model], tuple]  # an instance's values of `fields`
    names: str  # the quoted column names
    now: list[int]
    pre_save: list[tuple[int, models.Field]]
    json: list[tuple[int, Callable[[Any], bytes | str]]]
    prepare: list[tuple[int, models.Field]]

    @classmethod
    def of(cls, model: type[models.Model], *, with_key: bool) -> "_Columns":
        _new_plan(model)
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
        attnames = [f.attname for f in fields]
        getter = attrgetter(*attnames)
        quote = connection.ops.quote_name
        return cls(
            fields=fields,
            attnames=attnames,
            values_of=getter if len(attnames) > 1 else lambda instance: (getter(instance),),
            names=", ".join(quote(f.column) for f in fields),
            now=now,
            pre_save=pre_save,
            json=json_columns,
            prepare=prepare,
        )

    def row_of_values(self, values: dict, now: datetime, db) -> list:
        """One row's database values from `values` by attribute name (a left-out field takes
        its default), with `now` for the auto_now(_add) fields."""
        try:
            row = [values[name] for name in self.attnames]
        except KeyError:
            row = [
                values[f.attname] if f.attname in values else f.get_default() for f in self.fields
            ]
        for index in self.now:
            row[index] = now
        for index, _field in self.pre_save:  # DateField(auto_now(_add)): what pre_save sets
            row[index] = date.today()  # noqa: DTZ011 (what DateField.pre_save sets)
        return self._prepared(row, db)

    def row_of_instance(self, instance: models.Model, now: datetime, db) -> list:
        """One instance's database values; its auto_now(_add) fields are set as pre_save sets
        them (the date-times to `now`, the time of the statement)."""
        row = list(self.values_of(instance))
        for index in self.now:
            row[index] = now
            setattr(instance, self.attnames[index], now)
        for index, field in self.pre_save:
            row[index] = field.pre_save(instance, add=True)
        return self._prepared(row, db)

    def _prepared(self, row: list, db) -> list:
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
    """Foreign keys to objects saved after they were set: their keys now (as bulk_create does).
    Only a foreign key without a value whose related object was set (cached) can have one."""
    foreign_keys = _foreign_keys(model)
    for instance in instances:
        for field in foreign_keys:
            if getattr(instance, field.attname) is not None or not field.is_cached(instance):
                continue
            related = field.get_cached_value(instance)
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
    """Insert new rows and give each instance its primary key: what `bulk_create` does.

    The statement is built from a per-model column plan instead of Django's INSERT compiler,
    which compiled and adapted every value in Python and was most of an import's time
    (bench/import_throughput.py): from COPY_FROM_ROWS rows on, the keys are drawn from the
    table's sequence in one query and the rows sent with COPY; below, one INSERT … RETURNING.
    """
    if not instances:
        return
    meta = model._meta
    db = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    _take_related_keys(model, instances)
    if len(instances) < COPY_FROM_ROWS:
        columns = _columns(model, with_key=False)
        data = [columns.row_of_instance(instance, now, db) for instance in instances]
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
        data = [columns.row_of_instance(instance, now, db) for instance in instances]
        _copy(model, columns.names, data)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = db.alias


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert new rows given as plain values, without instances and without their keys back: for
    rows nobody reads again in the request (an import's references). Each row maps attribute
    names (`customer_id`) to values; a field left out takes its default, and auto_now(_add)
    fields the time now. Sent as bulk_insert sends them (COPY from COPY_FROM_ROWS rows on).
    """
    if not rows:
        return
    columns = _columns(model, with_key=False)
    now = timezone.now()
    db = connections[DEFAULT_DB_ALIAS]
    data = [columns.row_of_values(values, now, db) for values in rows]
    if len(data) < COPY_FROM_ROWS:
        _insert(model, columns.names, data)
    else:
        _copy(model, columns.names, data)
