"""The data migration that recomputes the matching keys stored before the current normalization."""

import importlib

import pytest
from django.apps import apps

from customers.choices import CustomerType
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


backfill = importlib.import_module("customers.migrations.0009_backfill_person_candidate_keys")


def test_person_candidate_keys_are_backfilled_in_batches(monkeypatch):
    monkeypatch.setattr(backfill, "BATCH", 2)
    people = [
        CustomerFactory(name=name, type=CustomerType.PRIVATE, phone="0201 123456")
        for name in ("Johann Meier", "Anna Schmidt", "Jonas Koch")
    ]
    company = CustomerFactory(name="Meier GmbH", phone="")
    homes = [LocationFactory(customer=c, street="12 Green Lane") for c in [*people, company]]
    Customer.objects.update(family_key="", phone_key="")
    Location.objects.update(family_key="", house_number="", street_key="greenlane")

    backfill.backfill_person_candidate_keys(apps, None)

    assert list(Customer.objects.order_by("pk").values_list("family_key", "phone_key")) == [
        ("67", "49201123456"),
        ("862", "49201123456"),
        ("44", "49201123456"),
        ("", ""),
    ]
    assert list(
        Location.objects.filter(pk__in=[h.pk for h in homes])
        .order_by("pk")
        .values_list("family_key", "house_number", "street_key")
    ) == [("67", "12", "greenln"), ("862", "12", "greenln"), ("44", "12", "greenln"),
          ("", "12", "greenln")]  # fmt: skip


copy_names = importlib.import_module("customers.migrations.0011_backfill_location_normalized_name")


def test_locations_take_their_customers_normalized_name():
    customers = [CustomerFactory(name=name) for name in ("Nordsee Feinkost GmbH", "Café Blau")]
    locations = [LocationFactory(customer=c) for c in customers for _ in range(2)]
    Location.objects.update(normalized_name="")

    copy_names.backfill_location_normalized_name(apps, None)

    assert list(
        Location.objects.filter(pk__in=[loc.pk for loc in locations])
        .order_by("pk")
        .values_list("normalized_name", flat=True)
    ) == ["nordsee feinkost", "nordsee feinkost", "cafe blau", "cafe blau"]


street_backfill = importlib.import_module(
    "customers.migrations.0015_backfill_location_street_parts"
)


def test_street_parts_are_backfilled_in_batches(monkeypatch):
    monkeypatch.setattr(street_backfill, "BATCH", 2)
    streets = ["Hachestraße 12a", "12 Green Lane", "", "Industriestrqße 5", "Zeil"]
    locations = [LocationFactory(street=street) for street in streets]
    Location.objects.update(street_name="", street_written="")

    street_backfill.backfill_location_street_parts(apps, None)

    assert list(
        Location.objects.filter(pk__in=[loc.pk for loc in locations])
        .order_by("pk")
        .values_list("street_name", "street_written")
    ) == [("hache str", "hachestrasse"), ("green ln", "greenlane"), ("", ""),
          ("industriestrqsse", "industriestrqsse"), ("zeil", "zeil")]  # fmt: skip
