"""The seeds' examples, sent as documented, give the documented responses."""

import copy

import pytest

from customers.models import Customer
from inbound.api.examples import (
    BATCH,
    CURL_TARGET,
    MINIMAL_TARGET,
    TARGET_WITH_CUSTOMER_MAPPING,
)
from inbound.models import Target
from mapping.choices import ExternalType, ReferenceOrigin
from mapping.models import ExternalReference
from tests.factories import ContactFactory, CustomerFactory, LocationFactory

pytestmark = pytest.mark.django_db


def _known_context(client):
    """The seed's customer, location and contact, already known by their external IDs."""
    customer = CustomerFactory(
        tenant=client.tenant, customer_number="RRM-001", name="Rhein-Ruhr Medical Supply"
    )
    location = LocationFactory(
        customer=customer,
        name="Essen Center",
        street="Hachestrasse 12",
        postal_code="45127",
        city="Essen",
        country="DE",
        latitude=51.451,
        longitude=7.012,
        default_estimated_work_minutes=45,
        default_priority="High",
    )
    contact = ContactFactory(
        customer=customer,
        first_name="",
        last_name="",
        display_name="Anna Weber",
        role="Operations Manager",
        email="anna.weber@example.com",
        phone="+49 201 123456",
    )
    for external_type, external_id, field, record in (
        (ExternalType.CUSTOMER, "CUST-10042", "customer", customer),
        (ExternalType.LOCATION, "LOC-ESSEN-01", "location", location),
        (ExternalType.CONTACT, "CONT-44", "contact", contact),
    ):
        ExternalReference.objects.create(
            tenant=client.tenant,
            source_system=client.source_system,
            external_type=external_type,
            external_id=external_id,
            origin=ReferenceOrigin.ADMIN,
            **{field: record},
        )
    return customer, location, contact


def test_minimal_target_import(caller):
    response = caller.post("inbound/targets", MINIMAL_TARGET)

    body = response.json()
    target = Target.objects.get()
    assert response.status_code == 200
    assert body == {
        "importJobId": body["importJobId"],
        "status": "Accepted",
        "items": [
            {
                "externalId": "JOB-2026-000918",
                "status": "Imported",
                "targetId": target.pk,
                "customerMapping": {
                    "status": "NotApplicable",
                    "customerId": None,
                    "customerLocationId": None,
                    "customerContactId": None,
                    "warnings": [],
                    "details": {},
                },
            }
        ],
    }
    assert target.title == "Maintenance visit"
    assert target.priority == "High"
    assert target.estimated_work_minutes == 45
    assert str(target.due_date) == "2026-07-01"


def test_target_import_with_customer_mapping_matches_the_documented_response(make_caller):
    caller = make_caller(scopes=["inbound.targets.write", "customers.map", "customers.read"])
    customer, location, contact = _known_context(caller.client)

    response = caller.post(
        "inbound/targets", TARGET_WITH_CUSTOMER_MAPPING, **{"Idempotency-Key": "JOB-2026-000918"}
    )

    body = response.json()
    item = body["items"][0]
    assert response.status_code == 200
    assert body["status"] == "Accepted"
    assert isinstance(body["importJobId"], int)
    assert {k: v for k, v in item.items() if k != "customerMapping"} == {
        "externalId": "JOB-2026-000918",
        "status": "Imported",
        "targetId": Target.objects.get().pk,
    }
    mapping = {k: v for k, v in item["customerMapping"].items() if k != "details"}
    assert mapping == {
        "status": "Mapped",
        "customerId": customer.pk,
        "customerLocationId": location.pk,
        "customerContactId": contact.pk,
        "warnings": [],
    }
    target = Target.objects.get()
    assert (target.customer, target.location, target.contact) == (customer, location, contact)
    assert target.custom_fields == {"serviceType": "Maintenance", "assetId": "FRIDGE-221"}
    assert not hasattr(target, "customer_number")


def test_without_customers_read_the_mapping_ids_are_left_out(make_caller):
    caller = make_caller(scopes=["inbound.targets.write", "customers.map"])
    _known_context(caller.client)

    mapping = caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING).json()["items"][0][
        "customerMapping"
    ]

    assert mapping == {"status": "Mapped", "warnings": []}


def test_batch_import_with_multiple_customers(make_caller):
    caller = make_caller(
        scopes=["inbound.targets.batch.write", "customers.map", "customers.write", "customers.read"]
    )

    response = caller.post("inbound/targets/batch", BATCH)

    items = response.json()["items"]
    assert response.status_code == 200
    assert [i["externalId"] for i in items] == ["JOB-2026-000918", "JOB-2026-000919"]
    assert [i["status"] for i in items] == ["Imported", "Imported"]
    # New locations without coordinates are created, with the documented warning.
    assert [i["customerMapping"]["status"] for i in items] == ["Warning", "Warning"]
    assert all(i["customerMapping"]["warnings"] == ["LocationMissingCoordinates"] for i in items)
    numbers = set(Customer.objects.values_list("customer_number", flat=True))
    assert numbers == {"RRM-001", "BR-019"}
    assert Target.objects.count() == 2


def test_curl_walkthrough_call(caller):
    """The seed's curl call: Bearer key, JSON body, Idempotency-Key header."""
    body = CURL_TARGET

    first = caller.post("inbound/targets", body, **{"Idempotency-Key": "JOB-2026-000918"})
    again = caller.post(
        "inbound/targets", copy.deepcopy(body), **{"Idempotency-Key": "JOB-2026-000918"}
    )

    assert first.status_code == 200
    assert first.json()["items"][0]["status"] == "Imported"
    assert first.json()["items"][0]["customerMapping"]["status"] == "Warning"
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Target.objects.count() == 1
