import pytest
from django.urls import reverse

from customers.models import Customer, Location
from tests.factories import CustomerFactory, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


def test_customer_edited_in_the_admin_keeps_its_matching_key(admin_client):
    customer = CustomerFactory(name="Old GmbH")

    admin_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {
            "tenant": customer.tenant_id,
            "name": "Müller Kältetechnik GmbH & Co. KG",
            "customer_number": customer.customer_number,
            "type": "",
            "industry": "",
            "email": "",
            "phone": "",
            "website": "",
            "locations-TOTAL_FORMS": "1",
            "locations-INITIAL_FORMS": "0",
            "locations-0-street": "Hachestraße 12",
            "locations-0-postal_code": "45127",
            "locations-0-city": "Essen",
            "locations-0-name": "",
            "locations-0-country": "DE",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )

    customer.refresh_from_db()
    location = Location.objects.get()
    assert customer.normalized_name == "mueller kaeltetechnik"
    assert location.tenant_id == customer.tenant_id
    assert location.street_key == "hachestr"


def test_location_added_in_the_admin_takes_its_customers_tenant(admin_client):
    customer = CustomerFactory()

    admin_client.post(
        reverse("admin:customers_location_add"),
        {
            "customer": customer.pk,
            "name": "Depot",
            "street": "Königstr. 8",
            "postal_code": "47051",
            "city": "Duisburg",
            "country": "DE",
            "type": "",
            "region": "",
            "default_priority": "",
            "access_notes": "",
            "parking_notes": "",
        },
    )

    location = Location.objects.get()
    assert location.tenant_id == customer.tenant_id
    assert location.street_key == "koenigstr"
    assert Customer.objects.count() == 1


def test_location_street_edited_in_the_admin_refreshes_its_key(admin_client):
    location = LocationFactory(street="Hachestraße 12")

    admin_client.post(
        reverse("admin:customers_location_change", args=[location.pk]),
        {
            "customer": location.customer_id,
            "name": location.name,
            "street": "Königstr. 8",
            "postal_code": "47051",
            "city": "Duisburg",
            "country": "DE",
            "type": "",
            "region": "",
            "default_priority": "",
            "access_notes": "",
            "parking_notes": "",
        },
    )

    location.refresh_from_db()
    assert (location.street, location.street_key) == ("Königstr. 8", "koenigstr")
