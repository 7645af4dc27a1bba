import re
import unicodedata

import pytest
from cleanco import basename
from cleanco.clean import prepare_default_terms
from hypothesis import given
from hypothesis import strategies as st

from customers.normalization import (
    _TRANSLITERATED,
    fold,
    legal_form_stripped,
    normalize_name,
    normalize_phone,
    person_name_words,
    person_words_key,
    split_street,
    street_key,
    strip_site,
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


LEGAL_FORMS = [" ".join(parts) for _, parts in prepare_default_terms()]
NAME_WORDS = ["Müller", "Haustechnik", "&", "Co.", "und", "Söhne", "-", ",", "(", "S.A.", "e.K."]


@given(
    st.lists(
        st.sampled_from(LEGAL_FORMS + NAME_WORDS) | st.text(max_size=8), min_size=0, max_size=7
    )
)
def test_legal_forms_are_stripped_as_cleanco_strips_them(words):
    name = " ".join(words)
    assert legal_form_stripped(name) == basename(name)


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("Rhein-Ruhr Medical Supply GmbH & Co. KG", "Rhein-Ruhr Medical Supply"),
        ("Müller Haustechnik GmbH", "Müller Haustechnik"),
        ("ACME Ltd. Inc.", "ACME"),
        ("GmbH", ""),
        ("Anna Weber", "Anna Weber"),
    ],
)
def test_legal_forms_are_stripped_from_the_end(name, stripped):
    assert legal_form_stripped(name) == stripped


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


@pytest.mark.parametrize(
    ("name", "city", "expected"),
    [
        ("Frischemarkt Nord GmbH - Essen", "Essen", "Frischemarkt Nord GmbH"),
        ("Frischemarkt Nord GmbH, FILIALE Essen", "Köln", "Frischemarkt Nord GmbH"),
        ("Frischemarkt Nord GmbH (essen)", "Essen-Rüttenscheid", "Frischemarkt Nord GmbH"),
        ("Frischemarkt Nord GmbH, Standort Dortmund", "", "Frischemarkt Nord GmbH"),
        ("Sonnen-Apotheke Köln", "Köln", "Sonnen-Apotheke Köln"),  # no separator before it
        ("Bäckerei Blum - Köln", "Köln", "Bäckerei Blum"),  # not ASCII: the patterns decide
        ("Kraus Partner - Kelvin", "\u212aelvin", "Kraus Partner"),  # the Kelvin sign is a K
        ("Frischemarkt Nord GmbH", "Essen", "Frischemarkt Nord GmbH"),
    ],
)
def test_a_site_after_the_name_is_stripped(name, city, expected):
    assert strip_site(name, city) == expected


def _strip_site_by_patterns(name, city):
    """strip_site without its quick look: both patterns always run."""
    from customers.normalization import _SITE_SUFFIX, _site_pattern

    cut = _SITE_SUFFIX.sub("", name)
    name = cut if cut.strip() else name
    first = re.split(r"[\s/(,-]", city.strip())[0]
    if len(first) >= 3:
        cut = _site_pattern(first).sub("", name)
        name = cut if cut.strip() else name
    return name


_SITE_PARTS = [
    *("Frischemarkt", "Nord", "GmbH", "-", ",", "(", "Filiale", "NL", "branch", "Essen", "ESSEN"),
    *("Köln", "\u212aelvin", "Kelvin", "\u017ftandort", "Betriebsstätte", "\u2013"),
]


@given(
    st.lists(st.sampled_from(_SITE_PARTS), max_size=6),
    st.sampled_from(["", " ", ", ", " - ", " ("]),
    st.sampled_from(["", "Essen", "Köln", "Kelvin", "\u212aelvin", "Frankfurt (Oder)", "Es"]),
)
def test_the_quick_look_for_a_site_strips_what_the_patterns_strip(words, glue, city):
    name = glue.join(words)
    assert strip_site(name, city) == _strip_site_by_patterns(name, city)


def _folded_plainly(text: str) -> str:
    """`fold` by its definition, without its shortcuts: case folded, transliterated (a table
    applied at once), accents taken off, what is not a letter or digit a space."""
    text = text.casefold().translate(str.maketrans(_TRANSLITERATED))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# Letters the shortcuts must not get wrong: umlauts, letters NFKD leaves alone (dotless i),
# letters case folding turns into ASCII (Kelvin sign, long s), and a mathematical capital A,
# which NFKD turns into an upper-case "A": no letter of a folded text.
_TRICKY = "aZ09 &-./\tßäÖüÆøåéçİ\u0131\u0142\u0111\u0153\u00fe\u00f0\u017f\u212a\u0301\U0001d63c"


@given(st.text(alphabet=st.sampled_from(list(_TRICKY)) | st.characters(), max_size=30))
def test_fold_is_its_definition_whatever_the_text(text):
    """Its shortcuts (case-folded ASCII, a replace per letter instead of `str.translate`)
    change no result."""
    assert fold.__wrapped__(text) == _folded_plainly(text)


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Müller-Lüdenscheidt", "mueller luedenscheidt"), ("Weber & Söhne", "weber und soehne"),
     ("  Hans   Peter ", "hans peter"), ("Jürgen Y\u0131lmaz", "juergen yilmaz"),
     ("\U0001d63cnna", "nna"), ("Straße 5a", "strasse 5a"), ("Café Zoë", "cafe zoe"), ("", "")],
)  # fmt: skip
def test_fold_examples(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Dr. Hans-Peter Müller jun.", "hans peter mueller jun"),
        ("Frau Anna Weber", "anna weber"),
        ("Anna Weber (Essen)", ""),  # a site may follow: the words may differ between addresses
        ("Weber, Anna", ""),
        ("Anna Weber - Essen", ""),
        ("Hans Branch", ""),  # a site word ("branch")
        ("", ""),
    ],
)
def test_person_words_are_the_name_words_the_matcher_compares(name, words):
    assert person_words_key(name) == words


_PERSON_PARTS = [
    *("Anna", "Hans-Peter", "Weber", "Müller", "Dr.", "jun.", "A.", "12", "Essen", "ESSEN"),
    *("Filiale", "NL", "Standort", "\u017ftandort", "Köln", "\u212aöln", "-", "\u2013", ",", "("),
]


@given(
    st.lists(st.sampled_from(_PERSON_PARTS), max_size=6),
    st.sampled_from([" ", "  ", ", ", " - ", " (", "-"]),
    st.sampled_from(["", "Essen", "Köln", "Frankfurt (Oder)", "Weber", "Anna", "Hans"]),
)
def test_person_words_are_those_compared_at_any_address(parts, glue, city):
    """Where a person's words are stored, no city cuts a site off the name (`strip_site`): the
    matcher compares these words at every address (`mapping.matching.Party.stored`)."""
    name = glue.join(parts)
    words = person_words_key(name)
    if words:
        compared = person_name_words(tuple(fold(strip_site(name, city)).split()))
        assert compared == tuple(words.split())
