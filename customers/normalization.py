"""Normalization of customer master data: names, streets, postal codes, phone numbers and
e-mail addresses as they are compared and stored in matching keys (`Customer.normalized_name`,
`Location.street_key`).

Pure functions over plain values; the mapping engine, the matcher, the review queue and the
customer admin all use them, so a key stored by one is found by the others.
"""

import functools
import re
import unicodedata

from cleanco.clean import normalized, prepare_default_terms, strip_punct, strip_tail
from rapidfuzz import process
from rapidfuzz.distance import OSA

# What a person writes differently but means the same: transliterated before comparing.
_TRANSLITERATED = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",
    "æ": "ae",
    "ø": "oe",
    "å": "aa",
    "&": " und ",
    # Letters NFKD does not decompose; without these they were dropped: Yilmaz with a
    # dotless i became "y lmaz", then "lmaz", and "Michał" became "micha".
    "\u0131": "i",
    "\u0142": "l",
    "\u0111": "d",
    "\u0153": "oe",
    "\u00fe": "th",
    "\u00f0": "d",
}
# Legal forms and filler words cleanco leaves behind (it handles the common suffixes).
_LEGAL_TOKENS = frozenset(
    {
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "kgaa",
        "ohg",
        "gbr",
        "ug",
        "haftungsbeschraenkt",
        "ek",
        "ev",
        "eg",
        "se",
        "co",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "llc",
        "plc",
        "sa",
        "sarl",
        "sas",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "as",
        "oy",
        "aps",
        "kft",
        "aktiengesellschaft",
        "gesellschaft",
        "beschraenkter",
        "haftung",
        "mit",
        "und",
        "and",
        "the",
        "der",
        "die",
        "das",
        # Forms cleanco does not know, or that lose their umlaut on the way.
        "haftungsbeschrankt",
        "hb",
        "ggmbh",
        "gemeinnuetzige",
        "gemeinnutzige",
        "partg",
        "mbb",
        "partgmbb",
        "partnerschaftsgesellschaft",
        "kommanditgesellschaft",
        "offene",
        "handelsgesellschaft",
        "gesmbh",
        "ges",
        "og",
        "eu",
        "kfm",
        "kfr",
        "vof",
        "snc",
        "sl",
        "spj",
        "sp",
        "zoo",
        "spolka",
        "sociedad",
        "limitada",
        "societe",
        "anonyme",
        "llp",
        "public",
        "company",
        # Salutations and titles: "Herr Dr. Peter Schmidt" is Peter Schmidt.
        "herr",
        "frau",
        "hr",
        "fr",
        "dr",
        "prof",
        "med",
        "dent",
        "dipl",
        "ing",
    }
)
# Long legal forms get mistyped like any word ("GmvH", "GmHb"): one edit away still counts,
# also with the umlaut written as a vowel ("beschräänkter", "haftungsbeschrnkt").
_TYPO_PRONE_FORMS = (
    "gmbh",
    "ggmbh",
    "gesmbh",
    "kgaa",
    "limited",
    "haftungsbeschraenkt",
    "beschraenkter",
    "gesellschaft",
    "aktiengesellschaft",
    "kommanditgesellschaft",
    "partnerschaftsgesellschaft",
    "incorporated",
    "corporation",
)
# A site designation after the name: "Frischemarkt Nord GmbH, Filiale Essen".
_SITE_SUFFIX = re.compile(
    r"[\s,(/\u2013-]+(?:filiale|niederlassung|zweigniederlassung|standort|zweigstelle|"
    r"betriebsst(?:ä|ae)tte|nl|branch)\b.*$",
    re.IGNORECASE,
)
# "Hachestrasse" and "Hauptstr" end in the word "str"; then every short and long form alike, in
# one pass (the forms do not overlap, so one alternation does what a pattern each did).
_GLUED_STREET = re.compile(r"(?<=\w)(strasse|str)\b")
_STREET_FORMS = {
    **dict.fromkeys(("strasse", "str", "street", "st"), "str"),
    **dict.fromkeys(("platz", "pl", "place"), "pl"),
    **dict.fromkeys(("road", "rd"), "rd"),
    **dict.fromkeys(("avenue", "ave", "av"), "ave"),
    # English abbreviations as address forms write them (Green Ln, Park Dr, Mill Cl).
    **dict.fromkeys(("lane", "ln"), "ln"),
    **dict.fromkeys(("drive", "dr"), "dr"),
    **dict.fromkeys(("close", "cl"), "cl"),
    **dict.fromkeys(("court", "ct"), "ct"),
    **dict.fromkeys(("crescent", "cres"), "cres"),
    **dict.fromkeys(("square", "sq"), "sq"),
    **dict.fromkeys(("terrace", "terr", "ter"), "ter"),
    **dict.fromkeys(("gardens", "gdns"), "gdns"),
    **dict.fromkeys(("boulevard", "blvd"), "blvd"),
}
_STREET_FORM = re.compile(r"\b(" + "|".join(sorted(_STREET_FORMS, key=len, reverse=True)) + r")\b")
_HOUSE_NUMBER = re.compile(r"\b(\d+)(?:\s?([a-z]))?\b(?:\s(\d+)\b)?")
_NON_WORD = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=65536)  # names, streets and cities come again (candidates)
def fold(text: str | None) -> str:
    """Lower case, umlauts transliterated, accents and punctuation gone, single spaces."""
    if not text:
        return ""
    text = str(text).casefold()
    if not text.isascii() or "&" in text:
        text = _transliterated(text)
        if not text.isascii():  # accents to take off (NFKD also gives upper case: U+1D63C)
            text = unicodedata.normalize("NFKD", text)
            text = "".join(ch for ch in text if not unicodedata.combining(ch))
            return " ".join(_NON_WORD.sub(" ", text).split())
    # Case-folded ASCII: only letters, digits and spaces is what most names and streets are.
    if text.replace(" ", "").isalnum():
        return " ".join(text.split())
    return " ".join(_NON_WORD.sub(" ", text).split())


def _transliterated(text: str) -> str:
    """`_TRANSLITERATED` applied: a replace per letter the text holds. `str.translate` with a
    table looked each character up and raised a KeyError inside for each one not in it: a
    tenth of building a batch's candidates whose names were not folded before. No replacement
    holds a letter of the table, so the order does not matter."""
    for letter, replacement in _TRANSLITERATED.items():
        if letter in text:
            text = text.replace(letter, replacement)
    return text


def plain_vowels(text: str) -> str:
    """Umlauts as plain vowels: "Hörgeräte" written without dots is "Horgerate", not
    "Hoergeraete"."""
    return text.replace("ae", "a").replace("oe", "o").replace("ue", "u")


_TYPO_PRONE_PLAIN = tuple(plain_vowels(f) for f in _TYPO_PRONE_FORMS)


def _mistyped_form(token: str) -> bool:
    # extractOne compares against every form in one C call; a Python loop over the forms was a
    # tenth of a new batch's import time.
    return (
        process.extractOne(token, _TYPO_PRONE_FORMS, scorer=OSA.distance, score_cutoff=1)
        is not None
        or process.extractOne(
            plain_vowels(token), _TYPO_PRONE_PLAIN, scorer=OSA.distance, score_cutoff=1
        )
        is not None
    )


# cleanco's legal forms, in the order its basename() tries them, by their last word: its loop
# compares the end of a name with every one of them (a tenth of a new batch's import time).
_LEGAL_TERMS_BY_LAST_WORD: dict[str, list[tuple[int, int, list[str]]]] = {}
for _order, (_size, _parts) in enumerate(prepare_default_terms()):
    if _parts:
        _LEGAL_TERMS_BY_LAST_WORD.setdefault(_parts[-1], []).append((_order, _size, _parts))


def legal_form_stripped(name: str) -> str:
    """`cleanco.basename(name)`, the same result, looking only at the legal forms that end in
    the name's last word: cleanco strips every form, in its order, that ends the name by then."""
    name = strip_tail(name)
    parts = name.split()
    normalized_parts = [strip_punct(part) for part in normalized(name).split()]
    later_than = -1  # cleanco tries each form once, in order: only later ones can still match
    while normalized_parts:
        match = next(
            (
                (order, size)
                for order, size, form in _LEGAL_TERMS_BY_LAST_WORD.get(normalized_parts[-1], ())
                if order > later_than and normalized_parts[-size:] == form
            ),
            None,
        )
        if match is None:
            break
        later_than, size = match
        del normalized_parts[-size:]
        del parts[-size:]
    return strip_tail(" ".join(parts))


@functools.lru_cache(maxsize=65536)  # candidates repeat per address
def normalize_name(name: str | None) -> str:
    """A company or person name without legal form, salutation, case, accents or punctuation.

    "Rhein-Ruhr Medical Supply GmbH & Co. KG" and "rhein ruhr medical supply" give the same.
    """
    if not name:
        return ""
    try:
        stripped = legal_form_stripped(str(name))
    except Exception:
        stripped = str(name)
    tokens = [
        t
        for t in fold(stripped or name).split()
        if t not in _LEGAL_TOKENS and not _mistyped_form(t)
    ]
    # A single-letter token left from "e. K." or "S. A." carries no identity.
    tokens = [t for t in tokens if len(t) > 1 or t.isdigit()]
    return " ".join(tokens) or fold(name)


@functools.lru_cache(maxsize=65536)  # an incoming street, then its new location's
def street_parts(street: str | None) -> tuple[str, str, str]:
    """(street name, house number, name as written) of a street, folded once: see
    `split_street` and `street_as_written`."""
    folded = fold(street)
    if not folded:
        return "", "", ""
    number, written = "", folded
    matches = list(_HOUSE_NUMBER.finditer(folded))
    # "12 Main St" puts the number first, "Straße des 17. Juni 4" last.
    match = (matches[0] if folded[0].isdigit() else matches[-1]) if matches else None
    if match:
        # "5-7" folds to "5 7": a range keeps both ends.
        number = match.group(1) + (match.group(2) or "")
        if match.group(3):
            number += "-" + match.group(3)
        written = folded[: match.start()] + folded[match.end() :]
        folded = (folded[: match.start()] + " " + folded[match.end() :]).strip()
    folded = _GLUED_STREET.sub(" str", folded)
    folded = _STREET_FORM.sub(lambda m: _STREET_FORMS[m.group(1)], folded)
    return " ".join(folded.split()), number, written.replace(" ", "")


def split_street(street: str | None) -> tuple[str, str]:
    """(street name, house number), both normalized: "Hachestraße 12a" → ("hache str", "12a")."""
    name, number, _ = street_parts(street)
    return name, number


def street_as_written(street: str | None) -> str:
    """The street name folded, without house number or spaces, before "Straße" is shortened:
    a typo in the suffix ("Industriestrqße") would otherwise keep it from being shortened."""
    return street_parts(street)[2]


def street_key_of_name(name: str) -> str:
    """A street name (`split_street`'s) without spaces, for exact blocking: "hachestr" for every
    spelling."""
    return name.replace(" ", "")


def street_key(street: str | None) -> str:
    """The street's `street_key_of_name`."""
    return street_key_of_name(split_street(street)[0])


# The words a site designation starts with (_SITE_SUFFIX), for a quick look before the pattern.
_SITE_WORDS = ("filiale", "niederlassung", "standort", "zweigstelle", "betriebsst", "nl", "branch")
_SITE_WORD = re.compile("|".join(_SITE_WORDS))  # one of them anywhere, as `in` finds it
# What ends a city's first word.
_CITY_WORD_END = re.compile(r"[\s/(,-]")


def _may_hold_site_word(lowered: str | None) -> bool:
    """Whether a name (`lowered`: its lower case if ASCII, else None) may hold a word
    `_SITE_SUFFIX` matches. An ASCII name holds a pattern's word only as its ASCII letters in any
    case (a pattern of ASCII letters; IGNORECASE also matches "K" to the Kelvin sign, never in an
    ASCII name): without the word, the pattern cannot match and need not run (most names)."""
    return lowered is None or _SITE_WORD.search(lowered) is not None


def strip_site(name: str | None, city: str | None) -> str:
    """The name without a site designation: "Frischemarkt Nord GmbH - Essen" in Essen,
    "..., Filiale Essen", "... (Essen)" are Frischemarkt Nord GmbH."""
    name = str(name or "")
    lowered = name.lower() if name.isascii() else None
    if _may_hold_site_word(lowered):
        cut = _SITE_SUFFIX.sub("", name)
        if cut.strip():
            name = cut
            lowered = name.lower() if name.isascii() else None
    first = _CITY_WORD_END.split(str(city or "").strip(), maxsplit=1)[0]
    if len(first) >= 3 and (lowered is None or not first.isascii() or first.lower() in lowered):
        cut = _site_pattern(first).sub("", name)
        if cut.strip():
            name = cut
    return name


# What comes before a city that `strip_site` cuts off (`_site_pattern`), anywhere in a name.
_CITY_SEPARATOR = re.compile(r"\s[-\u2013]|[,(]")


def person_words_key(name: str | None) -> str:
    """A private person's name words as the person matcher compares them at every address of
    theirs, space-separated (`person_name_words` of the folded name): "" where `strip_site` may
    cut a site off the name at some address (a site word, or a separator a city may follow),
    so they may differ between addresses."""
    name = str(name or "")
    if _CITY_SEPARATOR.search(name):
        return ""
    lowered = name.lower() if name.isascii() else None
    if _may_hold_site_word(lowered) and _SITE_SUFFIX.search(name):
        return ""
    return " ".join(person_name_words(fold(name).split()))


@functools.lru_cache(maxsize=4096)  # one per city: re's own cache holds only 512 patterns
def _site_pattern(city: str) -> re.Pattern:
    return re.compile(
        r"(?:\s[-\u2013]\s*|,\s*|\s*\()\s*" + re.escape(city) + r"\b.*$", re.IGNORECASE
    )


def normalize_postal_code(code: str | None, country: str | None = None) -> str:
    code = "".join(str(code or "").split()).upper()
    if (country or "").upper() == "DE" and len(code) == 4 and code.isdigit():
        code = "0" + code  # a spreadsheet ate the zero: "1067" is 01067
    return code


def normalize_email(email: str | None) -> str:
    return str(email or "").strip().casefold()


@functools.lru_cache(maxsize=65536)  # an incoming phone, then its new customer's key
def normalize_phone(phone: str | None) -> str:
    """The full international number, German by default: "+49 30 932723", "030/932723",
    "+49 (0)30 932723" and "0049 30 932723" compare equal. A number without area code is not
    comparable."""
    raw = str(phone or "").replace("(0)", "").strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0"):
        number = "49" + digits[1:]
    else:
        number = ""
    return number if len(number) >= 8 else ""


# Salutations and titles are not names; a generation marker is (Hans Müller sen. / jun.), but
# not a family name.
NOT_NAME_WORDS = frozenset(
    {"herr", "frau", "hr", "fr", "dr", "prof", "med", "dent", "dipl", "ing", "mr", "mrs", "ms",
     "miss", "mx", "sir", "dame", "und", "and"}
)  # fmt: skip
SENIOR, JUNIOR = frozenset({"sen", "senior", "sr"}), frozenset({"jun", "junior", "jr"})
GENERATIONS = SENIOR | JUNIOR


def person_name_words(words: "tuple[str, ...] | list[str]") -> tuple[str, ...]:
    """Folded words of a person's name without salutations, titles and numbers: what the person
    matcher compares, and counts (`mapping.models.NameFrequency`)."""
    return tuple(w for w in words if w not in NOT_NAME_WORDS and not w.isdigit())
