"""Comparing names: similarity, word by word (a typo aside), a site after a name, a slip of the
fingers in a person's name, a mistyped short legal form."""

from dataclasses import replace

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from .party import Party

# Short legal forms: one edit away they are often real words (Karl / SARL, Part / PartG, Core /
# Corp), so a mistyped one is only ignored at the end of a name, against a candidate that has
# this form (see `without_mistyped_form`).
SHORT_FORMS = frozenset({"gmbh", "ggmbh", "gesmbh", "kgaa", "sarl", "partg", "partgmbb", "corp"})


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    if a == b:  # both ratios' 100 (a household's street, a namesake's name)
        return 1.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100


def words_align(a: str, b: str) -> bool:
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


def site_of(incoming: Party, candidate: Party) -> bool:
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


def slip_of(written: str, meant: str) -> str:
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


def without_mistyped_form(incoming: Party, candidate: Party) -> Party:
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
        word in SHORT_FORMS and OSA.distance(last, word) <= 1 and candidate.written[n + 1 :] == tail
        for n, word in enumerate(candidate.written)
    ):
        return incoming
    name = " ".join(words[:-1])
    return replace(incoming, name=name)  # its name_key and name_numbers made of the new name
