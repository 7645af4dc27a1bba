"""A location fallback compares the street parts stored with the customer's locations."""

import itertools

import pytest

from customers.models import Location
from mapping.engine.children import _locations_at_address
from mapping.matching import Party
from tests.factories import CustomerFactory, LocationFactory

pytestmark = pytest.mark.django_db

STREETS = [
    ("Hachestraße 12", "45127", "DE"),
    ("Hachestr. 12", "45127", "DE"),
    ("Hachestraße 14", "45127", "DE"),
    ("Kölner Straße 249-253", "01067", "DE"),
    ("Kölner Str. 249-253", "1067", "DE"),
    ("12 Green Lane", "M1 1AE", "GB"),
    ("12 Green Ln", "m11ae", "GB"),
    ("Straße des 17. Juni 4 " + "läng" * 44, "10115", "DE"),  # stored parts cut to 200
    ("Straße des 17. Juni 4 " + "läng" * 44, "10115", "DE"),
    ("", "45127", "DE"),
]


def _address(street, postal_code, country):
    party = Party.of(street=street, postal_code=postal_code, country=country)
    return party.postal_code, party.street, party.house_number, party.has_address


def test_a_location_is_at_the_incoming_address_as_its_normalized_address_says():
    customer = CustomerFactory()
    locations = [
        Location.objects.get(
            pk=LocationFactory(
                customer=customer, street=street, postal_code=code, country=country
            ).pk
        )
        for street, code, country in STREETS
    ]
    compared = 0
    for (street, code, country), location in itertools.product(STREETS, locations):
        block = {"street": street, "postal_code": code, "country": country}
        incoming = _address(street, code, country)
        expected = (
            incoming[3]
            and incoming[:3]
            == _address(location.street, location.postal_code, location.country)[:3]
        )
        assert (_locations_at_address([location], block) == [location]) == expected
        compared += expected
    assert compared > len(STREETS)  # matches were compared, not only misses
