"""ordinavo.db: prepared statements, rows of hand-written SQL as instances, bulk_insert (COPY
on PostgreSQL) and bulk_update."""

import datetime as dt

import pytest
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import signals
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Location
from inbound.models import ApiKey, ImportItem, ImportJob
from inbound.selectors import unrevoked_api_key_get
from inbound.services import api_key_issue
from mapping.choices import MappingStatus
from mapping.models import ExternalReference
from ordinavo.db import (
    COPY_FROM_ROWS,
    _stores_values_plainly,
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


def test_new_instance_runs_the_constructor_where_init_signals_have_receivers():
    received = []

    def receiver(sender, instance, **kwargs):
        received.append(instance)

    _stores_values_plainly.cache_clear()
    signals.post_init.connect(receiver, sender=Location)
    try:
        instance = new_instance(Location, {"city": "Essen"})
    finally:
        signals.post_init.disconnect(receiver, sender=Location)
        _stores_values_plainly.cache_clear()
    assert received == [instance]
    assert instance.city == "Essen"
    assert new_instance(Location, {"city": "Essen"}) not in received


def test_instances_built_without_the_constructor_behave_as_constructed_ones():
    tenant = TenantFactory()
    customer = new_instance(Customer, {"tenant_id": tenant.pk, "name": "Müller GmbH"})
    assert _stores_values_plainly(Customer)
    assert customer._state.adding
    assert customer._state.db is None
    assert customer.tenant == tenant  # the foreign key's value, resolved by its descriptor
    bulk_insert(Customer, [customer])
    customer.name = "Müller KG"
    customer.save(update_fields=["name"])
    assert Customer.objects.get(pk=customer.pk).name == "Müller KG"


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
    assert not _stores_values_plainly(ApiKey)
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
