"""The keys of the name-and-address candidate search (`mapping.sql`'s candidate statement) for
a party searched for: the statement's parameters (`selectors`) and the lookups of the customers
a batch creates before they are stored (`engine.state`, `Batch.planned_candidates`) take them
from here, so a customer created earlier in a batch is found by the same rules as a stored one.
What the stored side compares are the keys `customers.services` stores.

Two rules of the statement are also written here in Python: the house numbers that meet
(`house_numbers_meet`) and pg_trgm's `similarity` (`trigram_similarity`); tests hold both to
PostgreSQL's answers."""

import functools
import re
from itertools import permutations

from customers.normalization import street_key_of_name
from customers.phonetics import family_words_keys

from .matching import Party, evidence
from .matching.evidence import NameFrequencies


def postal_code_spellings(code: str) -> tuple[str, str, str]:
    """How else a location may store what normalize_postal_code made `code`: with the space of
    British, Dutch, Swedish, Czech... codes back, or a German code without its leading zero.
    Always three (a fixed number of columns in the statement), "" for none."""
    with_space = [f"{code[:-cut]} {code[-cut:]}" if len(code) > cut else "" for cut in (3, 2)]
    zero = code[1:] if len(code) == 5 and code.isdigit() and code.startswith("0") else ""
    return with_space[0], with_space[1], zero


def postal_codes_compared(party: Party) -> tuple[str, ...]:
    """The stored postal codes a location of the party's postal code may have: the code and its
    spellings, as the statement's `IN (postal_code, spelling_1, spelling_2, spelling_3)` takes
    them (an empty spelling included); () without a postal code."""
    return _postal_codes(party.postal_code) if party.postal_code else ()


@functools.lru_cache(maxsize=65536)  # a batch looks up each party's twice (statement, planned)
def _postal_codes(code: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((code, *postal_code_spellings(code))))


@functools.lru_cache(maxsize=65536)
def word_orders(name: str) -> str:
    """The name and, for two or three words, every other order of them, "|"-separated (a
    normalized name has no punctuation)."""
    words = name.split()
    if not 2 <= len(words) <= 3:
        return name
    return "|".join(dict.fromkeys(" ".join(order) for order in permutations(words)))


def site_bases(party: Party) -> str:
    """A company's name without the site after it, "|"-separated: the words before its own
    city, and before the site word ahead of the city ("fitwerk studios studio essen" in Essen:
    "fitwerk studios studio|fitwerk studios"). "" for a person or a name not ending in its city.
    """
    if party.person or not party.city:
        return ""
    words, city = party.name.split(), party.city.split()
    at = next((i for i in range(len(words) - 1, 0, -1) if words[i] == city[0]), 0)
    if not at or words[at:] != city[: len(words) - at]:  # only the city (or its start) after
        return ""
    # Two words at least: "Sparkasse Essen" is not a site of "Sparkasse" (see `_site_of`).
    return "|".join(" ".join(words[:end]) for end in (at, at - 1) if end >= 2)


def street_key(party: Party) -> str:
    """The street key a location at the party's address stores (`Location.street_key`); "" when
    the party has no full address (a street and a postal code)."""
    return street_key_of_name(party.street) if party.has_address else ""


def family_keys(party: Party) -> tuple[str, ...]:
    """The family keys (`Customer.family_key`) a private person's name may be stored under: of
    its last word, or of its first ("Müller, Hans"); () for a company."""
    return _family_keys(party.written) if party.person else ()


@functools.lru_cache(maxsize=65536)
def _family_keys(written: tuple[str, ...]) -> tuple[str, ...]:
    return family_words_keys(written, either_end=True)


def namesakes_beyond_review(party: Party, frequencies: NameFrequencies) -> str:
    """The person words (`Customer.person_words`) of the party's namesakes, every order of its
    own, "|"-separated, where none is worth a look at an address that is compared and differs
    and shares no house, e-mail or phone with it (`evidence.namesakes_beyond_review`: a common
    name elsewhere); "" where they may be, and for a party without a street and postal code
    (the address is then not compared) or a company. The statement still finds such a namesake
    where it lives at the party's house number, without a street or postal code, without a
    location, or shares the e-mail or phone (see mapping.sql)."""
    if not (party.person and party.street and party.postal_code):
        return ""
    if not evidence.namesakes_beyond_review(party, frequencies):
        return ""
    return word_orders(" ".join(party.person_words))


def house_numbers_meet(searched: str, stored: str) -> bool:
    """The statement's house number rule: either side without a number, the same number, or
    one end of the other's range (249 or 253 for 249-253; `matching.places.same_house_number`
    without the missing number)."""
    return (
        not searched
        or not stored
        or searched == stored
        or searched in stored.split("-")
        or stored in searched.split("-")
    )


_TRIGRAM_WORD = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=65536)
def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams of a text: per word of letters and digits, lower case, padded with
    two spaces before and one after."""
    grams: set[str] = set()
    for word in _TRIGRAM_WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity`: the trigrams in common over all of both. In double precision,
    where PostgreSQL's is single: a similarity of exactly the threshold (7 / 20 for 0.35) passes
    here and may not there, so a lookup by it finds at least what the statement finds."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    common = len(ta & tb)
    return common / (len(ta) + len(tb) - common)
