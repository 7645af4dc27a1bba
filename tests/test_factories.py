"""The factories compute the matching keys as customers.services does; none can be given."""

import pytest

from customers.models import Customer, Location
from tests.factories import CustomerFactory, LocationFactory

pytestmark = pytest.mark.django_db


def test_factories_compute_the_matching_keys():
    created = LocationFactory(customer__name="Nordsee Feinkost GmbH", street="Hachestraße 12")
    built = LocationFactory.build(customer=created.customer, street="Königstr. 8")

    assert Customer.objects.get().normalized_name == "nordsee feinkost"
    assert Location.objects.get().street_key == "hachestr"
    assert CustomerFactory.build(name="Café Blau KG").normalized_name == "cafe blau"
    assert built.street_key == "koenigstr"


@pytest.mark.parametrize(
    ("factory", "key"), [(CustomerFactory, "normalized_name"), (LocationFactory, "street_key")]
)
def test_a_key_cannot_be_given_to_a_factory(factory, key):
    with pytest.raises(TypeError, match=key):
        factory(**{key: "hard-coded"})
    with pytest.raises(TypeError, match=key):
        factory.build(**{key: "hard-coded"})
