"""Candidates for private persons (mapping.selectors / mapping.sql): by the sound of the family
name within the postal code and by phone, so a typo in a name does not hide the right customer;
the address path only at the same house number. Each link next to its near miss (a relative at
the address, a namesake in the city, a flat in the same building)."""

import pytest

from customers.choices import CustomerType
from customers.models import Customer, Location
from customers.services import customer_prepare, location_prepare
from inbound.choices import Scope
from inbound.policy import mapping_policy
from mapping.choices import ExternalType, MatchingStrategy, ReferenceOrigin
from mapping.engine import IncomingContext
from mapping.matching import Party
from mapping.selectors import customer_candidates
from mapping.services import customer_contexts_map, name_frequencies_refresh, references_create
from tests.factories import IntegrationClientFactory, TenantFactory
from tests.mapping.test_name_address_rules import _customer, _linked, _map, _review

pytestmark = pytest.mark.django_db

HOME = ("Hachestraße 12", "45127", "Essen", "DE")


def _tenant_with_neighbours(households: int = 150):
    """A tenant with households to count names in (Müller common, the others rare), written in
    bulk through the services' key preparation."""
    tenant = TenantFactory()
    customers = []
    for n in range(households):
        customer = Customer(tenant=tenant, name=f"Petra Müller{n}", type=CustomerType.PRIVATE)
        customer_prepare(customer=customer)
        customers.append(customer)
    Customer.objects.bulk_create(customers)
    locations = []
    for n, customer in enumerate(customers):
        location = Location(
            tenant=tenant, customer=customer, street=f"Kantstraße {n + 1}", postal_code="45128"
        )
        location_prepare(location=location)
        locations.append(location)
    Location.objects.bulk_create(locations)
    return tenant


def _candidate_names(tenant, party: Party) -> set[str]:
    found = customer_candidates(tenant=tenant, parties={0: party})
    return {found.customers[pk].name for pk in found.parties_by_index.get(0, {})}


def _person(name, street=HOME[0], postal_code=HOME[1], city=HOME[2], **extra) -> Party:
    return Party.of(
        name=name, street=street, postal_code=postal_code, city=city, person=True, **extra
    )


def test_a_misspelt_family_name_at_the_address_is_found_and_linked_a_relative_is_not():
    """ "Hans Mayer, Hachestrase 12" is Johann Meier of Hachestraße 12: the street is mistyped (so
    another street key) and the name shares few trigrams; the family name's sound in the postal
    code finds him. His wife at the same address is found too, and not linked."""
    tenant = _tenant_with_neighbours()
    johann = _customer(tenant, "Johann Meier", HOME, person=True)
    name_frequencies_refresh(tenant=tenant)

    assert _linked(_map(tenant, "Hans Mayer", "Hachestrase 12", "45127", "Essen", person=True),
                   johann)  # fmt: skip
    wife = _map(tenant, "Julia Mayer", "Hachestrase 12", "45127", "Essen", person=True)
    assert not _linked(wife, johann)
    assert wife.customer is None or wife.customer.pk != johann.pk


def test_a_family_name_is_looked_up_by_its_sound_only_for_persons_and_within_the_postal_code():
    tenant = _tenant_with_neighbours()
    _customer(tenant, "Johann Meier", HOME, person=True)
    _customer(tenant, "Anna Meyer", ("Zeil 3", "60313", "Frankfurt", "DE"), person=True)
    _customer(tenant, "Mayer Haustechnik GmbH", ("Zeil 5", "45127", "Essen", "DE"))

    found = _candidate_names(tenant, _person("Hans Mayer", "Rüttenscheider Straße 1"))
    assert found == {"Johann Meier"}  # not Anna Meyer in Frankfurt, not the company
    # written family name first
    assert _candidate_names(tenant, _person("Mayer, Hans", "Rüttenscheider Straße 1")) == found
    # a company is not looked up by sound
    company = Party.of(name="Maier Heizung GmbH", street="Zeil 9", postal_code="45127")
    assert "Johann Meier" not in _candidate_names(tenant, company)


def test_a_moved_person_is_found_by_phone_and_linked_a_namesake_without_it_is_not():
    tenant = _tenant_with_neighbours()
    johann = _customer(tenant, "Johann Eichhorst", HOME, person=True, phone="0171 3664294")
    name_frequencies_refresh(tenant=tenant)

    moved = _map(tenant, "Hans Eichhorst", "Leopoldstraße 3", "80331", "München", person=True,
                 phone="+49 171 3664294")  # fmt: skip
    assert _linked(moved, johann)
    namesake = _map(tenant, "Hans Eichhorst", "Zeil 3", "60313", "Frankfurt", person=True,
                    phone="+49 171 9999999")  # fmt: skip
    assert not _linked(namesake, johann)


def test_a_company_is_found_by_phone():
    tenant = TenantFactory()
    _customer(tenant, "Nordsee Feinkost GmbH", HOME, phone="0201 123456")

    moved = Party.of(name="Feinkost Nord", street="Zeil 3", postal_code="60313",
                     phone="+49 201 123456")  # fmt: skip
    assert _candidate_names(tenant, moved) == {"Nordsee Feinkost GmbH"}


def test_the_address_path_takes_the_same_house_number_only():
    """A namesake two doors down is no candidate by the address (he is by his name's sound, and
    scored as living elsewhere); the same building's flats are, and are not linked."""
    tenant = _tenant_with_neighbours()
    _customer(tenant, "Anna Koch", ("Hachestraße 14", "45127", "Essen", "DE"), person=True)
    _customer(tenant, "Nordsee Feinkost GmbH", ("Hachestraße 16", "45127", "Essen", "DE"))
    _customer(tenant, "Jonas Eichhorst", ("Hachestr. 12", "45127", "Essen", "DE"), person=True)

    found = _candidate_names(tenant, _person("Petra Schulz"))
    assert found == {"Jonas Eichhorst"}


def test_a_namesake_in_the_city_at_another_house_number_is_not_linked_the_same_number_is():
    tenant = _tenant_with_neighbours()
    johann = _customer(tenant, "Johann Meier", HOME, person=True)
    name_frequencies_refresh(tenant=tenant)

    elsewhere = _map(tenant, "Hans Mayer", "Hachestrase 14", "45127", "Essen", person=True)
    assert not _linked(elsewhere, johann)
    assert _linked(_map(tenant, "Hans Mayer", "Hachestrase 12", "45127", "Essen", person=True),
                   johann)  # fmt: skip


def test_flats_in_one_building_are_not_linked_the_person_of_the_flat_is():
    tenant = _tenant_with_neighbours()
    flats = [
        _customer(tenant, name, HOME, person=True)
        for name in ("Anna Koch", "Jonas Eichhorst", "Petra Schulz", "Johann Meier")
    ]
    name_frequencies_refresh(tenant=tenant)

    other_flat = _map(tenant, "Julia Brandt", *HOME[:3], person=True)
    assert other_flat.customer is None or other_flat.customer.pk not in {f.pk for f in flats}
    assert not _review(other_flat) or all(
        c["recordId"] in {f.pk for f in flats} for c in other_flat.candidates
    )
    # Johann Meier of the building, his family name misspelt and his street too
    assert _linked(_map(tenant, "Hans Mayer", "Hachestrase 12", "45127", "Essen", person=True),
                   flats[3])  # fmt: skip


def test_the_family_key_is_kept_on_the_customer_and_its_locations():
    tenant = TenantFactory()
    person = _customer(tenant, "Herr Johann Meier sen.", HOME, person=True, phone="0201/123456")
    company = _customer(tenant, "Meier GmbH", HOME)

    assert (person.family_key, person.phone_key) == ("67", "49201123456")
    assert company.family_key == ""
    assert list(person.locations.values_list("family_key", "house_number")) == [("67", "12")]


def test_a_company_is_looked_up_by_a_similar_name_in_its_postal_code_only():
    """The similar-name lookup within the postal code reads the customers' names copied onto
    their locations (customers_location_name_trgm): a similarity of 0.35 is enough there, also
    when an earlier statement of the transaction set pg_trgm's threshold higher."""
    from django.db import connection

    tenant = TenantFactory()
    _customer(tenant, "Nordsee Feinkost Handel GmbH", HOME)
    _customer(tenant, "Nordsee Feinkost Handel GmbH", ("Zeil 3", "60313", "Frankfurt", "DE"))
    _customer(tenant, "Autohaus Krämer KG", HOME)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = 0.9")
    company = Party.of(name="Nordsee Feinkost", street="Zeil 9", postal_code="45127")
    found = customer_candidates(tenant=tenant, parties={0: company})
    assert [found.customers[pk].name for pk in found.parties_by_index[0]] == [
        "Nordsee Feinkost Handel GmbH"
    ]
    (pk,) = found.parties_by_index[0]
    assert found.parties_by_index[0][pk][0].postal_code == "45127"  # the one in Essen


def test_the_normalized_name_is_copied_onto_the_locations_and_follows_a_rename():
    tenant = TenantFactory()
    company = _customer(tenant, "Nordsee Feinkost GmbH", HOME)
    assert list(company.locations.values_list("normalized_name", flat=True)) == ["nordsee feinkost"]
    # renamed through an import (the engine's bulk write)
    client = IntegrationClientFactory(tenant=tenant, strategy=MatchingStrategy.EXTERNAL_ID_FIRST)
    policy = mapping_policy(client=client, scopes=[Scope.CUSTOMERS_MAP, Scope.CUSTOMERS_WRITE])
    references_create(
        tenant=tenant,
        source_system=client.source_system,
        records={(ExternalType.CUSTOMER, "C-1"): company},
        origin=ReferenceOrigin.IMPORT,
    )
    customer_contexts_map(
        tenant=tenant,
        policy=policy,
        contexts=[IncomingContext(customer={"external_id": "C-1", "name": "Ostsee Feinkost AG"})],
    )
    assert list(company.locations.values_list("normalized_name", flat=True)) == ["ostsee feinkost"]
