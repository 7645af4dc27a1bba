"""What makes a batch's candidates cheap must not change what is decided: candidates made from
their stored keys (`Party.stored`) are the parties `Party.of` makes, and the candidates `decide`
leaves unscored (`evidence.beyond_review`) change no decision."""

import dataclasses
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.choices import CustomerType
from customers.models import Customer, Location
from customers.normalization import fold
from mapping.matching import Party, decide
from mapping.matching import decision as decision_module
from mapping.matching.evidence import (
    NameFrequencies,
    Shared,
    _given_names_differ,
    beyond_review,
    compare_names,
    never_plausible,
    out_of_reach,
)
from mapping.matching.given_names import VARIANT_GROUPS
from mapping.matching.party import (
    STORED_LENGTH,
    STORED_NUMBER_LENGTH,
    STORED_PHONE_LENGTH,
    StoredCustomer,
)
from mapping.matching.scoring import addresses_compared, person_rescored, plausible, score
from tests.factories import CustomerFactory, LocationFactory

pytestmark = pytest.mark.django_db

NAMES = [
    ("Herr Johann Meier sen.", CustomerType.PRIVATE, "0171 3664294", "j.meier@web.de"),
    ("FitWerk Studios GmbH - Essen", CustomerType.BUSINESS, "+49 (0)201 123456", "Info@FitWerk.de"),
    ("Müller, Anna", CustomerType.PRIVATE, "", ""),
    ("Bäckerei Blum GmbH & Co. KG", "", "030/932723", ""),
]
ADDRESSES = [
    ("Hachestraße 12a", "45127", "Essen", "DE"),
    ("12 Green Ln", "M1 1AE", "Manchester", "GB"),
    ("Kölner Straße 249-253", "1067", "Dresden", "DE"),
    ("", "", "", ""),
    ("Straße des 17. Juni 4 " + "läng" * 44, "10115", "Berlin", "DE"),  # keys cut to 200
]


def test_a_stored_customer_is_the_party_its_fields_make():
    for (name, kind, phone, email), address in itertools.product(NAMES, ADDRESSES):
        customer = CustomerFactory(name=name, type=kind, phone=phone, email=email)
        street, postal_code, city, country = address
        location = LocationFactory(
            customer=customer, street=street, postal_code=postal_code, city=city, country=country
        )
        location = Location.objects.get(pk=location.pk)
        stored = StoredCustomer(
            name=customer.name,
            normalized_name=customer.normalized_name,
            written=tuple(fold(customer.name).split()),
            email=customer.email,
            phone=customer.phone,
            phone_key=customer.phone_key,
            person=kind == CustomerType.PRIVATE,
        )
        row = (street, postal_code, city, country, location.street_name,
               location.house_number, location.street_written)  # fmt: skip
        expected = Party.of(
            name=name, street=street, postal_code=postal_code, city=city, email=email,
            phone=phone, person=kind == CustomerType.PRIVATE, country=country,
        )  # fmt: skip
        assert Party.stored(stored, row) == expected, (name, address)
        assert _derived(Party.stored(stored, row)) == _derived(expected), (name, address)
        assert Party.stored(stored, None) == Party.of(
            name=name, email=email, phone=phone, person=kind == CustomerType.PRIVATE
        )


def _derived(party: Party) -> tuple:
    """What a party derives from its fields when first read (not compared by `==`)."""
    return party.name_key, party.name_numbers, party.email_domain


@pytest.mark.parametrize(
    ("name", "email", "derived"),
    [
        ("Weber, Anna", "anna.weber@web.de", ("anna weber", (), "")),
        ("Hörgeräte Kühn GmbH", "Info@Kuehn.de", ("horgerate kuhn", (), "kuehn.de")),
        ("Studio 11 Block 2", "", ("11 2 block studio", ("11", "2"), "")),
    ],
)  # fmt: skip
def test_a_party_derives_its_name_key_numbers_and_mail_domain(name, email, derived):
    assert _derived(Party.of(name=name, email=email)) == derived


def test_a_candidate_left_unscored_derives_nothing_only_scoring_reads():
    """Most candidates of a batch are left unscored: what only scoring reads is not made for
    them."""
    incoming = _person("Peter Müller", "Hachestraße 12", "45127", "Essen")
    namesake = _person("Peter Müller", "Zeil 3", "60313", "Frankfurt")
    relative = _person("Anna Müller", "Zeil 3", "60313", "Frankfurt")
    decide(incoming, {1: [namesake], 2: [relative]}, threshold=0.92, margin=0.08,
           frequencies=FREQUENCIES)  # fmt: skip
    for candidate in (namesake, relative):
        assert not {"name_key", "name_numbers", "email_domain"} & set(vars(candidate))


FREQUENCIES = NameFrequencies(
    persons=5000,
    words={"peter": 90, "mueller": 120, "anna": 60, "eichhorst": 1, "meier": 40, "hans": 30},
    keys={"657": 130},
    postal_codes={"45127": 40},
)
STREETS = ["Hachestraße 12", "Hachestraße 14", "Kantstraße 3", "", "Zeil 12"]
PLACES = [("45127", "Essen"), ("45128", "Essen"), ("60313", "Frankfurt"), ("", "Essen")]
PEOPLE = ["Peter Müller", "Anna Müller", "Müller Peter", "Peter Eichhorst", "Hans Meier"]


def _people() -> list[Party]:
    return [
        Party.of(name=name, street=street, postal_code=code, city=city, person=True, phone=phone)
        for name, street, (code, city), phone in itertools.product(
            PEOPLE, STREETS, PLACES, ["", "0171 3664294"]
        )
    ]


def _person(name, street, postal_code, city, phone=""):
    return Party.of(
        name=name, street=street, postal_code=postal_code, city=city, person=True, phone=phone
    )


def test_a_namesake_elsewhere_is_beyond_review_the_same_address_or_phone_is_not():
    at_home = _person("Peter Müller", "Hachestraße 12", "45127", "Essen")
    elsewhere = _person("Peter Müller", "Zeil 3", "60313", "Frankfurt")
    assert beyond_review(at_home, elsewhere, FREQUENCIES)
    assert not beyond_review(at_home, at_home, FREQUENCIES)
    # the same mobile number
    called = _person("Peter Müller", "Zeil 3", "60313", "Frankfurt", phone="0171 3664294")
    calling = _person("Peter Müller", "Hachestraße 12", "45127", "Essen", phone="0171 3664294")
    assert not beyond_review(calling, called, FREQUENCIES)
    # a rare name elsewhere is worth a look
    rare = _person("Peter Eichhorst", "Zeil 3", "60313", "Frankfurt")
    assert not beyond_review(
        _person("Peter Eichhorst", "Hachestraße 12", "45127", "Essen"), rare, FREQUENCIES
    )
    # no street on one side: the postal code may back the name
    assert not beyond_review(_person("Peter Müller", "", "45127", "Essen"), at_home, FREQUENCIES)


def _only_out_of_reach(incoming: Party, parties: list[Party], frequencies, *, beyond) -> bool:
    """`decision._unscored` without the namesakes beyond review: only a private person that
    none of its addresses can make a link, a review or a sharer (`evidence.out_of_reach`)."""
    return all(
        (incoming.person or p.person) and out_of_reach(incoming, p, frequencies) for p in parties
    )


def test_the_candidates_left_unscored_change_no_decision(monkeypatch):
    people = _people()
    left_out = 0
    # A record sent without a type is read as a company, compared with persons by evidence.
    untyped = Party.of(name="Peter Müller", street="Hachestraße 12", postal_code="45127",
                       city="Essen")  # fmt: skip
    for incoming in [*people[::7], untyped]:
        left_out += sum(beyond_review(incoming, p, FREQUENCIES) for p in people)
        candidates = {n: [p] for n, p in enumerate(people, start=1)}
        candidates[0] = [people[3], people[40]]  # a customer at two addresses
        fast = decide(incoming, candidates, threshold=0.92, margin=0.08, frequencies=FREQUENCIES)
        with monkeypatch.context() as m:
            m.setattr(decision_module, "_unscored", _only_out_of_reach)
            m.setattr(decision_module, "_only_counted", lambda *_: False)
            full = decide(
                incoming, candidates, threshold=0.92, margin=0.08, frequencies=FREQUENCIES
            )
        assert fast == full
    assert left_out > 100  # the test compares decisions where candidates were left out


def test_unscored_is_every_address_out_of_reach_or_every_one_beyond_review():
    """`decision._unscored` takes both rules in one pass over a candidate's addresses."""
    people = _people()
    company = Party.of(name="Müller Haustechnik GmbH", street="Hachestraße 12", postal_code="45127")
    checked = 0
    for incoming in [*people[::5], company]:
        for parties in ([p] for p in people[::3]):
            for more in ([], [people[11]], [company]):
                addresses = parties + more
                expected = all(
                    (incoming.person or p.person) and out_of_reach(incoming, p, FREQUENCIES)
                    for p in addresses
                ) or (
                    incoming.person
                    and all(beyond_review(incoming, p, FREQUENCIES) for p in addresses)
                )
                assert (
                    decision_module._unscored(
                        incoming, addresses, FREQUENCIES, beyond=incoming.person
                    )
                    == expected
                )
                checked += expected
    assert checked > 100  # both outcomes were compared


def test_a_namesake_in_another_city_is_beyond_review_in_the_same_city_it_is_not():
    """Another street of the same city weighs -2 bits, another city -4 (`person_evidence`):
    "Anna Müller" is common enough to be a namesake in Frankfurt, not in Essen."""
    incoming = _person("Anna Müller", "Hachestraße 12", "45127", "Essen")
    in_frankfurt = _person("Anna Müller", "Zeil 3", "60313", "Frankfurt")
    in_essen = _person("Anna Müller", "Kantstraße 3", "45128", "Essen")
    assert beyond_review(incoming, in_frankfurt, FREQUENCIES)
    assert not plausible(score(incoming, in_frankfurt, frequencies=FREQUENCIES))
    assert not beyond_review(incoming, in_essen, FREQUENCIES)
    assert plausible(score(incoming, in_essen, frequencies=FREQUENCIES))


def test_the_same_house_number_elsewhere_keeps_no_relative_in_reach():
    """The same house number is the same address only in the same place: a relative with the
    number in another city is out of reach, one at the number in the same street is not."""
    incoming = _person("Anna Müller", "Hachestraße 12", "45127", "Essen")
    assert out_of_reach(incoming, _person("Peter Müller", "Zeil 12", "60313", "Frankfurt"),
                        FREQUENCIES)  # fmt: skip
    at_home = _person("Peter Müller", "Hachestraße 12", "45127", "Essen")
    assert not out_of_reach(incoming, at_home, FREQUENCIES)
    assert score(incoming, at_home, frequencies=FREQUENCIES).signals.same_address


def test_namesakes_beyond_review_are_left_unscored_for_an_incoming_record_without_a_type():
    """A record sent without a type (read as a company) is compared with private customers by
    their evidence too: their namesakes elsewhere change nothing, unless a chain may be linked,
    whose rule counts every namesake (`decision._chain_branches`)."""
    incoming = Party.of(name="Anna Müller", street="Hachestraße 3", postal_code="45127",
                        city="Essen")  # fmt: skip
    namesake = _person("Anna Müller", "Zeil 3", "60313", "Frankfurt")
    assert decision_module._unscored(incoming, [namesake], FREQUENCIES, beyond=True)
    chain = [
        Party.of(name="Anna Müller", street=f"Kantstraße {n}", postal_code="10115", city="Berlin")
        for n in range(1, decision_module.CHAIN_LOCATIONS + 1)
    ]
    candidates = {1: chain, 2: [namesake]}
    assert decision_module._chain_possible(incoming, candidates)
    assert not decision_module._chain_possible(incoming, {2: [namesake]})

    def decided(*, beyond_anyway: bool):
        with pytest.MonkeyPatch.context() as m:
            if beyond_anyway:
                m.setattr(decision_module, "_chain_possible", lambda *_: False)
            return decide(
                incoming, candidates, threshold=0.92, margin=0.08, frequencies=FREQUENCIES
            )

    # Two namesakes: no chain branch; had the person been left out, the chain would be linked.
    assert decided(beyond_anyway=False).link is None
    assert decided(beyond_anyway=True).link == 1


def test_a_person_never_plausible_is_neither_linked_nor_reviewed_whatever_is_shared():
    """`evidence.never_plausible` (another given name, or one a letter apart with another family
    name; no e-mail or phone in common) holds only where no score, with any shared counts, is
    plausible; and the address it is counted by is the one scoring finds."""
    people = _people()
    counted = 0
    for incoming, candidate in itertools.product(people[::3], people[::2]):
        found = score(incoming, candidate, frequencies=FREQUENCIES)
        compared = addresses_compared(incoming, candidate)
        assert compared.same_address == found.signals.same_address
        if never_plausible(incoming, candidate, FREQUENCIES):
            counted += 1
            assert not plausible(found)
            for shared in (Shared(address=3), Shared(address=2, email=2, phone=4)):
                assert not plausible(
                    score(incoming, candidate, frequencies=FREQUENCIES, shared=shared)
                )
    assert counted > 100  # both outcomes were compared


def test_a_relative_a_letter_apart_at_the_address_stays_for_review():
    """Jan and Jana Müller at one address: not `never_plausible` ("near": maybe a slip), and a
    reviewer sees it; Peter and Anna Müller are counted only."""
    jan = _person("Jan Müller", "Hachestraße 12", "45127", "Essen")
    jana = _person("Jana Müller", "Hachestraße 12", "45127", "Essen")
    anna = _person("Anna Müller", "Hachestraße 12", "45127", "Essen")
    assert not never_plausible(jan, jana, FREQUENCIES)
    assert plausible(score(jan, jana, frequencies=FREQUENCIES))
    assert never_plausible(jan, anna, FREQUENCIES)
    same_phone = _person("Anna Müller", "Hachestraße 12", "45127", "Essen", "0171 3664294")
    assert not never_plausible(
        _person("Jan Müller", "Zeil 3", "60313", "Frankfurt", "0171 3664294"), same_phone,
        FREQUENCIES,
    )  # fmt: skip


def test_a_household_counted_only_weighs_the_address_as_when_scored(monkeypatch):
    """Peter Müller's household at his address (Anna and Hans, counted only) makes the address
    say as little as when every member is scored: three customers share it."""
    incoming = _person("Peter Müller", "Hachestraße 12", "45127", "Essen")
    candidates = {
        1: [_person("Peter Müller", "Hachestraße 12", "45127", "Essen")],
        2: [_person("Anna Müller", "Hachestraße 12", "45127", "Essen")],
        3: [_person("Hans Meier", "Hachestraße 12", "45127", "Essen")],
    }
    fast = decide(incoming, candidates, threshold=0.92, margin=0.08, frequencies=FREQUENCIES)
    with monkeypatch.context() as m:
        m.setattr(decision_module, "_only_counted", lambda *_: False)
        full = decide(incoming, candidates, threshold=0.92, margin=0.08, frequencies=FREQUENCIES)
    assert fast == full
    alone = decide(incoming, {1: candidates[1]}, threshold=0.92, margin=0.08,
                   frequencies=FREQUENCIES)  # fmt: skip
    shared_bits = fast.candidates[0].score.signals.evidence.address.bits
    assert shared_bits == pytest.approx(
        alone.candidates[0].score.signals.evidence.address.bits - math.log2(3)
    )


def test_a_persons_score_with_shared_counts_is_its_score_reweighed_with_them():
    """The shared-count rescoring of a single-address person (`scoring.person_rescored`) keeps
    the signals found and weighs the evidence again: the same as scoring it anew."""
    people = _people()
    shared = Shared(address=3, email=2, phone=4)
    for incoming in people[::9]:
        for candidate in people[::4]:
            earlier = score(incoming, candidate, frequencies=FREQUENCIES)
            again = score(incoming, candidate, frequencies=FREQUENCIES, shared=shared)
            assert (
                person_rescored(
                    incoming, candidate, earlier, frequencies=FREQUENCIES, shared=shared
                )
                == again
            )


def test_name_comparisons_are_remembered_per_batch_counts():
    """Comparisons are memoized keyed by the batch's counts: a later batch's counts are read."""
    incoming = _person("Peter Eichhorst", "Hachestraße 12", "45127", "Essen")
    candidate = _person("Peter Eichhorst", "Zeil 3", "60313", "Frankfurt")
    rare = compare_names(incoming, candidate, FREQUENCIES)
    common_counts = NameFrequencies(
        persons=5000, words={**FREQUENCIES.words, "eichhorst": 900}, keys=FREQUENCIES.keys
    )
    common = compare_names(incoming, candidate, common_counts)
    assert rare[0].level == common[0].level == "exact"
    assert rare[0].bits > common[0].bits


def test_the_matcher_knows_the_lengths_of_the_stored_keys_columns():
    """`Party.stored` recomputes a key as long as its column (it may have been cut)."""

    def length(model, name: str) -> int:
        return model._meta.get_field(name).max_length

    assert length(Customer, "normalized_name") == STORED_LENGTH
    assert length(Location, "street_name") == STORED_LENGTH
    assert length(Location, "street_written") == STORED_LENGTH
    assert length(Location, "house_number") == STORED_NUMBER_LENGTH
    assert length(Customer, "phone_key") == STORED_PHONE_LENGTH


def test_a_party_is_made_without_the_frozen_dataclass_init_and_is_the_same():
    party = Party.of(
        name="Müller, Anna",
        street="Hachestraße 12a",
        postal_code="45127",
        city="Essen",
        email="Anna@Web.de",
        phone="0171 3664294",
        person=True,
    )
    fields = {field.name: getattr(party, field.name) for field in dataclasses.fields(Party)}
    assert party == Party(**fields)
    assert hash(party) == hash(Party(**fields))
    with pytest.raises(dataclasses.FrozenInstanceError):
        party.name = "anna weber"
    with pytest.raises(TypeError):
        Party._made({k: v for k, v in fields.items() if k != "written"})


# --- given names that cannot agree: out of reach without weighing the names ----------------------

GIVEN = sorted({"Johann", "Hans", "Christoph", "Kristof", "Clara", "Dara", "Anna", "Hanna",
                "Jan", "Jana", "Stephan", "Stefan", "Olivia", "Harry", "Lena", "Lina", "H.",
                *(name.title() for group in VARIANT_GROUPS[::3] for name in group)})  # fmt: skip
FAMILY = ["Müller", "Mueller", "Meier", "Mayer", "Smith", "Schmidt", "Eichhorst"]


def _slipped(word: str, slip: int, at: int) -> str:
    """The word with one slip: a letter dropped, doubled, swapped with the next, or another."""
    at %= len(word)
    return [
        word,
        word[:at] + word[at + 1 :],
        word[:at] + word[at] + word[at:],
        word[:at] + word[at + 1 : at + 2] + word[at] + word[at + 2 :],
        word[:at] + "rn" + word[at + 1 :],  # as a scanner reads an "m"
    ][slip] or word


_NAME = st.builds(
    lambda given, family, slip, at, order: (
        f"{family}, {_slipped(given, slip, at)}"
        if order == 1
        else f"{family} {given}"
        if order == 2
        else f"{_slipped(given, slip, at)} {family}"
    ),
    st.sampled_from(GIVEN),
    st.sampled_from(FAMILY),
    st.integers(0, 4),
    st.integers(0, 9),
    st.integers(0, 3),
)


@settings(max_examples=600, deadline=None)
@given(incoming=_NAME, candidate=_NAME)
def test_given_names_told_apart_without_weighing_differ_when_weighed(incoming, candidate):
    """Given names told apart without weighing them (`_given_names_differ`, what `never_plausible`
    and `_given_level` decide by without comparing further) are apart when weighed: variants,
    spellings, initials, typos, a scanner's "rn" and swapped names keep a pair in."""
    a = _person(incoming, "Kantstraße 3", "45127", "Essen")
    b = _person(candidate, "Zeil 5", "45127", "Essen")
    if _given_names_differ(a, b):
        _, given_part, _, _ = compare_names(a, b, FREQUENCIES)
        assert given_part.level in ("different", "near")


def test_relatives_given_names_are_told_apart_without_weighing_near_misses_are_not():
    harry = _person("Harry Smith", "Park Rd 74", "45127", "Essen")
    olivia = _person("Olivia Smith", "Queens Rd 12", "45127", "Essen")
    assert _given_names_differ(harry, olivia)
    for near_miss in ("Hans Smith", "H. Smith", "Smith, Harry", "Hary Smith", "Henry Smith"):
        assert not _given_names_differ(_person(near_miss, "Zeil 3", "45127", "Essen"), harry)
    assert not _given_names_differ(  # Johann / Hans: a variant
        _person("Johann Meier", "Zeil 3", "45127", "Essen"),
        _person("Hans Meier", "Kantstraße 3", "45127", "Essen"),
    )
    assert not _given_names_differ(  # Christoph / Kristof: spoken alike
        _person("Christoph Meier", "Zeil 3", "45127", "Essen"),
        _person("Kristof Meier", "Kantstraße 3", "45127", "Essen"),
    )
