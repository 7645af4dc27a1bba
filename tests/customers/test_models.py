import pytest
from django.db import IntegrityError, transaction

from customers.models import Customer
from tests.factories import CustomerFactory, LocationFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_customer_number_is_unique_within_a_tenant():
    existing = CustomerFactory(customer_number="RRM-001")

    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(tenant=existing.tenant, customer_number="RRM-001", name="Other")


def test_same_customer_number_is_allowed_in_another_tenant():
    CustomerFactory(customer_number="RRM-001")
    other = CustomerFactory(customer_number="RRM-001", tenant=TenantFactory())

    assert Customer.objects.filter(customer_number="RRM-001").count() == 2
    assert Customer.objects.for_tenant(other.tenant).get() == other


def test_many_customers_of_a_tenant_may_have_no_customer_number():
    tenant = TenantFactory()
    CustomerFactory(tenant=tenant, customer_number=None)
    CustomerFactory(tenant=tenant, customer_number=None)

    assert Customer.objects.for_tenant(tenant).filter(customer_number__isnull=True).count() == 2


def test_empty_customer_number_is_refused():
    tenant = TenantFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(tenant=tenant, customer_number="", name="Blank")


def test_location_coordinates_are_range_checked_by_the_database():
    location = LocationFactory()
    location.latitude = 91

    with pytest.raises(IntegrityError), transaction.atomic():
        location.save()
