"""ordinavo.db: bulk_insert (COPY on PostgreSQL) and bulk_update."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Location
from inbound.models import ImportItem, ImportJob
from ordinavo.db import bulk_insert, bulk_update
from tests.factories import CustomerFactory, TenantFactory

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


@pytest.mark.postgres
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
