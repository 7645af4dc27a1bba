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

One module per concept: `party` (what is compared), `names` and `places` (comparing names and
addresses), `scoring` (one candidate's score and typed signals, and whether it is plausible),
`decision` (ranking, chains, the link/review/create decision, and its JSON).
"""

from .decision import CHAIN_LOCATIONS, MATCHER_VERSION, MatchDecision, Ranked, decide
from .party import FREEMAIL_DOMAINS, Party
from .scoring import Score, Signals, plausible, score

__all__ = [
    "CHAIN_LOCATIONS",
    "FREEMAIL_DOMAINS",
    "MATCHER_VERSION",
    "MatchDecision",
    "Party",
    "Ranked",
    "Score",
    "Signals",
    "decide",
    "plausible",
    "score",
]
