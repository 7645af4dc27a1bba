"""Kölner Phonetik (Hans Joachim Postel, 1969): a phonetic key for German names that also groups
the English spellings our tenants see (Smith / Smyth, Thompson / Thomson, Clark / Clarke).

Implemented here, compactly, rather than taken from a package: jellyfish (Soundex, Metaphone,
NYSIIS) has no Kölner Phonetik, and the one small package that does is unmaintained. The key
only groups candidates and grades a family name's agreement; it never links on its own."""

import functools

from .normalization import GENERATIONS, fold, person_name_words

_VOWELS = frozenset("aeijouy")


def _code(prev: str, letter: str, following: str, first: bool) -> str:
    if letter in _VOWELS:
        return "0"
    if letter == "h":
        return ""
    if letter == "b":
        return "1"
    if letter == "p":
        return "3" if following == "h" else "1"
    if letter in "dt":
        return "8" if following in ("c", "s", "z") else "2"
    if letter in "fvw":
        return "3"
    if letter in "gkq":
        return "4"
    if letter == "c":
        if first:
            return "4" if following and following in "ahkloqrux" else "8"
        if prev in ("s", "z"):
            return "8"
        return "4" if following and following in "ahkoqux" else "8"
    if letter == "x":
        return "8" if prev in ("c", "k", "q") else "48"
    if letter == "l":
        return "5"
    if letter in "mn":
        return "6"
    if letter == "r":
        return "7"
    if letter in "sz":
        return "8"
    return ""


@functools.lru_cache(maxsize=65536)
def koelner(word: str) -> str:
    """The Kölner Phonetik code of a word ("Müller-Lüdenscheidt" -> "65752682", "Meier" and
    "Mayer" -> "67"); "" for a word without letters."""
    letters = fold(word).replace(" ", "")
    letters = "".join(ch for ch in letters if ch.isalpha())
    raw = []
    for i, letter in enumerate(letters):
        prev = letters[i - 1] if i else ""
        following = letters[i + 1] if i + 1 < len(letters) else ""
        raw.append(_code(prev, letter, following, first=i == 0))
    digits = "".join(raw)
    collapsed = [d for i, d in enumerate(digits) if i == 0 or d != digits[i - 1]]
    return "".join(d for i, d in enumerate(collapsed) if d != "0" or i == 0)


def family_name_keys(name: str | None, *, either_end: bool = False) -> tuple[str, ...]:
    """The Kölner Phonetik key of a person's family name, the last word of the name without
    titles and generation markers (`Customer.family_key`); `either_end`: also of the first word,
    for an incoming name that may be written family name first ("Müller, Hans")."""
    return family_words_keys(fold(name).split(), either_end=either_end)


def family_words_keys(
    folded: list[str] | tuple[str, ...], *, either_end: bool = False
) -> tuple[str, ...]:
    """`family_name_keys` of a name already folded into words."""
    words = [w for w in person_name_words(folded) if w not in GENERATIONS]
    if not words:
        return ()
    ends = (words[-1], words[0]) if either_end else (words[-1],)
    return tuple(dict.fromkeys(k for k in map(koelner, ends) if k))
