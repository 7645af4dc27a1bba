"""Each strategy by found / not found by with / without customers.write; fallbacks and learning."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from customers.models import Contact, Customer, Location
from inbound.models import ImportItem
from mapping.choices import ExternalType, ReferenceOrigin
from mapping.models import ExternalReference
from tests.api import BASE
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    CustomerReferenceFactory,
    LocationFactory,
)

pytestmark = pytest.mark.django_db

READ_MAP = [
    "inbound.targets.write",
    "inbound.targets.batch.write",
    "customers.map",
    "customers.read",
]
WRITE = [*READ_MAP, "customers.write"]
STRATEGIES = [
    "ExternalIdOnly",
    "ExternalIdFirst",
    "ExternalIdThenCustomerNumber",
    "ExternalIdThenNameAndAddress",
    "ManualOnly",
]

CUSTOMER = {
    "externalId": "CUST-1",
    "customerNumber": "RRM-001",
    "name": "Rhein-Ruhr Medical Supply GmbH",
}
LOCATION = {
    "externalId": "LOC-1",
    "street": "Hachestraße 12",
    "postalCode": "45127",
    "city": "Essen",
    "country": "DE",
    "latitude": 51.45,
    "longitude": 7.01,
}


def _import(caller, n=1, **blocks):
    response = caller.post("inbound/targets", {"externalId": f"JOB-{n}", "title": "T", **blocks})
    assert response.status_code == 200, response.json()
    return response.json()["items"][0]["customerMapping"]


def _existing(caller, *, origin=ReferenceOrigin.IMPORT, reference=True):
    customer = CustomerFactory(
        tenant=caller.client.tenant,
        customer_number="RRM-001",
        name="Rhein-Ruhr Medical Supply GmbH",
    )
    LocationFactory(
        customer=customer,
        street="Hachestraße 12",
        postal_code="45127",
        city="Essen",
        latitude=51.45,
        longitude=7.01,
    )
    if reference:
        CustomerReferenceFactory(
            customer=customer,
            source_system=caller.client.source_system,
            external_id="CUST-1",
            origin=origin,
        )
    return customer


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("scopes", [READ_MAP, WRITE], ids=["map", "write"])
def test_a_customer_known_by_its_external_id(make_caller, strategy, scopes):
    caller = make_caller(scopes=scopes, strategy=strategy)
    customer = _existing(caller)

    mapping = _import(caller, customer=CUSTOMER)

    if strategy == "ManualOnly":  # an import-learnt reference is not a person's decision
        assert mapping["status"] == "Skipped"
        assert mapping["warnings"] == ["ManualMappingRequired"]
        assert mapping["customerId"] is None
        assert ImportItem.objects.get().review_state == "Open"
    else:
        assert mapping["status"] == "Mapped"
        assert mapping["customerId"] == customer.pk
        assert mapping["details"]["customer"]["method"] == "ExternalId"


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("scopes", [READ_MAP, WRITE], ids=["map", "write"])
def test_an_unknown_customer(make_caller, strategy, scopes):
    caller = make_caller(scopes=scopes, strategy=strategy)

    mapping = _import(caller, customer=CUSTOMER)

    if strategy == "ManualOnly":
        assert mapping["status"] == "Skipped"
        assert not Customer.objects.exists()
    elif scopes == WRITE:
        assert mapping["status"] == "Created"
        assert Customer.objects.get().pk == mapping["customerId"]
    else:
        assert mapping["status"] == "Failed"
        assert mapping["warnings"] == ["CustomerNotFound"]
        assert not Customer.objects.exists()


def test_manual_only_applies_references_a_person_confirmed(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ManualOnly")
    customer = _existing(caller, origin=ReferenceOrigin.REVIEW)

    mapping = _import(caller, customer={"externalId": "CUST-1"})

    assert mapping["status"] == "Mapped"
    assert mapping["customerId"] == customer.pk
    assert ImportItem.objects.get().review_state == "NotNeeded"


@pytest.mark.parametrize(
    ("strategy", "fallback", "linked"),
    [
        ("ExternalIdThenCustomerNumber", False, True),
        ("ExternalIdFirst", True, True),
        ("ExternalIdFirst", False, False),
        ("ExternalIdOnly", False, False),
    ],
)
def test_customer_number_fallback_links_and_is_learnt(make_caller, strategy, fallback, linked):
    caller = make_caller(scopes=WRITE, strategy=strategy, customer_number_fallback=fallback)
    customer = _existing(caller, reference=False)

    first = _import(caller, customer=CUSTOMER)
    second = _import(caller, 2, customer={"externalId": "CUST-1"})

    if linked:
        assert first["status"] == "Mapped"
        assert first["customerId"] == customer.pk
        assert first["details"]["customer"]["method"] == "CustomerNumber"
        assert second["details"]["customer"]["method"] == "ExternalId"
        assert second["customerId"] == customer.pk
    else:
        # The number is taken, so no customer can be created with it; a person decides.
        assert first["status"] == "Failed"
        assert first["warnings"] == ["CustomerNumberConflict"]
        assert Customer.objects.count() == 1


def test_a_number_of_a_customer_known_by_another_external_id_is_a_conflict(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenCustomerNumber")
    customer = _existing(caller)  # known as CUST-1

    mapping = _import(caller, customer={**CUSTOMER, "externalId": "CUST-OTHER"})

    assert mapping["status"] == "Failed"
    assert mapping["warnings"] == ["CustomerNumberConflict"]
    assert mapping["details"]["customer"]["otherCustomerId"] == customer.pk


def test_a_reference_whose_payload_names_another_customers_number_warns(make_caller):
    caller = make_caller(scopes=WRITE)
    _existing(caller)
    CustomerFactory(tenant=caller.client.tenant, customer_number="OTHER-9")

    mapping = _import(caller, customer={**CUSTOMER, "customerNumber": "OTHER-9"})

    assert mapping["status"] == "Warning"
    assert mapping["warnings"] == ["CustomerNumberConflict"]
    assert Customer.objects.get(pk=mapping["customerId"]).customer_number == "RRM-001"


def test_name_and_address_links_a_strong_match_and_learns_its_reference(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    customer = _existing(caller, reference=False)
    incoming = {"externalId": "SAP-77", "name": "RHEIN RUHR MEDICAL SUPPLY"}
    location = {**LOCATION, "externalId": "SAP-L-1", "street": "Hachestr. 12"}

    first = _import(caller, customer=incoming, location=location)
    second = _import(caller, 2, customer={"externalId": "SAP-77"})

    decision = first["details"]["customer"]
    assert first["customerId"] == customer.pk
    assert decision["method"] == "NameAndAddress"
    assert decision["threshold"] == 0.92
    assert decision["margin"] == 0.08
    assert decision["matcherVersion"]
    assert decision["candidates"][0]["score"] >= 0.92
    assert first["details"]["location"]["method"] == "NameAndAddress"
    assert second["details"]["customer"]["method"] == "ExternalId"
    assert ExternalReference.objects.filter(external_id="SAP-77", customer=customer).exists()
    assert Customer.objects.count() == 1


def test_a_name_and_address_link_fills_but_never_renames_the_customers_identity(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    customer = _existing(caller, reference=False)
    Customer.objects.filter(pk=customer.pk).update(phone="+49 201 100")
    incoming = {
        "externalId": "SAP-77",
        "name": "Rhein Ruhr Medical Supply, Filiale Essen",
        "email": "essen@rrms.example",
        "phone": "+49 201 999",
        "industry": "Medical",
    }

    first = _import(caller, customer=incoming, location={**LOCATION, "street": "Hachestr. 12"})
    stored = Customer.objects.get(pk=customer.pk)
    second = _import(caller, 2, customer={"externalId": "SAP-77", "name": "RRMS GmbH"})

    assert first["customerId"] == customer.pk
    assert first["details"]["customer"]["updatedFields"] == ["email", "industry"]
    assert (stored.name, stored.phone) == ("Rhein-Ruhr Medical Supply GmbH", "+49 201 100")
    assert (stored.email, stored.industry) == ("essen@rrms.example", "Medical")
    assert second["details"]["customer"]["updatedFields"] == ["name"]  # by ID: as sent
    assert Customer.objects.get(pk=customer.pk).name == "RRMS GmbH"


def test_an_external_id_learnt_earlier_in_the_batch_maps_a_later_item_by_id(make_caller):
    """As the next batch would (above): before, the second item went through name and address
    again, found nothing like "RRMS GmbH" and created a customer SAP-77 did not point to."""
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    customer = _existing(caller, reference=False)
    items = [
        {
            "externalId": "J-1",
            "title": "T",
            "customer": {"externalId": "SAP-77", "name": "RHEIN RUHR MEDICAL SUPPLY"},
            "location": {**LOCATION, "street": "Hachestr. 12"},
        },
        {
            "externalId": "J-2",
            "title": "T",
            "customer": {"externalId": "SAP-77", "name": "RRMS GmbH"},
        },
    ]

    first, second = (
        i["customerMapping"]
        for i in caller.post("inbound/targets/batch", {"items": items}).json()["items"]
    )

    assert first["details"]["customer"]["method"] == "NameAndAddress"
    assert second["customerId"] == first["customerId"] == customer.pk
    assert second["details"]["customer"]["method"] == "ExternalId"
    assert second["details"]["customer"]["updatedFields"] == ["name"]  # by ID: as sent
    assert list(Customer.objects.values_list("name", flat=True)) == ["RRMS GmbH"]


def test_the_same_name_in_another_city_does_not_block_a_strong_match(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    customer = _existing(caller, reference=False)
    munich = CustomerFactory(
        tenant=caller.client.tenant,
        name="Rhein-Ruhr Medical Supply AG",
    )
    LocationFactory(
        customer=munich,
        street="Leopoldstraße 3",
        postal_code="80331",
        city="München",
    )

    mapping = _import(
        caller,
        customer={"externalId": "X-1", "name": "Rhein-Ruhr Medical Supply"},
        location=LOCATION,
    )

    assert mapping["customerId"] == customer.pk
    assert mapping["details"]["customer"]["method"] == "NameAndAddress"


def test_several_plausible_candidates_are_ambiguous_and_kept_for_review(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    first = _existing(caller, reference=False)
    second = CustomerFactory(
        tenant=caller.client.tenant,
        name="Rhein-Ruhr Medical Supply AG",
    )
    LocationFactory(
        customer=second,
        street="Hachestraße 12",
        postal_code="45127",
        city="Essen",
    )

    mapping = _import(
        caller,
        customer={"externalId": "X-1", "name": "Rhein-Ruhr Medical Supply"},
        location=LOCATION,
    )

    item = ImportItem.objects.get()
    assert mapping["status"] == "Warning"
    assert mapping["warnings"] == ["AmbiguousCustomerMatch"]
    assert mapping["customerId"] is None
    assert {c["recordId"] for c in item.candidates} == {first.pk, second.pk}
    assert all(c["score"] > 0 and c["name"] for c in item.candidates)
    assert item.review_state == "Open"
    assert Customer.objects.count() == 2


def test_external_id_first_never_matches_by_name(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdFirst")
    _existing(caller, reference=False)

    mapping = _import(
        caller, customer={"externalId": "X-1", "name": CUSTOMER["name"]}, location=LOCATION
    )

    assert mapping["status"] == "Created"
    assert Customer.objects.count() == 2


def test_name_and_address_candidates_never_come_from_another_tenant(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    stranger = make_caller(scopes=WRITE)
    _existing(stranger, reference=False)

    mapping = _import(
        caller, customer={"externalId": "X-1", "name": CUSTOMER["name"]}, location=LOCATION
    )

    assert mapping["status"] == "Created"
    assert Customer.objects.get(pk=mapping["customerId"]).tenant == caller.client.tenant
    assert (
        "candidates" not in mapping["details"]["customer"]
        or not (mapping["details"]["customer"]["candidates"])
    )


def test_the_same_new_company_twice_in_one_batch_is_created_once(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    items = [
        {
            "externalId": "J-1",
            "title": "T",
            "customer": {"name": "Nordsee Feinkost GmbH"},
            "location": {"street": "Rüttenscheider Str. 1", "postalCode": "45128", "city": "Essen"},
        },
        {
            "externalId": "J-2",
            "title": "T",
            "customer": {"name": "Nordsee Feinkost"},
            "location": {
                "street": "Rüttenscheider Straße 1",
                "postalCode": "45128",
                "city": "Essen",
            },
        },
    ]

    result = caller.post("inbound/targets/batch", {"items": items}).json()["items"]

    assert Customer.objects.count() == 1
    assert result[0]["customerMapping"]["customerId"] == result[1]["customerMapping"]["customerId"]


def _anna_at_hachestrasse(n, name, *, location_id=None, contact_id=None):
    return {
        "externalId": f"J-{n}",
        "title": "T",
        "customer": {"name": name, "type": "Private", "phone": "+49 171 5551234"},
        "location": {
            **LOCATION,
            "externalId": location_id,
            **({"street": "Hachestr. 12"} if n % 2 else {}),
        },
        "contact": {"externalId": contact_id, "lastName": "Weber", "email": "anna@weber.de"},
    }


def test_one_person_twice_in_one_batch_gets_one_location_and_contact(make_caller):
    """The second item maps to the location and contact the first created (before: a second
    of each, and the next batch's AmbiguousLocationMatch at the address)."""
    caller = make_caller(
        scopes=WRITE, strategy="ExternalIdThenNameAndAddress", allow_contact_create=True
    )
    items = [
        _anna_at_hachestrasse(1, "Anna Weber", location_id="L-1", contact_id="P-1"),
        _anna_at_hachestrasse(2, "Weber, Anna", location_id="L-2"),
    ]

    first, second = (
        i["customerMapping"]
        for i in caller.post("inbound/targets/batch", {"items": items}).json()["items"]
    )
    next_batch = [
        _anna_at_hachestrasse(3, "Anna Weber"),
        _anna_at_hachestrasse(4, "Anna Weber", location_id="L-3", contact_id="P-3"),
    ]
    later = [
        i["customerMapping"]
        for i in caller.post("inbound/targets/batch", {"items": next_batch}).json()["items"]
    ]

    assert first["status"] == "Created"
    assert second["status"] == "Mapped"
    assert second["details"]["location"] == {
        "method": "NameAndAddress",
        "action": "Mapped",
        "recordId": first["customerLocationId"],
    }
    assert second["details"]["contact"] == {
        "method": "Email",
        "action": "Mapped",
        "recordId": first["customerContactId"],
    }
    assert Location.objects.count() == Contact.objects.count() == 1
    assert [m["warnings"] for m in later] == [[], []]
    assert {m["customerLocationId"] for m in later} == {first["customerLocationId"]}
    assert {m["customerContactId"] for m in later} == {first["customerContactId"]}
    assert set(
        ExternalReference.objects.filter(
            external_type=ExternalType.LOCATION, location=first["customerLocationId"]
        ).values_list("external_id", flat=True)
    ) == {"L-1", "L-2", "L-3"}


def test_ambiguous_location_within_the_customer(make_caller):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    customer = _existing(caller)
    LocationFactory(
        customer=customer,
        name="Side entrance",
        street="Hachestr. 12",
        postal_code="45127",
    )

    mapping = _import(
        caller, customer={"externalId": "CUST-1"}, location={**LOCATION, "externalId": "LOC-NEW"}
    )

    assert mapping["status"] == "Warning"
    assert mapping["warnings"] == ["AmbiguousLocationMatch"]
    assert mapping["customerLocationId"] is None


def test_contact_is_found_by_email_within_the_customer_and_learnt(make_caller):
    caller = make_caller(scopes=WRITE)
    customer = _existing(caller)
    contact = ContactFactory(customer=customer, email="anna.weber@example.com")

    mapping = _import(
        caller,
        customer={"externalId": "CUST-1"},
        contact={"externalId": "CONT-44", "email": "Anna.Weber@example.com"},
    )

    assert mapping["status"] == "Updated"  # found case-insensitively, the sent spelling is kept
    assert mapping["customerContactId"] == contact.pk
    assert mapping["details"]["contact"]["method"] == "Email"
    assert ExternalReference.objects.filter(
        external_type=ExternalType.CONTACT, external_id="CONT-44", contact=contact
    ).exists()


def test_a_known_contact_of_another_customer_is_a_mismatch(make_caller):
    caller = make_caller(scopes=WRITE)
    _existing(caller)
    other_contact = ContactFactory(customer=CustomerFactory(tenant=caller.client.tenant))
    ExternalReference.objects.create(
        tenant=caller.client.tenant,
        source_system=caller.client.source_system,
        external_type=ExternalType.CONTACT,
        external_id="CONT-9",
        contact=other_contact,
        origin=ReferenceOrigin.ADMIN,
    )

    mapping = _import(caller, customer={"externalId": "CUST-1"}, contact={"externalId": "CONT-9"})

    assert mapping["status"] == "Warning"
    assert mapping["warnings"] == ["ContactCustomerMismatch"]
    assert mapping["customerContactId"] is None


def test_location_create_policy_off_gives_location_auto_create_disabled(make_caller):
    caller = make_caller(scopes=WRITE, allow_location_create=False)
    _existing(caller)

    mapping = _import(
        caller, customer={"externalId": "CUST-1"}, location={**LOCATION, "externalId": "LOC-NEW"}
    )

    assert mapping["warnings"] == ["LocationAutoCreateDisabled"]
    assert mapping["customerLocationId"] is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_creating_the_same_company_by_name_and_address_create_one(
    make_caller,
):
    caller = make_caller(scopes=WRITE, strategy="ExternalIdThenNameAndAddress")
    barrier = threading.Barrier(4)

    def send(n):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.key}")
        body = {
            "externalId": f"JOB-{n}",
            "title": "T",
            "customer": {
                "externalId": f"OTHER-ID-{n}",
                "name": "Nordsee Feinkost GmbH",
                "email": "info@nordsee.example",
            },
            "location": {"street": "Rüttenscheider Str. 1", "postalCode": "45128", "city": "Essen"},
        }
        try:
            barrier.wait()
            return http.post(BASE + "inbound/targets", body, format="json")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(send, range(4)))

    assert [r.status_code for r in responses] == [200] * 4
    assert Customer.objects.count() == 1
    ids = {r.json()["items"][0]["customerMapping"]["customerId"] for r in responses}
    assert ids == {Customer.objects.get().pk}
