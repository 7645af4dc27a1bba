import pytest

from customers.normalization import normalize_name
from mapping.matching import Party, decide, score
from mapping.matching.evidence import NameFrequencies

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


def test_a_decision_is_presented_with_camel_case_signals_in_a_fixed_order():
    # The API's `details` and the review queue's stored candidates: names, order and values.
    incoming = Party.of(
        name="Schmitd Haustechnik GmbH", street="Hauptstr. 5", postal_code="50667", city="Köln"
    )
    existing = Party.of(
        name="Schmidt Haustechnik GmbH", street="Hauptstraße 5", postal_code="50667", city="Köln"
    )

    details = decide(incoming, {7: [existing]}, threshold=0.92, margin=0.08).as_json()

    assert list(details) == ["matcherVersion", "threshold", "margin", "candidates"]
    (candidate,) = details["candidates"]
    assert list(candidate) == ["recordId", "score", "corroborated", "signals"]
    assert candidate["recordId"] == 7
    assert candidate["corroborated"] is True
    assert list(candidate["signals"].items()) == [
        ("name", 0.947),
        ("street", 1.0),
        ("houseNumber", 1.0),
        ("postalCode", 1.0),
        ("city", 1.0),
        ("email", 0.0),
        ("phone", 0.0),
        ("emailDomain", 0.0),
        ("addressCompared", 1.0),
        ("streetCompared", 1.0),
        ("samePlace", 1.0),
        ("sameStreet", 1.0),
        ("sameAddress", 1.0),
        ("exactName", 0.0),
        ("nameAgrees", 1.0),
    ]


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


# A tenant of 2,000 households: Schmidt and Thomas common, Eichhorst and Jonas rare.
TENANT = NameFrequencies(
    persons=2000,
    words={"schmidt": 60, "thomas": 50, "anna": 40, "mueller": 70, "jonas": 4, "eichhorst": 1,
           "monika": 20, "sauer": 3, "birgit": 15, "richter": 12, "sophie": 10, "krause": 8,
           "dieter": 12, "schwarz": 15},
    postal_codes={"44799": 40},
)  # fmt: skip


def test_a_similar_name_elsewhere_is_not_worth_a_review_but_the_same_rare_name_is():
    """The same name at another address is as often a namesake as the customer who moved: a
    reviewer looks only where the name is rare enough (Jonas Eichhorst), not at every Thomas
    Schmidt of the tenant (rarity, mapping.matching.evidence)."""
    rare = _at("Jonas Eichhorst", "Kantstraße 3", "04157", "Leipzig", person=True)
    common = _at("Thomas Schmidt", "Kantstraße 3", "04157", "Leipzig", person=True)

    def decided(incoming, existing):
        return decide(
            incoming, {1: [_at(existing, person=True)]}, threshold=0.92, margin=0.08,
            frequencies=TENANT,
        )  # fmt: skip

    assert decided(rare, "Jens Eichhorst") == decide(rare, {}, threshold=0.92, margin=0.08)
    assert decided(rare, "Jonas Eichhorst").ambiguous
    assert not decided(common, "Thomas Schmidt").ambiguous
    assert decided(common, "Thomas Schmidt").link is None


def test_a_candidate_known_elsewhere_does_not_tie_with_the_real_match():
    munich = _at("Bäckerei Schmidt e.K.", "Leopoldstraße 3", "80331", "München")

    decision = decide(
        _at("Baeckerei Schmidt"),
        {1: [_at("Bäckerei Schmidt GmbH")], 2: [munich]},
        threshold=0.92,
        margin=0.08,
    )

    assert decision.link == 1


def test_a_german_postal_code_that_lost_its_leading_zero():
    assert Party.of(postal_code="1067", country="DE").postal_code == "01067"
    assert Party.of(postal_code="1010", country="AT").postal_code == "1010"


# --- corroboration without a postal code, with typos in the street, without a street ---------


def _decide(incoming, candidates):
    return decide(incoming, candidates, threshold=0.92, margin=0.08)


def test_street_house_number_and_city_corroborate_when_the_postal_code_is_missing():
    incoming = _at("Kompass Haustechnik GmbH", "Mühlenweg 11", "", "Bochum")
    original = _at("Kompass Haustechnik GmbH", "Mühlenweg 11", "44805", "Bochum")
    namesake = _at("Kompass Haustechnik GmbH", "Hafenstraße 17", "80336", "München")

    assert _decide(incoming, {1: [original], 2: [namesake]}).link == 1


def test_without_a_postal_code_the_same_street_in_another_city_is_not_the_same_address():
    incoming = _at("Kompass Haustechnik GmbH", "Mühlenweg 11", "", "Dortmund")
    elsewhere = _at("Kompass Haustechnik GmbH", "Mühlenweg 11", "44805", "Bochum")

    assert not score(incoming, elsewhere).corroborated
    assert _decide(incoming, {1: [elsewhere]}).link is None


@pytest.mark.parametrize("street", ["Bikrenweg 63", "Birkenwg 63", "Birkenstraße 63"])
def test_a_typo_in_the_street_still_is_the_same_address(street):
    incoming = _at("Novatec Brandschutz GmbH", street)
    original = _at("Novatec Brandschutz GmbH", "Birkenweg 63")

    if street == "Birkenstraße 63":  # another street, not a typo of it
        assert not score(incoming, original).corroborated
    else:
        assert _decide(incoming, {1: [original]}).link == 1


def test_a_typo_in_the_street_suffix_still_is_the_same_address():
    incoming = _at("Maria Schneider", "Industriestrqße 22", person=True)

    assert score(incoming, _at("Maria Schneider", "Industriestraße 22", person=True)).corroborated


def test_a_typo_in_the_street_does_not_make_another_company_there_the_same():
    incoming = _at("Neumann Elektro GmbH", "Fwldstraße 39")

    assert not score(incoming, _at("Neumann Bauunternehmung GmbH", "Feldstraße 39")).corroborated


def test_a_company_without_street_is_its_exact_name_in_the_same_postal_code():
    incoming = Party.of(name="Meier & Seidel AG", postal_code="44799", city="Bochum")
    original = _at("Meier & Seidel AG", "Ringstraße 3", "44799", "Bochum")

    assert _decide(incoming, {1: [original]}).link == 1


@pytest.mark.parametrize(
    ("incoming", "existing"),
    [
        # only a similar name: a typo, or the Kellner next to the Keller
        (
            Party.of(name="Hausverwaltung Kellner GmbH", postal_code="44799"),
            "Hausverwaltung Keller",
        ),
        # another postal code
        (Party.of(name="Meier & Seidel AG", postal_code="44801"), "Meier & Seidel AG"),
    ],
)
def test_without_street_a_person_a_similar_name_or_another_postal_code_is_not_linked(
    incoming, existing
):
    original = _at(existing, "Ringstraße 3", "44799", "Bochum", person=incoming.person)

    assert not score(incoming, original).corroborated
    assert _decide(incoming, {1: [original]}).link is None


def test_without_street_a_common_person_name_in_the_postal_code_is_not_linked_a_rare_one_is():
    """Namesakes live in one postal code: Dieter Schwarz may be either of two; a name borne by
    one customer of the tenant in the postal code where it lives is that customer."""
    common = Party.of(name="Dieter Schwarz", postal_code="44799", person=True)
    rare = Party.of(name="Jonas Eichhorst", postal_code="44799", person=True)

    def decided(incoming, existing):
        original = _at(existing, "Ringstraße 3", "44799", "Bochum", person=True)
        return decide(incoming, {1: [original]}, threshold=0.92, margin=0.08, frequencies=TENANT)

    assert decided(common, "Dieter Schwarz").link is None
    assert decided(common, "Dieter Schwarz").ambiguous
    assert decided(rare, "Jonas Eichhorst").link == 1


# --- private persons: a slip of the fingers at the same address ------------------------------


@pytest.mark.parametrize(
    ("incoming", "existing"),
    [
        ("Mnoika Sauer", "Monika Sauer"),  # two letters swapped
        ("Birgitt Richter", "Birgit Richter"),  # a letter doubled
        ("Sophie Krrause", "Sophie Krause"),
        ("Sauer, Mnoika", "Monika Sauer"),
    ],
)
def test_a_slip_in_a_persons_name_at_the_same_address_is_the_same_person(incoming, existing):
    candidates = {1: [_at(existing, person=True)]}
    decision = decide(
        _at(incoming, person=True), candidates, threshold=0.92, margin=0.08, frequencies=TENANT
    )

    assert decision.link == 1


@pytest.mark.parametrize(
    ("incoming", "existing"),
    [
        ("Jana Koch", "Jan Koch"),  # a letter more at the end: another member of the family
        ("Paul Koch", "Paula Koch"),
        ("Hanna Koch", "Anna Koch"),  # the first letter
        ("Mario Koch", "Maria Koch"),  # the last letter
        ("Christina Koch", "Christian Koch"),  # the last two letters swapped
        ("Lina Koch", "Lena Koch"),  # another letter inside
        ("Anja Koch", "Anna Koch"),  # a neighbouring key, and another name
        ("Mara Koch", "Maria Koch"),  # a letter less inside
    ],
)
def test_names_a_family_has_are_not_slips(incoming, existing):
    result = score(_at(incoming, person=True), _at(existing, person=True))

    assert not result.corroborated


@pytest.mark.parametrize(("incoming", "existing"), [("Thoas Sauer", "Thomas Sauer"),
                                                     ("Lrna Wagner", "Lena Wagner")])  # fmt: skip
def test_a_letter_less_or_a_neighbouring_key_needs_the_same_email_as_well(incoming, existing):
    existing = _at(existing, person=True, phone="0221 9478701", email="t.sauer@posteo.de")

    assert not score(_at(incoming, person=True), existing).corroborated
    # a household shares its landline
    assert not score(_at(incoming, person=True, phone="+49 221 9478701"), existing).corroborated
    assert score(_at(incoming, person=True, email="T.Sauer@posteo.de"), existing).corroborated


def test_a_slip_in_a_persons_name_elsewhere_is_not_the_same_person():
    incoming = _at("Lrna Wagner", "Kirchstraße 4", "47051", "Duisburg", person=True)

    assert not score(incoming, _at("Lena Wagner", person=True)).corroborated


# --- names: umlauts without dots, short words, mistyped legal forms --------------------------


def test_umlauts_written_without_their_dots_are_the_same_name():
    incoming = _at("Richter Horgerate GmbH & Co. KG", "Koelner Strasse 35")

    assert score(incoming, _at("Richter Hörgeräte GmbH & Co. KG", "Kölner Straße 35")).corroborated


def test_a_three_letter_word_that_lost_a_letter_still_agrees_but_two_letters_do_not():
    assert score(_at("Oto Metzgerei GmbH"), _at("Otto Metzgerei GmbH")).corroborated
    assert not score(_at("Ot Metzgerei GmbH"), _at("Otto Metzgerei GmbH")).corroborated
    assert not score(_at("Elm Metallbau GbR"), _at("Elbe Metallbau GbR")).corroborated


def test_a_mistyped_long_legal_form_is_dropped_with_or_without_its_umlaut():
    assert normalize_name("Bodensee Transporte Gesellschaft mit beschräänkter Haftung") == (
        "bodensee transporte"
    )
    assert normalize_name("Meier UG (haftungsbeschrnkt)") == "meier"


def test_a_shared_company_mail_domain_never_lowers_the_score():
    incoming = _at("Rodsi Pulizie S.r.l.", email="buchhaltung@rossi-pulizie.it")
    original = _at("Rossi Pulizie S.r.l.", email="kontakt@rossi-pulizie.it")

    assert score(incoming, original).total >= score(_at("Rodsi Pulizie S.r.l."), original).total
    assert _decide(incoming, {1: [original]}).link == 1


# --- rivals ---------------------------------------------------------------------------------


def test_a_candidate_whose_name_does_not_agree_is_no_rival():
    incoming = Party.of(name="Schuster & Partner Rechtsanwälte", postal_code="04105")
    original = _at("Schuster & Partner Rechtsanwälte PartG mbB", "Waldstraße 2", "04105")
    other = _at("Schröter & Partner Rechtsanwälte PartG mbB", "Kantstraße 8", "04105")

    assert _decide(incoming, {1: [original], 2: [other]}).link == 1


def test_a_candidate_a_typo_away_is_a_rival():
    incoming = Party.of(name="Hausverwaltung Keller GmbH", postal_code="04103")
    keller = _at("Hausverwaltung Keller GmbH", "Im Gewerbepark 52", "04103")
    kellner = _at("Hausverwaltung Kellner GmbH", "Gewerbering 37", "04103")

    decision = _decide(incoming, {1: [keller], 2: [kellner]})

    assert decision.link is None
    assert decision.ambiguous


# --- chains ---------------------------------------------------------------------------------


def _sites(name, count, **extra):
    streets = ["Hauptstraße", "Bahnhofstraße", "Kantstraße", "Zeil", "Gartenstraße"]
    return [
        _at(name, f"{streets[n % 5]} {n + 1}", f"{10115 + n}", f"Stadt{n}", **extra)
        for n in range(count)
    ]


@pytest.mark.parametrize(
    "name", ["Frischemarkt Nord GmbH", "Frischemarkt Nord, Filiale Essen", "Frischemarkt Nord"]
)
def test_a_new_site_of_a_chain_is_linked_to_the_chain(name):
    incoming = _at(name, "Uhlandstraße 208", "45131", "Essen")
    chain = _sites("Frischemarkt Nord GmbH", 12)

    decision = _decide(incoming, {1: chain})

    assert decision.link == 1
    assert decision.candidates[0].score.signals.chain_branch
    signals = decision.as_json()["candidates"][0]["signals"]
    assert (signals["chainBranch"], signals["chainLocations"]) == (1.0, 12.0)


@pytest.mark.parametrize(
    ("name", "sites", "namesake"),
    [
        ("Frischemarkt Nord GmbH", 3, False),  # three sites: a namesake elsewhere, as likely
        ("Frischemarkt Nord GmbH", 12, True),  # another customer of that name: who is it?
        ("Frischemarkt Nord Süd GmbH", 12, False),  # another name
        ("Frischemarkt Nordd GmbH", 12, False),  # a typo: not the exact name
    ],
)
def test_a_chains_name_elsewhere_is_not_linked_when_anything_else_could_be_meant(
    name, sites, namesake
):
    incoming = _at(name, "Uhlandstraße 208", "45131", "Essen")
    candidates = {1: _sites("Frischemarkt Nord GmbH", sites)}
    if namesake:
        candidates[2] = [_at("Frischemarkt Nord GmbH", "Leopoldstraße 3", "80331", "München")]

    assert _decide(incoming, candidates).link is None


def test_a_person_with_the_name_of_a_customer_with_many_sites_is_not_linked():
    incoming = _at("Anna Weber", "Uhlandstraße 208", "45131", "Essen", person=True)

    assert _decide(incoming, {1: _sites("Anna Weber", 12)}).link is None


def test_a_postal_code_is_the_same_with_or_without_its_hyphen():
    incoming = _at("Wiśniewski Transport Sp. z o.o.", "ul. Nowy Świat 221", "02495", "Warszawa")
    original = _at("Wiśniewski Transport Sp. z o.o.", "ul. Nowy Świat 221", "02-495", "Warszawa")

    assert _decide(incoming, {1: [original]}).link == 1
    assert not score(
        incoming, _at("Wiśniewski Transport", "ul. Nowy Świat 221", "02-496")
    ).corroborated


def test_a_company_sent_without_an_address_links_by_the_same_name_and_e_mail():
    # Once raised KeyError: the "moved" rule dropped an address weight that was never added.
    incoming = Party.of(name="Acme Haustechnik GmbH", email="info@acme-haustechnik.de")
    stored = Party.of(
        name="Acme Haustechnik GmbH",
        email="info@acme-haustechnik.de",
        street="Hauptstr. 1",
        postal_code="45127",
        city="Essen",
    )

    decision = _decide(incoming, {1: [stored]})

    assert decision.link == 1
