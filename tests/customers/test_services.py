"""Writes of customer master data keep a record's related records in its tenant."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Contact, Location
from customers.services import contact_save, location_save
from tests.factories import ContactFactory, CustomerFactory, LocationFactory

pytestmark = pytest.mark.django_db


def test_a_new_location_takes_its_customers_tenant():
    customer = CustomerFactory()

    location = location_save(location=Location(customer=customer, street="Königstr. 8"))

    assert location.tenant_id == customer.tenant_id
    assert location.street_key == "koenigstr"


def test_a_location_cannot_move_to_another_tenants_customer():
    location = LocationFactory()
    original_customer = location.customer_id
    location.customer = CustomerFactory()  # of another tenant

    with pytest.raises(ValidationError) as refused:
        location_save(location=location)

    assert list(refused.value.message_dict) == ["customer"]
    assert Location.objects.get(pk=location.pk).customer_id == original_customer


def test_a_contact_cannot_move_to_another_tenants_customer():
    contact = ContactFactory()
    original_customer = contact.customer_id
    contact.customer = CustomerFactory()  # of another tenant

    with pytest.raises(ValidationError) as refused:
        contact_save(contact=contact)

    assert list(refused.value.message_dict) == ["customer"]
    assert Contact.objects.get(pk=contact.pk).customer_id == original_customer
