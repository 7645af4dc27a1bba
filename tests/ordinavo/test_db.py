"""ordinavo.db: prepared statements, rows of hand-written SQL as instances, bulk_insert (COPY
on PostgreSQL) and bulk_update."""

import contextlib
import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    ProgrammingError,
    connection,
    connections,
    models,
    transaction,
)
from django.db.models import signals
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext, isolate_apps

from customers.models import Contact, Customer, Location
from inbound.models import ApiKey, ImportItem, ImportJob, IntegrationClient, Target
from inbound.selectors import unrevoked_api_key_get
from inbound.services import api_key_issue
from mapping.choices import MappingStatus
from mapping.models import ExternalReference
from ordinavo import db
from ordinavo.db import (
    COPY_FROM_ROWS,
    FastPathUnsupported,
    bulk_insert,
    bulk_update,
    column_count,
    fetch,
    in_values,
    insert_rows,
    instance_from_row,
    new_instance,
    select_columns,
)
from tenants.models import Tenant
from tests.factories import CustomerFactory, IntegrationClientFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_bulk_insert_gives_each_instance_its_key_and_links_objects_saved_since():
    tenant = TenantFactory()
    customers = [
        Customer(tenant=tenant, name=f"Kühl & Co {n}", customer_number=f"K-{n}") for n in range(3)
    ]
    locations = [
        Location(tenant=tenant, customer=c, city="Essen", street="Hachestr. 1") for c in customers
    ]

    bulk_insert(Customer, customers)  # the locations were given unsaved customers
    bulk_insert(Location, locations)

    assert all(c.pk and not c._state.adding for c in customers)
    stored = {loc.pk: loc.customer_id for loc in Location.objects.filter(tenant=tenant)}
    assert stored == {loc.pk: loc.customer.pk for loc in locations}
    assert Customer.objects.get(pk=customers[1].pk).name == "Kühl & Co 1"
    assert Customer.objects.get(pk=customers[1].pk).created_at is not None


def test_bulk_insert_sends_one_copy_and_is_logged_and_stores_json():
    customer = CustomerFactory()
    job_items = []
    from inbound.models import IntegrationClient

    client = IntegrationClient.objects.create(
        tenant=customer.tenant, name="ERP", source_system="erp"
    )
    job = ImportJob.objects.create(tenant=customer.tenant, client=client, kind="Batch")
    for position in range(50):
        job_items.append(
            ImportItem(
                tenant=customer.tenant,
                job=job,
                position=position,
                payload={"customer": {"name": 'Müller \\ "quoted"\t\n'}},
                warnings=["AmbiguousCustomerMatch"],
                customer=customer,
            )
        )

    with CaptureQueriesContext(connection) as captured:
        bulk_insert(ImportItem, job_items)

    assert len(captured) == 2  # the keys, then one COPY
    assert captured[1]["sql"].startswith('COPY "inbound_importitem"')
    stored = ImportItem.objects.get(pk=job_items[7].pk)
    assert stored.payload == {"customer": {"name": 'Müller \\ "quoted"\t\n'}}
    assert stored.warnings == ["AmbiguousCustomerMatch"]
    assert stored.position == 7


def test_bulk_insert_raises_djangos_integrity_error_on_a_unique_violation():
    tenant = TenantFactory()
    bulk_insert(Customer, [Customer(tenant=tenant, name="A", customer_number="SAME")])

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Customer, [Customer(tenant=tenant, name="B", customer_number="SAME")])


def test_bulk_update_writes_the_given_fields_only():
    customers = [CustomerFactory(name=f"Old {n}", email="old@example.com") for n in range(3)]
    for customer in customers:
        customer.name = customer.name.replace("Old", "New")
        customer.email = "changed@example.com"

    bulk_update(Customer, customers, ["name"])

    stored = Customer.objects.filter(pk__in=[c.pk for c in customers]).order_by("pk")
    assert [(c.name, c.email) for c in stored] == [
        (f"New {n}", "old@example.com") for n in range(3)
    ]


def test_bulk_update_sends_one_prepared_statement_whatever_the_number_of_rows():
    """One array per column: the statement's text is the same for 2 rows and 200 (bound on the
    server and prepared), not a VALUES list spliced into it row by row."""
    tenant = TenantFactory()
    customers = [CustomerFactory(tenant=tenant, name=f"Old {n}") for n in range(200)]

    def statement(rows) -> str:
        for customer in rows:
            customer.name = customer.name.replace("Old", "New")
        with CaptureQueriesContext(connection) as captured:
            bulk_update(Customer, rows, ["name"])
        (query,) = captured.captured_queries
        return query["sql"]

    assert statement(customers[:2]) == statement(customers[2:])
    assert set(Customer.objects.filter(tenant=tenant).values_list("name", flat=True)) == {
        f"New {n}" for n in range(200)
    }


def test_bulk_insert_refuses_a_link_to_an_unsaved_object():
    tenant = TenantFactory()
    unsaved = Customer(tenant=tenant, name="Not saved", customer_number="N-1")

    with pytest.raises(ValueError, match="saved"):
        bulk_insert(Location, [Location(tenant=tenant, customer=unsaved, city="Essen")])


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_fetch_prepares_its_statement_once_with_one_text_for_any_number_of_values():
    tenants = [TenantFactory(slug=f"prep-{n}") for n in range(3)]
    condition, _ = in_values("slug", ["x"])
    sql = f"SELECT slug FROM tenants_tenant WHERE {condition} ORDER BY slug"  # noqa: S608

    with CaptureQueriesContext(connection) as captured:
        one = fetch(sql, in_values("slug", ["prep-1"])[1])
        all_three = fetch(sql, in_values("slug", [t.slug for t in tenants])[1])

    assert one == [("prep-1",)]
    assert all_three == [("prep-0",), ("prep-1",), ("prep-2",)]
    assert [q["sql"] for q in captured] == [sql, sql]  # logged, and the same text
    assert sum("FROM tenants_tenant WHERE slug = ANY($1)" in s for s in _prepared_statements()) == 1


def test_fetch_runs_unprepared_when_prepared_statements_are_off(monkeypatch):
    """DATABASE_PREPARED_STATEMENTS=false (behind a pooler that cannot keep them)."""
    TenantFactory(slug="unprepared")
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)

    rows = fetch(
        "SELECT slug FROM tenants_tenant WHERE slug = %s AND 'off' = 'off'", ["unprepared"]
    )

    assert rows == [("unprepared",)]
    assert not [s for s in _prepared_statements() if "'off' = 'off'" in s]


def test_fetch_raises_djangos_integrity_error():
    tenant = TenantFactory()
    CustomerFactory(tenant=tenant, customer_number="TAKEN")
    sql = (
        "INSERT INTO customers_customer (tenant_id, customer_number, name, type, industry, email, "
        "phone, website, normalized_name, created_at, updated_at) "
        "VALUES (%s, 'TAKEN', 'x', 'Business', '', '', '', '', 'x', %s, %s) RETURNING id"
    )
    now = dt.datetime.now(dt.UTC)

    with pytest.raises(IntegrityError), transaction.atomic():
        fetch(sql, [tenant.pk, now, now])


def test_stream_yields_every_row_in_chunks_and_is_logged():
    sql = "SELECT n, $1::text FROM generate_series(1, $2::int) AS n"

    with CaptureQueriesContext(connection) as captured:
        rows = list(db.stream(sql, ["x", 7], size=3))
        none = list(db.stream(sql, ["x", 0]))

    assert rows == [(n, "x") for n in range(1, 8)]
    assert none == []
    assert [q["sql"] for q in captured] == [sql, sql]


def test_a_stream_reads_row_by_row_with_a_libpq_before_17(monkeypatch):
    monkeypatch.setattr(db, "CHUNKED_ROWS", False)
    rows = list(db.stream("SELECT generate_series(1, 5)", size=3))
    assert rows == [(n,) for n in range(1, 6)]


def test_a_stream_given_up_halfway_leaves_the_connection_usable():
    """A caller that stops reading (an error while it works on the rows) closes the stream: the
    statement is cancelled, the transaction rolls back, the connection serves the next one."""
    rows = db.stream("SELECT generate_series(1, 10000000)", size=10)

    def read_and_fail():
        with transaction.atomic(), contextlib.closing(rows):
            assert next(rows) == (1,)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        read_and_fail()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_stream_raises_djangos_database_errors():
    with pytest.raises(ProgrammingError), transaction.atomic():
        list(db.stream("SELECT * FROM no_such_table"))


def test_instance_from_row_converts_values_as_the_orm_does():
    client = IntegrationClientFactory()
    job = ImportJob.objects.create(tenant=client.tenant, client=client, kind="Batch")
    item = ImportItem.objects.create(
        tenant=client.tenant,
        job=job,
        position=3,
        payload={"customer": {"name": "Bäckerei Köhler"}},
        warnings=["AmbiguousCustomerMatch"],
    )
    sql = (
        f"SELECT {select_columns(ImportItem, 'i')}, {select_columns(Customer, 'c')} "  # noqa: S608
        "FROM inbound_importitem i LEFT JOIN customers_customer c ON c.id = i.customer_id "
        "WHERE i.id = %s"
    )

    (row,) = fetch(sql, [item.pk])
    loaded = instance_from_row(ImportItem, row)

    expected = ImportItem.objects.get(pk=item.pk)
    for field in ImportItem._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.payload == {"customer": {"name": "Bäckerei Köhler"}}
    assert isinstance(loaded.created_at, dt.datetime)
    assert not loaded._state.adding
    # No customer on the outer join's other side: no instance.
    assert instance_from_row(Customer, row, column_count(ImportItem)) is None


def test_bulk_insert_of_a_few_rows_sends_one_insert_returning_the_keys():
    tenant = TenantFactory()
    customers = [
        Customer(tenant=tenant, name=f"Kälte {n}", customer_number=f"F-{n}") for n in range(3)
    ]

    with CaptureQueriesContext(connection) as captured:
        bulk_insert(Customer, customers)

    assert len(captured) == 1
    assert captured[0]["sql"].startswith('INSERT INTO "customers_customer"')
    stored = Customer.objects.filter(tenant=tenant).order_by("pk")
    assert [(c.pk, c.name) for c in stored] == [(c.pk, c.name) for c in customers]


@pytest.mark.parametrize("count", [1, COPY_FROM_ROWS])  # one INSERT; COPY on PostgreSQL
def test_insert_rows_stores_plain_values_with_defaults_and_timestamps(count):
    customer = CustomerFactory()
    rows = [
        {
            "tenant_id": customer.tenant_id,
            "source_system": "erp",
            "external_type": "Customer",
            "external_id": f"C-{n}",
            "customer_id": customer.pk,
            "origin": "Import",
        }
        for n in range(count)
    ]

    with CaptureQueriesContext(connection) as captured:
        insert_rows(ExternalReference, rows)

    assert len(captured) == 1
    stored = ExternalReference.objects.filter(tenant=customer.tenant).order_by("external_id")
    assert [r.external_id for r in stored] == sorted(f"C-{n}" for n in range(count))
    assert all(r.customer_id == customer.pk and r.origin == "Import" for r in stored)
    # Left out: its default (no user); auto_now_add: now.
    assert all(r.created_by_id is None and r.created_at is not None for r in stored)


def test_new_instance_is_the_keyword_constructed_instance():
    tenant = TenantFactory()
    customer = Customer(tenant=tenant, name="Unsaved", customer_number="U-1")
    values = {"tenant_id": tenant.pk, "city": "Essen", "street": "Hachestraße 12"}

    fast = new_instance(Location, values, customer=customer)
    slow = Location(**values, customer=customer)

    for field in Location._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(slow, field.attname), field.name
    assert fast.customer is customer
    assert fast._state.adding
    bulk_insert(Customer, [customer])
    bulk_insert(Location, [fast])  # takes the customer's key, saved since
    assert Location.objects.get(pk=fast.pk).customer_id == customer.pk
    with pytest.raises(TypeError, match="no fields"):
        new_instance(Location, {"tenant": tenant})


@pytest.mark.parametrize("count", [1, COPY_FROM_ROWS])
def test_bulk_insert_stores_json_as_the_orm_stores_it(count):
    client = IntegrationClientFactory()
    job = ImportJob.objects.create(tenant=client.tenant, client=client, kind="Batch")
    payload = {"status": MappingStatus.CREATED, "big": 2**70, 7: "seven", "name": "Müller"}
    items = [
        ImportItem(tenant_id=job.tenant_id, job=job, position=n, payload=payload)
        for n in range(count)
    ]
    bulk_insert(ImportItem, items)
    ImportItem.objects.create(tenant_id=job.tenant_id, job=job, position=count, payload=payload)
    stored = ImportItem.objects.filter(job=job).order_by("position")
    expected = {"status": "Created", "big": 2**70, "7": "seven", "name": "Müller"}
    assert [item.payload for item in stored] == [expected] * (count + 1)  # the ORM's row last


def test_a_model_with_a_constructor_of_its_own_is_built_by_it():
    # djangorestframework-api-key's constructor remembers `revoked`, so a key cannot be unrevoked.
    client = IntegrationClientFactory()
    api_key, plaintext = api_key_issue(client=client, name="ci")
    loaded = unrevoked_api_key_get(prefix=plaintext.partition(".")[0])
    assert loaded == api_key
    assert loaded._initial_revoked is False


def test_statements_past_djangos_cursor_go_through_its_execute_wrappers():
    """APM agents and query counters hook `connection.execute_wrapper`: they see the prepared
    statements and COPY too, and a wrapper may still change what is sent, as with Django's."""
    tenant = TenantFactory()
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        assert context["connection"] is connections[DEFAULT_DB_ALIAS]
        return execute(sql.replace("'wrapped'", "'rewritten'"), params, many, context)

    with connection.execute_wrapper(record):
        rows = fetch("SELECT 'wrapped' WHERE %s > 0", [1])
        bulk_insert(
            Customer,
            [Customer(tenant=tenant, name=f"C {n}") for n in range(COPY_FROM_ROWS)],
        )

    assert rows == [("rewritten",)]
    assert seen[0] == "SELECT 'wrapped' WHERE %s > 0"
    assert any(s.startswith('COPY "customers_customer"') for s in seen), seen
    assert Customer.objects.filter(tenant=tenant).count() == COPY_FROM_ROWS


# --- the fast path against the ORM, for every hot model -------------------------------------------


@pytest.fixture
def world():
    """Saved records the hot models' rows point at."""
    client = IntegrationClientFactory()
    tenant = client.tenant
    customer = CustomerFactory(tenant=tenant)
    location = Location.objects.create(tenant=tenant, customer=customer, city="Essen")
    contact = Contact.objects.create(tenant=tenant, customer=customer, last_name="Kühn")
    job = ImportJob.objects.create(tenant=tenant, client=client, kind="Batch")
    target = Target.objects.create(
        tenant=tenant, client=client, external_id="JOB-1", title="Wartung"
    )
    return SimpleNamespace(
        tenant=tenant,
        client=client,
        customer=customer,
        location=location,
        contact=contact,
        job=job,
        target=target,
    )


def _rows(w, tag: str) -> dict[type, list[dict]]:
    """Per hot model written by the fast path, distinct rows (by attribute name) for `tag`,
    with values of every kind its fields hold (JSON, dates, nulls, foreign keys)."""
    moment = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
    t = w.tenant.pk
    n = range(COPY_FROM_ROWS)
    return {
        Customer: [
            {
                "tenant_id": t,
                "name": f"Kühl {tag} {i}",
                "customer_number": f"{tag}-{i}",
                "email": f"k{i}@example.com",
                "normalized_name": f"kuhl {tag} {i}",
            }
            for i in n
        ],
        Location: [
            {
                "tenant_id": t,
                "customer_id": w.customer.pk,
                "city": f"Essen {tag}",
                "street": f"Hachestr. {i}",
                "latitude": 51.45,
                "default_estimated_work_minutes": i,
            }
            for i in n
        ],
        Contact: [
            {
                "tenant_id": t,
                "customer_id": w.customer.pk,
                "last_name": f"Kühn {tag} {i}",
                "email": f"c{i}@example.com",
            }
            for i in n
        ],
        Target: [
            {
                "tenant_id": t,
                "client_id": w.client.pk,
                "external_id": f"JOB-{tag}-{i}",
                "title": f"Wartung {tag} {i}",
                "due_date": dt.date(2026, 4, i + 1),
                "preferred_time_window_start": moment,
                "custom_fields": {"floor": i, "note": f"Tür {tag}"},
                "customer_id": w.customer.pk,
                "location_id": w.location.pk,
            }
            for i in n
        ],
        ImportJob: [
            {
                "tenant_id": t,
                "client_id": w.client.pk,
                "kind": "Batch",
                "item_count": i + 10 * (tag == "b"),
                "started_at": moment,
            }
            for i in n
        ],
        ImportItem: [
            {
                "tenant_id": t,
                "job_id": w.job.pk,
                "position": i + 100 * (tag == "b"),
                "external_id": f"{tag}-{i}",
                "import_status": "Imported",
                "mapping_status": "Created",
                "payload": {"customer": {"name": "Müller"}, "big": 2**70},
                "warnings": [tag],
                "target_id": w.target.pk,
                "contact_id": w.contact.pk,
            }
            for i in n
        ],
        ExternalReference: [
            {
                "tenant_id": t,
                "source_system": "erp",
                "external_type": "Customer",
                "external_id": f"{tag}-{i}",
                "customer_id": w.customer.pk,
                "origin": "Import",
            }
            for i in n
        ],
    }


HOT_WRITTEN = [Customer, Location, Contact, Target, ImportJob, ImportItem, ExternalReference]


def _auto(model) -> set[str]:
    return {
        f.attname
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }


def _stored(model, pks) -> list[dict]:
    """The rows as the ORM reads them, without key and auto_now(_add) times (checked set)."""
    rows = list(model.objects.filter(pk__in=pks).order_by("pk").values())
    for row in rows:
        for name in _auto(model):
            assert row.pop(name) is not None
        row.pop("id")
    return rows


def _in_rolled_back_savepoint(write):
    with transaction.atomic():
        result = write()
        transaction.set_rollback(True)
    return result


def _same_values(model, a, b):
    return [getattr(a, f.attname) for f in model._meta.concrete_fields] == [
        getattr(b, f.attname) for f in model._meta.concrete_fields
    ]


@pytest.mark.parametrize("model", HOT_WRITTEN, ids=lambda m: m.__name__)
def test_new_instance_equals_the_constructed_one(world, model):
    for values in _rows(world, "a")[model]:
        fast, slow = new_instance(model, values), model(**values)
        assert _same_values(model, fast, slow)
        assert (fast._state.adding, fast._state.db) == (slow._state.adding, slow._state.db)
        assert fast._state.fetch_mode == slow._state.fetch_mode


@pytest.mark.parametrize("count", [1, COPY_FROM_ROWS])  # one INSERT; COPY
@pytest.mark.parametrize("model", HOT_WRITTEN, ids=lambda m: m.__name__)
def test_bulk_insert_and_insert_rows_write_the_rows_bulk_create_writes(world, model, count):
    rows = _rows(world, "a")[model][:count]

    def fast():
        instances = [new_instance(model, values) for values in rows]
        bulk_insert(model, instances)
        assert all(not i._state.adding and i._state.db == "default" for i in instances)
        return _stored(model, [i.pk for i in instances])

    def plain():
        insert_rows(model, rows)
        return _stored(model, model.objects.values_list("pk", flat=True))[-count:]

    def orm():
        instances = model.objects.bulk_create([model(**values) for values in rows])
        return _stored(model, [i.pk for i in instances])

    expected = _in_rolled_back_savepoint(orm)
    assert _in_rolled_back_savepoint(fast) == expected
    assert _in_rolled_back_savepoint(plain) == expected


@pytest.mark.parametrize("model", HOT_WRITTEN, ids=lambda m: m.__name__)
def test_bulk_update_writes_the_rows_the_managers_bulk_update_writes(world, model):
    rows, changes = _rows(world, "a")[model], _rows(world, "b")[model]
    fields = [
        f.name
        for f in model._meta.concrete_fields
        if f.attname in changes[0] or f.name == "updated_at"
    ]

    def update(write):
        def run():
            instances = model.objects.bulk_create([model(**values) for values in rows])
            for instance, values in zip(instances, changes, strict=True):
                for name, value in values.items():
                    setattr(instance, name, value)
            write(instances)
            return _stored(model, [i.pk for i in instances])

        return run

    expected = _in_rolled_back_savepoint(
        update(lambda instances: model.objects.bulk_update(instances, fields))
    )
    assert (
        _in_rolled_back_savepoint(update(lambda instances: bulk_update(model, instances, fields)))
        == expected
    )
    assert expected != _in_rolled_back_savepoint(update(lambda instances: None))


HOT_READ = [ApiKey, IntegrationClient, Tenant, Customer, Location, Contact, Target, ImportItem]


@pytest.mark.parametrize("model", HOT_READ, ids=lambda m: m.__name__)
def test_a_row_read_by_the_fast_path_equals_the_orms_instance(world, model):
    api_key, _ = api_key_issue(client=world.client, name="ci")
    item = ImportItem.objects.create(
        tenant=world.tenant, job=world.job, position=1, payload={"n": [1, "ä"]}, warnings=["W"]
    )
    Target.objects.filter(pk=world.target.pk).update(custom_fields={"floor": 3})
    pk = {
        ApiKey: api_key.pk,
        IntegrationClient: world.client.pk,
        Tenant: world.tenant.pk,
        Customer: world.customer.pk,
        Location: world.location.pk,
        Contact: world.contact.pk,
        Target: world.target.pk,
        ImportItem: item.pk,
    }[model]
    table = connection.ops.quote_name(model._meta.db_table)

    (row,) = fetch(f"SELECT {select_columns(model, 'x')} FROM {table} x WHERE x.id = %s", [pk])  # noqa: S608
    fast = instance_from_row(model, row)
    orm = model.objects.get(pk=pk)

    assert type(fast) is model
    assert _same_values(model, fast, orm)
    assert (
        (fast._state.adding, fast._state.db)
        == (orm._state.adding, orm._state.db)
        == (
            False,
            "default",
        )
    )
    assert fast._state.fetch_mode == orm._state.fetch_mode


# --- models the fast path refuses ----------------------------------------------------------------


@pytest.fixture
def fresh_plans():
    """Plans made anew (they are made once per model)."""
    caches = [db._read_plan, db._new_plan, db._columns, db.select_columns]
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


@pytest.mark.parametrize("signal", [signals.pre_init, signals.post_init])
def test_a_model_with_init_signal_receivers_is_refused(fresh_plans, signal):
    def receiver(**kwargs):
        pass

    signal.connect(receiver, sender=Location)
    try:
        with pytest.raises(FastPathUnsupported, match=r"customers\.Location: pre_init/post_init"):
            new_instance(Location, {"city": "Essen"})
        with pytest.raises(FastPathUnsupported):
            select_columns(Location, "l")
    finally:
        signal.disconnect(receiver, sender=Location)


@isolate_apps("customers")
@pytest.mark.parametrize(
    ("field", "problem"),
    [
        (
            lambda: models.GeneratedField(
                expression=Lower("name"),
                output_field=models.CharField(max_length=50),
                db_persist=True,
            ),
            "extra is a GeneratedField",
        ),
        (lambda: models.CharField(max_length=5, db_default="x"), "extra has a db_default"),
        (lambda: models.FileField(), r"extra sets its value on save \(pre_save\)"),
    ],
)
def test_a_model_with_a_feature_the_column_plan_does_not_handle_is_refused(
    fresh_plans, field, problem
):
    attrs = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"app_label": "customers"}),
        "name": models.CharField(max_length=50),
        "extra": field(),
    }
    model = type("Unsupported", (models.Model,), attrs)

    with pytest.raises(FastPathUnsupported, match=f"customers.Unsupported: {problem}"):
        bulk_insert(model, [model(name="x")])
    with pytest.raises(FastPathUnsupported, match=problem):
        insert_rows(model, [{"name": "x"}])
    with pytest.raises(FastPathUnsupported, match=problem):
        new_instance(model, {"name": "x"})
    if "pre_save" not in problem:  # a file field is read as the ORM reads it
        with pytest.raises(FastPathUnsupported, match=problem):
            instance_from_row(model, (1, "x", "y"))


def test_a_model_without_an_auto_key_is_read_but_not_written(fresh_plans):
    assert select_columns(ApiKey, "k")
    with pytest.raises(FastPathUnsupported, match="not an auto field"):
        new_instance(ApiKey, {"name": "ci"})
