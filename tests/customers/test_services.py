"""Writes of customer master data: the matching keys are always fresh, and a record's related
records stay in its tenant."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.choices import CustomerType
from customers.models import Contact, Customer, Location
from customers.services import (
    contact_update,
    customer_create,
    customer_prepare,
    customer_update,
    location_create,
    location_prepare,
    location_update,
)
from tests.factories import ContactFactory, CustomerFactory, LocationFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_a_new_customer_gets_its_matching_key():
    customer = customer_create(
        customer=Customer(tenant=TenantFactory(), name="Müller Kältetechnik GmbH & Co. KG")
    )

    assert Customer.objects.get(pk=customer.pk).normalized_name == "mueller kaeltetechnik"


def test_an_updated_name_refreshes_the_key_even_when_only_the_name_is_saved():
    customer = CustomerFactory(name="Old GmbH")
    customer.name = "Nordsee Feinkost GmbH"

    customer_update(customer=customer, fields=["name"])

    assert Customer.objects.get(pk=customer.pk).normalized_name == "nordsee feinkost"


def test_an_update_of_other_fields_leaves_the_key_alone():
    customer = CustomerFactory(name="Nordsee Feinkost GmbH")
    Customer.objects.filter(pk=customer.pk).update(normalized_name="stale")
    customer.refresh_from_db()
    customer.email = "info@nordsee.example"

    customer_update(customer=customer, fields=["email"])

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.email, stored.normalized_name) == ("info@nordsee.example", "stale")


def test_a_full_update_refreshes_every_key():
    customer = CustomerFactory(name="Nordsee Feinkost GmbH")
    location = LocationFactory(customer=customer, street="Königstr. 8")
    Customer.objects.filter(pk=customer.pk).update(normalized_name="stale")
    Location.objects.filter(pk=location.pk).update(street_key="stale")
    customer.refresh_from_db()
    location.refresh_from_db()

    customer_update(customer=customer)
    location_update(location=location)

    assert Customer.objects.get(pk=customer.pk).normalized_name == "nordsee feinkost"
    assert Location.objects.get(pk=location.pk).street_key == "koenigstr"


def test_preparation_sets_only_the_keys_of_changed_sources_and_runs_no_query():
    customer = Customer(name="Nordsee Feinkost GmbH", normalized_name="stale")
    location = Location(street="Hachestraße 12", street_key="stale")

    with CaptureQueriesContext(connection) as queries:
        untouched = (
            customer_prepare(customer=customer, changed={"email"}),
            location_prepare(location=location, changed={"city"}),
        )
        assert (customer.normalized_name, location.street_key) == ("stale", "stale")
        refreshed = (
            customer_prepare(customer=customer, changed={"name"}),
            location_prepare(location=location),
        )

    assert untouched == ((), ())
    assert refreshed == (
        ("normalized_name",),
        ("street_key", "house_number", "street_name", "street_written"),
    )
    assert (customer.normalized_name, location.street_key) == ("nordsee feinkost", "hachestr")
    assert (location.street_name, location.street_written) == ("hache str", "hachestrasse")
    assert len(queries) == 0


def test_a_key_is_cut_to_its_column():
    customer = customer_create(customer=Customer(tenant=TenantFactory(), name="Kälte " * 33))

    assert len(customer.normalized_name) == 200


def test_a_new_location_takes_its_customers_tenant():
    customer = CustomerFactory()

    location = location_create(location=Location(customer=customer, street="Königstr. 8"))

    assert location.tenant_id == customer.tenant_id
    assert location.street_key == "koenigstr"


def test_a_location_cannot_move_to_another_tenants_customer():
    location = LocationFactory()
    original_customer = location.customer_id
    location.customer = CustomerFactory()  # of another tenant

    with pytest.raises(ValidationError) as refused:
        location_update(location=location)

    assert list(refused.value.message_dict) == ["customer"]
    assert Location.objects.get(pk=location.pk).customer_id == original_customer


def test_a_contact_cannot_move_to_another_tenants_customer():
    contact = ContactFactory()
    original_customer = contact.customer_id
    contact.customer = CustomerFactory()  # of another tenant

    with pytest.raises(ValidationError) as refused:
        contact_update(contact=contact)

    assert list(refused.value.message_dict) == ["customer"]
    assert Contact.objects.get(pk=contact.pk).customer_id == original_customer


def test_a_persons_family_key_follows_a_rename_onto_its_locations():
    customer = CustomerFactory(name="Johann Meier", type=CustomerType.PRIVATE, phone="0171 36642")
    home = LocationFactory(customer=customer, street="Hachestraße 12a")
    assert (customer.family_key, customer.phone_key) == ("67", "4917136642")
    assert (home.family_key, home.house_number) == ("67", "12a")

    customer.name = "Johann Schmidt"
    customer_update(customer=customer, fields={"name"})
    assert Location.objects.get(pk=home.pk).family_key == "862"

    customer.type = CustomerType.BUSINESS  # a company has no family key
    customer_update(customer=customer, fields={"type"})
    assert Location.objects.get(pk=home.pk).family_key == ""


def test_the_normalized_name_follows_a_rename_onto_the_locations():
    customer = CustomerFactory(name="Nordsee Feinkost GmbH")
    site = LocationFactory(customer=customer)
    assert site.normalized_name == "nordsee feinkost"

    customer.name = "Ostsee Feinkost AG"
    customer_update(customer=customer, fields={"name"})
    assert Location.objects.get(pk=site.pk).normalized_name == "ostsee feinkost"
    customer.email = "info@ostsee.example"  # no rename: the locations are left alone
    Location.objects.filter(pk=site.pk).update(normalized_name="stale")
    customer_update(customer=customer, fields={"email"})
    assert Location.objects.get(pk=site.pk).normalized_name == "stale"


def test_a_persons_name_words_are_kept_and_follow_a_rename():
    person = CustomerFactory(name="Frau Anna Weber", type=CustomerType.PRIVATE)
    company = CustomerFactory(name="Anna Weber GmbH", type=CustomerType.BUSINESS)

    person.name = "Anna Weber-Schulz"
    customer_update(customer=person, fields=["name"])

    assert Customer.objects.get(pk=person.pk).person_words == "anna weber schulz"
    assert company.person_words == ""


def test_person_words_too_long_for_their_column_are_not_kept():
    person = CustomerFactory(name=" ".join(["Müßiggänger"] * 16), type=CustomerType.PRIVATE)

    assert person.person_words == ""
