"""Name-and-address matching: parties, scoring and the link/review/create decision (the
normalization of names, streets, postal codes, phones and e-mails is customers.normalization).

Pure functions over plain values, so the engine, the review queue and the quality benchmark all
use the same code. A wrong automatic link is the worst outcome: a candidate is linked on its own
only when its name *and* an independent strong signal agree, its score clears the client's
threshold and it clearly leads every other candidate the record could also be (its rivals).
The strong signals: the same address (street, a typo aside, and house number or an end of its
range, in the same postal code or, where one side has none, the same city), e-mail, phone or
company mail domain; for a company sent without a street, its exact name in the same postal
code; for a chain (a customer with CHAIN_LOCATIONS sites or more), its exact name at a new
address when no other customer has that name. "The name agrees" means every word of a company
name (a typo aside) and, for private persons, the exact name, or at the same address a slip of
the fingers in one word: neighbours and relatives share addresses and differ by one letter at
the start or end (Jan, Jana).
The same name at another address with nothing else in common stays a review: as often as not it
is another customer of that name (the benchmark's new records show it). `bench/matching_quality.py`
measures all of this on realistic data.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from customers.normalization import (
    fold,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postal_code,
    plain_vowels,
    split_street,
    street_as_written,
    strip_site,
)

MATCHER_VERSION = "name-address/4"

# Short legal forms: one edit away they are often real words (Karl / SARL, Part / PartG, Core /
# Corp), so a mistyped one is only ignored at the end of a name, against a candidate that has
# this form (see `_without_mistyped_form`).
_SHORT_FORMS = frozenset({"gmbh", "ggmbh", "gesmbh", "kgaa", "sarl", "partg", "partgmbb", "corp"})
# Mail domains many unrelated customers share: they say nothing about who a customer is.
FREEMAIL_DOMAINS = frozenset(
    {
        "web.de",
        "gmx.de",
        "gmx.net",
        "gmail.com",
        "googlemail.com",
        "t-online.de",
        "outlook.de",
        "outlook.com",
        "hotmail.com",
        "hotmail.de",
        "yahoo.de",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "freenet.de",
        "posteo.de",
        "mail.de",
        "aol.com",
        "online.de",
        "arcor.de",
        "vodafone.de",
        "ewetel.net",
        "kabelmail.de",
    }
)


@dataclass(frozen=True)
class Party:
    """What is compared: a customer's identity and one of its addresses, normalized."""

    name: str = ""
    street: str = ""
    house_number: str = ""
    # The street name as written, folded, without spaces: compared for one typo.
    street_written: str = ""
    postal_code: str = ""
    city: str = ""
    email: str = ""
    phone: str = ""
    # A private person: the address corroborates only the exact name (see `score`).
    person: bool = False
    # The name with its words sorted and umlauts as plain vowels: "Weber, Anna" = "Anna Weber".
    name_key: str = ""
    name_numbers: tuple[str, ...] = ()
    # The e-mail's domain unless it is a freemail one: the same company domain is evidence.
    email_domain: str = ""
    # The name's words as written (folded, without a site): where its legal form stands.
    written: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        name=None,
        street=None,
        postal_code=None,
        city=None,
        email=None,
        phone=None,
        person: bool = False,
        country: str | None = None,
    ) -> "Party":
        street_name, number = split_street(street)
        without_site = strip_site(name, city)
        normalized = normalize_name(without_site)
        key = plain_vowels(normalized)
        email = normalize_email(email)
        domain = email.rsplit("@", 1)[-1] if "@" in email else ""
        return cls(
            name=normalized,
            street=street_name,
            house_number=number,
            street_written=street_as_written(street) if street_name else "",
            postal_code=normalize_postal_code(postal_code, country),
            city=fold(city),
            email=email,
            phone=normalize_phone(phone),
            person=person,
            name_key=" ".join(sorted(key.split())),
            name_numbers=tuple(sorted(t for t in normalized.split() if t.isdigit())),
            email_domain="" if domain in FREEMAIL_DOMAINS else domain,
            written=tuple(fold(without_site).split()),
        )

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.postal_code)

    @property
    def has_place(self) -> bool:
        """A postal code or a city: where the street is."""
        return bool(self.postal_code or self.city)


@dataclass(frozen=True)
class Score:
    total: float
    name: float
    address: float
    contact: float
    corroborated: bool
    signals: dict[str, float] = field(default_factory=dict)


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100


def _words_align(a: str, b: str) -> bool:
    """Every word of each name has a counterpart in the other: the same word or, from four
    letters, one typo away. "Kraus Partner Rechtsanwaelte Service" is not "Kraus Partner
    Rechtsanwaelte" (0.88), "Zimmermann Haustechnik" not "Zimmermann Aufzugstechnik" (0.89)."""

    def close(x: str, y: str) -> bool:
        # From four letters one typo; a three-letter word only lost or gained one ("Oto").
        shorter, longer = sorted((len(x), len(y)))
        return x == y or (shorter >= 3 and longer >= 4 and OSA.distance(x, y) <= 1)

    ta, tb = a.split(), b.split()
    return all(any(close(x, y) for y in tb) for x in ta) and all(
        any(close(y, x) for x in ta) for y in tb
    )


def _site_of(incoming: Party, candidate: Party) -> bool:
    """The incoming name is the candidate's whole name plus a site in the incoming record's own
    city: "FitWerk Studios GmbH Studio Leipzig" or "Sonnen-Apotheken Leipzig" in Leipzig."""
    ti, tc = incoming.name.split(), candidate.name.split()
    city = incoming.city.split()
    if not city or len(ti) <= len(tc) or ti[: len(tc)] != tc:
        return False
    rest = ti[len(tc) :]
    return city[0] in rest and (len(rest) >= 2 or (len(tc) >= 2 and rest == city[:1]))


# Keys next to each other on German (QWERTZ) and English (QWERTY) keyboards: a finger that
# slips hits one of these. "Lrna" for "Lena" is a slip, "Lina" is another name.
_KEY_ROWS = (("qwertzuiop", "asdfghjkl", "yxcvbnm"), ("qwertyuiop", "asdfghjkl", "zxcvbnm"))


def _keyboard_neighbours() -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {}
    for rows in _KEY_ROWS:
        for r, row in enumerate(rows):
            for c, key in enumerate(row):
                around = {row[c - 1] if c else "", row[c + 1] if c + 1 < len(row) else ""}
                if r > 0:  # the row above is shifted half a key to the left
                    around |= set(rows[r - 1][c : c + 2])
                if r + 1 < len(rows):
                    around |= set(rows[r + 1][max(c - 1, 0) : c + 1])
                near.setdefault(key, set()).update(around - {"", key})
    return {k: frozenset(v) for k, v in near.items()}


_NEIGHBOUR_KEYS = _keyboard_neighbours()


def _slip(written: str, meant: str) -> str:
    """How one word of a person's name differs from another by a single slip of the fingers,
    or "" when it does not. The first letter, the last two and the length at the end of the word
    must stay: names in one family differ exactly there (Jan / Jana, Paul / Paula, Anna /
    Hanna, Maria / Mario, Christian / Christina). "swap" (Mnoika) and "double" (Birgitt) are
    slips; "key" (Lrna: a neighbouring key), "drop" (Thoas) and "other" letters inside the word
    also turn names into other names (Anna / Anja, Timo / Tino, Laura / Lara, Lena / Lina)."""
    if min(len(written), len(meant)) < 4 or written[0] != meant[0] or written == meant:
        return ""
    if OSA.distance(written, meant) != 1:
        return ""
    if len(written) == len(meant):
        i = next(k for k in range(len(meant)) if written[k] != meant[k])
        if written[i + 1 :] != meant[i + 1 :]:  # adjacent letters swapped
            # ... but not the last two: Christian / Christina
            return "swap" if i + 2 < len(meant) else ""
        if i == len(meant) - 1:  # the last letter: Maria / Mario
            return ""
        return "key" if written[i] in _NEIGHBOUR_KEYS.get(meant[i], ()) else "other"
    longer, shorter = (written, meant) if len(written) > len(meant) else (meant, written)
    i = next((k for k in range(len(shorter)) if longer[k] != shorter[k]), len(shorter))
    if longer[i] == longer[i - 1] or (i + 1 < len(longer) and longer[i] == longer[i + 1]):
        return "double"  # Birgitt / Birgit, Krrause / Krause
    if i == len(shorter):  # a letter more or less at the end: Jan / Jana
        return ""
    return "drop"


def _person_slip(incoming: Party, candidate: Party) -> str:
    """The slip by which two person names differ in one word, all other words the same."""
    a, b = incoming.name_key.split(), candidate.name_key.split()
    if len(a) != len(b):
        return ""
    only_a, only_b = list(a), list(b)
    for word in a:
        if word in only_b:
            only_a.remove(word)
            only_b.remove(word)
    if len(only_a) != 1 or len(only_b) != 1:
        return ""
    return _slip(only_a[0], only_b[0])


def _same_city(a: str, b: str) -> bool:
    """The same city, however it is qualified: "Frankfurt" and "Frankfurt am Main", "Halle" and
    "Halle (Saale)". Only where no postal code can tell: the street and house number must also
    agree."""
    if not a or not b:
        return False
    if a == b:
        return True
    first_a, first_b = a.split()[0], b.split()[0]
    return first_a == first_b and len(first_a) >= 4 and first_a not in _CITY_PREFIXES


# First words many different places share: Bad Homburg is not Bad Kissingen.
_CITY_PREFIXES = frozenset({"sankt", "saint", "santa", "markt", "neustadt", "hansestadt"})


def _same_street(incoming: Party, candidate: Party, similarity: float) -> bool:
    """The same street name: alike as normalized, or one typo apart as written (from six
    letters): "Bikrenweg", "Kaiser-Wilhelm-tSraße", "Industriestrqße"."""
    if similarity >= 0.9:
        return True
    a, b = incoming.street_written, candidate.street_written
    return min(len(a), len(b)) >= 6 and OSA.distance(a, b) <= 1


def _same_house_number(a: str, b: str) -> bool:
    """The same number, or one end of the other's range: "Kölner Straße 249-253" is also
    written "Kölner Straße 249". A number inside the range is not: "251" may be the building
    next door, "250" is across the street."""
    if not a or not b:
        return False
    return a == b or a in b.split("-") or b in a.split("-")


# Mobile numbers (in normalize_phone's form) belong to one person; a landline to a household.
# Germany 015x-017x, Austria 06xx, Switzerland 075-079, Netherlands 06, UK 07, France 06/07.
_MOBILE_PREFIXES = (
    "4915", "4916", "4917", "436", "4175", "4176", "4177", "4178", "4179", "316", "447", "336",
    "337",
)  # fmt: skip


def _mobile(phone: str) -> bool:
    return phone.startswith(_MOBILE_PREFIXES)


def _without_mistyped_form(incoming: Party, candidate: Party) -> Party:
    """The incoming company without its last word when that is the candidate's short legal
    form mistyped, standing where the candidate has it: "Lambert SRAL" for "Lambert SARL",
    "... PrtG mbB" for "... PartG mbB". One edit from "SARL" is also "Karl": "Autohaus Karl AG"
    is not "Autohaus SARL" (another form follows the word), and two words at least must remain
    ("Autohaus Karl" says too little to be "Autohaus SARL")."""
    words = incoming.name.split()
    if len(words) < 3 or len(words[-1]) < 3 or words[-1] in candidate.name.split():
        return incoming
    last = words[-1]
    if last not in incoming.written:
        return incoming
    tail = incoming.written[len(incoming.written) - incoming.written[::-1].index(last) :]
    if not any(
        word in _SHORT_FORMS
        and OSA.distance(last, word) <= 1
        and candidate.written[n + 1 :] == tail
        for n, word in enumerate(candidate.written)
    ):
        return incoming
    name = " ".join(words[:-1])
    return replace(incoming, name=name, name_key=" ".join(sorted(plain_vowels(name).split())))


def score(incoming: Party, candidate: Party) -> Score:
    """How likely `candidate` is the record `incoming` describes, 0..1, with its parts.

    `corroborated` needs the name to agree and an independent signal: the same address,
    e-mail, phone or (companies) mail domain; or, for a company sent without a street, the
    exact name in the same postal code. E-mail and phone only ever count for a candidate:
    customers have several addresses. "The same address" is the same street (a typo aside)
    and house number in the same postal code, or in the same city where a side has no postal
    code. "The name agrees": every word of a company name (a typo aside); for private persons
    the exact name, or at the same address one word with a slip of the fingers (see `_slip`).
    """
    person = incoming.person or candidate.person
    if not person:
        incoming = _without_mistyped_form(incoming, candidate)
    site = not person and _site_of(incoming, candidate)
    # Also with umlauts as plain vowels: "Horgerate" is "Hörgeräte" without its dots.
    name = (
        1.0
        if site
        else max(
            _similarity(incoming.name, candidate.name),
            _similarity(incoming.name_key, candidate.name_key),
        )
    )
    street = _similarity(incoming.street, candidate.street)
    same_number = _same_house_number(incoming.house_number, candidate.house_number)
    both_postal = bool(incoming.postal_code and candidate.postal_code)
    # "02-495" and "02495" are one Polish postal code (the lookup keeps the sender's spelling).
    same_postal = both_postal and (
        incoming.postal_code.replace("-", "") == candidate.postal_code.replace("-", "")
    )
    same_city = _same_city(incoming.city, candidate.city)
    # Where the building is: the postal code where both sides have one, else the city.
    same_place = same_postal if both_postal else same_city
    compared_place = both_postal or bool(incoming.city and candidate.city)
    same_street = bool(incoming.street and candidate.street) and _same_street(
        incoming, candidate, street
    )
    same_email = bool(incoming.email) and incoming.email == candidate.email
    same_phone = bool(incoming.phone) and incoming.phone == candidate.phone
    same_domain = (
        not person
        and bool(incoming.email_domain)
        and incoming.email_domain == candidate.email_domain
    )
    same_address = same_street and same_number and same_place
    # "WEG Hauptstraße 5" is not "WEG Hauptstraße 7", "TSV 1860" not "TSV 1880".
    numbers_differ = bool(
        incoming.name_numbers
        and candidate.name_numbers
        and incoming.name_numbers != candidate.name_numbers
    )
    exact_name = incoming.name_key == candidate.name_key
    slip = ""
    if person:  # neighbours and families share an address and differ by a letter: Jan / Jana
        name_agrees = exact_name
        if not exact_name and same_address:
            slip = _person_slip(incoming, candidate)
            # A swapped or doubled letter is a slip at the same address; a neighbouring key, a
            # letter less or another letter can be another member of the household (Anna /
            # Anja, Timo / Tino, Laura / Lara): only with the same e-mail or mobile number as
            # well (a household shares its landline, rarely an e-mail address or a mobile).
            personal = same_email or (same_phone and _mobile(incoming.phone))
            name_agrees = slip in ("swap", "double") or (
                slip in ("key", "drop", "other") and personal
            )
    else:
        name_agrees = site or (
            name >= 0.85
            and (
                _words_align(incoming.name, candidate.name)
                or _words_align(incoming.name_key, candidate.name_key)
            )
        )
    name_agrees = name_agrees and not numbers_differ
    # A company sent without a street: its exact name in the same postal code is that company
    # (a register keeps firms of one place apart); a person's name is not (namesakes).
    same_firm_in_postal_code = (
        not person
        and not incoming.street
        and same_postal
        and (exact_name or site)
        and not numbers_differ
    )

    address = 0.0
    # A city missing on one side neither helps nor hurts: the postal code then stands for it.
    city_part = same_city if incoming.city and candidate.city else same_place
    if incoming.street and candidate.street and compared_place:
        street_part = 1.0 if same_street else street
        address = 0.45 * street_part + 0.25 * same_number + 0.2 * same_place + 0.1 * city_part
    elif compared_place:
        address = 0.6 * same_place + 0.4 * city_part
    contact = 1.0 if (same_email or same_phone) else 0.8 if same_domain else 0.0

    # Weights over the signals both sides have, so a missing field neither helps nor hurts;
    # a different e-mail or phone is no evidence against a candidate (info@ vs. rechnung@).
    weights = {"name": 0.55}
    if compared_place:
        weights["address"] = 0.35
    if contact:
        weights["contact"] = 0.25
        if name >= SAME_NAME and name_agrees and not same_address:
            weights.pop("address", None)  # same name and e-mail/phone/domain: it moved
    # A slip of the fingers in a person's name costs no more than a typo in a company's.
    name_part = max(name, 0.95) if slip and name_agrees else name
    parts = {"name": name_part, "address": address, "contact": contact}
    total = sum(parts[k] * weights[k] for k in weights) / sum(weights.values())
    if contact:  # a shared company mail domain (0.8) is evidence for a candidate, never against
        rest = {k: w for k, w in weights.items() if k != "contact"}
        total = max(total, sum(parts[k] * rest[k] for k in rest) / sum(rest.values()))

    corroborated = (
        name_agrees and (same_address or same_email or same_phone or same_domain)
    ) or same_firm_in_postal_code
    signals = {
        "name": round(name, 3),
        "street": round(street, 3),
        "houseNumber": float(same_number),
        "postalCode": float(same_postal),
        "city": float(same_city),
        "email": float(same_email),
        "phone": float(same_phone),
        "emailDomain": float(same_domain),
        "addressCompared": float(compared_place),
        "streetCompared": float(bool(incoming.street and candidate.street and compared_place)),
        "samePlace": float(same_place),
        "sameStreet": float(same_street),
        "sameAddress": float(same_address),
        "exactName": float(exact_name or site),
        "nameAgrees": float(name_agrees),
    }
    return Score(
        total=round(total, 4),
        name=round(name, 4),
        address=round(address, 4),
        contact=contact,
        corroborated=corroborated,
        signals=signals,
    )


# A similar name (or better) makes a candidate worth a look where the address allows it.
PLAUSIBLE_NAME = 0.85
# The same name is worth a look anywhere: the customer may have moved.
SAME_NAME = 0.97
# Another name at the very same address is worth a look from this similarity on.
ANOTHER_NAME_SAME_ADDRESS = 0.5


def plausible(s: Score) -> bool:
    """Worth a reviewer's look: at most one thing differs. Corroborated; or the same name
    anywhere; or a similar name where the address does not contradict it (same street, or no
    street to compare); or another name at the very same address. Below this the incoming
    record is taken to be new."""
    signals = s.signals
    same_street = bool(signals["sameStreet"])
    same_place = bool(signals["samePlace"])
    same_address = bool(signals["sameAddress"])
    uncontradicted = not signals["addressCompared"] or bool(
        same_place and (not signals["streetCompared"] or same_street)
    )
    return bool(
        s.corroborated
        or s.name >= SAME_NAME
        or (s.name >= PLAUSIBLE_NAME and uncontradicted)
        or (same_address and s.name >= ANOTHER_NAME_SAME_ADDRESS)
    )


@dataclass(frozen=True)
class Ranked:
    record_id: int
    score: Score

    def as_json(self) -> dict[str, Any]:
        return {
            "recordId": self.record_id,
            "score": self.score.total,
            "corroborated": self.score.corroborated,
            "signals": self.score.signals,
        }


@dataclass(frozen=True)
class MatchDecision:
    """`link` is the record to link on its own, or None; `candidates` are kept for review when
    the decision is left to a person (`ambiguous`)."""

    link: int | None
    ambiguous: bool
    candidates: list[Ranked]
    threshold: float
    margin: float

    def as_json(self) -> dict[str, Any]:
        return {
            "matcherVersion": MATCHER_VERSION,
            "threshold": self.threshold,
            "margin": self.margin,
            "candidates": [c.as_json() for c in self.candidates],
        }


# A customer known at this many sites is a chain: its name is a brand.
CHAIN_LOCATIONS = 10


def _chain_branches(
    incoming: Party, candidates: dict[int, list[Party]], ranked: list[Ranked]
) -> list[Ranked]:
    """A company under the exact name of a chain, at an address the chain does not have yet, is
    a new site of that chain ("Frischemarkt Nord GmbH" at its 101st address; a site after the
    name is allowed): corroborated, scored on its name. Only where the chain is the one
    candidate of that name: a single-site namesake elsewhere is another company as likely as a
    site of the chain (see `score`), and then a person decides."""
    if incoming.person or not incoming.has_place:
        return ranked
    namesakes = [r for r in ranked if r.score.signals["nameAgrees"]]
    if len(namesakes) != 1:
        return ranked
    (chain,) = namesakes
    parties = candidates[chain.record_id]
    s = chain.score
    if (
        s.corroborated
        or len(parties) < CHAIN_LOCATIONS
        or any(p.person for p in parties)
        or not s.signals["exactName"]
    ):
        return ranked
    branch = replace(
        s,
        total=round(s.name, 4),
        corroborated=True,
        signals={**s.signals, "chainBranch": 1.0, "chainLocations": float(len(parties))},
    )
    return [Ranked(r.record_id, branch) if r is chain else r for r in ranked]


def decide(
    incoming: Party,
    candidates: dict[int, list[Party]],
    *,
    threshold: float,
    margin: float,
    keep: int = 5,
) -> MatchDecision:
    """Rank candidates (each with one or more addresses; the best address counts) and decide."""
    ranked = []
    for record_id, parties in candidates.items():
        best = max((score(incoming, p) for p in parties), key=lambda s: (s.corroborated, s.total))
        ranked.append(Ranked(record_id, best))
    ranked = _chain_branches(incoming, candidates, ranked)
    ranked.sort(key=lambda r: (r.score.total, r.score.corroborated), reverse=True)
    found = [r for r in ranked if plausible(r.score)][:keep]
    if not found:
        return MatchDecision(None, False, [], threshold, margin)
    best = found[0]
    # Only a candidate the record could also be is a rival: one whose name agrees too (typos
    # aside), or that is corroborated. "Schuster & Partner" does not make "Schröter & Partner"
    # in the same postal code ambiguous; "Keller" and "Kellner" are (a typo away).
    rivals = [r for r in found[1:] if r.score.corroborated or r.score.signals["nameAgrees"]]
    runner_up = rivals[0].score.total if rivals else 0.0
    if (
        best.score.corroborated
        and best.score.total >= threshold
        and best.score.total - runner_up >= margin
    ):
        return MatchDecision(best.record_id, False, found, threshold, margin)
    return MatchDecision(None, True, found, threshold, margin)
