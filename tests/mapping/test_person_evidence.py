"""Private persons by evidence weighted by rarity (mapping.matching.evidence): each rule that lets
a person link, next to the near miss that must stay in review or be created (relatives at one
address, namesakes, flats in one building)."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.choices import CustomerType
from customers.normalization import GENERATIONS
from customers.phonetics import koelner
from mapping.choices import FrequencyKind
from mapping.matching import Party, decide, evidence
from mapping.matching.evidence import NameFrequencies, family_level, given_level, out_of_reach
from mapping.matching.given_names import VARIANT_GROUPS, given_name_variants
from mapping.matching.names import slip_of
from mapping.models import NameFrequency
from mapping.selectors import name_frequencies
from mapping.services import name_frequencies_refresh
from tests.factories import CustomerFactory, LocationFactory, TenantFactory
from tests.mapping.test_name_address_rules import _customer, _linked, _map, _review

# A tenant of 2,000 households: Müller, Schmidt, Thomas common; Eichhorst, Jonas rare.
TENANT = NameFrequencies(
    persons=2000,
    words={"mueller": 70, "schmidt": 60, "thomas": 50, "anna": 40, "meier": 30, "mayer": 25,
           "koch": 30, "jan": 12, "jana": 10, "jonas": 4, "julia": 20, "eichhorst": 1,
           "johann": 8, "hans": 15, "robert": 12, "smith": 40},
    keys={"67": 80},
    postal_codes={"45127": 40, "45128": 35},
)  # fmt: skip
HOME = ("Hachestraße 12", "45127", "Essen")


def _at(name, street=HOME[0], postal_code=HOME[1], city=HOME[2], **extra):
    return Party.of(
        name=name, street=street, postal_code=postal_code, city=city, person=True, **extra
    )


def _decide(incoming, *existing):
    candidates = {n: [party] for n, party in enumerate(existing, start=1)}
    return decide(incoming, candidates, threshold=0.92, margin=0.08, frequencies=TENANT)


# --- the pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "key"),
    [("Müller-Lüdenscheidt", "65752682"), ("Wikipedia", "3412"), ("Breschnew", "17863"),
     ("Meier", "67"), ("Mayer", "67"), ("Schmidt", "862"), ("Schmitt", "862"), ("Smyth", "862"),
     ("Xaver", "4837"), ("", "")],
)  # fmt: skip
def test_koelner_phonetik(word, key):
    assert koelner(word) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [("jan", "jana"), ("paul", "paula"), ("christine", "christina"), ("daniel", "daniela"),
     ("michael", "michaela"), ("martin", "martina"), ("andreas", "andrea"),
     ("stefan", "stefanie"), ("christian", "christiane"), ("john", "jack"), ("lena", "magdalena")],
)  # fmt: skip
def test_relatives_names_are_no_variants_of_one_another(a, b):
    """Names a family has side by side are never in one variant group."""
    assert not any(a in group and b in group for group in VARIANT_GROUPS)


@pytest.mark.parametrize(
    ("incoming", "candidate", "level"),
    [
        ("hans", "johann", "variant"), ("bob", "robert", "variant"), ("bill", "william", "variant"),
        ("kathrin", "katharina", "variant"), ("matilde", "mathilde", "phonetic"),
        ("rafael", "raphael", "phonetic"), ("j", "jonas", "initial"),
        ("jnoas", "jonas", "typo"),  # not a name: a typo
        ("jana", "jan", "different"), ("hanna", "anna", "different"), ("mario", "maria", "near"),
        ("anja", "anna", "near"),  # a name of its own, a slip away: a relative, or a typo
    ],
)  # fmt: skip
def test_given_name_levels(incoming, candidate, level):
    frequencies = NameFrequencies(persons=100, words={"anja": 1, "jana": 1, "mario": 1})
    got = given_level(incoming, candidate, frequencies)
    # "near" and "different" both keep the name from agreeing; the end differs either way
    assert got == level or {got, level} == {"near", "different"}


@pytest.mark.parametrize(
    ("incoming", "candidate", "level"),
    [("mayer", "meier", "phonetic"), ("schmitt", "schmidt", "phonetic"),
     ("wagnre", "wagner", "typo"), ("jories", "jones", "typo"),  # a scanner's "ri"
     ("muller", "mueller", "exact"), ("wagner", "weber", "different")],
)  # fmt: skip
def test_family_name_levels(incoming, candidate, level):
    assert family_level(incoming, candidate) == level


# --- each rule's link next to its near miss ----------------------------------------------------


def test_a_short_form_of_the_given_name_links_another_given_name_does_not():
    johann = _at("Johann Eichhorst")

    assert _decide(_at("Hans Eichhorst"), johann).link == 1
    # his wife at the same address: another person, created, not even a review
    assert _decide(_at("Julia Eichhorst"), johann).candidates == []


def test_a_phonetic_family_name_at_the_address_links_in_the_postal_code_it_does_not():
    meier = _at("Jonas Meier")

    linked = _decide(
        _at("Jonas Mayer", email="j@posteo.de"), _at("Jonas Meier", email="j@posteo.de")
    )
    assert linked.link == 1
    # Jonas Mayer in the next building is another man: Mayer is a family of its own here
    elsewhere = _at("Jonas Mayer", "Hachestraße 20")
    assert _decide(elsewhere, meier).link is None


def test_given_and_family_name_swapped_link_a_relative_swapped_does_not():
    jonas = _at("Jonas Eichhorst")

    assert _decide(_at("Eichhorst, Jonas"), jonas).link == 1
    jan = _at("Jan Eichhorst")
    # a letter apart at the end: his daughter, or "Jan" mistyped: a person decides
    jana = _decide(_at("Eichhorst, Jana"), jan)
    assert jana.link is None
    assert jana.ambiguous


def test_an_initial_links_the_one_person_of_the_household_it_fits_not_two():
    jonas = _at("Jonas Eichhorst", phone="0171 3664294")
    julia = _at("Julia Eichhorst")

    assert _decide(_at("J. Eichhorst", phone="+49 171 3664294"), jonas).link == 1
    # two members of the household with that initial: a person decides
    both = _decide(_at("J. Eichhorst"), jonas, julia)
    assert both.link is None
    assert both.ambiguous


def test_a_rare_name_links_in_a_block_of_flats_a_common_one_stays_in_review():
    """The same address says less where eight households live: a rare name still carries the
    link, "Thomas Schmidt" needs an e-mail or phone as well."""
    flats = [_at(f"Anna Koch{n}") for n in range(7)]

    assert _decide(_at("Jonas Eichhorst"), _at("Jonas Eichhorst"), *flats).link == 1
    common = _decide(_at("Thomas Schmidt"), _at("Thomas Schmidt"), *flats)
    assert common.link is None
    assert common.ambiguous


def test_relatives_at_one_address_are_never_linked_even_with_the_household_landline():
    jan = _at("Jan Koch", phone="0201 123456")

    for relative in ("Jana Koch", "Anna Koch", "Thomas Koch", "Koch, Jana"):
        assert _decide(_at(relative, phone="0201 123456"), jan).link is None
    assert _decide(_at("Jan Koch", phone="0201 123456"), jan).link == 1


def test_father_and_son_of_one_name_are_told_apart_by_sen_and_jun():
    senior = _at("Thomas Müller sen.")

    assert _decide(_at("Thomas Müller jun."), senior).link is None
    assert _decide(_at("Thomas Müller sen."), senior).link == 1


def test_a_rare_namesake_in_the_city_is_reviewed_a_common_one_is_created():
    assert _decide(_at("Jonas Eichhorst", "Kantstraße 3"), _at("Jonas Eichhorst")).ambiguous
    common = _decide(_at("Thomas Müller", "Kantstraße 3", "80331", "München"), _at("Thomas Müller"))
    assert common.candidates == []


def test_a_person_who_moved_links_by_the_same_email_a_namesake_without_it_does_not():
    original = _at("Thomas Müller", email="t.mueller@posteo.de")

    moved = _at("Thomas Müller", "Leopoldstraße 3", "80331", "München", email="T.Mueller@posteo.de")
    assert _decide(moved, original).link == 1
    assert (
        _decide(_at("Thomas Müller", "Leopoldstraße 3", "80331", "München"), original).link is None
    )


def test_every_decision_shows_its_bits():
    details = _decide(_at("Hans Eichhorst"), _at("Johann Eichhorst")).as_json()

    evidence = details["candidates"][0]["evidence"]
    assert evidence["givenName"]["level"] == "variant"
    assert evidence["familyName"]["level"] == "exact"
    assert evidence["address"]["level"] == "sameAddress"
    parts = ("familyName", "givenName", "address", "email", "phone")
    total = evidence["prior"] + sum(evidence[p]["bits"] for p in parts)
    assert evidence["logOdds"] == pytest.approx(total, abs=0.05)
    assert details["matcherVersion"] == "name-address/6"


# --- the counts: per tenant, recounted ---------------------------------------------------------


@pytest.mark.django_db
def test_name_frequencies_are_counted_per_tenant_and_read_once_per_counting(
    django_assert_num_queries,
):
    tenant, other = TenantFactory(), TenantFactory()
    for name in ("Anna Meier", "Jonas Meier", "Anna Mayer"):
        customer = CustomerFactory(tenant=tenant, name=name, type=CustomerType.PRIVATE)
        LocationFactory(tenant=tenant, customer=customer, postal_code="45127", country="DE")
    CustomerFactory(tenant=tenant, name="Meier Haustechnik GmbH", type=CustomerType.BUSINESS)
    CustomerFactory(tenant=other, name="Anna Meier", type=CustomerType.PRIVATE)

    assert name_frequencies_refresh(tenant=tenant) == 3

    counted = name_frequencies(tenant=tenant)
    assert counted.persons == 3
    assert counted.words == {"anna": 2, "meier": 2, "jonas": 1, "mayer": 1}
    assert counted.keys["67"] == 3  # Meier and Mayer sound alike
    assert counted.postal_codes == {"45127": 3}
    assert name_frequencies(tenant=other).persons == 0
    # The counting is still the current one: only that is checked, the counts are kept.
    with django_assert_num_queries(1):
        assert name_frequencies(tenant=tenant) is counted
    # Recounting replaces the counts, and the next batch reads the new ones.
    CustomerFactory(tenant=tenant, name="Jonas Meier", type=CustomerType.PRIVATE)
    name_frequencies_refresh(tenant=tenant)
    assert NameFrequency.objects.for_tenant(tenant).filter(kind=FrequencyKind.PERSONS).count() == 1
    recounted = name_frequencies(tenant=tenant)
    assert (recounted.persons, recounted.words["jonas"]) == (4, 2)


@pytest.mark.django_db
def test_through_the_engine_a_nickname_links_and_the_spouse_is_created():
    tenant = TenantFactory()
    home = ("Hachestraße 12", "45127", "Essen", "DE")
    johann = _customer(tenant, "Johann Eichhorst", home, person=True)
    for n in range(30):  # a tenant with some customers to count
        _customer(tenant, f"Petra Müller{n}", (f"Kantstraße {n}", "45128", "Essen", "DE"),
                  person=True)  # fmt: skip
    name_frequencies_refresh(tenant=tenant)

    assert _linked(_map(tenant, "Hans Eichhorst", *home[:3], person=True), johann)
    spouse = _map(tenant, "Julia Eichhorst", *home[:3], person=True)
    assert not _review(spouse)
    assert spouse.customer is not None
    assert spouse.customer.pk != johann.pk


def test_a_relative_elsewhere_is_not_scored_and_the_decision_stays_the_same():
    """Candidates that can be neither linked, reviewed nor share the address, e-mail or phone are
    left unscored (speed); the decision is the one the scores would give."""
    thomas = _at("Thomas Müller", "Kantstraße 3", phone="0171 3664294")
    julia = _at("Julia Müller", "Kantstraße 5")
    incoming = _at("Thomas Müller", "Kantstraße 3")

    assert out_of_reach(incoming, julia, TENANT)  # another given name, another house
    assert not out_of_reach(incoming, thomas, TENANT)  # the name agrees
    assert not out_of_reach(_at("Julia Müller", "Kantstraße 3"), thomas, TENANT)  # same house
    phone = _at("Julia Müller", "Zeil 1", "60313", "Frankfurt", phone="+49 171 3664294")
    assert not out_of_reach(phone, thomas, TENANT)  # the same mobile: worth a look
    decision = _decide(incoming, thomas, julia)
    assert decision.link == 1
    assert [c.record_id for c in decision.candidates] == [1]


# --- the initials the candidate search compares (evidence.given_initials) ----------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz0"
_STARTS = ["ph", "ch", "ck", "qu", "th", "y", "rn", "ri", "cl", "ii", "vv", "0", "c", "p", "r"]
_word = st.builds(
    lambda start, rest: (start + rest)[:12],
    st.sampled_from(["", *_STARTS]),
    st.text(alphabet=_LETTERS, min_size=1, max_size=8),
)


@given(_word)
def test_a_words_read_first_letters_are_listed_by_its_own(word):
    """`_spelled` and `_ocr_folded` change a word's first letter only as _FIRST_LETTER_READ
    says: the candidate search compares first letters as stored."""
    read = {evidence._spelled(word)[:1], evidence._ocr_folded(word)[:1]}
    assert read <= {word[0], *evidence._FIRST_LETTER_READ.get(word[0], "")}


_NAMES = sorted(
    {name for group in VARIANT_GROUPS for name in group}
    | {"anna", "hanna", "jan", "jana", "klara", "clara", "christoph", "kristof", "rnaria", "maria"}
)
_name_word = st.sampled_from(_NAMES) | _word


def _sql_keeps(incoming: Party, words: tuple[str, ...]) -> bool:
    """The candidate statement's test of a relative's given names (mapping.sql), in Python: kept
    unless its initials meet none of `given_initials`."""
    written, swapped = evidence.given_initials(incoming)
    if not written or len(words) < 2 or not GENERATIONS.isdisjoint(words):
        return True
    as_written, family_first = {w[0] for w in words[:-1]}, {w[0] for w in words[1:]}
    return bool(as_written & set(written) or family_first & set(swapped))


@given(st.lists(_name_word, min_size=1, max_size=3), st.lists(_name_word, min_size=1, max_size=3))
def test_given_names_that_may_agree_are_never_left_out_by_their_initials(incoming, candidate):
    """Whatever the two names: where their given names may agree (`_given_names_differ` False),
    the candidate statement keeps the candidate."""
    a = Party.of(name=" ".join(incoming), person=True)
    b = Party.of(name=" ".join(candidate), person=True)
    if not evidence._given_names_differ(a, b):
        assert _sql_keeps(a, b.person_words)


@given(_name_word, _name_word)
def test_given_names_of_no_common_class_are_a_letter_apart_or_different(a, b):
    """`_given_level` decides such a pair by its distance alone: no variant, sound or slip can
    hold between names whose classes (`_given_name_classes`) share nothing."""
    if (
        len(a) > 1
        and len(b) > 1
        and evidence._given_name_classes(a).isdisjoint(evidence._given_name_classes(b))
    ):
        assert not given_name_variants(a, b)
        assert evidence._spelled(a) != evidence._spelled(b)
        assert not slip_of(a, b)
        assert not slip_of(evidence._ocr_folded(a), evidence._ocr_folded(b))
        assert evidence._given_level(a, b) in ("near", "different")


@given(_name_word, _name_word)
def test_family_names_of_another_first_letter_read_swapped_differ(a, b):
    """`_compare_words` takes such a reading's family names as different without comparing
    them: read with its ends fixed, no spelling, sound or typo changes a first letter."""
    if a[0] != b[0]:
        assert evidence._family(a, b, TENANT, True) == evidence._FAMILY_DIFFERS


def _compared_plainly(wi, wc, f):
    """`_compare_words` as it reads: every reading weighed, the best sum kept (the first at a
    tie)."""
    best = None
    for (gi, fi), (gc, fc), swapped in evidence._weighed_readings(wi, wc):
        family, given = evidence._family(fi, fc, f, swapped), evidence._given(gi, gc, f, False)
        if best is None or family.bits + given.bits > best[0]:
            best = (family.bits + given.bits, family, given, swapped)
    return best[1], best[2], best[3], evidence._generations_differ(wi, wc)


@given(st.lists(_name_word, min_size=1, max_size=3), st.lists(_name_word, min_size=1, max_size=3))
def test_names_compared_with_shortcuts_as_with_every_reading_weighed(incoming, candidate):
    """`_compare_words` skips swapped readings that cannot win: the same reading results."""
    wi, wc = tuple(incoming), tuple(candidate)
    assert evidence._compare_words(wi, wc, TENANT, False) == _compared_plainly(wi, wc, TENANT)


def test_initials_leave_out_a_relative_and_keep_a_short_form():
    anna = Party.of(name="Anna Müller", person=True)
    hans = Party.of(name="Hans Müller", person=True)

    assert not _sql_keeps(anna, ("peter", "mueller"))
    assert _sql_keeps(hans, ("johann", "mueller"))  # a variant
    assert _sql_keeps(anna, ("mueller", "anna"))  # the family name first
    assert _sql_keeps(anna, ("peter", "mueller", "jun"))  # a generation: not compared here


@given(
    st.lists(_name_word, min_size=1, max_size=4),
    st.dictionaries(st.sampled_from(_NAMES), st.integers(1, 5_000), max_size=30),
    st.integers(1_000, 2_000_000),
)
def test_namesakes_bounded_beyond_review_are_so_in_every_order(words, counts, persons):
    """The bound `namesakes_beyond_review` takes holds for every reading the matcher weighs: a
    namesake it leaves out is beyond a reviewer's look at an address that differs (`reach`)."""
    frequencies = NameFrequencies(persons=persons, words=counts)
    incoming = Party.of(name=" ".join(words), street="Kantstraße 3", postal_code="45127",
                        city="Essen", person=True)  # fmt: skip
    if evidence.namesakes_beyond_review(incoming, frequencies):
        for order in itertools.permutations(incoming.person_words):
            namesake = Party.of(name=" ".join(order), street="Zeil 5", postal_code="45128",
                                city="Essen", person=True)  # fmt: skip
            assert evidence.reach(incoming, namesake, frequencies)[1]


_ELSEWHERE = [
    ("Kantstraße 5", "45127", "Essen"),
    ("Zeil 5", "45128", "Essen"),
    ("Zeil 5", "60311", "Frankfurt"),
    ("Zeil 5", "", "Essen"),
    ("", "45127", "Essen"),
]


@given(
    st.lists(_name_word, min_size=1, max_size=3),
    st.lists(_name_word, min_size=1, max_size=4),
    st.dictionaries(st.sampled_from(_NAMES), st.integers(1, 5_000), max_size=30),
    st.integers(1_000, 2_000_000),
    st.sampled_from(_ELSEWHERE),
)
def test_any_names_bounded_beyond_review_by_their_worth_are_so_when_weighed(
    incoming_words, candidate_words, counts, persons, address
):
    """`reach` by the names' worth (the candidate's two best words) only says what comparing the
    names says, whatever the incoming name: a typo, a variant, an initial or a swap never
    agrees by more than the words are worth."""
    frequencies = NameFrequencies(persons=persons, words=counts)
    incoming = Party.of(name=" ".join(incoming_words), street="Kantstraße 3", postal_code="45127",
                        city="Essen", person=True)  # fmt: skip
    street, postal_code, city = address
    candidate = Party.of(name=" ".join(candidate_words), street=street, postal_code=postal_code,
                         city=city, person=True)  # fmt: skip
    if evidence.reach(incoming, candidate, frequencies, by_worth=True) == (None, True):
        assert evidence.reach(incoming, candidate, frequencies)[1]


def test_a_common_relative_elsewhere_is_beyond_review_by_its_worth_a_rare_one_is_not():
    counted = NameFrequencies(
        persons=100_000, words={"peter": 2_000, "mueller": 1_500, "jonas": 40, "eichhorst": 1}
    )
    anna = Party.of(name="Anna Müller", street="Kantstraße 3", postal_code="45127", person=True)
    peter = Party.of(name="Peter Müller", street="Zeil 5", postal_code="45128", person=True)
    rare = Party.of(name="Jonas Eichhorst", street="Zeil 5", postal_code="45128", person=True)
    at_home = Party.of(name="Peter Müller", street="Kantstraße 3", postal_code="45127",
                       person=True)  # fmt: skip

    assert evidence.reach(anna, peter, counted, by_worth=True) == (None, True)
    assert evidence.reach(anna, rare, counted, by_worth=True) == (True, True)  # compared
    assert evidence.reach(anna, at_home, counted, by_worth=True) == (False, False)  # the house


def test_decide_leaves_a_common_relative_elsewhere_unscored_without_comparing_names(monkeypatch):
    counted = NameFrequencies(
        persons=100_000, words={"peter": 2_000, "mueller": 1_500, "anna": 1_800}
    )
    anna = Party.of(name="Anna Müller", street="Kantstraße 3", postal_code="45127", person=True)
    peter = Party.of(name="Peter Müller", street="Zeil 5", postal_code="45127", person=True)
    compared = []
    original = evidence.compare_names
    monkeypatch.setattr(
        evidence,
        "compare_names",
        lambda *args, **kw: compared.append(args) or original(*args, **kw),
    )

    decision = decide(anna, {1: [peter]}, threshold=0.92, margin=0.08, frequencies=counted)

    assert (decision.link, decision.candidates, compared) == (None, [], [])


def test_a_common_namesake_is_bounded_beyond_review_a_rare_one_is_not():
    common = Party.of(name="Peter Müller", street="Zeil 5", postal_code="45128", person=True)
    rare = Party.of(name="Jonas Eichhorst", street="Zeil 5", postal_code="45128", person=True)

    counted = NameFrequencies(
        persons=100_000, words={"peter": 2_000, "mueller": 1_500, "jonas": 40, "eichhorst": 1}
    )

    assert evidence.namesakes_beyond_review(common, counted)
    assert not evidence.namesakes_beyond_review(rare, counted)


@given(st.lists(_name_word, min_size=1, max_size=3), st.lists(_name_word, min_size=1, max_size=3))
def test_never_plausible_is_told_by_the_given_names_as_by_the_whole_comparison(incoming, candidate):
    """Its shortcut (given names of no common class, none a letter apart) gives what comparing
    the names gives."""
    a = Party.of(name=" ".join(incoming), person=True)
    b = Party.of(name=" ".join(candidate), person=True)
    family, given, _, _ = evidence.compare_names(a, b, TENANT)
    compared = given.level == "different" or (given.level == "near" and family.level == "different")

    assert evidence.never_plausible(a, b, TENANT) == compared


def test_a_relative_a_letter_apart_at_the_address_is_worth_a_look_another_is_only_counted():
    anna, hanna = _at("Anna Müller", "Kantstraße 3"), _at("Hanna Müller", "Kantstraße 3")
    peter = _at("Peter Müller", "Kantstraße 3")

    assert not evidence.never_plausible(anna, hanna, TENANT)  # "near": maybe Anna mistyped
    assert evidence.never_plausible(anna, peter, TENANT)
