"""Scoring one candidate: how likely it is the incoming record, its signals (typed, snake_case;
`decision.signals_as_json` presents them) and whether it is worth a reviewer's look."""

from dataclasses import dataclass
from typing import NamedTuple

from .evidence import (
    NO_FREQUENCIES,
    REVIEW_BITS,
    Evidence,
    NameFrequencies,
    Shared,
    person_evidence,
    score_of,
)
from .names import similarity, site_of, without_mistyped_form, words_align
from .party import Party
from .places import same_city, same_house_number, same_postal_code, same_street


class Signals(NamedTuple):
    """What agreed between the incoming record and one address of a candidate: the rules below
    and the decision read these; reviewers and the API see them as camelCase JSON
    (`decision.signals_as_json`). Immutable; a NamedTuple rather than a frozen dataclass, as it
    is made for every address of every candidate and a frozen dataclass takes five times as
    long to construct."""

    name: float  # name similarity, rounded to 3 places
    street: float  # street-name similarity, rounded to 3 places
    house_number: bool
    postal_code: bool
    city: bool
    email: bool
    phone: bool
    email_domain: bool
    # Both sides have a place (postal code or city) to compare.
    address_compared: bool
    # ... and both a street.
    street_compared: bool
    same_place: bool
    same_street: bool
    same_address: bool
    # The exact name (words sorted), or the candidate's name plus a site.
    exact_name: bool
    name_agrees: bool
    # A new site of a chain (see `decision`), and how many sites the chain has.
    chain_branch: bool = False
    chain_locations: int = 0
    # Private persons: the evidence in bits (`evidence`), which decides for them.
    evidence: Evidence | None = None


@dataclass(frozen=True, slots=True)
class Score:
    total: float
    name: float
    address: float
    contact: float
    corroborated: bool
    signals: Signals


class AddressComparison(NamedTuple):
    """How two parties' addresses compare (`score`'s address signals)."""

    street: float  # the street names' similarity
    same_number: bool
    same_postal: bool
    same_town: bool
    # Where the building is: the postal code where both sides have one, else the city.
    same_place: bool
    compared_place: bool
    same_street: bool

    @property
    def same_address(self) -> bool:
        """The same street (a typo aside) and house number in the same place."""
        return self.same_street and self.same_number and self.same_place


def addresses_compared(incoming: Party, candidate: Party) -> AddressComparison:
    street = similarity(incoming.street, candidate.street)
    both_postal = bool(incoming.postal_code and candidate.postal_code)
    same_postal = same_postal_code(incoming.postal_code, candidate.postal_code)
    same_town = same_city(incoming.city, candidate.city)
    return AddressComparison(
        street=street,
        same_number=same_house_number(incoming.house_number, candidate.house_number),
        same_postal=same_postal,
        same_town=same_town,
        same_place=same_postal if both_postal else same_town,
        compared_place=both_postal or bool(incoming.city and candidate.city),
        same_street=bool(incoming.street and candidate.street)
        and same_street(incoming, candidate, street),
    )


def score(
    incoming: Party,
    candidate: Party,
    *,
    frequencies: NameFrequencies = NO_FREQUENCIES,
    shared: Shared = Shared(),  # noqa: B008 (an immutable NamedTuple)
) -> Score:
    """How likely `candidate` is the record `incoming` describes, 0..1, with its parts.

    `corroborated` needs the name to agree and an independent signal: the same address,
    e-mail, phone or (companies) mail domain; or, for a company sent without a street, the
    exact name in the same postal code. E-mail and phone only ever count for a candidate:
    customers have several addresses. "The same address" is the same street (a typo aside)
    and house number in the same postal code, or in the same city where a side has no postal
    code. "The name agrees": every word of a company name (a typo aside). Private persons are
    decided by the evidence in bits instead (`_person_score`), from the signals both share.
    """
    person = incoming.person or candidate.person
    if not person:
        incoming = without_mistyped_form(incoming, candidate)
    site = not person and site_of(incoming, candidate)
    # Also with umlauts as plain vowels: "Horgerate" is "Hörgeräte" without its dots.
    name = (
        1.0
        if site
        else max(
            similarity(incoming.name, candidate.name),
            similarity(incoming.name_key, candidate.name_key),
        )
    )
    place = addresses_compared(incoming, candidate)
    (street, same_number, same_postal, same_town, same_place, compared_place, same_street_name) = (
        place
    )
    same_email = bool(incoming.email) and incoming.email == candidate.email
    same_phone = bool(incoming.phone) and incoming.phone == candidate.phone
    same_domain = (
        not person
        and bool(incoming.email_domain)
        and incoming.email_domain == candidate.email_domain
    )
    same_address = place.same_address
    exact_name = incoming.name_key == candidate.name_key
    address = 0.0
    # A city missing on one side neither helps nor hurts: the postal code then stands for it.
    city_part = same_town if incoming.city and candidate.city else same_place
    if incoming.street and candidate.street and compared_place:
        street_part = 1.0 if same_street_name else street
        address = 0.45 * street_part + 0.25 * same_number + 0.2 * same_place + 0.1 * city_part
    elif compared_place:
        address = 0.6 * same_place + 0.4 * city_part
    contact = 1.0 if (same_email or same_phone) else 0.8 if same_domain else 0.0
    signals = Signals(
        name=round(name, 3),
        street=round(street, 3),
        house_number=same_number,
        postal_code=same_postal,
        city=same_town,
        email=same_email,
        phone=same_phone,
        email_domain=same_domain,
        address_compared=compared_place,
        street_compared=bool(incoming.street and candidate.street and compared_place),
        same_place=same_place,
        same_street=same_street_name,
        same_address=same_address,
        exact_name=exact_name or site,
        name_agrees=False,  # set below, or by the evidence for a person
    )
    if person:
        return _person_score(
            incoming, candidate, signals, name, address, contact, frequencies, shared
        )
    # "WEG Hauptstraße 5" is not "WEG Hauptstraße 7", "TSV 1860" not "TSV 1880".
    numbers_differ = bool(
        incoming.name_numbers
        and candidate.name_numbers
        and incoming.name_numbers != candidate.name_numbers
    )
    name_agrees = not numbers_differ and (
        site
        or (
            name >= 0.85
            and (
                words_align(incoming.name, candidate.name)
                or words_align(incoming.name_key, candidate.name_key)
            )
        )
    )
    # A company sent without a street: its exact name in the same postal code is that company
    # (a register keeps firms of one place apart).
    same_firm_in_postal_code = (
        not incoming.street and same_postal and (exact_name or site) and not numbers_differ
    )

    # Weights over the signals both sides have, so a missing field neither helps nor hurts;
    # a different e-mail or phone is no evidence against a candidate (info@ vs. rechnung@).
    weights = {"name": 0.55}
    if compared_place:
        weights["address"] = 0.35
    if contact:
        weights["contact"] = 0.25
        if name >= SAME_NAME and name_agrees and not same_address:
            weights.pop("address", None)  # same name and e-mail/phone/domain: it moved
    parts = {"name": name, "address": address, "contact": contact}
    total = sum(parts[k] * weights[k] for k in weights) / sum(weights.values())
    if contact:  # a shared company mail domain (0.8) is evidence for a candidate, never against
        rest = {k: w for k, w in weights.items() if k != "contact"}
        total = max(total, sum(parts[k] * rest[k] for k in rest) / sum(rest.values()))

    corroborated = (
        name_agrees and (same_address or same_email or same_phone or same_domain)
    ) or same_firm_in_postal_code
    return Score(
        total=round(total, 4),
        name=round(name, 4),
        address=round(address, 4),
        contact=contact,
        corroborated=corroborated,
        signals=signals._replace(name_agrees=name_agrees),
    )


def _person_score(
    incoming: Party,
    candidate: Party,
    signals: Signals,
    name: float,
    address: float,
    contact: float,
    frequencies: NameFrequencies,
    shared: Shared,
) -> Score:
    """A private person is decided by the evidence in bits (`evidence`): the name must agree and
    the same address, e-mail, phone, or the postal code where one side has no street, back it;
    the score is the odds (`evidence.score_of`)."""
    ev = person_evidence(incoming, candidate, signals, frequencies=frequencies, shared=shared)
    s = signals
    corroborated = ev.name_agrees and (
        s.same_address
        or s.email
        or s.phone
        or (s.postal_code and not s.street_compared and ev.address.bits > 0)
    )
    signals = s._replace(name_agrees=ev.name_agrees, evidence=ev)
    return Score(
        total=round(score_of(ev.log_odds), 4),
        name=round(name, 4),
        address=round(address, 4),
        contact=contact,
        corroborated=corroborated,
        signals=signals,
    )


def person_rescored(
    incoming: Party,
    candidate: Party,
    earlier: Score,
    *,
    frequencies: NameFrequencies,
    shared: Shared,
) -> Score:
    """`score` of a person again, with other `shared` counts: only the evidence changes, so it is
    weighed again on the signals `earlier` (the score without them) found."""
    return _person_score(
        incoming,
        candidate,
        earlier.signals,
        earlier.name,
        earlier.address,
        earlier.contact,
        frequencies,
        shared,
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
    ev = signals.evidence
    if ev is not None:  # a private person: by the evidence
        if s.corroborated:
            return True
        if ev.other_given_name:  # another member of the household, or a slip in the name
            return ev.personal_contact or (signals.same_address and ev.given.level == "near")
        # The given name at the very address, the family name not: a new family name?
        renamed = signals.same_address and ev.given.level in ("exact", "variant")
        return ev.log_odds >= REVIEW_BITS and (ev.name_agrees or ev.personal_contact or renamed)
    uncontradicted = not signals.address_compared or bool(
        signals.same_place and (not signals.street_compared or signals.same_street)
    )
    return bool(
        s.corroborated
        or s.name >= SAME_NAME
        or (s.name >= PLAUSIBLE_NAME and uncontradicted)
        or (signals.same_address and s.name >= ANOTHER_NAME_SAME_ADDRESS)
    )
