"""Name-and-address matching: normalization, scoring and the link/review/create decision.

Pure functions over plain values, so the engine, the review queue and the quality benchmark all
use the same code. A wrong automatic link is the worst outcome: a candidate is linked on its own
only when its name *and* an independent strong signal (the same address, e-mail, phone or company
mail domain) agree, its score clears the client's threshold and it clearly leads the runner-up.
"The name agrees" means every word of a company name (a typo aside) and, for private persons,
the exact name: neighbours and relatives share addresses and differ by one letter (Jan, Jana).
`bench/matching_quality.py` measures all of this on realistic data.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cleanco import basename
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

MATCHER_VERSION = "name-address/2"

# What a person writes differently but means the same: transliterated before comparing.
_TRANSLITERATION = str.maketrans(
    {
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
)
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
# Long legal forms get mistyped like any word ("GmvH", "GmHb"): one edit away still counts.
_TYPO_PRONE_FORMS = ("gmbh", "ggmbh", "gesmbh", "kgaa", "limited", "haftungsbeschraenkt")
# A site designation after the name: "Frischemarkt Nord GmbH, Filiale Essen".
_SITE_SUFFIX = re.compile(
    r"[\s,(/\u2013-]+(?:filiale|niederlassung|zweigniederlassung|standort|zweigstelle|"
    r"betriebsst(?:ä|ae)tte|nl|branch)\b.*$",
    re.IGNORECASE,
)
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
_STREET_SUFFIXES = (
    (re.compile(r"(?<=\w)(strasse|str)\b"), " str"),
    (re.compile(r"\b(strasse|str|street|st)\b"), "str"),
    (re.compile(r"\b(platz|pl)\b"), "pl"),
    (re.compile(r"\b(road|rd)\b"), "rd"),
    (re.compile(r"\b(avenue|ave)\b"), "ave"),
    (re.compile(r"\b(allee)\b"), "allee"),
    (re.compile(r"\b(weg)\b"), "weg"),
)
_HOUSE_NUMBER = re.compile(r"\b(\d+)(?:\s?([a-z]))?\b(?:\s(\d+)\b)?")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str | None) -> str:
    """Lower case, umlauts transliterated, accents and punctuation gone, single spaces."""
    if not text:
        return ""
    text = str(text).casefold().translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text).split())


@functools.lru_cache(maxsize=65536)  # cleanco costs ~0.5 ms a call; candidates repeat per address
def normalize_name(name: str | None) -> str:
    """A company or person name without legal form, salutation, case, accents or punctuation.

    "Rhein-Ruhr Medical Supply GmbH & Co. KG" and "rhein ruhr medical supply" give the same.
    """
    if not name:
        return ""
    try:
        stripped = basename(str(name))
    except Exception:
        stripped = str(name)
    tokens = [
        t
        for t in fold(stripped or name).split()
        if t not in _LEGAL_TOKENS and not any(OSA.distance(t, f) <= 1 for f in _TYPO_PRONE_FORMS)
    ]
    # A single-letter token left from "e. K." or "S. A." carries no identity.
    tokens = [t for t in tokens if len(t) > 1 or t.isdigit()]
    return " ".join(tokens) or fold(name)


def split_street(street: str | None) -> tuple[str, str]:
    """(street name, house number), both normalized: "Hachestraße 12a" → ("hache str", "12a")."""
    folded = fold(street)
    if not folded:
        return "", ""
    number = ""
    matches = list(_HOUSE_NUMBER.finditer(folded))
    # "12 Main St" puts the number first, "Straße des 17. Juni 4" last.
    match = (matches[0] if folded[0].isdigit() else matches[-1]) if matches else None
    if match:
        # "5-7" folds to "5 7": a range keeps both ends.
        number = match.group(1) + (match.group(2) or "")
        if match.group(3):
            number += "-" + match.group(3)
        folded = (folded[: match.start()] + " " + folded[match.end() :]).strip()
    for pattern, replacement in _STREET_SUFFIXES:
        folded = pattern.sub(replacement, folded)
    return " ".join(folded.split()), number


def street_key(street: str | None) -> str:
    """The street name without spaces, for exact blocking: "hachestr" for every spelling."""
    return split_street(street)[0].replace(" ", "")


def strip_site(name: str | None, city: str | None) -> str:
    """The name without a site designation: "Frischemarkt Nord GmbH - Essen" in Essen,
    "..., Filiale Essen", "... (Essen)" are Frischemarkt Nord GmbH."""
    name = str(name or "")
    cut = _SITE_SUFFIX.sub("", name)
    if cut.strip():
        name = cut
    first = re.split(r"[\s/(,-]", str(city or "").strip())[0]
    if len(first) >= 3:
        pattern = r"(?:\s[-\u2013]\s*|,\s*|\s*\()\s*" + re.escape(first) + r"\b.*$"
        cut = re.sub(pattern, "", name, flags=re.IGNORECASE)
        if cut.strip():
            name = cut
    return name


def normalize_postal_code(code: str | None, country: str | None = None) -> str:
    code = "".join(str(code or "").split()).upper()
    if (country or "").upper() == "DE" and len(code) == 4 and code.isdigit():
        code = "0" + code  # a spreadsheet ate the zero: "1067" is 01067
    return code


def normalize_email(email: str | None) -> str:
    return str(email or "").strip().casefold()


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


@dataclass(frozen=True)
class Party:
    """What is compared: a customer's identity and one of its addresses, normalized."""

    name: str = ""
    street: str = ""
    house_number: str = ""
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
        normalized = normalize_name(strip_site(name, city))
        key = normalized.replace("ae", "a").replace("oe", "o").replace("ue", "u")
        email = normalize_email(email)
        domain = email.rsplit("@", 1)[-1] if "@" in email else ""
        return cls(
            name=normalized,
            street=street_name,
            house_number=number,
            postal_code=normalize_postal_code(postal_code, country),
            city=fold(city),
            email=email,
            phone=normalize_phone(phone),
            person=person,
            name_key=" ".join(sorted(key.split())),
            name_numbers=tuple(sorted(t for t in normalized.split() if t.isdigit())),
            email_domain="" if domain in FREEMAIL_DOMAINS else domain,
        )

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.postal_code)


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
        return x == y or (min(len(x), len(y)) >= 4 and OSA.distance(x, y) <= 1)

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


def score(incoming: Party, candidate: Party) -> Score:
    """How likely `candidate` is the record `incoming` describes, 0..1, with its parts.

    `corroborated` needs the name to agree (every word, or for private persons the exact name)
    and an independent signal: the same address, e-mail, phone or (companies) mail domain.
    E-mail and phone only ever count for a candidate: customers have several addresses.
    """
    person = incoming.person or candidate.person
    site = not person and _site_of(incoming, candidate)
    name = 1.0 if site else _similarity(incoming.name, candidate.name)
    street = _similarity(incoming.street, candidate.street)
    same_number = bool(incoming.house_number) and incoming.house_number == candidate.house_number
    same_postal = bool(incoming.postal_code) and incoming.postal_code == candidate.postal_code
    same_city = bool(incoming.city) and incoming.city == candidate.city
    same_email = bool(incoming.email) and incoming.email == candidate.email
    same_phone = bool(incoming.phone) and incoming.phone == candidate.phone
    same_domain = (
        not person
        and bool(incoming.email_domain)
        and incoming.email_domain == candidate.email_domain
    )
    # "WEG Hauptstraße 5" is not "WEG Hauptstraße 7", "TSV 1860" not "TSV 1880".
    numbers_differ = bool(
        incoming.name_numbers
        and candidate.name_numbers
        and incoming.name_numbers != candidate.name_numbers
    )
    if person:  # neighbours and families share an address and differ by a letter: Jan / Jana
        name_agrees = incoming.name_key == candidate.name_key
    else:
        name_agrees = site or (name >= 0.85 and _words_align(incoming.name, candidate.name))
    name_agrees = name_agrees and not numbers_differ

    compared_address = bool(incoming.postal_code and candidate.postal_code)
    address = 0.0
    if incoming.has_address and candidate.has_address:
        address = 0.45 * street + 0.25 * same_number + 0.2 * same_postal + 0.1 * same_city
    elif compared_address:
        address = 0.6 * same_postal + 0.4 * same_city
    contact = 1.0 if (same_email or same_phone) else 0.8 if same_domain else 0.0
    same_address = incoming.has_address and same_postal and same_number and street >= 0.9

    # Weights over the signals both sides have, so a missing field neither helps nor hurts;
    # a different e-mail or phone is no evidence against a candidate (info@ vs. rechnung@).
    weights = {"name": 0.55}
    if compared_address:
        weights["address"] = 0.35
    if contact:
        weights["contact"] = 0.25
        if name >= SAME_NAME and name_agrees and not same_address:
            del weights["address"]  # same name and e-mail/phone/domain: it moved
    parts = {"name": name, "address": address, "contact": contact}
    total = sum(parts[k] * weights[k] for k in weights) / sum(weights.values())

    corroborated = name_agrees and (same_address or same_email or same_phone or same_domain)
    signals = {
        "name": round(name, 3),
        "street": round(street, 3),
        "houseNumber": float(same_number),
        "postalCode": float(same_postal),
        "city": float(same_city),
        "email": float(same_email),
        "phone": float(same_phone),
        "emailDomain": float(same_domain),
        "addressCompared": float(compared_address),
        "streetCompared": float(incoming.has_address and candidate.has_address),
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
    same_street = signals["street"] >= 0.9
    same_address = bool(signals["postalCode"] and signals["houseNumber"] and same_street)
    uncontradicted = not signals["addressCompared"] or bool(
        signals["postalCode"] and (not signals["streetCompared"] or same_street)
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
    ranked.sort(key=lambda r: (r.score.total, r.score.corroborated), reverse=True)
    found = [r for r in ranked if plausible(r.score)][:keep]
    if not found:
        return MatchDecision(None, False, [], threshold, margin)
    best = found[0]
    runner_up = found[1].score.total if len(found) > 1 else 0.0
    if (
        best.score.corroborated
        and best.score.total >= threshold
        and best.score.total - runner_up >= margin
    ):
        return MatchDecision(best.record_id, False, found, threshold, margin)
    return MatchDecision(None, True, found, threshold, margin)
