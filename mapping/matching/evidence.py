"""Evidence for private persons, weighted by rarity: the Fellegi-Sunter model with term-frequency
adjustment (as Splink popularized it), in bits.

Each comparison (family name, given name, address, e-mail, phone) adds the log2 of how much more
likely its outcome is for the same person than for another one. The "other one" is drawn from the
tenant's own customers: an agreeing family name is worth log2(customers / customers of that name)
bits, so a rare "Eichhorst" says far more than "Müller"; the same address is worth log2(customers
/ customers at that address), so a block of flats says less than a detached house. Starting from
the odds that a record is one given customer of the tenant (1 : customers), the sum is the log2
odds that the candidate is the person the record describes: 10 bits are odds of 1,000 : 1.

Two rules stand beside the sum, because household members agree on everything but their given
name (address, family name, landline; the sum would add those up):
* the name must agree: the family name the same, phonetically the same or one typo apart, and the
  given name the same, a variant (Johann / Hans, Robert / Bob), phonetically the same, an
  initial, or a typo that is not itself a known name (Anja is a name, "Anan" is a typo of Anna);
* a different given name is another person (Jan / Jana, Paul / Paula: the first letter, the end
  and the length stay in a typo), never a link, and worth a reviewer's look only when a personal
  e-mail or mobile number agrees.

Pure functions; the counts come from `mapping.models.NameFrequency` (selectors.name_frequencies)
and, for the address, e-mail and phone, from the batch's own candidates (every customer at the
address and with the e-mail is one).
"""

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from rapidfuzz.distance import OSA

from customers.normalization import GENERATIONS, JUNIOR, SENIOR, plain_vowels
from customers.phonetics import koelner

from .given_names import (
    given_name_groups,
    given_name_variants,
    group_initials,
    known_given_name,
)
from .names import slip_of
from .party import Party, mobile
from .places import same_city, same_house_number, same_postal_code

if TYPE_CHECKING:
    from .scoring import Signals

# What counts as the population when a tenant's names were never counted (the periodic task
# has not run yet): every word then counts as a common one, so nothing links on a rare name.
FALLBACK_POPULATION = 10_000
FALLBACK_WORD_SHARE = 1 / 50
FALLBACK_POSTAL_CODE_CUSTOMERS = 200

# Bits taken off an agreement that is not exact: how much less often the same person is written
# that way than exactly (a typo, another spelling, a short form, an initial).
CLOSE_FAMILY_NAME_COST = 3.0
GIVEN_NAME_COST = {"variant": 1.0, "phonetic": 2.0, "typo": 3.0, "initial": 1.0}
# An initial agrees with about one given name in 12.
INITIAL_SHARE = 1 / 12
# A different given or family name: rarely the same person (a new surname after marriage).
DIFFERENT_NAME_BITS = -8.0
# The address is compared and differs: about one customer in 16 moved (or has another home);
# most moves stay in the city, so another address in the same city costs less.
MOVED_BITS = -4.0
MOVED_IN_CITY_BITS = -2.0
# A record of someone new lives at the address of an existing customer about one time in four
# (a relative, a neighbour in the building, the next tenant): the same address is that much
# likelier for the same person than the count of customers there says.
NEW_AT_KNOWN_ADDRESS_SHARE = 1 / 4
# The same postal code where one side has no street: weaker than the same address.
POSTAL_CODE_ONLY_COST = 1.0
# An e-mail address or mobile number is one person's (up to the few sharing it); a landline a
# household's. The same one among all people, not only the tenant's: bits from the prior's zero.
EMAIL_BITS = 20.0
MOBILE_BITS = 18.0
LANDLINE_BITS = 14.0


# eq=False: equal and hashed by identity, so one batch's counts can key a cache (`compare_names`).
@dataclass(frozen=True, eq=False)
class NameFrequencies:
    """How many of a tenant's private customers bear each name word (any position), each
    Kölner key, and live in each postal code; `persons` 0 when never counted."""

    persons: int = 0
    words: dict[str, int] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    postal_codes: dict[str, int] = field(default_factory=dict)

    @property
    def population(self) -> int:
        return self.persons if self.persons else FALLBACK_POPULATION

    def share(self, word: str) -> float:
        if not self.persons:
            return FALLBACK_WORD_SHARE
        return min(max(self.words.get(word, 0), 1) / self.persons, 1.0)

    def key_share(self, key: str) -> float:
        if not self.persons:
            return FALLBACK_WORD_SHARE
        return min(max(self.keys.get(key, 0), 1) / self.persons, 1.0)

    def known(self, word: str) -> bool:
        """A name some customer bears (or a listed given name): not a typo. Uncounted: every
        word is taken for a name, so no typo rule applies."""
        return not self.persons or self.words.get(word, 0) > 0 or known_given_name(word)

    def postal_code_customers(self, code: str) -> int:
        if not self.persons:
            return FALLBACK_POSTAL_CODE_CUSTOMERS
        return max(self.postal_codes.get(code, 0), 1)


NO_FREQUENCIES = NameFrequencies()


class Shared(NamedTuple):
    """How many of the candidates share the incoming record's address, e-mail and phone: a block
    of flats, a household's landline. At least 1 where one does."""

    address: int = 1
    email: int = 1
    phone: int = 1


class Part(NamedTuple):
    level: str
    bits: float


class Evidence(NamedTuple):
    """The bits of each comparison and their sum with the prior (log2 odds)."""

    prior: float
    family: Part
    given: Part
    address: Part
    email: Part
    phone: Part
    swapped: bool
    log_odds: float
    name_agrees: bool
    # Another member of a household: the family name agrees, the given name does not.
    other_given_name: bool
    # The same e-mail or mobile number: one person's, rarely a household's.
    personal_contact: bool

    def as_json(self) -> dict:
        parts = {
            "familyName": self.family,
            "givenName": self.given,
            "address": self.address,
            "email": self.email,
            "phone": self.phone,
        }
        return {
            "logOdds": round(self.log_odds, 2),
            "prior": round(self.prior, 2),
            "nameOrderSwapped": self.swapped,
            **{k: {"level": p.level, "bits": round(p.bits, 2)} for k, p in parts.items()},
        }


def person_words(party: Party) -> tuple[str, ...]:
    """The name's words without salutation or title, as written (single letters kept: an
    initial)."""
    return party.person_words


def _split(words: tuple[str, ...], swapped: bool) -> tuple[tuple[str, ...], str]:
    """(given names, family name) of words without generation markers (compared apart): the
    family name last, or first when swapped ("Müller, Hans")."""
    if not words:
        return (), ""
    if len(words) == 1:
        return (), words[0]
    return (words[1:], words[0]) if swapped else (words[:-1], words[-1])


def _same(a: str, b: str) -> bool:
    # Umlauts as plain vowels keep the first letter.
    return a == b or (a[:1] == b[:1] and plain_vowels(a) == plain_vowels(b))


# Letters a scanner or a hurried hand confuses: compared as one ("Frarik" is "Frank", "Begurn"
# is "Begum", "Jories" is "Jones").
_OCR_CONFUSIONS = (("rn", "m"), ("ri", "n"), ("cl", "d"), ("ii", "u"), ("vv", "w"), ("0", "o"))


@functools.lru_cache(maxsize=65536)
def _ocr_folded(word: str) -> str:
    for written, meant in _OCR_CONFUSIONS:
        word = word.replace(written, meant)
    return word


def family_level(incoming: str, candidate: str, *, ends_fixed: bool = False) -> str:
    """How two family names (folded words) agree: "exact" (umlauts with or without their dots),
    "phonetic" (Meier / Mayer, Schmidt / Schmitt: the same sound, first and last letter), "typo"
    (one slip, two in a long name, or a scanner's confusion), "different". Unlike a given name,
    a family name one letter apart at the end may be a typo (Hall / Hal): relatives share the
    family name, so only the given name tells them apart; families of near-identical names
    (Kraus / Krause) get the rarity of both names (`_family`). `ends_fixed`: a typo keeps the
    first and last letter, for a name read with its words swapped, whose "family name" may be a
    given name (Michaela Müller written "Müller Michaela" is not Michael Müller)."""
    if not incoming or not candidate:
        return "missing"
    if _same(incoming, candidate):
        return "exact"
    a, b = plain_vowels(incoming), plain_vowels(candidate)
    shorter = min(len(a), len(b))
    ends_kept = a[0] == b[0] and _final(a) == _final(b)
    if shorter >= 4 and ends_kept and koelner(a) == koelner(b):
        return "phonetic"
    if ends_fixed and not ends_kept:
        return "different"
    distance = OSA.distance(a, b, score_cutoff=2)  # exact up to 2, else 3
    if (distance <= 1 and shorter >= 3) or (distance <= 2 and shorter >= 7 and ends_kept):
        return "typo"
    if shorter >= 4:
        scanned_a, scanned_b = _ocr_folded(a), _ocr_folded(b)
        if (scanned_a, scanned_b) != (a, b) and OSA.distance(scanned_a, scanned_b) <= 1:
            return "typo"
    return "different"


def _initial_class(word: str) -> str:
    return {"c": "k", "p": "f" if word.startswith("ph") else "p"}.get(word[0], word[0])


def _final(word: str) -> str:
    word = word.replace("ph", "f")
    return word[:-1][-1:] if word.endswith("h") and len(word) > 1 else word[-1:]


_SPELLINGS = (("ph", "f"), ("th", "t"), ("ck", "k"), ("qu", "kw"), ("y", "i"))


@functools.lru_cache(maxsize=65536)
def _spelled(word: str) -> str:
    """A given name as it sounds, vowels kept: Stephan / Stefan, Philipp / Filip, Matthias /
    Mathias, Claudia / Klaudia, Sarah / Sara, Ralph / Ralf. Kölner Phonetik drops the vowels,
    and in given names the vowels tell the family apart (Lena / Lina, Maria / Mara)."""
    for written, sound in _SPELLINGS:
        word = word.replace(written, sound)
    if word[:2] == "ch" or word[:1] == "c":
        word = "k" + word[2 if word[:2] == "ch" else 1 :]
    if len(word) > 2 and word.endswith("h"):
        word = word[:-1]
    return "".join(ch for i, ch in enumerate(word) if i == 0 or ch != word[i - 1])


def given_level(
    incoming: str, candidate: str, frequencies: NameFrequencies, *, personal_contact: bool = False
) -> str:
    """How two given names (folded words) agree: "exact", "variant" (Johann / Hans), "phonetic"
    (Stephan / Stefan), "initial", "typo", "near" or "different". Relatives' names differ at the
    start or the end (Anna / Hanna, Jan / Jana, Maria / Mario): never a typo, but "near" (a
    reviewer's look at the same address: "Mari" may also be Maria mistyped). A slip
    inside the word is a typo when it leaves no name (counted tenants: no customer bears it,
    and it is not a listed given name; Anja is Anna's sister), two letters swapped or one
    doubled also uncounted, and any slip with the same e-mail or mobile number; else it is
    "near": not the same name, but worth a reviewer's look at the same address."""
    level = _given_level(incoming, candidate)
    if not level.startswith("slip:"):
        return level
    kind = level.removeprefix("slip:")
    not_a_name = not frequencies.known(incoming) or (
        not frequencies.persons and kind in ("swap", "double") and not known_given_name(incoming)
    )
    return "typo" if not_a_name or personal_contact else "near"


def _given_level(incoming: str, candidate: str) -> str:
    if _same(incoming, candidate):
        return "exact"
    if len(incoming) == 1 or len(candidate) == 1:
        return "initial" if incoming[0] == candidate[0] else "different"
    if _given_name_classes(incoming).isdisjoint(_given_name_classes(candidate)):
        # Neither a variant, nor spoken alike, nor a slip (most pairs: a family name read as a
        # given name, a relative): only the last test below can hold.
        return "near" if OSA.distance(incoming, candidate) <= 1 else "different"
    if given_name_variants(incoming, candidate):
        return "variant"
    if _spelled(incoming) == _spelled(candidate):
        return "phonetic"
    kind = slip_of(incoming, candidate) or slip_of(_ocr_folded(incoming), _ocr_folded(candidate))
    if kind:
        return f"slip:{kind}"
    # A letter apart at the start or end: a relative (Jan / Jana) as often as a typo (Mari).
    return "near" if OSA.distance(incoming, candidate) <= 1 else "different"


_GIVEN_ORDER = ("exact", "variant", "phonetic", "initial", "typo", "missing", "near", "different")
_GIVEN_RANK = {level: rank for rank, level in enumerate(_GIVEN_ORDER)}


# Memoized per batch's counts (`f`, hashed by identity), as `_compare_words`: a batch compares the
# same given and family names with many candidates; a few batches' counts kept at most.
@functools.lru_cache(maxsize=16384)
def _given(
    incoming: tuple[str, ...], candidate: tuple[str, ...], f: NameFrequencies, personal: bool
) -> Part:
    if not incoming or not candidate:
        return Part("missing", 0.0)
    # The first pair with the best level (nothing is better than "exact").
    best, rank = None, len(_GIVEN_ORDER)
    for x in incoming:
        for y in candidate:
            level = given_level(x, y, f, personal_contact=personal)
            if _GIVEN_RANK[level] < rank:
                best, rank = (level, x, y), _GIVEN_RANK[level]
        if rank == 0:
            break
    level, a, b = best
    if level in ("different", "near"):
        return Part(level, DIFFERENT_NAME_BITS)
    if level == "initial":
        return Part(level, math.log2(1 / INITIAL_SHARE) - GIVEN_NAME_COST["initial"])
    share = max(f.share(b), f.share(a) if level != "typo" else 0.0)
    bits = -math.log2(share) - GIVEN_NAME_COST.get(level, 0.0)
    # One given name of two ("Hans" for "Hans-Peter"): a bit less sure.
    return Part(level, bits - (1.0 if len(incoming) != len(candidate) else 0.0))


_FAMILY_DIFFERS = Part("different", DIFFERENT_NAME_BITS)


@functools.lru_cache(maxsize=16384)
def _family(incoming: str, candidate: str, f: NameFrequencies, swapped: bool) -> Part:
    level = family_level(incoming, candidate, ends_fixed=swapped)
    if level == "missing":
        return Part(level, 0.0)
    if level == "different":
        return Part(level, DIFFERENT_NAME_BITS)
    if level == "exact":
        return Part(level, -math.log2(f.share(candidate)))
    # Another spelling that is itself a family name here (Mayer for Meier) may be that family.
    share = max(
        f.share(candidate),
        f.share(incoming) if f.known(incoming) else 0.0,
        f.key_share(koelner(candidate)) if level == "phonetic" else 0.0,
    )
    return Part(level, -math.log2(share) - CLOSE_FAMILY_NAME_COST)


@functools.lru_cache(maxsize=65536)
def _generation(words: tuple[str, ...]) -> tuple[bool, bool]:
    """(senior, junior): the name's generation markers (Hans Müller sen. / jun.)."""
    return not SENIOR.isdisjoint(words), not JUNIOR.isdisjoint(words)


def _generations_differ(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    (senior_a, junior_a), (senior_b, junior_b) = _generation(a), _generation(b)
    return (senior_a and junior_b) or (junior_a and senior_b)


def compare_names(
    incoming: Party, candidate: Party, f: NameFrequencies, *, personal_contact: bool = False
) -> tuple[Part, Part, bool, bool]:
    """(family, given, swapped, generations differ): the reading of the two names (either may
    have the family name first) that agrees best."""
    return _compare_words(person_words(incoming), person_words(candidate), f, personal_contact)


@functools.lru_cache(maxsize=65536)
def _readings(words: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(given names, family name) of a name's words without generation markers: as written,
    then (two words or more) with the family name first; made once per name, not per pair."""
    names = tuple(w for w in words if w not in GENERATIONS)
    as_written = _split(names, False)
    return (as_written, _split(names, True)) if len(words) >= 2 else (as_written,)


def _weighed_readings(wi: tuple[str, ...], wc: tuple[str, ...]) -> list[tuple]:
    """The readings of two names `compare_names` weighs, as (incoming's, candidate's, swapped):
    as written, or one of the two with its family name first; never both, which would compare
    given names as family names (Jan / Jana are not Meier / Mayer)."""
    readings_i, readings_c = _readings(wi), _readings(wc)
    pairs = [(readings_i[0], readings_c[0], False)]
    if len(readings_i) > 1:
        pairs.append((readings_i[1], readings_c[0], True))
    if len(readings_c) > 1:
        pairs.append((readings_i[0], readings_c[1], True))
    return pairs


# A pair is compared up to three times in a batch (`out_of_reach`, its score, its score with the
# shared counts); keyed by the batch's counts, so a later batch never reads an earlier one's.
@functools.lru_cache(maxsize=16384)
def _compare_words(
    wi: tuple[str, ...], wc: tuple[str, ...], f: NameFrequencies, personal_contact: bool
) -> tuple[Part, Part, bool, bool]:
    best = None
    for (gi, fi), (gc, fc), swapped in _weighed_readings(wi, wc):
        # Read swapped, family names of another first letter differ (`family_level`, its ends
        # fixed): most such readings, told without a lookup. With given names of no common class
        # too (both "different" or "near"), the reading sums the least there is, and the first
        # reading, as written, is kept at a tie.
        if swapped and fi and fc and fi[0] != fc[0]:
            if gi and gc and _given_classes(gi).isdisjoint(_given_classes(gc)):
                continue
            family = _FAMILY_DIFFERS
        else:
            family = _family(fi, fc, f, swapped)
        given = _given(gi, gc, f, personal_contact)
        total = family.bits + given.bits
        if best is None or total > best[0]:
            best = (total, family, given, swapped)
    return best[1], best[2], best[3], _generations_differ(wi, wc)


def _shared_contact_or_house(incoming: Party, candidate: Party, *, same_place: bool) -> bool:
    """The same e-mail or phone, or maybe the same address: the same house number in the same
    place (`same_place`: the postal code where both have one, else the city, as
    `scoring.score` compares)."""
    if (incoming.email and incoming.email == candidate.email) or (
        incoming.phone and incoming.phone == candidate.phone
    ):
        return True
    return same_place and same_house_number(incoming.house_number, candidate.house_number)


@functools.lru_cache(maxsize=65536)
def _given_name_classes(word: str) -> frozenset[str | int]:
    """What two given names need in common to agree in any way (`_given_level`): the first letter
    as written (the same name, an initial, a typo), as spoken (`_spelled`: Christoph / Kristof)
    or as scanned (`_ocr_folded`: Clara / Dara read with a slip), or a variant group (Johann /
    Hans). Names with none in common are a letter apart ("near") or "different"."""
    return frozenset((word[0], _spelled(word)[:1], _ocr_folded(word)[:1])) | given_name_groups(word)


@functools.lru_cache(maxsize=65536)
def _given_classes(given: tuple[str, ...]) -> frozenset[str | int]:
    """`_given_name_classes` of all these given names."""
    if len(given) == 1:
        return _given_name_classes(given[0])
    return frozenset().union(*map(_given_name_classes, given))


@functools.lru_cache(maxsize=65536)
def _reading_given_classes(words: tuple[str, ...]) -> tuple[frozenset[str | int] | None, ...]:
    """`_given_classes` of each of `_readings(words)`; None for a reading without given
    names."""
    return tuple(_given_classes(given) if given else None for given, _ in _readings(words))


def _given_names_differ(incoming: Party, candidate: Party) -> bool:
    """In every reading `compare_names` weighs, both names have given names, and none of the
    one's can agree with one of the other's: another person, whatever the counts."""
    ci = _reading_given_classes(incoming.person_words)
    cc = _reading_given_classes(candidate.person_words)
    written_i, written_c = ci[0], cc[0]
    if written_i is None or written_c is None or not written_i.isdisjoint(written_c):
        return False
    # The readings with the family name first, each against the other as written.
    if len(ci) > 1 and (ci[1] is None or not ci[1].isdisjoint(written_c)):
        return False
    return not (len(cc) > 1 and (cc[1] is None or not cc[1].isdisjoint(written_i)))


# The first letter `_spelled` or `_ocr_folded` may give a word, besides its own, by its own first
# letter (tests/mapping/test_person_evidence.py holds both to it): ph- is f-, c-, ch-, ck- and
# qu- are k-, y- is i-; rn- and ri- read as m- and n-, cl- as d-, ii- as u-, vv- as w-, 0 as o.
_FIRST_LETTER_READ = {"p": "f", "c": "kd", "q": "k", "y": "i", "r": "mn", "i": "u", "v": "w",
                      "0": "o"}  # fmt: skip
# A class letter -> the first letters of the words that may have it.
_WRITTEN_FIRST = {
    read: frozenset(
        {read} | {first for first, reads in _FIRST_LETTER_READ.items() if read in reads}
    )
    for read in "abcdefghijklmnopqrstuvwxyz0123456789"
}


def given_initials(incoming: Party) -> tuple[str, str]:
    """The first letters a candidate's given names need one of to agree in any way with
    `incoming`'s (`_given_names_differ` False): its given names as written (every word but the
    last) against `incoming`'s in either reading, and those of its reading with the family name
    first (every word but the first) against `incoming`'s as written. A letter is that of a word
    that shares a class with one of `incoming`'s given names, or of a name of one of their
    variant groups. ("", "") where a reading of `incoming`'s name has no given name (nothing
    differs then). The candidate search leaves out the relatives and namesakes in the postal
    code whose given names start with none of them (mapping.sql)."""
    words = tuple(w for w in incoming.person_words if w not in GENERATIONS)
    if len(words) < 2:
        return "", ""
    as_written, swapped = _initials_sharing(words[:-1]), _initials_sharing(words[1:])
    return "".join(sorted(as_written | swapped)), "".join(sorted(as_written))


@functools.lru_cache(maxsize=65536)
def _initials_sharing(given: tuple[str, ...]) -> frozenset[str]:
    """The first letters of the words that share a class with one of these given names
    (`_given_name_classes`)."""
    letters: set[str] = set()
    for word in given:
        for shared in _given_name_classes(word):
            if isinstance(shared, int):
                letters |= group_initials(shared)
            else:
                letters |= _WRITTEN_FIRST.get(shared, {shared})
    return frozenset(letters)


def _address_apart(incoming: Party, candidate: Party) -> tuple[bool, float | None]:
    """(apart, moved) of two persons' addresses and contacts: apart, no e-mail, phone or house in
    common (else maybe the same person or address); moved, the bits `person_evidence` weighs an
    address compared that differs (moved within the postal code or city, or further), None where
    the street or place is not compared on both sides (the postal code alone may back a name)."""
    both_postal = incoming.postal_code and candidate.postal_code
    same_postal = same_postal_code(incoming.postal_code, candidate.postal_code)
    same_place = same_postal if both_postal else same_city(incoming.city, candidate.city)
    if _shared_contact_or_house(incoming, candidate, same_place=same_place):
        return False, None
    if not (
        incoming.street and candidate.street and (both_postal or (incoming.city and candidate.city))
    ):
        return True, None
    moved_in_city = same_postal or same_city(incoming.city, candidate.city)
    return True, MOVED_IN_CITY_BITS if moved_in_city else MOVED_BITS


def reach(
    incoming: Party, candidate: Party, frequencies: NameFrequencies, *, by_worth: bool = False
) -> tuple[bool | None, bool]:
    """(`out_of_reach`, `beyond_review`) of two persons, with one comparison of their names.
    `by_worth`: not even that where the most the candidate's name words can agree by
    (`_names_worth`) leaves the address beyond review (a common name's relative or namesake at
    another address): (None, True), whether it is out of reach not told."""
    apart, moved = _address_apart(incoming, candidate)
    if not apart:
        return False, False
    prior = -math.log2(frequencies.population)
    if (
        by_worth
        and moved is not None
        and candidate.person_words
        # A margin for the order of the sums, far below any bit the evidence weighs.
        and prior + _names_worth(candidate.person_words, frequencies) + moved < REVIEW_BITS - 1e-9
    ):
        return None, True
    family, given, _, generations = compare_names(incoming, candidate, frequencies)
    out = family.level == "different" or given.level in ("different", "near") or generations
    if moved is None:
        return out, False
    return out, prior + family.bits + given.bits + moved + 0.0 + 0.0 < REVIEW_BITS


# The most bits a given name gives that is not the same word: an initial (a letter of a name).
_INITIAL_BITS = math.log2(1 / INITIAL_SHARE) - GIVEN_NAME_COST["initial"]


# Memoized per counting (`f`, hashed by identity), as `_compare_words`.
@functools.lru_cache(maxsize=16384)
def _names_worth(words: tuple[str, ...], f: NameFrequencies) -> float:
    """The most bits the names of a person with these name words agree by with any other's, in
    any reading `compare_names` weighs: its family name and given name are two of the words, and
    each agrees by at most what that word is worth (its rarity, never less than an initial; a
    spelling, a typo or a variant costs bits), so the two best words bound the sum."""
    worth = sorted((max(-math.log2(f.share(w)), _INITIAL_BITS) for w in words), reverse=True)
    return worth[0] + (worth[1] if len(worth) > 1 else 0.0)


def namesakes_beyond_review(incoming: Party, frequencies: NameFrequencies) -> bool:
    """`beyond_review` of `incoming` and any candidate whose person words are `incoming`'s (in
    any order), at any address of the candidate whose street and place are compared and that
    shares no house, e-mail or phone with `incoming`, whatever that address is: the odds `reach`
    sums stay below a reviewer's look even with the smaller cost of a move (within the postal
    code or city). A common name's namesake at another address ("Peter Müller" of another
    street) is such, and the candidate search leaves it out (mapping.sql). Bounded without
    comparing the names (`_names_worth`)."""
    words = person_words(incoming)
    if not words:
        return False
    prior = -math.log2(frequencies.population)
    return prior + _names_worth(words, frequencies) + MOVED_IN_CITY_BITS < REVIEW_BITS - 1e-9


def never_plausible(incoming: Party, candidate: Party, frequencies: NameFrequencies) -> bool:
    """Two persons, one of them (typically a neighbour or a relative at the same address) never
    linked nor worth a reviewer's look, whatever their addresses and the shared counts: no
    e-mail or phone in common, and another given name (not a slip: "different"), or a given name
    a letter apart ("near") with another family name. `scoring.plausible` then holds for
    neither reading of the evidence (another member of the household, or a renamed person);
    such a candidate at the same address only counts among those sharing it (`Shared`)."""
    if (incoming.email and incoming.email == candidate.email) or (
        incoming.phone and incoming.phone == candidate.phone
    ):
        return False
    if _given_names_differ(incoming, candidate) and not _given_names_near(
        incoming.person_words, candidate.person_words
    ):
        # Given names that share no class are a letter apart ("near") or "different"
        # (`_given_level`): none a letter apart, every reading's are "different".
        return True
    family, given, _, _ = compare_names(incoming, candidate, frequencies)
    return given.level == "different" or (given.level == "near" and family.level == "different")


def _given_names_near(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """In a reading `compare_names` weighs, a given name of the one a letter or less from one of
    the other's (optimal string alignment). Relatives share the family name: not compared."""
    return any(
        OSA.distance(x, y, score_cutoff=1) <= 1
        for (given_a, _), (given_b, _), _ in _weighed_readings(a, b)
        for x in given_a
        for y in given_b
    )


def out_of_reach(incoming: Party, candidate: Party, frequencies: NameFrequencies) -> bool:
    """Two persons that can be neither linked nor worth a reviewer's look, nor share the address,
    e-mail or phone (`Shared`): no e-mail or phone in common, not the same house number in the
    same place (postal code, else city: then not the same address), and their names, read
    as `compare_names` reads them, do not agree: the family name differs, or the given name does
    (another member of the family). Most candidates found by a common family name's sound in the
    postal code are such; they need not be scored (`decision`)."""
    return reach(incoming, candidate, frequencies)[0]


def beyond_review(incoming: Party, candidate: Party, frequencies: NameFrequencies) -> bool:
    """Two persons whose addresses were both compared (a street and a place on each side) and
    differ, with no e-mail or phone in common, and whose names, however well they agree, leave
    the odds below a reviewer's look at that address (another street of the same postal code or
    city, or further away): a namesake elsewhere ("Peter Müller" of another street). Neither
    linked, nor reviewed, nor sharing the address, e-mail or phone (`Shared`): scoring it
    changes nothing (`decision`). The odds are `person_evidence`'s sum, in its order."""
    return reach(incoming, candidate, frequencies)[1]


def person_evidence(
    incoming: Party,
    candidate: Party,
    signals: "Signals",
    *,
    frequencies: NameFrequencies,
    shared: Shared,
) -> Evidence:
    """The bits of each comparison of two persons (`signals`: how their addresses and contacts
    compared, see `scoring.score`)."""
    f, s = frequencies, signals
    population = f.population
    prior = -math.log2(population)
    personal = bool(s.email or (s.phone and mobile(incoming.phone)))
    family, given, swapped, generations = compare_names(
        incoming, candidate, f, personal_contact=personal
    )

    if s.same_address:
        households = max(shared.address, 1) * NEW_AT_KNOWN_ADDRESS_SHARE
        address = Part("sameAddress", math.log2(population / households))
    elif s.same_place and not s.street_compared and s.postal_code:
        households = f.postal_code_customers(incoming.postal_code)
        bits = math.log2(population / households) - POSTAL_CODE_ONLY_COST
        address = Part("samePostalCode", max(bits, 0.0))
    elif s.same_place and not s.street_compared:
        address = Part("sameCity", 0.0)
    elif s.address_compared and (s.city or s.postal_code):
        address = Part("differsInCity", MOVED_IN_CITY_BITS)
    elif s.address_compared:
        address = Part("differs", MOVED_BITS)
    else:
        address = Part("notCompared", 0.0)
    if s.email:
        email = Part("same", EMAIL_BITS - math.log2(max(shared.email, 1)))
    else:
        email = Part("differs" if incoming.email and candidate.email else "notCompared", 0.0)
    if s.phone:
        base = MOBILE_BITS if mobile(incoming.phone) else LANDLINE_BITS
        phone = Part("same", base - math.log2(max(shared.phone, 1)))
    else:
        phone = Part("differs" if incoming.phone and candidate.phone else "notCompared", 0.0)

    log_odds = prior + family.bits + given.bits + address.bits + email.bits + phone.bits
    name_agrees = (
        family.level in ("exact", "phonetic", "typo")
        and given.level not in ("different", "near")
        and not generations
        # A family name alone agrees only as written.
        and not (given.level == "missing" and family.level != "exact")
    )
    return Evidence(
        prior=prior,
        family=family,
        given=given,
        address=address,
        email=email,
        phone=phone,
        swapped=swapped,
        log_odds=log_odds,
        name_agrees=name_agrees,
        other_given_name=family.level != "different"
        and (given.level in ("different", "near") or generations),
        personal_contact=personal,
    )


# The log2 odds a link needs with the client's default threshold 0.92: the score is the odds
# squashed into 0..1 around SCORE_CENTRE bits, SCORE_SCALE bits per doubling of the odds.
SCORE_CENTRE = 3.0
SCORE_SCALE = 2.0
# A candidate with lower odds is not worth a reviewer's look (about 1 : 8).
REVIEW_BITS = -3.0


def score_of(log_odds: float) -> float:
    """The odds as a score 0..1 the client's threshold and margin apply to: 0.92 at 10 bits
    (1,000 : 1), 0.5 at 3 bits, 0.97 at 13 bits."""
    x = (log_odds - SCORE_CENTRE) / SCORE_SCALE
    return 1 / (1 + 2 ** (-x))
