"""Name-and-address rules end to end: stored customers, one incoming record through the engine.

Each rule has a link case and a near miss that must stay in review (or be created).
"""

import pytest
from django.db import transaction

from customers.choices import CustomerType
from inbound.choices import Scope
from inbound.policy import mapping_policy
from mapping.choices import MatchingStrategy
from mapping.engine import IncomingContext
from mapping.services import customer_contexts_map
from tests.factories import (
    CustomerFactory,
    IntegrationClientFactory,
    LocationFactory,
    TenantFactory,
)

pytestmark = pytest.mark.django_db


def _customer(tenant, name, *addresses, person=False, email="", phone=""):
    """A stored customer with its locations, each (street, postal code, city, country)."""
    customer = CustomerFactory(
        tenant=tenant,
        name=name,
        type=CustomerType.PRIVATE if person else CustomerType.BUSINESS,
        email=email,
        phone=phone,
    )
    for street, postal_code, city, country in addresses:
        LocationFactory(
            customer=customer,
            tenant=tenant,
            street=street,
            postal_code=postal_code,
            city=city,
            country=country,
        )
    return customer


def _map(tenant, name, street, postal_code, city, country="DE", *, person=False, **customer):
    client = IntegrationClientFactory(
        tenant=tenant, strategy=MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS
    )
    policy = mapping_policy(client=client, scopes=[Scope.CUSTOMERS_MAP, Scope.CUSTOMERS_WRITE])
    context = IncomingContext(
        customer={
            "external_id": "NEW-1",
            "name": name,
            "type": CustomerType.PRIVATE if person else CustomerType.BUSINESS,
            **customer,
        },
        location={
            "external_id": "NEW-LOC-1",
            "street": street,
            "postal_code": postal_code,
            "city": city,
            "country": country,
        },
    )
    with transaction.atomic():
        (outcome,) = customer_contexts_map(tenant=tenant, policy=policy, contexts=[context])
    return outcome


def _linked(outcome, customer) -> bool:
    return (
        not outcome.ambiguous
        and outcome.customer is not None
        and outcome.customer.pk == customer.pk
    )


def _review(outcome) -> bool:
    return outcome.ambiguous and outcome.customer is None


# --- a chain's new site, the site after the name -----------------------------------------------


def _chain(tenant, name, sites):
    streets = ["Hauptstraße", "Bahnhofstraße", "Kantstraße", "Zeil", "Gartenstraße"]
    return _customer(
        tenant,
        name,
        *[(f"{streets[n % 5]} {n + 1}", f"{10115 + n}", "Berlin", "DE") for n in range(sites)],
    )


@pytest.mark.parametrize(
    "name",
    [
        "FitWerk Studios, Studio Stuttgart",
        "FitWerk Studios GmbH Studio Stuttgart",
        "FitWerk Studios Stuttgart",
    ],
)
def test_a_chains_new_site_with_the_site_after_its_name_is_found_and_linked(name):
    """The chain has no site in that postal code: it is found under its name without the site."""
    tenant = TenantFactory()
    chain = _chain(tenant, "FitWerk Studios GmbH", 12)

    outcome = _map(tenant, name, "Waldstraße 125", "70176", "Stuttgart")

    assert _linked(outcome, chain)


def test_the_site_after_the_name_of_a_company_with_few_sites_stays_in_review():
    """Three sites are no chain: another company of that name is as likely."""
    tenant = TenantFactory()
    company = _chain(tenant, "FitWerk Studios GmbH", 3)

    outcome = _map(
        tenant, "FitWerk Studios, Studio Stuttgart", "Waldstraße 125", "70176", "Stuttgart"
    )

    assert _review(outcome)
    assert company.pk in {c["recordId"] for c in outcome.candidates}


def test_a_name_ending_in_another_city_is_not_looked_up_without_it():
    """ "FitWerk Studios Stuttgart" in Essen names no site of the chain in Essen."""
    tenant = TenantFactory()
    _chain(tenant, "FitWerk Studios GmbH", 12)

    outcome = _map(tenant, "FitWerk Studios Stuttgart", "Hachestraße 5", "45127", "Essen")

    assert outcome.customer is None or outcome.customer.name == "FitWerk Studios Stuttgart"
    assert not outcome.candidates


# --- house number ranges ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "street", ["Kölner Straße 249", "Kölner Str. 253", "Kölner Straße 249-253"]
)
def test_one_end_of_a_house_number_range_is_the_same_address(street):
    tenant = TenantFactory()
    stored = _customer(
        tenant, "Multi-Service Glaserei GmbH", ("Kölner Straße 249-253", "10247", "Berlin", "DE")
    )

    outcome = _map(tenant, "Multi-Service Glaserei GmbH", street, "10247", "Berlin")

    assert _linked(outcome, stored)


@pytest.mark.parametrize("street", ["Kölner Straße 251", "Kölner Straße 250", "Kölner Straße 24"])
def test_a_number_inside_or_beside_a_range_is_not_the_same_address(street):
    """251 may be the building next door, 250 is across the street."""
    tenant = TenantFactory()
    _customer(
        tenant, "Multi-Service Glaserei GmbH", ("Kölner Straße 249-253", "10247", "Berlin", "DE")
    )

    outcome = _map(tenant, "Multi-Service Glaserei GmbH", street, "10247", "Berlin")

    assert _review(outcome)


# --- a slip in a person's name with the same mobile number -------------------------------------

WAGNER = ("Kirchstraße 4", "47051", "Duisburg", "DE")


# A typo in the family name with the same mobile number: relatives share a family name, so
# only the given name tells them apart ("Wagnre" is no other family at Lena Wagner's address).
@pytest.mark.parametrize("incoming", ["Lrna Wagner", "Lena Wagmer", "Lena Wager", "Lena Wagnre"])
def test_a_slip_with_the_same_mobile_number_is_the_same_person(incoming):
    tenant = TenantFactory()
    lena = _customer(tenant, "Lena Wagner", WAGNER, person=True, phone="+49 171 3664294")

    outcome = _map(tenant, incoming, *WAGNER, person=True, phone="0171/3664294")

    assert _linked(outcome, lena)


@pytest.mark.parametrize(
    ("incoming", "phone", "stored", "stored_phone"),
    [
        ("Lrna Wagner", "0203 3664294", "Lena Wagner", "+49 203 3664294"),  # the household's
        ("Lina Wagner", "0203 3664294", "Lena Wagner", "+49 203 3664294"),
        # Names a family has, one letter apart, stay another person with the same mobile too.
        ("Jana Wagner", "0171 3664294", "Jan Wagner", "+49 171 3664294"),
        ("Hanna Wagner", "0171 3664294", "Anna Wagner", "+49 171 3664294"),
    ],
)
def test_a_slip_with_the_same_landline_or_a_family_name_stays_in_review(
    incoming, phone, stored, stored_phone
):
    tenant = TenantFactory()
    _customer(tenant, stored, WAGNER, person=True, phone=stored_phone)

    outcome = _map(tenant, incoming, *WAGNER, person=True, phone=phone)

    assert _review(outcome)


# --- a mistyped short legal form --------------------------------------------------------------

LYON = ("209 Rue de la Paix", "69001", "Lyon", "FR")
BERLIN = ("Düsseldorfer Straße 230", "10405", "Berlin", "DE")


@pytest.mark.parametrize(
    ("incoming", "stored", "address"),
    [
        ("Maintenance Générale Lambert SRAL", "Maintenance Générale Lambert SARL", LYON),
        ("Maintenance Générale Lambert Sarl", "Maintenance Générale Lambert SARL", LYON),
        (
            "Meyer & Partner Rechtsanwälte PrtG mbB",
            "Meyer & Partner Rechtsanwälte PartG mbB",
            BERLIN,
        ),
        (
            "Meyer & Partner Rechtsanwälte Part mbB",
            "Meyer & Partner Rechtsanwälte PartG mbB",
            BERLIN,
        ),
    ],
)
def test_a_mistyped_short_legal_form_at_the_end_is_the_same_company(incoming, stored, address):
    tenant = TenantFactory()
    company = _customer(tenant, stored, address)

    outcome = _map(tenant, incoming, *address)

    assert _linked(outcome, company)


@pytest.mark.parametrize(
    ("incoming", "stored"),
    [
        ("Autohaus Lambert Karl AG", "Autohaus Lambert SARL"),  # another form follows "Karl"
        ("Autohaus Karl", "Autohaus SARL"),  # one word left says too little
        ("Maintenance Générale Lambert Carl", "Maintenance Générale Lambert GmbH"),  # not its form
        ("Meyer & Partner Rechtsanwälte Part", "Meyer & Partner Rechtsanwälte PartG mbB"),
    ],
)
def test_a_word_one_edit_from_a_legal_form_is_no_typo_where_the_form_does_not_stand(
    incoming, stored
):
    tenant = TenantFactory()
    _customer(tenant, stored, LYON)

    outcome = _map(tenant, incoming, *LYON)

    assert _review(outcome)
