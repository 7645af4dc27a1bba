import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping.matching import (
    Party,
    decide,
    fold,
    normalize_name,
    normalize_phone,
    score,
    split_street,
    street_key,
)


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Rhein-Ruhr Medical Supply GmbH", "rhein ruhr medical supply"),
        ("RHEIN RUHR MEDICAL SUPPLY", "rhein ruhr medical supply"),
        ("Rhein-Ruhr Medical Supply GmbH & Co. KG", "rhein ruhr medical supply"),
        ("Müller e.K.", "mueller"),
        ("Mueller", "mueller"),
        ("Kältetechnik Lindner KG", "kaeltetechnik lindner"),
        ("Siemens Aktiengesellschaft", "siemens"),
        ("Meier UG (haftungsbeschränkt)", "meier"),
        ("Café Zoë S.A.", "cafe zoe"),
        ("ACME Ltd.", "acme"),
        ("Foo, Inc.", "foo"),
        ("Gamma B.V.", "gamma"),
        ("Anna Weber", "anna weber"),
    ],
)
def test_names_are_normalized(name, normalized):
    assert normalize_name(name) == normalized


@pytest.mark.parametrize(
    ("street", "parts"),
    [
        ("Hachestraße 12", ("hache str", "12")),
        ("Hachestr. 12", ("hache str", "12")),
        ("Hachestrasse 12", ("hache str", "12")),
        ("Hache Str. 12a", ("hache str", "12a")),
        ("Königsallee 5-7", ("koenigsallee", "5-7")),
        ("12 Main Street", ("main str", "12")),
        ("Straße des 17. Juni 4", ("str des 17 juni", "4")),
    ],
)
def test_streets_split_into_name_and_house_number(street, parts):
    assert split_street(street) == parts


def test_street_spellings_share_one_blocking_key():
    keys = {
        street_key(s) for s in ("Hachestraße 1", "Hachestr. 1", "Hache-Straße 1", "hachestrasse")
    }

    assert keys == {"hachestr"}


def test_phone_numbers_compare_by_their_last_digits():
    assert normalize_phone("+49 201 123456") == normalize_phone("0201/123456")
    assert normalize_phone("12") == ""


@given(st.text(max_size=300))
def test_normalization_never_fails_and_is_idempotent_on_any_text(text):
    normalized = normalize_name(text)

    assert normalized == fold(normalized)
    assert isinstance(split_street(text), tuple)


ORIGINAL = Party.of(
    name="Rhein-Ruhr Medical Supply GmbH",
    street="Hachestraße 12",
    postal_code="45127",
    city="Essen",
)


def test_same_company_with_spelling_variants_scores_high_and_is_corroborated():
    variant = Party.of(
        name="Rhein Ruhr Medical Supply", street="Hachestr. 12", postal_code="45127", city="Essen"
    )

    result = score(variant, ORIGINAL)

    assert result.total >= 0.95
    assert result.corroborated


def test_same_name_at_another_address_is_not_corroborated():
    moved = Party.of(
        name="Rhein-Ruhr Medical Supply GmbH",
        street="Kettwiger Str. 2",
        postal_code="45127",
        city="Essen",
    )

    result = score(moved, ORIGINAL)

    assert not result.corroborated
    assert result.total < 0.92


def test_a_unique_strong_candidate_is_linked():
    incoming = Party.of(
        name="Rhein Ruhr Medical Supply", street="Hachestr. 12", postal_code="45127", city="Essen"
    )
    other = Party.of(name="Berg Retail Group", street="Kortumstr. 45", postal_code="44787")

    decision = decide(incoming, {1: [ORIGINAL], 2: [other]}, threshold=0.92, margin=0.08)

    assert decision.link == 1
    assert not decision.ambiguous
    assert decision.as_json()["matcherVersion"]
    assert decision.as_json()["candidates"][0]["recordId"] == 1


def test_two_equally_good_candidates_are_ambiguous_and_nothing_is_linked():
    twin = Party.of(
        name="Rhein-Ruhr Medical Supply AG",
        street="Hachestraße 12",
        postal_code="45127",
        city="Essen",
    )

    decision = decide(ORIGINAL, {1: [ORIGINAL], 2: [twin]}, threshold=0.92, margin=0.08)

    assert decision.link is None
    assert decision.ambiguous
    assert [c.record_id for c in decision.candidates] == [1, 2]


def test_a_name_only_match_goes_to_review_not_to_a_link():
    name_only = Party.of(name="Rhein-Ruhr Medical Supply GmbH")

    decision = decide(name_only, {1: [ORIGINAL]}, threshold=0.92, margin=0.08)

    assert decision.link is None
    assert decision.ambiguous


def test_nothing_plausible_is_neither_linked_nor_ambiguous():
    stranger = Party.of(
        name="Nordsee Feinkost", street="Rüttenscheider Str. 1", postal_code="45128", city="Essen"
    )

    decision = decide(stranger, {1: [ORIGINAL]}, threshold=0.92, margin=0.08)

    assert decision.link is None
    assert not decision.ambiguous


def test_a_higher_threshold_turns_a_link_into_a_review():
    incoming = Party.of(
        name="Rhein Ruhr Medical Suply", street="Hachestr. 12", postal_code="45127", city="Essen"
    )

    relaxed = decide(incoming, {1: [ORIGINAL]}, threshold=0.9, margin=0.08)
    strict = decide(incoming, {1: [ORIGINAL]}, threshold=0.999, margin=0.08)

    assert relaxed.link == 1
    assert strict.link is None
    assert strict.ambiguous


def _at(name, street="Hachestraße 12", postal_code="45127", city="Essen", **extra):
    return Party.of(name=name, street=street, postal_code=postal_code, city=city, **extra)


@pytest.mark.parametrize(
    ("incoming", "existing"),
    [("Petra Schmidt", "Peter Schmidt"), ("Jana Koch", "Jan Koch"), ("Hanna Weber", "Anna Weber")],
)
def test_a_neighbour_with_another_first_name_is_not_corroborated_by_the_address(incoming, existing):
    result = score(_at(incoming, person=True), _at(existing, person=True))

    assert not result.corroborated


def test_a_person_is_corroborated_by_the_address_whatever_the_word_order_or_umlauts():
    result = score(_at("Müller, Anna", person=True), _at("Anna Muller", person=True))

    assert result.corroborated


@pytest.mark.parametrize(
    ("incoming", "existing"),
    [
        ("Kraus & Partner Rechtsanwälte Service GmbH", "Kraus & Partner Rechtsanwälte PartG mbB"),
        ("Zimmermann Haustechnik GmbH", "Zimmermann Aufzugstechnik GmbH"),
        ("WEG Hauptstraße 7", "WEG Hauptstraße 5"),
    ],
)
def test_another_company_at_the_same_address_is_not_corroborated(incoming, existing):
    result = score(_at(incoming, email="info@x.de"), _at(existing, email="info@x.de"))

    assert not result.corroborated


def test_a_typo_in_one_word_still_corroborates():
    assert score(_at("Schmitd Haustechnik GmvH"), _at("Schmidt Haustechnik GmbH")).corroborated


def test_another_email_of_the_same_customer_costs_nothing():
    with_mail = score(
        _at("Elbe Zahntechnik", email="elbe.zahntechnik@t-online.de"),
        _at("Elbe Zahntechnik e.K.", email="info@elbe-zahntechnik.de"),
    )

    assert with_mail.total == 1.0
    assert with_mail.corroborated


def test_same_name_and_company_mail_domain_link_a_customer_that_moved():
    moved = score(
        _at("Koch Rollladenbau SE", "Schloßstraße 197", "90411", "Nürnberg", email="a@koch.de"),
        _at("Koch Rollladenbau SE", email="info@koch.de"),
    )

    assert moved.corroborated
    assert moved.total >= 0.92


def test_a_site_after_the_name_is_the_same_customer():
    branch = _at("FitWerk Studios GmbH Studio Leipzig", city="Leipzig")

    assert score(branch, _at("FitWerk Studios GmbH", city="Leipzig")).name == 1.0
    assert Party.of(name="Frischemarkt Nord GmbH, Filiale Essen").name == "frischemarkt nord"


def test_a_similar_name_elsewhere_is_not_worth_a_review_but_the_same_name_is():
    jonas = _at("Jonas Schmidt", "Kantstraße 3", "04157", "Leipzig", person=True)

    assert decide(jonas, {1: [_at("Jens Schmidt", person=True)]}, threshold=0.92, margin=0.08) == (
        decide(jonas, {}, threshold=0.92, margin=0.08)
    )
    same = decide(jonas, {1: [_at("Jonas Schmidt", person=True)]}, threshold=0.92, margin=0.08)
    assert same.ambiguous


def test_a_candidate_known_elsewhere_does_not_tie_with_the_real_match():
    munich = _at("Bäckerei Schmidt e.K.", "Leopoldstraße 3", "80331", "München")

    decision = decide(
        _at("Baeckerei Schmidt"),
        {1: [_at("Bäckerei Schmidt GmbH")], 2: [munich]},
        threshold=0.92,
        margin=0.08,
    )

    assert decision.link == 1


@pytest.mark.parametrize(
    "spelling", ["+49 30 932723", "030/932723", "+49 (0)30 932723", "0049 30 932723", "030 932723"]
)
def test_phone_numbers_in_every_usual_spelling_are_one_number(spelling):
    assert normalize_phone(spelling) == "4930932723"


def test_letters_nfkd_does_not_decompose_are_transliterated():
    assert (
        normalize_name("Mehmet Y\u0131lmaz") == normalize_name("MEHMET YILMAZ") == "mehmet yilmaz"
    )
    assert normalize_name("Micha\u0142 Nowak") == "michal nowak"


def test_salutations_and_mistyped_legal_forms_are_dropped():
    assert normalize_name("Herr Dr. Peter Schmidt") == "peter schmidt"
    assert normalize_name("Pflegedienst Maier GmHb") == "pflegedienst maier"
    assert normalize_name("Klinikum Essen gGmbH") == "klinikum essen"


def test_a_german_postal_code_that_lost_its_leading_zero():
    assert Party.of(postal_code="1067", country="DE").postal_code == "01067"
    assert Party.of(postal_code="1010", country="AT").postal_code == "1010"
