"""A location fallback compares the street parts stored with the customer's locations; the
fallbacks find a location or contact planned earlier in the batch as they would a stored one."""

import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.choices import CustomerType
from customers.models import Contact, Location
from inbound.choices import Scope
from inbound.policy import mapping_policy
from mapping.choices import (
    ExternalType,
    MappingStatus,
    MatchingStrategy,
    MatchMethod,
    RecordAction,
    ReferenceOrigin,
)
from mapping.engine import IncomingContext
from mapping.engine.children import _locations_at_address
from mapping.matching import Party
from mapping.models import RECORD_FIELD_BY_TYPE, ExternalReference
from mapping.services import customer_contexts_map
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    CustomerReferenceFactory,
    IntegrationClientFactory,
    LocationFactory,
    TenantFactory,
)

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


# --- a record planned earlier in the batch -----------------------------------------------------

HACHE = {
    "street": "Hachestraße 12",
    "postal_code": "45127",
    "city": "Essen",
    "country": "DE",
    "latitude": 51.45,
    "longitude": 7.01,
}
ANNA = {"type": CustomerType.PRIVATE, "phone": "+49 171 5551234"}


def _policy(tenant):
    client = IntegrationClientFactory(
        tenant=tenant,
        strategy=MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
        allow_contact_create=True,
    )
    return mapping_policy(client=client, scopes=[Scope.CUSTOMERS_MAP, Scope.CUSTOMERS_WRITE])


def _map(tenant, policy, contexts):
    with transaction.atomic():
        return customer_contexts_map(tenant=tenant, policy=policy, contexts=contexts)


def _with_id(block, external_id):
    return {**block, "external_id": external_id} if external_id else dict(block)


def _references(tenant, external_type):
    return dict(
        ExternalReference.objects.filter(tenant=tenant, external_type=external_type).values_list(
            "external_id", RECORD_FIELD_BY_TYPE[external_type] + "_id"
        )
    )


# The location IDs of two items at one address: different, none, one of them.
LOCATION_IDS = [("L-1", "L-2"), (None, None), ("L-1", None), (None, "L-2")]


@pytest.mark.parametrize("location_ids", LOCATION_IDS)
@pytest.mark.parametrize(
    "customers",
    [
        pytest.param(
            ({"external_id": "C-1", "name": "Anna Weber"}, {"name": "Weber, Anna"}),
            id="by name and address",
        ),
        pytest.param(
            ({"external_id": "C-1", "name": "Anna Weber"}, {"external_id": "C-1"}),
            id="by external id",
        ),
    ],
)
def test_a_location_planned_for_a_planned_customer_is_found_by_a_later_item(
    customers, location_ids
):
    """Both items resolve to the customer the first creates; the second's location is the one
    the first created (no second one at the address), its external ID remembered."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    contexts = [
        IncomingContext(customer={**ANNA, **block}, location=_with_id(HACHE, location_id))
        for block, location_id in zip(customers, location_ids, strict=True)
    ]

    first, second = _map(tenant, policy, contexts)

    assert second.customer is first.customer
    assert first.decisions["location"]["action"] == RecordAction.CREATED
    assert second.location is first.location
    assert second.decisions_as_json()["location"] == {
        "method": MatchMethod.NAME_AND_ADDRESS,
        "action": RecordAction.MAPPED,
        "recordId": first.location.pk,
    }
    assert second.status == MappingStatus.MAPPED  # it created nothing
    assert Location.objects.filter(tenant=tenant).count() == 1
    assert _references(tenant, ExternalType.LOCATION) == {
        i: first.location.pk for i in location_ids if i
    }


@pytest.mark.parametrize("location_ids", LOCATION_IDS)
def test_a_location_planned_for_a_stored_customer_is_found_by_a_later_item(location_ids):
    tenant = TenantFactory()
    policy = _policy(tenant)
    customer = CustomerFactory(tenant=tenant, name="Anna Weber", type=CustomerType.PRIVATE)
    CustomerReferenceFactory(
        customer=customer, source_system=policy.source_system, external_id="C-1"
    )
    contexts = [
        IncomingContext(customer={"external_id": "C-1"}, location=_with_id(HACHE, location_id))
        for location_id in location_ids
    ]

    first, second = _map(tenant, policy, contexts)

    assert first.decisions["location"]["action"] == RecordAction.CREATED
    assert second.location is first.location
    assert second.decisions["location"]["method"] == MatchMethod.NAME_AND_ADDRESS
    assert second.decisions["location"]["action"] == RecordAction.MAPPED
    assert list(Location.objects.filter(customer=customer)) == [first.location]
    assert _references(tenant, ExternalType.LOCATION) == {
        i: first.location.pk for i in location_ids if i
    }


@pytest.mark.parametrize("location_ids", LOCATION_IDS)
def test_the_next_batch_maps_the_address_without_an_ambiguous_location(location_ids):
    """The production symptom: a second location at the address made the next batch's
    fallback find two (AmbiguousLocationMatch)."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    anna = {**ANNA, "external_id": "C-1", "name": "Anna Weber"}
    weber = {**ANNA, "name": "Weber, Anna"}
    _map(
        tenant,
        policy,
        [
            IncomingContext(customer=anna, location=_with_id(HACHE, location_ids[0])),
            IncomingContext(customer=weber, location=_with_id(HACHE, location_ids[1])),
        ],
    )

    outcomes = _map(
        tenant,
        policy,
        [
            IncomingContext(customer=anna, location=_with_id(HACHE, location_ids[0])),
            IncomingContext(customer=weber, location=_with_id(HACHE, location_ids[1])),
            IncomingContext(
                customer={"external_id": "C-1"}, location=dict(HACHE, external_id="L-9")
            ),
            IncomingContext(
                customer={"external_id": "C-1"}, location={**HACHE, "street": "Hachestr. 12"}
            ),
        ],
    )

    assert [o.warnings for o in outcomes] == [[]] * 4
    assert {o.location.pk for o in outcomes} == set(
        Location.objects.filter(tenant=tenant).values_list("pk", flat=True)
    )
    assert Location.objects.filter(tenant=tenant).count() == 1


@pytest.mark.parametrize("contact_ids", [("P-1", "P-2"), (None, None)])
@pytest.mark.parametrize("stored", [False, True], ids=["planned customer", "stored customer"])
def test_a_contact_planned_earlier_is_found_by_its_e_mail(stored, contact_ids):
    tenant = TenantFactory()
    policy = _policy(tenant)
    if stored:
        customer = CustomerFactory(tenant=tenant, name="Anna Weber", type=CustomerType.PRIVATE)
        CustomerReferenceFactory(
            customer=customer, source_system=policy.source_system, external_id="C-1"
        )
    emails = ["anna@weber.de", "Anna@Weber.DE"]
    contexts = [
        IncomingContext(
            customer={**ANNA, "external_id": "C-1", "name": "Anna Weber"},
            contact=_with_id({"last_name": "Weber", "email": email}, contact_id),
        )
        for email, contact_id in zip(emails, contact_ids, strict=True)
    ]

    first, second = _map(tenant, policy, contexts)
    again = _map(
        tenant,
        policy,
        [
            contexts[0],
            IncomingContext(customer={"external_id": "C-1"}, contact={"email": "anna@weber.de"}),
        ],
    )

    assert first.decisions["contact"]["action"] == RecordAction.CREATED
    assert second.contact is first.contact
    assert second.decisions["contact"]["method"] == MatchMethod.EMAIL
    assert second.decisions["contact"]["action"] == RecordAction.MAPPED
    assert Contact.objects.filter(tenant=tenant).count() == 1
    assert _references(tenant, ExternalType.CONTACT) == {
        i: first.contact.pk for i in contact_ids if i
    }
    assert [o.contact.pk for o in again] == [first.contact.pk] * 2


def test_finding_planned_records_reads_nothing_more_for_a_larger_batch():
    """Stored and planned customers, each sent twice at its address with its contact: the same
    statements for 20 customers as for 60 (both written by COPY). Each batch in its own tenant:
    the second would link the first's customers at the same addresses by name and address, and
    update them when sent again by ID."""

    def queries(prefix, size):
        tenant = TenantFactory()
        policy = _policy(tenant)
        contexts = []
        for n in range(size):
            customer = {"external_id": f"{prefix}-C-{n}", "name": f"Kunde {prefix} {n}"}
            if n % 2:
                stored = CustomerFactory(tenant=tenant, name=customer["name"])
                CustomerReferenceFactory(
                    customer=stored,
                    source_system=policy.source_system,
                    external_id=customer["external_id"],
                )
            street = {"street": f"Hachestraße {n + 1}"}
            contexts += [
                IncomingContext(
                    customer=customer,
                    location={**HACHE, **street, "external_id": f"{prefix}-L-{n}-{twice}"},
                    contact={"email": f"k{n}@{prefix}.de"},
                )
                for twice in (1, 2)
            ]
        with CaptureQueriesContext(connection) as captured:
            outcomes = _map(tenant, policy, contexts)
        assert [o.location for o in outcomes[::2]] == [o.location for o in outcomes[1::2]]
        assert [o.contact for o in outcomes[::2]] == [o.contact for o in outcomes[1::2]]
        return len(captured)

    assert queries("s", 20) == queries("l", 60)


@pytest.mark.parametrize("stored", [False, True], ids=["planned location", "stored location"])
def test_an_external_id_learnt_earlier_in_the_batch_maps_a_later_item_by_id(stored):
    """The second item's location ID is remembered for the record its fallback found; a third
    item sending that ID elsewhere maps to it as the next batch would, instead of creating a
    location its reference does not point to."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    customer = CustomerFactory(tenant=tenant, name="Anna Weber", type=CustomerType.PRIVATE)
    CustomerReferenceFactory(
        customer=customer, source_system=policy.source_system, external_id="C-1"
    )
    if stored:
        LocationFactory(customer=customer, **HACHE)
    moved = {**HACHE, "street": "Hachestraße 14"}
    contexts = [
        IncomingContext(customer={"external_id": "C-1"}, location=dict(HACHE, external_id="L-1")),
        IncomingContext(customer={"external_id": "C-1"}, location=dict(HACHE, external_id="L-2")),
        IncomingContext(customer={"external_id": "C-1"}, location=dict(moved, external_id="L-2")),
    ]

    first, second, third = _map(tenant, policy, contexts)

    assert second.location is first.location
    assert third.location is first.location
    assert third.decisions["location"]["method"] == MatchMethod.EXTERNAL_ID
    assert Location.objects.filter(customer=customer).count() == 1
    assert _references(tenant, ExternalType.LOCATION) == {
        "L-1": first.location.pk,
        "L-2": first.location.pk,
    }


# --- one object per record ---------------------------------------------------------------------

ACCESS = {"location": ("access_notes", "Ring twice"), "contact": ("role", "Einkauf")}
FOUND = {"location": ("name", "Lager"), "contact": ("phone", "+49 201 555")}


@pytest.mark.parametrize("record", ["location", "contact"])
def test_a_record_known_by_id_and_found_by_a_fallback_keeps_both_items_changes(record):
    """The first item updates the customer's location (contact) by its external ID, the second
    finds it by address (e-mail) and updates another field. Before, the fallback compared with
    another copy of the record, whose write undid the first item's change."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    customer = CustomerFactory(tenant=tenant, name="Anna Weber", type=CustomerType.PRIVATE)
    CustomerReferenceFactory(
        customer=customer, source_system=policy.source_system, external_id="C-1"
    )
    if record == "location":
        stored = LocationFactory(customer=customer, name="Büro", **HACHE)
        found_by = dict(HACHE)
    else:
        stored = ContactFactory(customer=customer, email="anna@weber.de")
        found_by = {"email": "anna@weber.de"}
    ExternalReference.objects.create(
        tenant=tenant,
        source_system=policy.source_system,
        external_type=ExternalType.LOCATION if record == "location" else ExternalType.CONTACT,
        external_id="X-1",
        origin=ReferenceOrigin.IMPORT,
        **{record: stored},
    )
    (field, value), (other, other_value) = ACCESS[record], FOUND[record]
    contexts = [
        IncomingContext(
            customer={"external_id": "C-1"}, **{record: {"external_id": "X-1", field: value}}
        ),
        IncomingContext(
            customer={"external_id": "C-1"}, **{record: {**found_by, other: other_value}}
        ),
    ]

    first, second = _map(tenant, policy, contexts)

    stored.refresh_from_db()
    assert (getattr(stored, field), getattr(stored, other)) == (value, other_value)
    assert first.decisions[record]["updatedFields"] == [field]
    assert second.decisions[record]["updatedFields"] == [other]
    assert getattr(second, record) is getattr(first, record)


# --- an item without a customer block ------------------------------------------------------------


@pytest.mark.parametrize("customer_stored", [False, True], ids=["new customer", "stored customer"])
@pytest.mark.parametrize("record", ["location", "contact"])
def test_a_record_an_earlier_item_created_establishes_a_later_items_customer(
    record, customer_stored
):
    """The second item sends only the location (contact) the first item created in this batch:
    it maps to the first item's customer, as the next import would (`ViaLocation`), instead of
    finding no customer and linking nothing."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    anna = {**ANNA, "name": "Anna Weber"}
    if customer_stored:
        CustomerReferenceFactory(
            customer=CustomerFactory(tenant=tenant, **anna),
            source_system=policy.source_system,
            external_id="C-1",
        )
    created = {
        "location": dict(HACHE, external_id="X-1"),
        "contact": {"external_id": "X-1", "first_name": "Anna", "last_name": "Weber"},
    }
    contexts = [
        IncomingContext(customer={**anna, "external_id": "C-1"}, **{record: created[record]}),
        IncomingContext(**{record: {"external_id": "X-1"}}),
    ]

    first, second = _map(tenant, policy, contexts)

    assert first.customer is not None
    assert second.customer is first.customer
    assert (
        second.decisions["customer"]["method"]
        == {
            "location": MatchMethod.VIA_LOCATION,
            "contact": MatchMethod.VIA_CONTACT,
        }[record]
    )
    # Its record known by its ID, created in this batch: mapped as the first item sent it.
    assert getattr(second, record) is getattr(first, record)
    assert second.decisions[record]["method"] == MatchMethod.EXTERNAL_ID
    assert second.decisions[record]["action"] == RecordAction.MAPPED
    model = {"location": Location, "contact": Contact}[record]
    (stored,) = model.objects.filter(tenant=tenant)
    assert stored.customer_id == first.customer.pk
