"""Name-and-address candidates: which customers `customer_candidates` fetches, and in bulk."""

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench import matching_quality
from bench.data.persons import SEED, PersonGenerator, PersonIncoming
from customers.models import Contact, Customer, Location
from customers.services import customer_prepare, location_prepare
from mapping import selectors
from mapping.choices import ExternalType, ReferenceOrigin
from mapping.engine.customer import incoming_party
from mapping.matching import Party, decide
from mapping.matching.decision import _unscored
from mapping.matching.evidence import NO_FREQUENCIES, NameFrequencies
from mapping.selectors import (
    customer_candidates,
    name_frequencies,
    records_of_customers,
    referenced_records,
)
from mapping.services import name_frequencies_refresh, references_create
from ordinavo import db as ordinavo_db
from tests.factories import ContactFactory, CustomerFactory, LocationFactory, TenantFactory
from tests.mapping.test_name_address_rules import _customer as person_customer

pytestmark = pytest.mark.django_db


def test_referenced_records_finds_each_type_only_in_its_tenant_source_and_origins():
    tenant, other_tenant = TenantFactory(), TenantFactory()
    customer = CustomerFactory(tenant=tenant, name="Kältetechnik Ruhr GmbH")
    location = LocationFactory(customer=customer, tenant=tenant)
    contact = ContactFactory(customer=customer, tenant=tenant)
    stranger = CustomerFactory(tenant=other_tenant)
    for owner, source, records, origin in (
        (tenant, "erp", {("Customer", "C-1"): customer, ("Location", "L-1"): location}, "Import"),
        (tenant, "erp", {("Contact", "P-1"): contact}, "Review"),
        (tenant, "crm", {("Customer", "C-2"): customer}, "Import"),  # another source
        (other_tenant, "erp", {("Customer", "C-2"): stranger}, "Import"),  # another tenant
    ):
        references_create(tenant=owner, source_system=source, records=records, origin=origin)
    wanted = {
        ExternalType.CUSTOMER: ["C-1", "C-2"],
        ExternalType.LOCATION: ["L-1", "C-1"],  # "C-1" is no location
        ExternalType.CONTACT: ["P-1"],
    }

    found = referenced_records(tenant=tenant, source_system="erp", external_ids=wanted)
    confirmed = referenced_records(
        tenant=tenant,
        source_system="erp",
        external_ids=wanted,
        origins=[ReferenceOrigin.REVIEW, ReferenceOrigin.ADMIN],
    )

    assert found == {("Customer", "C-1"): customer, ("Location", "L-1"): location,
                     ("Contact", "P-1"): contact}  # fmt: skip
    assert found[("Location", "L-1")].street == location.street  # a whole record
    assert confirmed == {("Contact", "P-1"): contact}
    assert referenced_records(tenant=tenant, source_system="erp", external_ids={}) == {}


def test_referenced_records_is_one_query_of_one_text_for_any_number_of_ids():
    tenant = TenantFactory()
    customers = CustomerFactory.create_batch(30, tenant=tenant)
    references_create(
        tenant=tenant,
        source_system="erp",
        records={("Customer", f"C-{n}"): c for n, c in enumerate(customers)},
        origin=ReferenceOrigin.IMPORT,
    )

    statements = []
    for count in (1, 30):
        with CaptureQueriesContext(connection) as captured:
            found = referenced_records(
                tenant=tenant,
                source_system="erp",
                external_ids={ExternalType.CUSTOMER: [f"C-{n}" for n in range(count)]},
            )
        assert len(found) == count
        assert len(captured) == 1
        statements.append(captured[0]["sql"])
    assert statements[0] == statements[1]


def test_referenced_records_is_prepared_with_a_plan_of_index_probes_whatever_the_table_sizes():
    # The test tables are nearly empty: the generic plan made now is the one a connection keeps.
    tenant = TenantFactory()
    customer = CustomerFactory(tenant=tenant)
    references_create(
        tenant=tenant,
        source_system="erp",
        records={("Customer", "C-1"): customer},
        origin=ReferenceOrigin.IMPORT,
    )
    external_ids = {
        ExternalType.CUSTOMER: ["C-1"],
        ExternalType.LOCATION: ["L-1"],
        ExternalType.CONTACT: ["P-1"],
    }
    found = referenced_records(tenant=tenant, source_system="erp", external_ids=external_ids)
    assert found == {("Customer", "C-1"): customer}

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%FROM unnest(%mapping_externalreference%"],
        )
        (name,) = cursor.fetchone()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(
                f"EXPLAIN EXECUTE {name}"
                "('{Customer,Location,Contact}', '{C-1,L-1,P-1}', %s, 'erp')",
                [tenant.pk],
            )
            plan = "\n".join(row for (row,) in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode")
    assert "Seq Scan" not in plan
    assert "Hash" not in plan
    for index in (
        "mapping_extref_unique_per_source",
        "customers_customer_pkey",
        "customers_location_pkey",
        "customers_contact_pkey",
    ):
        assert f"Index Scan using {index}" in plan


def _customer(tenant, name, *, postal_code="45127", street="Hachestraße 12", city="Essen"):
    customer = CustomerFactory(tenant=tenant, name=name)
    LocationFactory(
        customer=customer, tenant=tenant, street=street, postal_code=postal_code, city=city
    )
    return customer


def _candidates(tenant, **party) -> set[int]:
    found = customer_candidates(tenant=tenant, parties={0: Party.of(**party)})
    return set(found.parties_by_index.get(0, {}))


def test_the_same_name_in_another_postal_code_is_a_candidate():
    """A customer that moved is found by its name wherever it is now."""
    tenant = TenantFactory()
    moved = _customer(tenant, "Rhein-Ruhr Medical Supply GmbH", postal_code="80331")

    found = _candidates(
        tenant,
        name="Rhein Ruhr Medical Supply AG",
        street="Leopoldstraße 3",
        postal_code="45127",
        city="Essen",
    )

    assert found == {moved.pk}


def test_the_same_words_in_another_order_in_another_postal_code_are_a_candidate():
    tenant = TenantFactory()
    moved = _customer(tenant, "Anna Weber", postal_code="80331")
    _customer(tenant, "Anna Webers", postal_code="10115")  # similar, elsewhere: not a candidate

    found = _candidates(tenant, name="Weber, Anna", street="Hachestraße 1", postal_code="45127")

    assert found == {moved.pk}


def test_a_typo_in_the_name_is_a_candidate_at_the_same_postal_code():
    tenant = TenantFactory()
    customer = _customer(tenant, "Metzgerei Stutz e.K.", street="Kettwiger Straße 3")
    _customer(tenant, "Nordsee Feinkost GmbH", street="Kettwiger Straße 5")  # not similar

    found = _candidates(
        tenant,
        name="Metzgerei Stuttz",
        street="Rüttenscheider Str. 1",  # another street: not the address blocking
        postal_code="45127",
        city="Essen",
    )

    assert found == {customer.pk}


def test_a_postal_code_stored_with_a_space_is_the_same_postal_code():
    tenant = TenantFactory()
    customer = _customer(
        tenant, "de Jong Elektrotechniek B.V.", postal_code="3011 AA", street="Coolsingel 201c"
    )

    found = _candidates(
        tenant, name="de Jogn Elektrotechniek", street="Coolsingel 5", postal_code="3011AA"
    )

    assert found == {customer.pk}


def test_a_typo_in_the_name_at_another_postal_code_is_not_a_candidate():
    """The trade-off for speed at a million customers: with a postal code, a similar (not equal)
    name is looked for only there; elsewhere only the same name, address or e-mail finds it."""
    tenant = TenantFactory()
    _customer(tenant, "Metzgerei Stutz e.K.", postal_code="80331")

    found = _candidates(
        tenant, name="Metzgerei Stuttz", street="Hachestraße 12", postal_code="45127"
    )

    assert found == set()


def test_without_a_postal_code_a_similar_name_anywhere_is_a_candidate():
    tenant = TenantFactory()
    customer = _customer(tenant, "Metzgerei Stutz e.K.", postal_code="80331")

    assert _candidates(tenant, name="Metzgerei Stuttz") == {customer.pk}


def test_without_a_postal_code_the_same_name_is_enough():
    """When customers with the very name exist, similar names elsewhere are not searched."""
    tenant = TenantFactory()
    same = _customer(tenant, "Metzgerei Stutz e.K.", postal_code="80331")
    _customer(tenant, "Metzgerei Stutzer GmbH", postal_code="10115")

    assert _candidates(tenant, name="Metzgerei Stutz") == {same.pk}


@pytest.mark.parametrize(
    "name",
    [
        "FitWerk Studios Stuttgart",
        "FitWerk Studios, Studio Stuttgart",
        "FitWerk Studios GmbH Studio Stuttgart",
    ],
)
def test_a_name_with_a_site_in_its_own_city_is_looked_up_without_the_site(name):
    """A chain's new site: found under the chain's name in any postal code."""
    tenant = TenantFactory()
    chain = _customer(tenant, "FitWerk Studios GmbH", postal_code="10115", city="Berlin")
    _customer(tenant, "FitWerk", postal_code="10117", city="Berlin")  # one word: too little

    assert _candidates(tenant, name=name, street="Waldstraße 1", postal_code="70176",
                       city="Stuttgart") == {chain.pk}  # fmt: skip


def test_a_site_in_another_city_or_a_persons_name_is_not_looked_up_without_it():
    tenant = TenantFactory()
    _customer(tenant, "FitWerk Studios GmbH", postal_code="10115", city="Berlin")
    _customer(tenant, "Anna Weber", postal_code="10115", city="Berlin")

    elsewhere = _candidates(
        tenant, name="FitWerk Studios Stuttgart", street="Hachestraße 1", postal_code="45127",
        city="Essen",
    )  # fmt: skip
    person = _candidates(
        tenant, name="Anna Weber Essen", street="Hachestraße 1", postal_code="45127",
        city="Essen", person=True,
    )  # fmt: skip

    assert elsewhere == person == set()


@pytest.mark.parametrize("postal_code", ["45127", ""], ids=["postal code", "none"])
def test_no_candidate_comes_from_another_tenant(postal_code):
    tenant, stranger = TenantFactory(), TenantFactory()
    for name in ("Metzgerei Stutz e.K.", "Metzgerei Stuttz"):  # the same and a similar name
        _customer(stranger, name, postal_code="45127")
    mine = _customer(tenant, "Nordsee Feinkost GmbH", postal_code="45127")

    found = customer_candidates(
        tenant=tenant,
        parties={
            0: Party.of(name="Metzgerei Stutz", postal_code=postal_code),
            1: Party.of(name="Metzgerei Stuttz", postal_code=postal_code),
            2: Party.of(name="Nordsee Feinkost", postal_code=postal_code),
        },
    )

    assert set(found.customers) == {mine.pk}
    assert found.parties_by_index.get(0, {}) == found.parties_by_index.get(1, {}) == {}


def test_the_query_count_does_not_grow_with_the_batch():
    tenant = TenantFactory()
    for n in range(20):
        _customer(tenant, f"Metzgerei Stutz {n}", postal_code=f"{45100 + n}")

    def queries(size: int) -> int:
        parties = {
            i: Party.of(
                name=f"Metzgerei Stuttz {i % 20}",
                street="Hachestraße 12",
                postal_code="" if i % 3 == 0 else f"{45100 + i % 20}",
                email=f"info{i}@example.com",
            )
            for i in range(size)
        }
        with CaptureQueriesContext(connection) as captured:
            found = customer_candidates(tenant=tenant, parties=parties)
        assert found.customers
        return len(captured)

    assert queries(10) == queries(500)


def test_customers_at_the_same_address_or_with_the_same_e_mail_are_candidates():
    tenant = TenantFactory()
    neighbour = _customer(tenant, "Nordsee Feinkost GmbH", street="Hachestraße 12")
    _customer(tenant, "Rüttenscheider Bäckerei GmbH", street="Hachestraße 14a")  # same street
    mailed = _customer(tenant, "Apotheke am Markt OHG", postal_code="80331")
    mailed.email = "info@apotheke-am-markt.de"
    mailed.save()

    found = customer_candidates(
        tenant=tenant,
        parties={
            0: Party.of(name="Metzgerei Stutz", street="Hachestr. 12", postal_code="45127"),
            1: Party.of(name="Metzgerei Stutz", email="INFO@apotheke-am-markt.de"),
            2: Party.of(name="Schreinerei Holz", street="Hachestraße 12", postal_code="45127"),
        },
    )

    assert set(found.parties_by_index[0]) >= {neighbour.pk}
    assert set(found.parties_by_index[1]) == {mailed.pk}
    assert set(found.parties_by_index[0]) == set(found.parties_by_index[2])


@pytest.mark.parametrize(
    ("stored", "sent"),
    [
        ("Info@Apotheke-am-Markt.de", "info@apotheke-am-markt.de"),
        ("INFO@APOTHEKE-AM-MARKT.DE", "Info@apotheke-am-markt.DE"),
    ],
)
def test_a_customer_stored_with_a_mixed_case_e_mail_is_found_by_it_in_any_case(stored, sent):
    tenant = TenantFactory()
    mailed = _customer(tenant, "Apotheke am Markt OHG", postal_code="80331")
    mailed.email = stored
    mailed.save()

    found = customer_candidates(
        tenant=tenant, parties={0: Party.of(name="Metzgerei Stutz", email=sent)}
    )

    assert set(found.parties_by_index[0]) == {mailed.pk}


def _candidate_statement(monkeypatch, tenant, party: Party) -> tuple[str, list]:
    """The candidate statement and its parameters, as `customer_candidates` streams them for
    one party."""
    sent = []

    def stream(sql, params, **kwargs):
        sent.append((sql, params))
        return ordinavo_db.stream(sql, params, **kwargs)

    monkeypatch.setattr(selectors, "stream", stream)
    customer_candidates(tenant=tenant, parties={0: party})
    [statement] = sent
    return statement


def test_the_e_mail_lookup_reads_the_case_insensitive_index(monkeypatch):
    tenant = TenantFactory()
    CustomerFactory(tenant=tenant, email="Info@Example.com")
    lookup, params = _candidate_statement(monkeypatch, tenant, Party.of(email="info@example.com"))

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with psycopg.RawCursor(connection.connection) as cursor:  # bound on the server, as streamed
        cursor.execute(f"EXPLAIN {lookup}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "customers_cust_tenant_email_ci" in plan


def test_a_candidate_is_the_whole_customer_made_without_a_query():
    """The engine links, updates and shows candidates: each is the stored customer with every
    field (its timestamps are read as text and made datetimes only here), made without a query."""
    tenant = TenantFactory()
    customer = _customer(tenant, "Metzgerei Stutz e.K.")
    Customer.objects.filter(pk=customer.pk).update(
        customer_number="K-1", industry="Handel", website="https://stutz.example",
        email="info@stutz.example", phone="0201 123456",
    )  # fmt: skip
    stored = Customer.objects.get(pk=customer.pk)

    found = customer_candidates(
        tenant=tenant, parties={0: Party.of(name="Metzgerei Stutz", postal_code="45127")}
    )
    with CaptureQueriesContext(connection) as captured:
        candidate = found.customers[customer.pk]
        values = {f.attname: getattr(candidate, f.attname) for f in Customer._meta.concrete_fields}

    assert len(captured) == 0
    assert values == {f.attname: getattr(stored, f.attname) for f in Customer._meta.concrete_fields}
    assert candidate.get_deferred_fields() == set()
    assert candidate.created_at.tzinfo is not None


def test_a_candidate_is_compared_at_each_of_its_locations_in_their_order():
    tenant = TenantFactory()
    branches = _customer(tenant, "Metzgerei Stutz e.K.", street="Hachestraße 12")
    LocationFactory(
        customer=branches, tenant=tenant, name="A", street="Zeil 3", postal_code="60313",
        city="Frankfurt",
    )  # fmt: skip
    homeless = CustomerFactory(tenant=tenant, name="Metzgerei Stutz")

    found = customer_candidates(
        tenant=tenant,
        parties={
            0: Party.of(name="Metzgerei Stutz", postal_code="45127"),
            1: Party.of(name="Metzgerei Stutz e.K."),
        },
    )

    names = [loc.name for loc in branches.locations.order_by("name", "id")]
    streets = [Location.objects.get(customer=branches, name=n).street for n in names]
    for index in (0, 1):
        assert list(found.parties_by_index[index]) == sorted([branches.pk, homeless.pk])
        parties = found.parties_by_index[index][branches.pk]
        assert [p.street_written for p in parties] == [
            Party.of(name="x", street=s).street_written for s in streets
        ]
        assert [p.street for p in found.parties_by_index[index][homeless.pk]] == [""]
    assert list(found.parties_by_index) == [0, 1]


def test_the_parties_reach_the_statement_intact_whatever_their_characters():
    """The parties are sent as one JSON value: quotes, backslashes, umlauts and characters
    beyond the BMP arrive as they are."""
    tenant = TenantFactory()
    name = 'O\'Brien "Bau" \\ Café 🏗 Süd'
    email = 'o\'brien+"x"@example.com'
    customer = _customer(tenant, name, street="Hachestraße 12")
    Customer.objects.filter(pk=customer.pk).update(email=email)

    found = customer_candidates(
        tenant=tenant,
        parties={
            0: Party.of(name=name, postal_code="99999"),
            1: Party.of(name="Schreinerei Holz", email=email),
        },
    )

    assert set(found.parties_by_index[0]) == set(found.parties_by_index[1]) == {customer.pk}


def test_a_customer_found_for_two_parties_is_built_once_with_all_its_locations():
    tenant = TenantFactory()
    customer = _customer(tenant, "Anna Weber")
    LocationFactory(
        customer=customer, tenant=tenant, street="Zeil 3", postal_code="60313", city="Frankfurt"
    )
    other = _customer(tenant, "Peter Weber", street="Kantstraße 3")

    found = customer_candidates(
        tenant=tenant,
        parties={
            0: Party.of(name="Anna Weber", street="Hachestraße 12", postal_code="45127"),
            1: Party.of(name="Weber, Anna", postal_code="45127"),
            2: Party.of(name="Peter Weber", street="Kantstraße 3", postal_code="45127"),
        },
    )

    first, second = found.parties_by_index[0][customer.pk], found.parties_by_index[1][customer.pk]
    assert first is second
    assert sorted(p.postal_code for p in first) == ["45127", "60313"]
    assert list(found.parties_by_index[2]) == [customer.pk, other.pk]  # a similar name
    assert found.parties_by_index[2][customer.pk] is first
    assert len(found.parties_by_index[2][other.pk]) == 1


def test_the_candidate_statement_sends_rows_as_it_finds_them(monkeypatch):
    """Neither sorted nor grouped as a whole (which would keep every row until the last party is
    searched): a nested loop over the parties, each party's candidates in the order of their ids
    (see mapping.sql.candidate_records_sql), so the client builds while the server searches."""
    tenant = TenantFactory()
    _customer(tenant, "Anna Weber")
    sql, params = _candidate_statement(monkeypatch, tenant, Party.of(name="Anna Weber"))
    with psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0][0]["Plan"]

    assert plan["Node Type"] == "Nested Loop"


def test_an_error_while_candidates_are_built_leaves_the_connection_usable(monkeypatch):
    """The streamed statement is cancelled when building a candidate fails, so the transaction
    rolls back and the connection serves the next statement."""
    tenant = TenantFactory()
    for n in range(3):
        _customer(tenant, f"Anna Weber {n}")

    def broken(*args, **kwargs):
        raise ValueError("broken")

    monkeypatch.setattr(Party, "stored", broken)
    with pytest.raises(ValueError, match="broken"), transaction.atomic():
        customer_candidates(tenant=tenant, parties={0: Party.of(name="Anna Weber 1")})
    assert Customer.objects.filter(tenant=tenant).count() == 3


def test_no_parties_no_candidates_and_no_statement():
    with CaptureQueriesContext(connection) as captured:
        found = customer_candidates(tenant=TenantFactory(), parties={})
    assert found.parties_by_index == {}
    assert not found.customers
    assert not [q for q in captured if "json_to_recordset" in q["sql"]]


def test_the_address_and_family_lookups_read_their_indexes_only(monkeypatch):
    """The house numbers and customers of a street's locations, and the customers of a family
    name's sound in a postal code, come from the indexes (INCLUDE): no table row is read to
    compare a house number or to find the customer."""
    tenant = TenantFactory()
    # Enough customers in enough postal codes, streets and families, and the statistics, for
    # the plan a real tenant gets.
    words = [a + b for a in "bdfgklmnprstwz" for b in "aeiou"]  # 70 syllables
    customers = [
        Customer(tenant=tenant, name=f"Anna {words[n % 70].title()}{words[n // 70 % 70]}")
        for n in range(3000)
    ]
    for customer in customers:
        customer_prepare(customer=customer)
    Customer.objects.bulk_create(customers)
    locations = [
        Location(
            tenant=tenant,
            customer=c,
            street=f"{words[n * 7 % 70].title()}{words[n % 13]}straße {n % 30 + 1}",
            postal_code=f"{45100 + n % 40}",
            city="Essen",
        )
        for n, c in enumerate(customers)
    ]
    for location in locations:
        location_prepare(location=location)
    Location.objects.bulk_create(locations)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer, customers_location")
    lookup, params = _candidate_statement(
        monkeypatch,
        tenant,
        Party.of(name="Anna Bebe", street="Bebastraße 12", postal_code="45127", person=True),
    )

    with psycopg.RawCursor(connection.connection) as cursor:  # bound on the server, as streamed
        cursor.execute(f"EXPLAIN {lookup}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using customers_location_address on customers_location l" in plan
    assert "Index Only Scan using customers_location_family on customers_location l" in plan


def test_a_candidate_is_shown_by_name_without_making_its_instance():
    """A batch names the candidates it shows (`details`) from their rows; it makes an instance
    only of a customer it links or changes, whose planned change the name then shows."""
    tenant = TenantFactory()
    stored = _customer(tenant, "Nordsee Feinkost GmbH", postal_code="45127")
    made = {}

    found = customer_candidates(
        tenant=tenant,
        parties={0: Party.of(name="Nordsee Feinkost", postal_code="45127")},
        instances=made,
    )

    assert stored.pk in found.customers
    assert found.customers.value(stored.pk, "name") == "Nordsee Feinkost GmbH"
    assert made == {}
    customer = found.customers[stored.pk]
    assert made == {stored.pk: customer}
    customer.name = "Nordsee Feinkost Essen GmbH"
    assert found.customers.value(stored.pk, "name") == "Nordsee Feinkost Essen GmbH"


@pytest.mark.parametrize("model", [Location, Contact], ids=lambda m: m.__name__)
def test_the_records_of_customers_are_the_tenants_in_the_models_order(model):
    tenant, stranger = TenantFactory(), TenantFactory()
    factory = {Location: LocationFactory, Contact: ContactFactory}[model]
    customers = [CustomerFactory(tenant=tenant) for _ in range(3)]
    for customer in customers:
        for name in ("Zeil", "Anna", "Berg"):
            field = {Location: "name", Contact: "last_name"}[model]
            factory(tenant=tenant, customer=customer, **{field: name})
    factory(tenant=stranger, customer=CustomerFactory(tenant=stranger))
    wanted = [customers[0].pk, customers[2].pk]

    def read(ids):
        with CaptureQueriesContext(connection) as captured:
            records = records_of_customers(tenant=tenant, model=model, customer_ids=ids)
        return records, captured.captured_queries[0]["sql"]

    records, statement = read(wanted)
    assert records == list(model.objects.filter(customer__in=wanted))  # the model's order
    assert [r.customer_id for r in records] == sorted(wanted * 3)
    # Another tenant's ids find nothing; the statement is the same for any number of ids.
    others, other_statement = read([c.pk for c in Customer.objects.filter(tenant=stranger)])
    assert others == []
    assert other_statement == statement


def test_candidate_rows_out_of_item_order_are_refused(monkeypatch):
    """Items are decided as the rows of a later item arrive (`read`): a row of an earlier item
    after that would be a candidate its item never saw, so the batch fails instead."""
    tenant = TenantFactory()
    anna, jonas = (_customer(tenant, name, postal_code="45127") for name in ("Anna", "Jonas"))
    parties = {0: Party.of(name="Anna", postal_code="45127")}
    parties[1] = Party.of(name="Jonas", postal_code="45127")
    rows = list(selectors._candidate_rows(tenant, parties, NO_FREQUENCIES))
    assert [row[:2] for row in rows] == [(0, anna.pk), (1, jonas.pk)]  # as PostgreSQL sends them
    monkeypatch.setattr(selectors, "_candidate_rows", lambda *_: (row for row in rows[::-1]))

    with pytest.raises(RuntimeError, match="out of item order"):
        customer_candidates(tenant=tenant, parties=parties)


# --- namesakes beyond review (search_keys.namesakes_beyond_review) ---------------------------

# A person sent with a full address; namesakes are stored elsewhere (NamesakeCase).
SENT = {"street": "Bergstraße 4", "postal_code": "80331", "city": "München"}


def _namesake(tenant, *addresses, name="Anna Weber", email=""):
    return person_customer(tenant, name, *addresses, email=email, person=True)


def _found(tenant, frequencies=NO_FREQUENCIES, **sent) -> set[int]:
    party = Party.of(name="Anna Weber", person=True, **{**SENT, **sent})
    found = customer_candidates(tenant=tenant, parties={0: party}, frequencies=frequencies)
    return set(found.parties_by_index.get(0, {}))


ELSEWHERE = ("Zeil 3", "60313", "Frankfurt", "DE")


def test_a_common_namesake_at_another_address_is_left_out():
    """Found by its name alone, compared at an address that differs: with so common a name its
    odds stay below a reviewer's look wherever it lives, so it is not read (it would only be
    left unscored: decision._unscored)."""
    tenant = TenantFactory()
    _namesake(tenant, ELSEWHERE)
    _namesake(tenant, ELSEWHERE, name="Weber Anna")  # another word order

    assert _found(tenant) == set()


@pytest.mark.parametrize(
    ("addresses", "contact", "sent"),
    [
        # The same house number (another street): maybe the same address.
        ([("Zeil 4", "60313", "Frankfurt", "DE")], {}, {}),
        # An address of its that is not compared: no street, or no postal code.
        ([ELSEWHERE, ("", "60313", "Frankfurt", "DE")], {}, {}),
        ([("Zeil 3", "", "Frankfurt", "DE")], {}, {}),
        # No location at all.
        ([], {}, {}),
        # The same e-mail, as normalized: "ß" has no upper case of its own, so the e-mail lookup
        # (upper case on both sides) does not find it.
        ([ELSEWHERE], {"email": "Anna.Weiß@example.com"}, {"email": "anna.weiß@example.com"}),
        # The party sent without a street: the address is not compared.
        ([ELSEWHERE], {}, {"street": ""}),
    ],
)
def test_a_namesake_that_may_matter_is_still_read(addresses, contact, sent):
    tenant = TenantFactory()
    namesake = _namesake(tenant, *addresses, **contact)

    assert _found(tenant, **sent) == {namesake.pk}


def test_a_namesake_whose_name_may_lose_a_site_is_still_read():
    tenant = TenantFactory()
    namesake = _namesake(tenant, ELSEWHERE, name="Weber, Anna")  # no person words stored

    assert _found(tenant) == {namesake.pk}


def test_a_rare_namesake_at_another_address_is_still_read():
    """A name this rare is worth a reviewer's look anywhere: the customer may have moved."""
    tenant = TenantFactory()
    namesake = _namesake(tenant, ELSEWHERE)
    rare = NameFrequencies(persons=100_000, words={"anna": 1, "weber": 1})

    assert _found(tenant, rare) == {namesake.pk}


def test_leaving_candidates_out_changes_no_decision(monkeypatch):
    """On the person benchmark's generated households, namesakes and moves: every candidate the
    statement leaves out (namesakes beyond review, relatives whose given names cannot agree) is
    one the matcher leaves unscored, and each record's decision is the same as with every
    candidate read."""
    generator = PersonGenerator(SEED)
    entities = generator.population(1_500)
    records = PersonIncoming(generator, entities).build(400)
    tenant = matching_quality.seed(entities, "namesakes").tenant
    name_frequencies_refresh(tenant=tenant)
    counted = name_frequencies(tenant=tenant)
    # The same shares among a hundred times the customers (the benchmark's 100,000 and more):
    # the odds a common name gives are then below a reviewer's look at another address.
    frequencies = NameFrequencies(
        persons=counted.persons * 100,
        **{
            kind: {value: count * 100 for value, count in getattr(counted, kind).items()}
            for kind in ("words", "keys", "postal_codes")
        },
    )
    parties = {n: incoming_party(r.customer, r.location) for n, r in enumerate(records)}

    read = customer_candidates(tenant=tenant, parties=parties, frequencies=frequencies)
    monkeypatch.setattr(selectors, "namesakes_beyond_review", lambda *_: "")
    monkeypatch.setattr(selectors, "given_initials", lambda *_: ("", ""))
    every = customer_candidates(tenant=tenant, parties=parties, frequencies=frequencies)

    left_out = [
        (n, pk)
        for n, candidates in every.parties_by_index.items()
        for pk in candidates
        if pk not in read.parties_by_index.get(n, {})
    ]
    namesakes = [
        (n, pk)
        for n, pk in left_out
        if sorted(every.parties_by_index[n][pk][0].name.split()) == sorted(parties[n].name.split())
    ]
    assert len(namesakes) > 20  # namesakes beyond review
    assert len(left_out) - len(namesakes) > 20  # relatives whose given names cannot agree
    for n, pk in left_out:
        assert _unscored(parties[n], every.parties_by_index[n][pk], frequencies, beyond=True)
    for n, party in parties.items():
        decisions = [
            decide(party, found.parties_by_index.get(n, {}), threshold=0.92, margin=0.05,
                   frequencies=frequencies).as_json()
            for found in (read, every)
        ]  # fmt: skip
        assert decisions[0] == decisions[1]


# --- relatives whose given names cannot agree (evidence.given_initials) ----------------------

RELATIVE_SENT = {"street": "Hachestraße 12", "postal_code": "45127", "city": "Essen"}


def _relatives_found(tenant, name="Anna Müller", **sent) -> set[int]:
    party = Party.of(name=name, person=True, **{**RELATIVE_SENT, **sent})
    found = customer_candidates(tenant=tenant, parties={0: party})
    return set(found.parties_by_index.get(0, {}))


def test_a_relative_in_the_postal_code_whose_given_name_cannot_agree_is_left_out():
    """Found by the family name's sound in the postal code, at another house: Peter is not Anna
    in any spelling, short form or scan, so it is not read (decision._unscored)."""
    tenant = TenantFactory()
    _namesake(tenant, ("Kantstraße 5", "45127", "Essen", "DE"), name="Peter Müller")

    assert _relatives_found(tenant) == set()


@pytest.mark.parametrize(
    ("stored", "street", "sent"),
    [
        ("Peter Müller", "Kantstraße 12", {}),  # the same house number: maybe the same house
        ("Johann Müller", "Kantstraße 5", {"name": "Hans Müller"}),  # a short form
        ("Müller Anna", "Kantstraße 5", {}),  # the family name first
        ("Müller", "Kantstraße 5", {}),  # no given name to compare
        ("Peter Müller jun.", "Kantstraße 5", {}),  # a generation: compared by the matcher
        ("Peter Müller", "Kantstraße 5", {"name": "Müller"}),  # the party has no given name
    ],
)
def test_a_relative_that_may_matter_is_still_read(stored, street, sent):
    tenant = TenantFactory()
    relative = _namesake(tenant, (street, "45127", "Essen", "DE"), name=stored)

    assert _relatives_found(tenant, **sent) == {relative.pk}


def test_a_relative_with_the_same_phone_is_still_read():
    tenant = TenantFactory()
    address = ("Kantstraße 5", "45127", "Essen", "DE")
    relative = person_customer(tenant, "Peter Müller", address, person=True, phone="0201 123456")

    assert _relatives_found(tenant, phone="+49 201 123456") == {relative.pk}
