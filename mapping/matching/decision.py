"""The decision: rank every candidate, link one on its own only when it is corroborated, clears
the threshold and leads its rivals by the margin; else keep the plausible ones for review. And how
a decision is presented (API `details`, review queue): the one place signals become camelCase."""

from dataclasses import dataclass, replace
from typing import Any

from .evidence import (
    NO_FREQUENCIES,
    NameFrequencies,
    Shared,
    never_plausible,
    reach,
)
from .party import Party
from .scoring import Score, Signals, addresses_compared, person_rescored, plausible, score

MATCHER_VERSION = "name-address/6"


@dataclass(frozen=True, slots=True)
class Ranked:
    record_id: int
    score: Score


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
        """The decision as the API shows it and the review queue reads it (stored JSON)."""
        return {
            "matcherVersion": MATCHER_VERSION,
            "threshold": self.threshold,
            "margin": self.margin,
            "candidates": [_candidate_json(c) for c in self.candidates],
        }


def _candidate_json(c: Ranked) -> dict[str, Any]:
    result = {
        "recordId": c.record_id,
        "score": c.score.total,
        "corroborated": c.score.corroborated,
        "signals": signals_as_json(c.score.signals),
    }
    if c.score.signals.evidence is not None:  # a person: the bits behind the score
        result["evidence"] = c.score.signals.evidence.as_json()
    return result


def signals_as_json(s: Signals) -> dict[str, float]:
    """A candidate's signals under the names the API and the review queue show (floats: a
    similarity, or 1.0 / 0.0 for a signal that agreed or not)."""
    result = {
        "name": s.name,
        "street": s.street,
        "houseNumber": float(s.house_number),
        "postalCode": float(s.postal_code),
        "city": float(s.city),
        "email": float(s.email),
        "phone": float(s.phone),
        "emailDomain": float(s.email_domain),
        "addressCompared": float(s.address_compared),
        "streetCompared": float(s.street_compared),
        "samePlace": float(s.same_place),
        "sameStreet": float(s.same_street),
        "sameAddress": float(s.same_address),
        "exactName": float(s.exact_name),
        "nameAgrees": float(s.name_agrees),
    }
    if s.chain_branch:
        result["chainBranch"] = 1.0
        result["chainLocations"] = float(s.chain_locations)
    return result


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
    namesakes = [r for r in ranked if r.score.signals.name_agrees]
    if len(namesakes) != 1:
        return ranked
    (chain,) = namesakes
    parties = candidates[chain.record_id]
    s = chain.score
    if (
        s.corroborated
        or len(parties) < CHAIN_LOCATIONS
        or any(p.person for p in parties)
        or not s.signals.exact_name
    ):
        return ranked
    branch = replace(
        s,
        total=round(s.name, 4),
        corroborated=True,
        signals=s.signals._replace(chain_branch=True, chain_locations=len(parties)),
    )
    return [Ranked(r.record_id, branch) if r is chain else r for r in ranked]


def _best(incoming: Party, parties: list[Party], **kwargs) -> Score:
    """A candidate's best address counts."""
    return max(
        (score(incoming, p, **kwargs) for p in parties), key=lambda s: (s.corroborated, s.total)
    )


def _chain_possible(incoming: Party, candidates: dict[int, list[Party]]) -> bool:
    """Whether `_chain_branches` may apply: an incoming company, and a company candidate known
    at a chain's number of sites."""
    return not incoming.person and any(
        len(parties) >= CHAIN_LOCATIONS and not parties[0].person for parties in candidates.values()
    )


def _unscored(
    incoming: Party, parties: list[Party], frequencies: NameFrequencies, *, beyond: bool
) -> bool:
    """A candidate that cannot change the decision: a private person that none of its
    addresses can make a link, a review or a sharer of the address, e-mail or phone (see
    `evidence.out_of_reach`); where `beyond`, also one whose every address is only a
    namesake's elsewhere (`evidence.beyond_review`). Not `beyond` where a chain may be linked:
    its rule counts every candidate whose name agrees (`_chain_branches`)."""
    if not (incoming.person or all(p.person for p in parties)):
        return False  # two companies: scored
    # Both rules in one pass, each pair's names compared once (`evidence.reach`), and not at
    # all where the names' worth alone leaves an address beyond review (while every address
    # so far is), unless another address then asks whether it is out of reach too.
    unweighed = []
    out_everywhere, beyond_everywhere = True, beyond
    for p in parties:
        out, beyond = reach(incoming, p, frequencies, by_worth=beyond_everywhere)
        if out is None:
            unweighed.append(p)
            continue
        out_everywhere, beyond_everywhere = out_everywhere and out, beyond_everywhere and beyond
        if not (out_everywhere or beyond_everywhere):
            return False
    return beyond_everywhere or (
        out_everywhere and all(reach(incoming, p, frequencies)[0] for p in unweighed)
    )


def _only_counted(incoming: Party, candidate: Party, frequencies: NameFrequencies) -> bool:
    """A person (compared by evidence) at one address that is `evidence.never_plausible`."""
    return (incoming.person or candidate.person) and never_plausible(
        incoming, candidate, frequencies
    )


def _ranked(
    incoming: Party, candidates: dict[int, list[Party]], frequencies: NameFrequencies
) -> list[Ranked]:
    """Every candidate scored that can change the decision (`_unscored`). A private person's
    address, e-mail and phone say less the more candidates share them (a block of flats, a
    household's landline): counted among the candidates, which hold every customer at the
    address and with the e-mail, and scored again with the counts."""
    beyond = not _chain_possible(incoming, candidates)
    ranked, address_sharers = [], 0
    for record_id, parties in candidates.items():
        if _unscored(incoming, parties, frequencies, beyond=beyond):
            continue
        if len(parties) == 1 and _only_counted(incoming, parties[0], frequencies):
            # Never plausible (nor a namesake for the chain rule, its name disagrees): only
            # whether it lives at the address counts.
            address_sharers += addresses_compared(incoming, parties[0]).same_address
            continue
        ranked.append(Ranked(record_id, _best(incoming, parties, frequencies=frequencies)))
    if not (incoming.person or address_sharers or any(r.score.signals.evidence for r in ranked)):
        return ranked
    shared = Shared(
        address=address_sharers + sum(r.score.signals.same_address for r in ranked),
        email=sum(r.score.signals.email for r in ranked),
        phone=sum(r.score.signals.phone for r in ranked),
    )
    if max(shared) <= 1:
        return ranked
    # Only a candidate that shares one of them scores differently with the counts (they only
    # lower its bits; another of its addresses cannot overtake the best). One with a single
    # address keeps its signals: only the evidence is weighed again.
    return [
        Ranked(
            r.record_id,
            _shared_counted(incoming, candidates[r.record_id], r.score, frequencies, shared),
        )
        if (r.score.signals.same_address or r.score.signals.email or r.score.signals.phone)
        else r
        for r in ranked
    ]


def _shared_counted(
    incoming: Party,
    parties: list[Party],
    earlier: Score,
    frequencies: NameFrequencies,
    shared: Shared,
) -> Score:
    if len(parties) == 1 and earlier.signals.evidence is not None:
        return person_rescored(
            incoming, parties[0], earlier, frequencies=frequencies, shared=shared
        )
    return _best(incoming, parties, frequencies=frequencies, shared=shared)


def decide(
    incoming: Party,
    candidates: dict[int, list[Party]],
    *,
    threshold: float,
    margin: float,
    keep: int = 5,
    frequencies: NameFrequencies = NO_FREQUENCIES,
) -> MatchDecision:
    """Rank candidates (each with one or more addresses; the best address counts) and decide."""
    ranked = _ranked(incoming, candidates, frequencies)
    ranked = _chain_branches(incoming, candidates, ranked)
    ranked.sort(key=lambda r: (r.score.total, r.score.corroborated), reverse=True)
    found = [r for r in ranked if plausible(r.score)][:keep]
    if not found:
        return MatchDecision(None, False, [], threshold, margin)
    best = found[0]
    # Only a candidate the record could also be is a rival: one whose name agrees too (typos
    # aside), or that is corroborated. "Schuster & Partner" does not make "Schröter & Partner"
    # in the same postal code ambiguous; "Keller" and "Kellner" are (a typo away).
    rivals = [r for r in found[1:] if r.score.corroborated or r.score.signals.name_agrees]
    runner_up = rivals[0].score.total if rivals else 0.0
    if (
        best.score.corroborated
        and best.score.total >= threshold
        and best.score.total - runner_up >= margin
    ):
        return MatchDecision(best.record_id, False, found, threshold, margin)
    return MatchDecision(None, True, found, threshold, margin)
