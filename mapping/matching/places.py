"""Comparing addresses: the same city, street (a typo aside) and house number (or an end of its
range)."""

from rapidfuzz.distance import OSA

from .party import Party


def same_city(a: str, b: str) -> bool:
    """The same city, however it is qualified: "Frankfurt" and "Frankfurt am Main", "Halle" and
    "Halle (Saale)". Only where no postal code can tell: the street and house number must also
    agree."""
    if not a or not b:
        return False
    if a == b:
        return True
    first_a, first_b = a.split()[0], b.split()[0]
    return first_a == first_b and len(first_a) >= 4 and first_a not in _CITY_PREFIXES


def same_postal_code(a: str, b: str) -> bool:
    """Both sides have a postal code, and it is the same: "02-495" and "02495" are one Polish
    postal code (the lookup keeps the sender's spelling)."""
    if a == b:
        return bool(a)
    return bool(a and b) and a.replace("-", "") == b.replace("-", "")


# First words many different places share: Bad Homburg is not Bad Kissingen.
_CITY_PREFIXES = frozenset({"sankt", "saint", "santa", "markt", "neustadt", "hansestadt"})


def same_street(incoming: Party, candidate: Party, similarity: float) -> bool:
    """The same street name: alike as normalized, or one typo apart as written (from six
    letters): "Bikrenweg", "Kaiser-Wilhelm-tSraße", "Industriestrqße"."""
    if similarity >= 0.9:
        return True
    a, b = incoming.street_written, candidate.street_written
    return min(len(a), len(b)) >= 6 and OSA.distance(a, b) <= 1


def same_house_number(a: str, b: str) -> bool:
    """The same number, or one end of the other's range: "Kölner Straße 249-253" is also
    written "Kölner Straße 249". A number inside the range is not: "251" may be the building
    next door, "250" is across the street."""
    if not a or not b:
        return False
    return a == b or a in b.split("-") or b in a.split("-")
