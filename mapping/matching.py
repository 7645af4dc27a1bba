"""Name-and-address matching: normalization, scoring and the link/review/create decision.

Pure functions over plain values, so the engine, the review queue and the quality benchmark all
use the same code. A wrong automatic link is the worst outcome: a candidate is linked on its own
only when its name *and* an independent strong signal (the same address, or the same e-mail or
phone) agree, its score clears the client's threshold and it clearly leads the runner-up.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cleanco import basename
from rapidfuzz import fuzz

MATCHER_VERSION = "name-address/1"

# What a person writes differently but means the same: transliterated before comparing.
_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa", "&": " und "}
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


def normalize_name(name: str | None) -> str:
    """A company or person name without legal form, case, accents or punctuation.

    "Rhein-Ruhr Medical Supply GmbH & Co. KG" and "rhein ruhr medical supply" give the same.
    """
    if not name:
        return ""
    try:
        stripped = basename(str(name))
    except Exception:
        stripped = str(name)
    tokens = [t for t in fold(stripped or name).split() if t not in _LEGAL_TOKENS]
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


def normalize_postal_code(code: str | None) -> str:
    return "".join(str(code or "").split()).upper()


def normalize_email(email: str | None) -> str:
    return str(email or "").strip().casefold()


def normalize_phone(phone: str | None) -> str:
    """The last nine digits: "+49 201 123456" and "0201 123456" compare equal."""
    digits = re.sub(r"\D", "", str(phone or ""))
    return digits[-9:] if len(digits) >= 6 else ""


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

    @classmethod
    def of(
        cls, *, name=None, street=None, postal_code=None, city=None, email=None, phone=None
    ) -> "Party":
        street_name, number = split_street(street)
        return cls(
            name=normalize_name(name),
            street=street_name,
            house_number=number,
            postal_code=normalize_postal_code(postal_code),
            city=fold(city),
            email=normalize_email(email),
            phone=normalize_phone(phone),
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


def score(incoming: Party, candidate: Party) -> Score:
    """How likely `candidate` is the record `incoming` describes, 0..1, with its parts."""
    name = _similarity(incoming.name, candidate.name)
    street = _similarity(incoming.street, candidate.street)
    same_number = bool(incoming.house_number) and incoming.house_number == candidate.house_number
    same_postal = bool(incoming.postal_code) and incoming.postal_code == candidate.postal_code
    same_city = bool(incoming.city) and incoming.city == candidate.city
    same_email = bool(incoming.email) and incoming.email == candidate.email
    same_phone = bool(incoming.phone) and incoming.phone == candidate.phone

    address = 0.0
    if incoming.has_address and candidate.has_address:
        address = 0.45 * street + 0.25 * same_number + 0.2 * same_postal + 0.1 * same_city
    elif incoming.postal_code and candidate.postal_code:
        address = 0.6 * same_postal + 0.4 * same_city
    contact = 1.0 if (same_email or same_phone) else 0.0

    # Weights over the signals both sides have, so a missing field neither helps nor hurts.
    weights = {"name": 0.55}
    if incoming.postal_code and candidate.postal_code:
        weights["address"] = 0.35
    if (incoming.email and candidate.email) or (incoming.phone and candidate.phone):
        weights["contact"] = 0.25
    parts = {"name": name, "address": address, "contact": contact}
    total = sum(parts[k] * w for k, w in weights.items()) / sum(weights.values())

    same_address = incoming.has_address and same_postal and same_number and street >= 0.9
    corroborated = name >= 0.85 and (same_address or same_email or same_phone)
    signals = {
        "name": round(name, 3),
        "street": round(street, 3),
        "houseNumber": float(same_number),
        "postalCode": float(same_postal),
        "city": float(same_city),
        "email": float(same_email),
        "phone": float(same_phone),
    }
    return Score(
        total=round(total, 4),
        name=round(name, 4),
        address=round(address, 4),
        contact=contact,
        corroborated=corroborated,
        signals=signals,
    )


# Below this nobody needs to look: the incoming record is taken to be new.
PLAUSIBLE_SCORE = 0.6
PLAUSIBLE_NAME = 0.85


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
    plausible = [
        r for r in ranked if r.score.total >= PLAUSIBLE_SCORE or r.score.name >= PLAUSIBLE_NAME
    ][:keep]
    if not plausible:
        return MatchDecision(None, False, [], threshold, margin)
    best = plausible[0]
    runner_up = plausible[1].score.total if len(plausible) > 1 else 0.0
    if (
        best.score.corroborated
        and best.score.total >= threshold
        and best.score.total - runner_up >= margin
    ):
        return MatchDecision(best.record_id, False, plausible, threshold, margin)
    return MatchDecision(None, True, plausible, threshold, margin)
