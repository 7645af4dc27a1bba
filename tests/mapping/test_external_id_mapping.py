"""The external-ID path of the mapping engine, through the import API as integrators see it."""

import pytest

from customers.models import Contact, Customer, Location
from inbound.models import ImportItem, Target
from mapping.choices import ReferenceOrigin
from mapping.models import ExternalReference
from review.services import import_item_link
from tests.factories import (
    CustomerFactory,
    CustomerReferenceFactory,
    LocationFactory,
    LocationReferenceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ALL = ["inbound.targets.write", "customers.map", "customers.write", "customers.read"]
MAP_ONLY = ["inbound.targets.write", "customers.map", "customers.read"]


def _target(n: int = 1, **blocks) -> dict:
    return {"externalId": f"JOB-{n}", "title": "Visit", **blocks}


CUSTOMER = {
    "externalId": "CUST-1",
    "customerNumber": "RRM-001",
    "name": "Rhein-Ruhr GmbH",
    "email": "ops@rr.example",
}
LOCATION = {
    "externalId": "LOC-1",
    "name": "Essen",
    "street": "Hachestraße 12",
    "postalCode": "45127",
    "city": "Essen",
    "country": "DE",
    "latitude": 51.45,
    "longitude": 7.01,
    "defaultEstimatedWorkMinutes": 50,
    "defaultPriority": "Urgent",
}
CONTACT = {
    "externalId": "CONT-1",
    "firstName": "Anna",
    "lastName": "Weber",
    "email": "anna@rr.example",
}


def _mapping(response) -> dict:
    assert response.status_code == 200, response.json()
    return response.json()["items"][0]["customerMapping"]


def test_unknown_records_are_created_with_references_and_map_by_id_next_time(make_caller):
    caller = make_caller(scopes=ALL, allow_contact_create=True)

    first = _mapping(
        caller.post(
            "inbound/targets", _target(customer=CUSTOMER, location=LOCATION, contact=CONTACT)
        )
    )
    second = _mapping(
        caller.post(
            "inbound/targets", _target(2, customer=CUSTOMER, location=LOCATION, contact=CONTACT)
        )
    )

    customer, location, contact = (
        Customer.objects.get(),
        Location.objects.get(),
        Contact.objects.get(),
    )
    assert first["status"] == "Created"
    assert second["status"] == "Mapped"
    assert (first["customerId"], first["customerLocationId"], first["customerContactId"]) == (
        customer.pk,
        location.pk,
        contact.pk,
    )
    assert (second["customerId"], second["customerLocationId"], second["customerContactId"]) == (
        customer.pk,
        location.pk,
        contact.pk,
    )
    assert second["details"]["customer"]["method"] == "ExternalId"
    assert customer.customer_number == "RRM-001"
    assert location.customer == customer
    assert contact.customer == customer
    refs = ExternalReference.objects.filter(
        source_system=caller.client.source_system, origin=ReferenceOrigin.IMPORT
    )
    assert set(refs.values_list("external_type", "external_id")) == {
        ("Customer", "CUST-1"),
        ("Location", "LOC-1"),
        ("Contact", "CONT-1"),
    }
    # The targets keep their own external IDs (no references of mapping's).
    assert set(Target.objects.values_list("external_id", flat=True)) == {"JOB-1", "JOB-2"}


def test_unknown_customer_without_customers_write_fails_but_the_target_is_imported(make_caller):
    caller = make_caller(scopes=MAP_ONLY)

    response = caller.post("inbound/targets", _target(customer=CUSTOMER))

    mapping = _mapping(response)
    item = ImportItem.objects.get()
    assert response.json()["items"][0]["status"] == "Imported"
    assert mapping["status"] == "Failed"
    assert mapping["warnings"] == ["CustomerNotFound"]
    assert mapping["customerId"] is None
    assert not Customer.objects.exists()
    assert Target.objects.get().customer is None
    assert item.review_state == "Open"
    assert item.payload["customer"]["external_id"] == "CUST-1"


def test_customer_create_policy_off_fails_the_mapping(make_caller):
    caller = make_caller(scopes=ALL, allow_customer_create=False)

    mapping = _mapping(caller.post("inbound/targets", _target(customer=CUSTOMER)))

    assert mapping["status"] == "Failed"
    assert not Customer.objects.exists()


def test_without_customers_map_mapping_is_skipped_with_a_warning(make_caller):
    caller = make_caller(scopes=["inbound.targets.write", "customers.write", "customers.read"])

    response = caller.post("inbound/targets", _target(customer=CUSTOMER, location=LOCATION))

    mapping = _mapping(response)
    assert response.json()["items"][0]["status"] == "Imported"
    assert mapping["status"] == "Skipped"
    assert mapping["warnings"] == ["CustomerMappingScopeMissing"]
    assert not Customer.objects.exists()
    assert Target.objects.count() == 1


def test_location_without_coordinates_and_contact_auto_create_off_are_warnings(make_caller):
    caller = make_caller(scopes=ALL)
    location = {k: v for k, v in LOCATION.items() if k not in ("latitude", "longitude")}

    mapping = _mapping(
        caller.post(
            "inbound/targets", _target(customer=CUSTOMER, location=location, contact=CONTACT)
        )
    )

    assert mapping["status"] == "Warning"
    assert mapping["warnings"] == ["LocationMissingCoordinates", "ContactAutoCreateDisabled"]
    assert mapping["customerId"] == Customer.objects.get().pk
    assert mapping["customerLocationId"] == Location.objects.get().pk
    assert mapping["customerContactId"] is None
    assert not Contact.objects.exists()
    assert ImportItem.objects.get().review_state == "Open"


def test_a_known_location_without_coordinates_warns_until_it_has_them(make_caller):
    """Routing needs the coordinates of the target's location: a location mapped by ID or
    found at the customer's address warns as a created one does, each import, until it has
    them (a dispatcher adds them, or the source sends them); then it maps without a warning."""
    # The address fallback of locations: under name and address.
    caller = make_caller(scopes=ALL, strategy="ExternalIdThenNameAndAddress")
    location = {k: v for k, v in LOCATION.items() if k not in ("latitude", "longitude")}
    caller.post("inbound/targets", _target(1, customer=CUSTOMER, location=location))

    by_id = _mapping(
        caller.post("inbound/targets", _target(2, customer=CUSTOMER, location=location))
    )
    at_address = _mapping(
        caller.post(
            "inbound/targets",
            _target(3, customer=CUSTOMER, location={**location, "externalId": "LOC-2"}),
        )
    )
    Location.objects.update(latitude=51.45, longitude=7.01)
    with_coordinates = _mapping(
        caller.post("inbound/targets", _target(4, customer=CUSTOMER, location=location))
    )

    assert Location.objects.count() == 1
    for mapping in (by_id, at_address):
        assert mapping["status"] == "Warning"
        assert mapping["warnings"] == ["LocationMissingCoordinates"]
        assert mapping["customerLocationId"] == Location.objects.get().pk
    assert with_coordinates["status"] == "Mapped"
    assert with_coordinates["warnings"] == []


def test_location_defaults_fill_planning_values_the_payload_left_out(make_caller):
    caller = make_caller(scopes=ALL)

    caller.post("inbound/targets", _target(customer=CUSTOMER, location=LOCATION))
    caller.post(
        "inbound/targets",
        _target(2, customer=CUSTOMER, location=LOCATION, planning={"priority": "Low"}),
    )

    first, second = Target.objects.order_by("id")
    assert (first.priority, first.estimated_work_minutes) == ("Urgent", 50)
    assert (second.priority, second.estimated_work_minutes) == ("Low", 50)


def test_known_location_establishes_the_customer_when_no_customer_is_sent(make_caller):
    caller = make_caller(scopes=ALL)
    location = LocationFactory(customer__tenant=caller.client.tenant, latitude=1.0, longitude=2.0)
    LocationReferenceFactory(
        location=location,
        source_system=caller.client.source_system,
        external_id="LOC-9",
        origin=ReferenceOrigin.ADMIN,
    )

    mapping = _mapping(caller.post("inbound/targets", _target(location={"externalId": "LOC-9"})))

    assert mapping["status"] == "Mapped"
    assert mapping["customerId"] == location.customer_id
    assert mapping["details"]["customer"]["method"] == "ViaLocation"


def test_updates_change_only_sent_fields_and_only_when_allowed(make_caller):
    caller = make_caller(scopes=ALL)
    caller.post("inbound/targets", _target(customer=CUSTOMER))

    unchanged = _mapping(caller.post("inbound/targets", _target(customer=CUSTOMER)))
    renamed = _mapping(
        caller.post(
            "inbound/targets",
            _target(customer={"externalId": "CUST-1", "name": "Rhein-Ruhr Medical GmbH"}),
        )
    )

    customer = Customer.objects.get()
    assert unchanged["status"] == "Mapped"
    assert renamed["status"] == "Updated"
    assert renamed["details"]["customer"]["updatedFields"] == ["name"]
    assert customer.name == "Rhein-Ruhr Medical GmbH"
    assert customer.email == "ops@rr.example"  # not sent, so kept
    assert customer.customer_number == "RRM-001"


@pytest.mark.parametrize(
    ("scopes", "policy"),
    [(MAP_ONLY, {}), (ALL, {"allow_customer_update": False})],
)
def test_without_write_scope_or_update_policy_a_changed_record_stays_mapped(
    make_caller, scopes, policy
):
    caller = make_caller(scopes=scopes, **policy)
    customer = CustomerFactory(tenant=caller.client.tenant, name="Old Name")
    CustomerReferenceFactory(
        customer=customer, source_system=caller.client.source_system, external_id="CUST-1"
    )

    mapping = _mapping(
        caller.post(
            "inbound/targets", _target(customer={"externalId": "CUST-1", "name": "New Name"})
        )
    )

    customer.refresh_from_db()
    assert mapping["status"] == "Mapped"
    assert customer.name == "Old Name"


def test_a_new_customer_whose_number_belongs_to_another_customer_is_a_conflict(make_caller):
    caller = make_caller(scopes=ALL)
    CustomerFactory(tenant=caller.client.tenant, customer_number="RRM-001")

    mapping = _mapping(caller.post("inbound/targets", _target(customer=CUSTOMER)))

    assert mapping["status"] == "Failed"
    assert mapping["warnings"] == ["CustomerNumberConflict"]
    assert Customer.objects.count() == 1


def test_a_known_location_of_another_customer_is_a_mismatch(make_caller):
    caller = make_caller(scopes=ALL)
    caller.post("inbound/targets", _target(customer=CUSTOMER, location=LOCATION))
    other = {"externalId": "CUST-2", "name": "Other AG"}

    mapping = _mapping(
        caller.post("inbound/targets", _target(2, customer=other, location={"externalId": "LOC-1"}))
    )

    assert mapping["status"] == "Warning"
    assert mapping["warnings"] == ["LocationCustomerMismatch"]
    assert mapping["customerLocationId"] is None
    assert Target.objects.get(pk=_target_id(caller, "JOB-2")).location is None


def _target_id(caller, external_id):
    return caller.get(f"inbound/targets/{external_id}").json()["targetId"]


def test_same_external_ids_in_two_tenants_create_two_customers(make_caller):
    first, second = make_caller(scopes=ALL), make_caller(scopes=ALL)
    first.client.source_system = second.client.source_system = "sap"
    first.client.save()
    second.client.save()

    a = _mapping(first.post("inbound/targets", _target(customer=CUSTOMER)))
    b = _mapping(second.post("inbound/targets", _target(customer=CUSTOMER)))

    assert a["status"] == b["status"] == "Created"
    assert a["customerId"] != b["customerId"]
    assert Customer.objects.filter(customer_number="RRM-001").count() == 2


def test_job_view_shows_the_items_current_mapping(make_caller):
    caller = make_caller(scopes=[*MAP_ONLY, "inbound.targets.batch.write"])
    job_id = caller.post("inbound/targets", _target(customer=CUSTOMER)).json()["importJobId"]
    customer = CustomerFactory(tenant=caller.client.tenant)
    import_item_link(item=ImportItem.objects.get(), user=UserFactory(), customer=customer)

    job = caller.get(f"inbound/import-jobs/{job_id}").json()

    assert job["status"] == "Completed"
    assert job["items"][0]["customerMapping"]["status"] == "Mapped"
    assert job["items"][0]["customerMapping"]["customerId"] == customer.pk
    assert job["summary"]["mapping"]["Mapped"] == 1
    assert job["summary"]["needsReview"] == 0


def test_a_location_known_by_two_external_ids_keeps_both_items_changes(make_caller):
    """One batch updates a location through both its references: before, each item had its own
    copy, the second's write undid the first's default priority and its target missed it."""
    caller = make_caller(scopes=[*ALL, "inbound.targets.batch.write"])
    customer = CustomerFactory(tenant=caller.client.tenant)
    CustomerReferenceFactory(
        customer=customer, source_system=caller.client.source_system, external_id="CUST-1"
    )
    location = LocationFactory(customer=customer, latitude=51.45, longitude=7.01)
    for external_id in ("LOC-1", "LOC-2"):
        LocationReferenceFactory(
            location=location, source_system=caller.client.source_system, external_id=external_id
        )
    items = [
        _target(
            1,
            customer={"externalId": "CUST-1"},
            location={"externalId": "LOC-1", "defaultPriority": "Urgent"},
        ),
        _target(
            2,
            customer={"externalId": "CUST-1"},
            location={"externalId": "LOC-2", "accessNotes": "Ring twice"},
        ),
    ]

    response = caller.post("inbound/targets/batch", {"items": items})

    assert response.status_code == 200, response.json()
    location.refresh_from_db()
    assert (location.default_priority, location.access_notes) == ("Urgent", "Ring twice")
    assert list(Target.objects.order_by("id").values_list("priority", flat=True)) == [
        "Urgent",
        "Urgent",
    ]
