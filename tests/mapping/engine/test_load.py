"""A batch holds one object per stored record, whichever of its reads found it: references
(several may point at one record), the customers of known locations, customers by number,
name-and-address candidates. A change one item plans is then what a later item compares with
and what is written."""

import pytest

import mapping.engine
from customers.choices import CustomerType
from customers.models import Customer
from mapping.choices import MatchingStrategy, MatchMethod
from mapping.engine import IncomingContext
from tests.factories import (
    CustomerFactory,
    CustomerReferenceFactory,
    LocationFactory,
    LocationReferenceFactory,
    TenantFactory,
)
from tests.mapping.engine.test_customer import ANNA, HACHE, _map, _policy

pytestmark = pytest.mark.django_db


def test_two_external_ids_of_one_customer_keep_both_items_changes():
    tenant = TenantFactory()
    policy = _policy(tenant)
    stored = CustomerFactory(tenant=tenant, **ANNA)
    for external_id in ("C-1", "C-2"):
        CustomerReferenceFactory(
            customer=stored, source_system=policy.source_system, external_id=external_id
        )
    contexts = [
        IncomingContext(customer={"external_id": "C-1", "email": "anna@weber.de"}),
        IncomingContext(customer={"external_id": "C-2", "industry": "Pflege"}),
    ]

    first, second = _map(tenant, policy, contexts)

    stored.refresh_from_db()
    assert (stored.email, stored.industry) == ("anna@weber.de", "Pflege")
    assert second.customer is first.customer


def test_two_external_ids_of_one_location_keep_both_items_changes():
    tenant = TenantFactory()
    policy = _policy(tenant)
    customer = CustomerFactory(tenant=tenant, **ANNA)
    CustomerReferenceFactory(
        customer=customer, source_system=policy.source_system, external_id="C-1"
    )
    stored = LocationFactory(customer=customer, **HACHE)
    for external_id in ("L-1", "L-2"):
        LocationReferenceFactory(
            location=stored, source_system=policy.source_system, external_id=external_id
        )
    contexts = [
        IncomingContext(
            customer={"external_id": "C-1"},
            location={"external_id": "L-1", "access_notes": "Ring twice"},
        ),
        IncomingContext(
            customer={"external_id": "C-1"},
            location={"external_id": "L-2", "default_estimated_work_minutes": 50},
        ),
    ]

    first, second = _map(tenant, policy, contexts)

    stored.refresh_from_db()
    assert (stored.access_notes, stored.default_estimated_work_minutes) == ("Ring twice", 50)
    assert second.location is first.location


def test_a_customer_known_by_id_and_linked_by_name_and_address_keeps_both_items_changes():
    """The second item, without an external ID, is linked to Anna by name and address and fills
    her e-mail; before, its copy of her undid the industry the first item set by ID."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    stored = CustomerFactory(tenant=tenant, **ANNA)
    LocationFactory(customer=stored, **HACHE)
    CustomerReferenceFactory(customer=stored, source_system=policy.source_system, external_id="C-1")
    contexts = [
        IncomingContext(customer={"external_id": "C-1", "industry": "Pflege"}),
        IncomingContext(
            customer={**ANNA, "name": "Weber, Anna", "email": "anna@weber.de"}, location=HACHE
        ),
    ]

    first, second = _map(tenant, policy, contexts)

    assert second.decisions["customer"]["method"] == MatchMethod.NAME_AND_ADDRESS
    stored.refresh_from_db()
    assert (stored.industry, stored.email) == ("Pflege", "anna@weber.de")
    assert second.customer is first.customer


@pytest.mark.parametrize(
    ("strategy", "linked"),
    [
        (MatchingStrategy.EXTERNAL_ID_THEN_CUSTOMER_NUMBER, {"customer_number": "K-1"}),
        (MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS, {**ANNA, "name": "Weber, Anna"}),
    ],
    ids=["by number", "by name and address"],
)
def test_the_customer_of_a_known_location_is_the_one_a_fallback_links(strategy, linked):
    """The first item's known location establishes its customer; the second links that customer
    by number (by name and address) and updates her: both items have the one updated customer
    (before, the first had a copy as it was read)."""
    tenant = TenantFactory()
    policy = _policy(tenant, strategy)
    stored = CustomerFactory(tenant=tenant, customer_number="K-1", **ANNA)
    LocationReferenceFactory(
        location=LocationFactory(customer=stored, **HACHE),
        source_system=policy.source_system,
        external_id="L-1",
    )
    contexts = [
        IncomingContext(location={"external_id": "L-1"}),
        IncomingContext(
            customer={**linked, "external_id": "C-9", "industry": "Pflege"},
            location=dict(HACHE, external_id="L-1"),
        ),
    ]

    first, second = _map(tenant, policy, contexts)

    assert first.decisions["customer"]["method"] == MatchMethod.VIA_LOCATION
    assert second.decisions["customer"]["updatedFields"] == ["industry"]
    assert Customer.objects.get(pk=stored.pk).industry == "Pflege"
    assert second.customer is first.customer
    assert first.customer.industry == "Pflege"


def test_each_item_is_decided_while_the_candidates_of_later_items_are_still_read(monkeypatch):
    """The name-and-address candidates arrive in item order; an item's customer is decided as
    soon as its candidates are all read, while PostgreSQL searches for the later items' (two
    processes at work at once, not one after the other)."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    people = [("Anna Weber", "Hachestraße 12"), ("Jonas Krause", "Kantstraße 3")]
    people.append(("Petra Lindner", "Rüttenscheider Straße 8"))
    place = {"postal_code": "45127", "city": "Essen", "country": "DE"}
    stored = []
    for name, street in people:
        stored.append(CustomerFactory(tenant=tenant, name=name, type=CustomerType.PRIVATE))
        LocationFactory(customer=stored[-1], street=street, **place)
    candidates_read = []
    customer_decide = mapping.engine.customer_decide

    def decide_noting_the_candidates_read(batch, index, ctx, out):
        candidates_read.append(sorted(batch.candidates))
        customer_decide(batch, index, ctx, out)

    monkeypatch.setattr(mapping.engine, "customer_decide", decide_noting_the_candidates_read)
    contexts = [
        IncomingContext(
            customer={"name": name, "type": CustomerType.PRIVATE},
            location={"street": street, **place},
        )
        for name, street in people
    ]

    outcomes = _map(tenant, policy, contexts)

    # Item 0 as item 1's candidates began to arrive, item 1 as item 2's; item 2 at the end.
    assert candidates_read == [[0], [0, 1], [0, 1, 2]]
    # ... and each linked to the one stored at its address, as when decided after all reads.
    assert [out.customer for out in outcomes] == stored
    assert {out.decisions["customer"]["method"] for out in outcomes} == {
        MatchMethod.NAME_AND_ADDRESS
    }
