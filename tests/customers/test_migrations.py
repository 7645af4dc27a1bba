"""The data migration that recomputes the matching keys stored before the current normalization."""

import importlib

import pytest
from django.apps import apps

from customers.models import Customer, Location
from tests.factories import CustomerFactory, LocationFactory

pytestmark = pytest.mark.django_db

recompute = importlib.import_module("customers.migrations.0007_recompute_matching_keys")


def test_stale_keys_are_recomputed_in_batches(monkeypatch):
    monkeypatch.setattr(recompute, "BATCH", 2)  # five rows: two full batches and a rest
    names = [
        "Müller Kältetechnik GmbH",
        "Nordsee Feinkost AG",
        "Café Blau",
        "A",
        "Bäckerei Blum GmbH",
    ]
    customers = [CustomerFactory(name=name) for name in names]
    locations = [LocationFactory(customer=c, street="Königstraße 8") for c in customers]
    fresh = LocationFactory(customer=customers[0], street="Hachestr. 12")
    stale = [c.pk for c in customers]
    Customer.objects.filter(pk__in=stale).update(normalized_name="mueller kaeltetechnik gmbh")
    Location.objects.filter(pk__in=[loc.pk for loc in locations]).update(street_key="")
    touched = Location.objects.get(pk=fresh.pk).updated_at

    recompute.recompute_matching_keys(apps, None)

    assert list(Customer.objects.order_by("pk").values_list("normalized_name", flat=True)) == [
        "mueller kaeltetechnik",
        "nordsee feinkost",
        "cafe blau",
        "a",
        "baeckerei blum",
    ]
    assert set(Location.objects.values_list("street_key", flat=True)) == {"koenigstr", "hachestr"}
    assert Location.objects.get(pk=fresh.pk).updated_at == touched  # keys only, no timestamps
