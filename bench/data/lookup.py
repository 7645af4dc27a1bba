"""The candidate-lookup data set: a million customers (and two more tenants of the same names),
their locations, and incoming parties that are variants of them or new names.

The stored matching keys are what the app computes (`bench.app`); names and streets come from
`bench.data.words` and, for the long tail, Faker's locale lists when Faker is installed.
"""

import bisect
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from bench import app
from bench.data import zipf_cum_weights
from bench.data.words import (
    CITIES,
    FANTASY_HEADS,
    FANTASY_TAILS,
    FIRST_NAMES,
    INTL_ADJECTIVES,
    INTL_NOUNS,
    LEGAL_DE,
    LEGAL_INTL,
    MULTIWORD_STREET_HEADS,
    PLACES,
    PROVIDERS,
    STREET_HEADS,
    STREET_OTHER,
    STREET_TAILS,
    SURNAME_HEADS,
    SURNAME_TAILS,
    SURNAMES,
    SYLLABLES,
    TRADE_PREFIXES,
    TRADES,
)

SEED = 20260701
MAIN_CUSTOMERS = 1_000_000
# slug, customers: the same word lists, so the same names exist in other tenants too.
OTHER_TENANTS = (("bench-other-a", 60_000), ("bench-other-b", 15_000))
SECOND_LOCATION_SHARE = 0.2
VARIANT_SHARE = 0.7  # of the lookups; the rest are new names

# --- word lists -----------------------------------------------------------------------------------

LOCATION_NAMES = ("", "", "Zentrale", "Filiale", "Lager", "Werk", "Praxis", "Büro", "Depot")
TLDS = ("de", "de", "de", "com", "eu", "net", "at", "ch")
POSTAL_AREAS = 8_000  # about as many postal codes as Germany has

T = TypeVar("T")
_SLUG = re.compile(r"[^a-z0-9]+")
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def weighted(pairs: Sequence[tuple[str, int]]) -> tuple[list[str], list[float]]:
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


class Rng(random.Random):
    """random.Random with cheaper picks (choice() and choices() cost most of the generation)."""

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def pick_weighted(self, seq: Sequence[T], cum: list[float]) -> T:
        return seq[bisect.bisect(cum, self.random() * cum[-1])]


def slug(text: str) -> str:
    return _SLUG.sub("-", text.casefold().translate(_ASCII)).strip("-")


_LATIN = re.compile(r"^[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ' .-]+$")


@dataclass
class Vocabulary:
    german_surnames: list[str]  # uniform
    other_surnames: list[str]  # uniform
    first_names: list[str]  # uniform, after FIRST_NAMES' Zipf share
    cities: list[str]


def vocabulary() -> Vocabulary:
    """The long tail of real names: Faker's locale lists (a dev dependency of the project) when
    it is installed, else the lists above only."""
    german, other, first, cities = set(), set(), set(), set(CITIES)
    try:
        import importlib

        locales = ("de_DE", "de_AT", "de_CH", "tr_TR", "pl_PL", "it_IT", "fr_FR", "nl_NL")
        locales += ("en_US", "en_GB", "es_ES", "cs_CZ", "hu_HU", "ro_RO", "da_DK", "sv_SE")
        locales += ("fi_FI", "hr_HR", "pt_PT", "sk_SK", "sl_SI", "no_NO")
        for locale in locales:
            person = importlib.import_module(f"faker.providers.person.{locale}").Provider
            target = german if locale.startswith("de_") else other
            for attr, bucket in (("last_names", target), ("first_names", first)):
                for extra in ("", "_male", "_female"):
                    values = getattr(person, attr + extra, ()) or ()
                    bucket.update(v for v in values if isinstance(v, str) and _LATIN.match(v))
            if locale.startswith("de_"):
                address = importlib.import_module(f"faker.providers.address.{locale}").Provider
                cities.update(c for c in getattr(address, "cities", ()) if _LATIN.match(c))
    except ImportError:
        print("  (faker not installed: names from the built-in lists only)")
    return Vocabulary(
        sorted(german - set(SURNAMES)) or list(SURNAMES),
        sorted(other - german - set(SURNAMES)) or list(SURNAMES),
        sorted(first - set(FIRST_NAMES)) or list(FIRST_NAMES),
        sorted(cities),
    )


class NameMaker:
    """Customer names drawn from the word lists; (name, type, industry) per call."""

    def __init__(self, rng: Rng, words: Vocabulary) -> None:
        self.rng, self.words = rng, words
        self.surname_cum = zipf_cum_weights(len(SURNAMES), 0.9)
        self.first_cum = zipf_cum_weights(len(FIRST_NAMES), 0.7)
        self.synthetic = [h + t for h in SURNAME_HEADS for t in SURNAME_TAILS]
        self.legal_de = weighted(LEGAL_DE)
        self.legal_intl = weighted(LEGAL_INTL)
        templates = (
            (self.person, 30), (self.surname_trade, 19), (self.prefix_surname, 14),
            (self.partners, 4), (self.place_trade, 8), (self.international, 7),
            (self.fantasy_name, 7), (self.surname_trade_city, 5), (self.prefix_place, 3),
            (self.acronym, 3),
        )  # fmt: skip
        self.templates, self.template_cum = weighted(templates)

    def surname(self) -> str:
        """A third from the most common German surnames (Zipf), the rest from the long tail."""
        rng, r = self.rng, self.rng.random()
        if r < 0.35:
            return rng.pick_weighted(SURNAMES, self.surname_cum)
        if r < 0.65:
            return rng.pick(self.words.german_surnames)
        if r < 0.85:
            return rng.pick(self.words.other_surnames)
        return rng.pick(self.synthetic)

    def first_name(self) -> str:
        if self.rng.random() < 0.6:
            return self.rng.pick_weighted(FIRST_NAMES, self.first_cum)
        return self.rng.pick(self.words.first_names)

    def city(self) -> str:
        return self.rng.pick(CITIES if self.rng.random() < 0.5 else self.words.cities)

    def fantasy(self) -> str:
        """ "Kalora", "Tecvisnex": pronounceable made-up words, as brands are."""
        rng = self.rng
        if rng.random() < 0.4:
            return rng.pick(FANTASY_HEADS) + rng.pick(FANTASY_TAILS)
        word = "".join(rng.pick(SYLLABLES) for _ in range(rng.pick((2, 2, 3))))
        return word.capitalize()

    def legal(self, intl: bool = False) -> str:
        values, cum = self.legal_intl if intl else self.legal_de
        return self.rng.pick_weighted(values, cum)

    @staticmethod
    def _join(*parts: str) -> str:
        return " ".join(p for p in parts if p)

    def person(self) -> tuple[str, str, str]:
        rng, first, last = self.rng, self.first_name(), self.surname()
        r = rng.random()
        if r < 0.7:
            name = f"{first} {last}"
        elif r < 0.8:
            name = f"{first} {self.first_name()} {last}"
        elif r < 0.9:
            name = f"{first} {last}-{self.surname()}"
        elif r < 0.95:
            name = f"Dr. {first} {last}"
        else:
            name = f"{last}, {first}"
        return name, "Private", ""

    def surname_trade(self) -> tuple[str, str, str]:
        trade = self.rng.pick(TRADES)
        return self._join(self.surname(), trade, self.legal()), "Business", trade

    def prefix_surname(self) -> tuple[str, str, str]:
        prefix = self.rng.pick(TRADE_PREFIXES)
        legal = self.legal() if self.rng.random() < 0.5 else "e.K."
        return self._join(prefix, self.surname(), legal), "Business", prefix

    def partners(self) -> tuple[str, str, str]:
        a, b, r = self.surname(), self.surname(), self.rng.random()
        if r < 0.6:
            return self._join(f"{a} & {b}", self.legal()), "Business", ""
        if r < 0.8:
            return self._join(f"{a} & Söhne", self.legal()), "Business", ""
        return self._join(f"{a} und Partner", self.legal()), "Business", ""

    def place_trade(self) -> tuple[str, str, str]:
        rng = self.rng
        place = rng.pick(PLACES) if rng.random() < 0.5 else self.city()
        trade = rng.pick(TRADES) if rng.random() < 0.7 else rng.pick(INTL_NOUNS)
        return self._join(place, trade, self.legal()), "Business", trade

    def international(self) -> tuple[str, str, str]:
        rng = self.rng
        words = [rng.pick(INTL_ADJECTIVES)]
        if rng.random() < 0.3:
            words.append(rng.pick(INTL_ADJECTIVES))
        words.append(rng.pick(INTL_NOUNS))
        return self._join(*words, self.legal(intl=True)), "Business", words[-1]

    def fantasy_name(self) -> tuple[str, str, str]:
        rng = self.rng
        tail = rng.pick(TRADES) if rng.random() < 0.5 else rng.pick(INTL_NOUNS)
        if rng.random() < 0.3:
            tail = ""
        return self._join(self.fantasy(), tail, self.legal()), "Business", tail

    def surname_trade_city(self) -> tuple[str, str, str]:
        trade = self.rng.pick(TRADES)
        return self._join(self.surname(), trade, self.city(), self.legal()), "Business", trade

    def prefix_place(self) -> tuple[str, str, str]:
        rng = self.rng
        prefix = rng.pick(TRADE_PREFIXES)
        place = self.city() if rng.random() < 0.7 else rng.pick(PLACES)
        return self._join(prefix, place, self.legal()), "Business", prefix

    def acronym(self) -> tuple[str, str, str]:
        """ "HKL Baumaschinen GmbH" """
        rng = self.rng
        letters = "".join(rng.pick("ABCDEFGHIKLMNOPRSTUVWZ") for _ in range(rng.randint(2, 4)))
        tail = rng.pick(TRADES) if rng.random() < 0.6 else rng.pick(INTL_NOUNS)
        return self._join(letters, tail, self.legal()), "Business", tail

    def __call__(self) -> tuple[str, str, str]:
        return self.rng.pick_weighted(self.templates, self.template_cum)()


class AddressMaker:
    """Postal areas with a city each, streets in the spellings people use, house numbers."""

    def __init__(self, rng: Rng, words: Vocabulary) -> None:
        self.rng, self.words = rng, words
        codes = rng.sample(range(1_067, 99_999), POSTAL_AREAS)
        city_cum = zipf_cum_weights(len(CITIES), 0.8)
        towns = [h + t for h in SURNAME_HEADS for t in ("dorf", "hausen", "heim", "ingen", "feld")]

        def city() -> str:
            r = rng.random()
            if r < 0.5:
                return rng.pick_weighted(CITIES, city_cum)
            return rng.pick(words.cities if r < 0.85 else towns)

        self.areas = [(f"{code:05d}", city()) for code in codes]
        self.head_cum = zipf_cum_weights(len(STREET_HEADS), 0.7)
        self.tails = weighted(STREET_TAILS)
        self.keys: dict[str, str] = {}  # street without number -> street_key, checked

    def street_name(self) -> str:
        rng = self.rng
        if rng.random() < 0.08:
            return rng.pick(STREET_OTHER)
        if rng.random() < 0.3:  # "Ackermannstraße"
            head = rng.pick(self.words.german_surnames)
        else:
            head = rng.pick_weighted(STREET_HEADS, self.head_cum)
        tail = rng.pick_weighted(self.tails[0], self.tails[1])
        # "Kettwiger Straße", "Lindenallee"
        name = f"{head} {tail.capitalize()}" if head in MULTIWORD_STREET_HEADS else head + tail
        if tail == "straße":
            r = rng.random()
            if r < 0.12:
                name = name.replace("traße", "tr.")
            elif r < 0.17:
                name = name.replace("traße", "trasse")
            elif r < 0.19 and " " not in name:
                name = name.replace("straße", "-Straße")
        return name

    def house_number(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            number = str(int(rng.paretovariate(1.1)))
        else:
            number = str(1 + int(rng.random() * 180))
        r = rng.random()
        if r < 0.08:
            return number + rng.pick("abc")
        if r < 0.11:
            return f"{number}-{int(number) + 2}"
        return number

    def key(self, name: str) -> str:
        """street_key of "<name> <number>", computed once per street name (split_street takes the
        house number off first); every 50th name is checked with each number format we make."""
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = app.location_street_key(name)
            if len(self.keys) % 50 == 0:
                for number in ("7", "12a", "5-7", "180"):
                    if app.location_street_key(f"{name} {number}") != key:
                        raise SystemExit(f"street_key({name} {number}) is not {key!r}")
        return key

    def __call__(self) -> tuple[str, str, str, str]:
        """(street, postal code, city, street_key)."""
        postal_code, city = self.rng.pick(self.areas)
        name = self.street_name()
        return f"{name} {self.house_number()}", postal_code, city, self.key(name)


# --- generation -------------------------------------------------------------------------------


@dataclass
class Data:
    """Columns of every generated customer (index = id - 1) and location."""

    tenant_index: list[int]  # 0 = the main tenant
    names: list[str]
    types: list[str]
    industries: list[str]
    emails: list[str]
    phones: list[str]
    websites: list[str]
    numbers: list[str | None]
    # locations: customer index, street, postal code, city, name, street_key
    loc_customer: list[int]
    loc_street: list[str]
    loc_postal: list[str]
    loc_city: list[str]
    loc_name: list[str]
    loc_key: list[str]
    first_location: dict[int, int]  # customer index -> its first location's index


def phone_number(rng: Rng) -> str:
    return f"+49 {30 + int(rng.random() * 9970)} {10_000 + int(rng.random() * 9_990_000)}"


def generate(main_customers: int = MAIN_CUSTOMERS) -> Data:
    """Every customer and location, deterministic."""
    rng, words = Rng(SEED), vocabulary()
    make_name, make_address = NameMaker(rng, words), AddressMaker(rng, words)
    counts = [main_customers] + [n for _, n in OTHER_TENANTS]
    total = sum(counts)
    # Interleaved like customers created over years by several tenants.
    tenant_index = [0] * counts[0]
    for t, n in enumerate(counts[1:], start=1):
        tenant_index += [t] * n
    rng.shuffle(tenant_index)
    data = Data(tenant_index, *([] for _ in range(13)), first_location={})
    sequence = [0] * len(counts)
    for i in range(total):
        name, kind, industry = make_name()
        t = tenant_index[i]
        sequence[t] += 1
        data.names.append(name)
        data.types.append(kind)
        data.industries.append(industry)
        email = website = ""
        if rng.random() < 0.6:
            if kind == "Private":
                local = slug(name).replace("-", ".")
                if rng.random() < 0.5:
                    local += str(1 + int(rng.random() * 99))
                email = f"{local}@{rng.pick(PROVIDERS)}"
            else:
                domain = f"{slug(name)}.{rng.pick(TLDS)}"
                email = f"{rng.pick(('info', 'info', 'service', 'buchhaltung'))}@{domain}"
                if rng.random() < 0.5:
                    website = f"https://www.{domain}"
        data.emails.append(email)
        data.websites.append(website)
        data.phones.append(phone_number(rng) if rng.random() < 0.7 else "")
        data.numbers.append(f"K-{sequence[t]:07d}" if rng.random() < 0.9 else None)
        for n in range(2 if rng.random() < SECOND_LOCATION_SHARE else 1):
            street, postal_code, city, key = make_address()
            if n == 0:
                data.first_location[i] = len(data.loc_customer)
            data.loc_customer.append(i)
            data.loc_street.append(street)
            data.loc_postal.append(postal_code)
            data.loc_city.append(city)
            data.loc_name.append(rng.pick(LOCATION_NAMES))
            data.loc_key.append(key)
    return data


def normalized_names(names: list[str]) -> dict[str, str]:
    """The stored `normalized_name` of every distinct name, as the app computes it."""
    t0 = time.perf_counter()
    distinct = list(dict.fromkeys(names))
    by_name = {name: app.customer_name_key(name) for name in distinct}
    print(f"  normalize_name of {len(distinct):,} distinct names: {time.perf_counter() - t0:.1f} s")
    return by_name


# --- incoming parties ---------------------------------------------------------------------------

LEGAL_SUFFIXES = sorted({f for f, _ in LEGAL_DE + LEGAL_INTL if f}, key=len, reverse=True)
# A slip to the next key on a German keyboard row.
KEYBOARD_NEIGHBOURS = {
    a: b
    for row in ("qwertzuiopü", "asdfghjklöä", "yxcvbnm")
    for a, b in zip(row, row[1:] + row[-2], strict=True)
}


def strip_legal(name: str) -> tuple[str, str]:
    for form in LEGAL_SUFFIXES:
        if name.endswith(" " + form):
            return name[: -len(form) - 1], form
    return name, ""


def typo(name: str, rng: Rng) -> str:
    core, legal = strip_legal(name)
    words = [(m.start(), m.end()) for m in re.finditer(r"\w{4,}", core)]
    if not words:
        return name
    start, end = rng.pick(words)
    pos = rng.randrange(start + 1, end)  # people rarely get the first letter wrong
    kind = rng.pick(("delete", "swap", "replace", "double"))
    if kind == "delete":
        core = core[:pos] + core[pos + 1 :]
    elif kind == "swap" and pos + 1 < end:
        core = core[:pos] + core[pos + 1] + core[pos] + core[pos + 2 :]
    elif kind == "replace":
        char = core[pos].lower()
        core = core[:pos] + KEYBOARD_NEIGHBOURS.get(char, "e") + core[pos + 1 :]
    else:
        core = core[:pos] + core[pos] + core[pos:]
    return f"{core} {legal}".strip()


def other_legal_form(name: str, rng: Rng) -> str:
    core, _ = strip_legal(name)
    form = rng.pick(("", "GmbH", "GmbH & Co. KG", "mbH", "e.K.", "AG", "Ltd"))
    return f"{core} {form}".strip()


def other_spelling(name: str, rng: Rng) -> str:
    choices = [
        lambda n: n.upper(),
        lambda n: n.lower(),
        lambda n: n.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("ß", "ss"),
        lambda n: n.replace("ü", "u").replace("ö", "o").replace("ä", "a"),
        lambda n: n.replace(" & ", " und ") if " & " in n else n.replace(" und ", " & "),
        lambda n: n.replace("-", " ") if rng.random() < 0.5 else n.replace("-", ""),
        lambda n: n.replace("Dr. ", ""),
    ]
    for change in rng.sample(choices, len(choices)):
        changed = change(name)
        if changed != name:
            return changed
    return name


def drop_or_add_word(name: str, rng: Rng) -> str:
    core, legal = strip_legal(name)
    words = core.split()
    if len(words) >= 3 and rng.random() < 0.6:
        del words[rng.randrange(1, len(words))]
    else:
        words.append(rng.pick(("Niederlassung " + rng.pick(CITIES), "Service", "Filiale")))
    return " ".join([*words, legal]).strip()


def reorder_person(name: str, rng: Rng) -> str:
    if ", " in name:
        last, first = name.split(", ", 1)
        return f"{first} {last}"
    words = name.split()
    if len(words) == 2:
        return f"{words[1]}, {words[0]}" if rng.random() < 0.5 else f"{words[1]} {words[0]}"
    return other_spelling(name, rng)


def vary(name: str, kind: str, rng: Rng) -> str:
    """How the same customer comes back from another system: 1-2 changes."""
    if kind == "Private":
        changes = [typo, typo, other_spelling, reorder_person]
    else:
        changes = [typo, typo, other_legal_form, other_legal_form, other_spelling]
        changes += [drop_or_add_word]
    varied = name
    for change in rng.sample(changes, rng.pick((1, 1, 1, 2))):
        varied = change(varied, rng)
    return varied


def vary_street(street: str, rng: Rng) -> str:
    r = rng.random()
    if r < 0.3:
        return street.replace("straße", "str.").replace("Straße", "Str.")
    if r < 0.4:
        return street.replace("str.", "straße").replace("Str.", "Straße")
    if r < 0.5:
        return typo(street, rng)  # a different street_key: found by name only
    return street


@dataclass
class Lookup:
    party: "app.Party"
    origin: int | None  # customer id the incoming party was made from; None = a new name
    raw_name: str
    origin_name: str = ""  # that customer's normalized name
    where: str = "new name"  # for a variant: at a known location, a new site, no address...


def incoming(data: Data, count: int, seed: int) -> list[Lookup]:
    """Variants of existing customers of the main tenant, and new names."""
    rng = Rng(seed)
    main = [i for i, t in enumerate(data.tenant_index) if t == 0]
    words = vocabulary()
    make_name, make_address = NameMaker(Rng(seed + 1), words), AddressMaker(rng, words)
    lookups = []
    for _ in range(count):
        if rng.random() < VARIANT_SHARE:
            i = rng.pick(main)
            name = vary(data.names[i], data.types[i], rng)
            loc = data.first_location[i]
            street, postal_code, city = data.loc_street[loc], data.loc_postal[loc], ""
            r = rng.random()
            if r < 0.6:
                where, street, city = "known location", vary_street(street, rng), data.loc_city[loc]
            elif r < 0.7:
                where, street, city = "postal code only", "", data.loc_city[loc]
            elif r < 0.85:
                where = "new site"
                street, postal_code, city, _ = make_address()
            else:
                where, street, postal_code = "no address", "", ""
            email = data.emails[i] if rng.random() < 0.25 else ""
            if email and rng.random() < 0.3:
                email = email.upper()
            phone = data.phones[i] if rng.random() < 0.3 else ""
            origin, origin_name = i + 1, app.normalize_name(data.names[i])
            person = data.types[i] == "Private"
        else:
            name, kind, _ = make_name()
            person = kind == "Private"
            street, postal_code, city, _ = make_address()
            email = f"info@{slug(name)}.de" if rng.random() < 0.2 else ""
            phone = phone_number(rng) if rng.random() < 0.3 else ""
            origin, origin_name, where = None, "", "new name"
        party = app.Party.of(
            name=name,
            street=street,
            postal_code=postal_code,
            city=city,
            email=email,
            phone=phone,
            person=person,
        )
        lookups.append(Lookup(party, origin, name, origin_name, where))
    return lookups
