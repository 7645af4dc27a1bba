"""The person-matching data set: private households as a field-service tenant has them (heating,
plumbing, home care), German and English-speaking, and incoming records typed by people at call
centres: typos, phonetic misspellings, OCR confusions, swapped names, nicknames, initials, missing
fields, a person that moved; and the hard negatives of households: relatives at one address,
namesakes in one city, flats in one building.

The generator has its own nickname list and its own idea of "the same name"; it never looks at the
matcher (mapping/matching). What the cases are is `bench/person_matching.py`'s docstring.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bench.data.matching import Address, Entity, Incoming, fold, location_block, reformat_phone
from bench.data.words import (
    CITIES_DE,
    MAIL_DOMAINS_PRIVATE,
    STREETS_DE,
    SURNAME_HEADS,
    SURNAME_TAILS,
    SURNAMES,
)

SEED = 20261205
EXISTING_PERSONS = 5000
INCOMING = 2000

# German family names by frequency (the first 100 of SURNAMES, German ones), then a synthetic
# long tail ("Eichhorst"): Zipf weights make Müller common and the tail rare, as in a phone book.
FAMILY_DE = tuple(SURNAMES[:100]) + tuple(
    f"{h}{t}" for h in SURNAME_HEADS for t in SURNAME_TAILS if not h.endswith(t[:1])
)
GIVEN_DE = (
    "Peter", "Michael", "Thomas", "Andreas", "Wolfgang", "Klaus", "Jürgen", "Stefan", "Hans",
    "Christian", "Uwe", "Werner", "Horst", "Frank", "Bernd", "Dieter", "Markus", "Matthias",
    "Manfred", "Helmut", "Ursula", "Monika", "Petra", "Sabine", "Renate", "Helga", "Karin",
    "Brigitte", "Ingrid", "Susanne", "Gabriele", "Claudia", "Andrea", "Birgit", "Elisabeth",
    "Christa", "Katharina", "Johann", "Margarete", "Gertrud", "Alexander", "Sebastian", "Tobias",
    "Daniel", "Julia", "Anna", "Laura", "Lena", "Jan", "Jana", "Paul", "Paula", "Lukas", "Felix",
    "Friedrich", "Wilhelm", "Heinrich", "Josef", "Franziska", "Christine", "Nicole", "Stefanie",
    "Martina", "Heike", "Kerstin", "Silke", "Anja", "Anke", "Dirk", "Jens", "Sven", "Ralf",
    "Jörg", "Holger", "Florian", "Philipp", "Maximilian", "Leonie", "Hannah", "Sophie", "Marie",
    "Emma", "Mia", "Elke", "Doris", "Hildegard", "Rosemarie", "Waltraud", "Gisela", "Erika",
    "Mehmet", "Ayşe", "Fatma", "Ahmet", "Piotr", "Katarzyna",
)  # fmt: skip
FAMILY_EN = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner",
    "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker",
    "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker",
    "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson",
    "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall",
    "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman",
    "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews",
    "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Ashworth",
    "Featherstone", "Pilkington", "Oakley", "Thistlewood", "Blackburn", "Winterbottom",
    "Fairweather", "Hollingsworth", "Cartwright", "Ramsbottom", "Greenhalgh", "Whitworth",
    "Sutcliffe", "Ackroyd", "Postlethwaite", "Brocklehurst", "Entwistle", "Haworth", "Higginbottom",
)  # fmt: skip
GIVEN_EN = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Andrew", "Edward", "Margaret",
    "Elizabeth", "Jennifer", "Patricia", "Susan", "Sarah", "Karen", "Nancy", "Catherine",
    "Rebecca", "Victoria", "Emily", "Olivia", "Sophie", "Charlotte", "Amelia", "Jessica",
    "Alexander", "Benjamin", "Samuel", "Jack", "Harry", "George", "Oliver", "Peter", "Stephen",
    "Helen", "Anne", "Jane", "Mary", "Alice", "Grace", "Lucy", "Hannah", "Paul", "Mark", "Ian",
)  # fmt: skip
# How call-centre agents write a given name short: the generator's own list (not the matcher's).
SHORT_FORMS = {
    "Johann": ("Hans",), "Johannes": ("Hans", "Jo"), "Katharina": ("Kathrin", "Katja", "Kati"),
    "Margarete": ("Grete", "Margret"), "Elisabeth": ("Lisa", "Elke", "Liesel"),
    "Wilhelm": ("Willi",), "Friedrich": ("Fritz",), "Heinrich": ("Heinz",), "Josef": ("Sepp",),
    "Franziska": ("Franzi",), "Christine": ("Christa",), "Alexander": ("Alex",),
    "Sebastian": ("Basti",), "Stefanie": ("Steffi",), "Maximilian": ("Max",),
    "Matthias": ("Matze",), "Gertrud": ("Trude",), "Susanne": ("Susi",), "Gabriele": ("Gabi",),
    "Robert": ("Bob", "Rob"), "William": ("Bill", "Will"), "Richard": ("Dick", "Rick"),
    "Elizabeth": ("Liz", "Beth", "Betty"), "Margaret": ("Maggie", "Peggy"),
    "Catherine": ("Kate", "Cathy"), "Thomas": ("Tom", "Thomas"), "Michael": ("Mike",),
    "Christopher": ("Chris",), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Anthony": ("Tony",), "Andrew": ("Andy",), "Edward": ("Ed", "Ted"), "James": ("Jim",),
    "Jennifer": ("Jenny",), "Patricia": ("Pat",), "Rebecca": ("Becky",), "Victoria": ("Vicky",),
    "Benjamin": ("Ben",), "Samuel": ("Sam",), "Joseph": ("Joe",), "Charles": ("Charlie",),
    "Susan": ("Sue",), "Stephen": ("Steve",), "Peter": ("Pete",), "John": ("Jack", "Johnny"),
}  # fmt: skip
# Real spelling variants of one name: what a caller says, the agent writes another way.
PHONETIC = (
    ("Meier", "Meyer", "Maier", "Mayer"), ("Schmidt", "Schmitt", "Schmid"), ("Hoffmann", "Hofmann"),
    ("Schulz", "Schultz"), ("Wolf", "Wolff"), ("Krüger", "Krueger"), ("Vogt", "Voigt"),
    ("Kraus", "Krause"), ("Lehmann", "Leman"), ("Schäfer", "Schaefer", "Schäffer"),
    ("Fischer", "Fischa"), ("Richter", "Rihter"), ("Zimmermann", "Zimmerman"), ("Beck", "Bek"),
    ("Philipp", "Phillip", "Filip"), ("Matthias", "Mathias"), ("Christian", "Kristian"),
    ("Stefan", "Stephan"), ("Claudia", "Klaudia"), ("Jürgen", "Juergen"), ("Ralf", "Ralph"),
    ("Thompson", "Thomson"), ("Clarke", "Clark"), ("Gray", "Grey"), ("Phillips", "Philips"),
    ("Davies", "Davis"), ("Stephen", "Steven"), ("Catherine", "Katherine", "Kathryn"),
    ("Sarah", "Sara"), ("Anne", "Ann"), ("Matthew", "Mathew"), ("Rebecca", "Rebekah"),
)  # fmt: skip
OCR = (("rn", "m"), ("m", "rn"), ("cl", "d"), ("ü", "ii"), ("e", "c"), ("h", "b"), ("l", "I"),
       ("u", "v"), ("n", "ri"), ("ö", "o"))  # fmt: skip
# Spouses and siblings with names a letter apart.
NEAR_GIVEN = (("Jan", "Jana"), ("Paul", "Paula"), ("Daniel", "Daniela"), ("Michael", "Michaela"),
              ("Christian", "Christiane"), ("Andreas", "Andrea"), ("Stefan", "Stefanie"),
              ("Anna", "Hanna"), ("Martin", "Martina"), ("Peter", "Petra"), ("Frank", "Franka"),
              ("Chris", "Christa"))  # fmt: skip

CITIES_EN = (
    # city, postal codes, lat, lon, phone area, country, streets
    ("London", ["SW1A 2AA", "SW4 7AB", "E1 6AN", "N1 9GU", "SE1 7PB", "NW3 5QR", "W2 1HB",
                "E8 3DL", "N16 0AS", "SW11 4NJ"], 51.5072, -0.1276, "20", "GB",
     ("High Street", "Church Road", "Station Road", "Victoria Road", "Green Lane",
      "Manor Road", "Park Road", "Queens Road", "Kings Road", "Albert Road")),
    ("Manchester", ["M1 1AE", "M14 5RG", "M20 2RN", "M21 9NA", "M16 8HF"], 53.4808, -2.2426,
     "161", "GB", ("Wilmslow Road", "Oxford Road", "Palatine Road", "Barlow Moor Road",
                   "Burton Road")),
    ("Leeds", ["LS6 1AA", "LS8 2PE", "LS12 3QB", "LS17 6DH"], 53.8008, -1.5491, "113", "GB",
     ("Otley Road", "Headingley Lane", "Roundhay Road", "Harrogate Road")),
    ("Boston", ["02108", "02116", "02118", "02130", "02134"], 42.3601, -71.0589, "617", "US",
     ("Beacon Street", "Commonwealth Avenue", "Tremont Street", "Centre Street",
      "Washington Street")),
    ("Chicago", ["60614", "60618", "60625", "60640", "60657"], 41.8781, -87.6298, "312", "US",
     ("North Clark Street", "West Belmont Avenue", "North Broadway", "West Addison Street",
      "North Lincoln Avenue")),
)  # fmt: skip
MAIL_DOMAINS_EN = ("gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "hotmail.com",
                   "icloud.com", "aol.com")  # fmt: skip
STREET_ABBREVIATIONS = (("straße", "str."), ("Straße", "Str."), ("Street", "St"),
                        ("Road", "Rd"), ("Avenue", "Ave"), ("Lane", "Ln"))  # fmt: skip


@dataclass
class Person:
    given: str
    family: str
    english: bool


class PersonGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.used_emails: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_buildings: set[tuple] = set()
        self.entities: list[Entity] = []
        self.by_building: dict[tuple, list[Entity]] = defaultdict(list)
        self.by_city_name: dict[tuple, list[Entity]] = defaultdict(list)
        self.family_de_w = [1.0 / (i + 5) for i in range(len(FAMILY_DE))]
        self.family_en_w = [1.0 / (i + 5) for i in range(len(FAMILY_EN))]
        self.given_de_w = [1.0 / (i + 12) for i in range(len(GIVEN_DE))]
        self.given_en_w = [1.0 / (i + 12) for i in range(len(GIVEN_EN))]

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def family(self, english: bool) -> str:
        names, w = (FAMILY_EN, self.family_en_w) if english else (FAMILY_DE, self.family_de_w)
        return self.rng.choices(names, weights=w)[0]

    def given(self, english: bool) -> str:
        names, w = (GIVEN_EN, self.given_en_w) if english else (GIVEN_DE, self.given_de_w)
        return self.rng.choices(names, weights=w)[0]

    def building(self, english: bool, city=None, postal_code: str | None = None) -> Address:
        for attempt in range(300):
            # A large population fills the streets: then longer ones (higher house numbers).
            longer = 0 if attempt < 100 else 3000
            if english:
                name, codes, lat, lon, _, country, streets = city or self.pick(CITIES_EN)
                street = f"{self.rng.randint(1, 240 + longer)} {self.pick(streets)}"
            else:
                name, codes, lat, lon, _, _, _ = (
                    city or self.rng.choices(CITIES_DE, weights=[c[5] for c in CITIES_DE])[0]
                )
                country = "DE"
                number = self.rng.randint(1, 180 + longer)
                suffix = self.pick("abc") if self.rng.random() < 0.08 else ""
                street = f"{self.pick(STREETS_DE)} {number}{suffix}"
            address = Address(
                street=street,
                postal_code=postal_code or self.pick(codes),
                city=name,
                country=country,
                lat=round(lat + self.rng.uniform(-0.06, 0.06), 6),
                lon=round(lon + self.rng.uniform(-0.09, 0.09), 6),
            )
            if address.key not in self.used_buildings:
                self.used_buildings.add(address.key)
                return address
        raise RuntimeError("no free building")

    def city_of(self, address: Address):
        return next(c for c in (*CITIES_DE, *CITIES_EN) if c[0] == address.city)

    def email(self, p: Person) -> str:
        domains = MAIL_DOMAINS_EN if p.english else MAIL_DOMAINS_PRIVATE
        g, f = fold(p.given).replace(" ", ""), fold(p.family).replace(" ", "")
        local = self.pick(
            (f"{g}.{f}", f"{g[0]}.{f}", f"{g}{f}", f"{f}.{g}", f"{g}{f}{self.rng.randint(1, 99)}")
        )
        base, n = f"{local}@{self.pick(domains)}", 2
        while base in self.used_emails:
            base = f"{local}{n}@{base.split('@')[1]}"
            n += 1
        self.used_emails.add(base)
        return base

    def phone(self, address: Address, mobile: bool) -> str:
        city = self.city_of(address)
        cc = {"DE": "49", "GB": "44", "US": "1"}[address.country]
        for _ in range(20):
            if mobile:
                area = {
                    "DE": self.pick(("151", "160", "170", "176")),
                    "GB": "7" + str(self.rng.randint(400, 999)),
                    "US": city[4],
                }[address.country]
                local = str(self.rng.randint(1000000, 9999999))
            else:
                area = city[4]
                local = str(self.rng.randint(100000, 9999999))
            if (area, local) in self.used_phones:
                continue
            self.used_phones.add((area, local))
            if cc == "49" and self.rng.random() < 0.5:
                return f"0{area} {local}"
            return f"+{cc} {area} {local}"
        return ""

    def person(
        self,
        key: int,
        p: Person,
        address: Address,
        *,
        landline: str | None = None,
        group: str = "plain",
    ) -> Entity:
        email = self.email(p) if self.rng.random() < 0.55 else ""
        roll = self.rng.random()
        kind = "mobile" if roll < 0.4 else "landline" if roll < 0.75 else ""
        if kind == "mobile":
            phone = self.phone(address, mobile=True)
        elif kind == "landline":
            phone = landline if landline is not None else self.phone(address, mobile=False)
        else:
            phone = ""
        e = Entity(
            key=key,
            kind="Private",
            name=f"{p.given} {p.family}",
            country=address.country,
            email=email,
            phone=phone,
            addresses=[Address(**vars(address))],
            parts={"given": p.given, "family": p.family, "english": p.english, "phone": kind},
            group=group,
        )
        return e

    def add(self, e: Entity) -> Entity:
        self.entities.append(e)
        a = e.addresses[0]
        self.by_building[a.key].append(e)
        self.by_city_name[(a.city, fold(e.name))].append(e)
        return e

    def taken(self, name: str, address: Address) -> bool:
        """A person of this name already lives in this city (kept distinct unless on purpose)."""
        return bool(self.by_city_name.get((address.city, fold(name))))

    def population(self, total: int) -> list[Entity]:
        key = 0
        while len(self.entities) < total:
            english = self.rng.random() < 0.3
            roll = self.rng.random()
            if roll < 0.30:  # a household: spouses, parent and child, one family name
                address = self.building(english)
                family = self.family(english)
                landline = self.phone(address, mobile=False)
                givens: list[str] = []
                for _ in range(self.rng.choice((2, 2, 2, 3))):
                    given = self.given(english)
                    if given in givens:
                        continue
                    if givens and self.rng.random() < 0.2:  # Jan and Jana under one roof
                        pair = next((x for x in NEAR_GIVEN if givens[0] in x), None)
                        if pair:
                            given = pair[1] if givens[0] == pair[0] else pair[0]
                            if given in givens:
                                continue
                    givens.append(given)
                    e = self.person(key, Person(given, family, english), address,
                                    landline=landline, group="household")  # fmt: skip
                    self.add(e)
                    key += 1
            elif roll < 0.45:  # a block of flats: several families in one building
                address = self.building(english)
                for _ in range(self.rng.randint(3, 7)):
                    p = Person(self.given(english), self.family(english), english)
                    if self.taken(f"{p.given} {p.family}", address):
                        continue
                    self.add(self.person(key, p, address, group="flats"))
                    key += 1
            elif roll < 0.50:  # namesakes: the same name in one city, two people
                address = self.building(english)
                p = Person(self.given(english), self.family(english), english)
                if self.taken(f"{p.given} {p.family}", address):
                    continue
                self.add(self.person(key, p, address, group="namesake"))
                other = self.building(english, city=self.city_of(address))
                self.add(self.person(key + 1, p, other, group="namesake"))
                key += 2
            else:
                address = self.building(english)
                p = Person(self.given(english), self.family(english), english)
                if self.taken(f"{p.given} {p.family}", address):
                    continue
                self.add(self.person(key, p, address))
                key += 1
        return self.entities[:total]


# --- noise: how a call-centre agent writes a person -------------------------------------------


def typo(word: str, rng: random.Random) -> str:
    """One insertion, deletion, substitution or transposition inside the word."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("insert", "delete", "substitute", "transpose"))
    letters = "aeinrstlhcu"
    if kind == "insert":
        return word[:i] + rng.choice(letters) + word[i:]
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "substitute":
        options = [c for c in letters if c != word[i].lower()]
        return word[:i] + rng.choice(options) + word[i + 1 :]
    if word[i] == word[i + 1]:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def phonetic(word: str, rng: random.Random) -> str | None:
    group = next((g for g in PHONETIC if word in g), None)
    return rng.choice([w for w in group if w != word]) if group else None


def ocr(word: str, rng: random.Random) -> str | None:
    options = [(a, b) for a, b in OCR if a in word[1:]]
    if not options:
        return None
    a, b = rng.choice(options)
    i = word.index(a, 1)
    return word[:i] + b + word[i + len(a) :]


def abbreviate_street(street: str, rng: random.Random) -> str:
    for long, short in STREET_ABBREVIATIONS:
        if long in street:
            return street.replace(long, short)
    return street.replace(" ", "  ", 1)


def street_typo(street: str, rng: random.Random) -> str:
    words = street.split()
    at = max(range(len(words)), key=lambda i: len(words[i]) if not words[i][0].isdigit() else 0)
    words[at] = typo(words[at], rng)
    return " ".join(words)


def number_variant(street: str, rng: random.Random) -> str:
    """The house number written differently but the same: "12a" as "12 a", "12A"."""
    words = street.split()
    at = next((i for i, w in enumerate(words) if w[0].isdigit()), None)
    if at is None:
        return street
    w = words[at]
    if w[-1].isalpha():
        words[at] = rng.choice((f"{w[:-1]} {w[-1]}", w.upper()))
    else:
        return abbreviate_street(street, rng)
    return " ".join(words)


MATCHABLE_VARIANTS = (
    ("exact", 10), ("address_format", 8), ("typo_family", 9), ("typo_given", 7),
    ("phonetic", 9), ("ocr", 4), ("swapped", 7), ("nickname", 7), ("initial", 5),
    ("missing_fields", 8), ("street_typo", 5), ("house_number_format", 3), ("moved", 8),
    ("combined", 6), ("umlaut_ascii", 4),
)  # fmt: skip
NEW_VARIANTS = (
    ("new_person", 25), ("trap_relative_same_address", 18), ("trap_near_given_same_address", 7),
    ("trap_namesake_same_city", 14), ("trap_namesake_elsewhere", 8),
    ("trap_flat_same_building", 14), ("trap_flat_same_family", 8),
    ("trap_similar_name_same_postal", 6),
)  # fmt: skip


class PersonIncoming:
    def __init__(self, gen: PersonGenerator, entities: list[Entity]):
        self.gen = gen
        self.rng = gen.rng
        self.entities = entities
        self.next_key = max(e.key for e in entities) + 1
        self.new_names: set[tuple[str, str]] = set()

    def block(self, index: int, name: str, *, email, phone) -> dict[str, Any]:
        block: dict[str, Any] = {"external_id": f"PNEW-{index:05d}", "name": name}
        if self.rng.random() < 0.85:  # most systems know a household is a private customer
            block["type"] = "Private"
        if email:
            block["email"] = email
        if phone:
            block["phone"] = phone
        return block

    def contacts(self, e: Entity) -> tuple[str | None, str | None]:
        """What the call centre took down: often the e-mail or phone, not always."""
        email = e.email if e.email and self.rng.random() < 0.45 else None
        phone = reformat_phone(e.phone, self.rng) if e.phone and self.rng.random() < 0.5 else None
        return email, phone

    def name_of(self, given: str, family: str, *, swap: bool = False) -> str:
        if swap:
            return self.rng.choice((f"{family}, {given}", f"{family} {given}"))
        return f"{given} {family}"

    def matchable(self, index: int, variant: str) -> Incoming:
        e = self.gen.pick(self.entities)
        p = e.parts
        given, family = p["given"], p["family"]
        address = e.addresses[0]
        location = location_block(address, coordinates=False)
        email, phone = self.contacts(e)
        note, swap = "", False
        rng = self.rng
        if variant == "exact":
            pass
        elif variant == "address_format":
            location["street"] = abbreviate_street(address.street, rng)
            note = "street abbreviated"
        elif variant == "typo_family":
            family = typo(family, rng)
        elif variant == "typo_given":
            given = typo(given, rng)
        elif variant == "phonetic":
            which = [w for w in ("family", "given") if phonetic(p[w], rng)]
            if not which:
                family = typo(family, rng)
                note = "no phonetic variant: typo"
            elif "family" in which:
                family = phonetic(family, rng) or family
            else:
                given = phonetic(given, rng) or given
        elif variant == "ocr":
            changed = ocr(family, rng)
            family = changed or typo(family, rng)
        elif variant == "swapped":
            swap = True
        elif variant == "nickname":
            short = SHORT_FORMS.get(given)
            if short:
                given = rng.choice(short)
            else:
                given, note = typo(given, rng), "no short form: typo"
        elif variant == "initial":
            given = f"{given[0]}."
        elif variant == "missing_fields":
            drop = rng.choice(("postal_code", "city", "street", "contacts"))
            if drop == "contacts":
                email = phone = None
            else:
                location.pop(drop)
            note = f"without {drop}"
        elif variant == "street_typo":
            location["street"] = street_typo(address.street, rng)
        elif variant == "house_number_format":
            location["street"] = number_variant(address.street, rng)
        elif variant == "moved":
            english = p["english"]
            new_home = self.gen.building(english)
            location = location_block(new_home, coordinates=False)
            email = e.email or None
            phone = e.phone if e.phone and (not email or rng.random() < 0.5) else None
            if not email and not phone:
                note = "moved, no e-mail or phone: not linkable on its own"
            else:
                note = "moved: same e-mail/phone"
        elif variant == "combined":
            family = typo(family, rng)
            location["street"] = abbreviate_street(address.street, rng)
            swap = rng.random() < 0.5
        elif variant == "umlaut_ascii":
            family = family.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
            location["street"] = location["street"].replace("ß", "ss")
        return Incoming(
            index=index,
            customer=self.block(index, self.name_of(given, family, swap=swap), email=email,
                                phone=phone),
            location=location,
            matchable=True,
            variant=variant,
            truth=e.key,
            entity=e,
            note=note,
        )  # fmt: skip

    def new(self, index: int, variant: str) -> Incoming:
        for _ in range(300):
            made = self._new(variant)
            if made is None:
                continue
            e, note = made
            a = e.addresses[0]
            folded = (fold(e.name), a.city)
            if folded in self.new_names:
                continue
            if variant not in ("trap_namesake_same_city",) and self.gen.taken(e.name, a):
                continue
            self.new_names.add(folded)
            break
        else:
            raise RuntimeError(f"could not make {variant}")
        e.key = self.next_key
        self.next_key += 1
        email = e.email if self.rng.random() < 0.45 else None
        phone = e.phone if self.rng.random() < 0.5 else None
        name = e.name
        if self.rng.random() < 0.1:
            name = self.name_of(e.parts["given"], e.parts["family"], swap=True)
        return Incoming(
            index=index,
            customer=self.block(index, name, email=email, phone=phone),
            location=location_block(e.addresses[0], coordinates=False),
            matchable=False,
            variant=variant,
            truth=None,
            entity=e,
            note=note,
        )

    def _new(self, variant: str) -> tuple[Entity, str] | None:
        gen, rng = self.gen, self.rng
        if variant == "new_person":
            english = rng.random() < 0.3
            address = gen.building(english)
            return gen.person(-1, Person(gen.given(english), gen.family(english), english),
                              address), ""  # fmt: skip
        o = gen.pick(self.entities)
        p, where = o.parts, o.addresses[0]
        english = p["english"]
        # A household shares its landline; a relative's mobile is their own.
        landline = o.phone if o.parts["phone"] == "landline" else None
        if variant == "trap_relative_same_address":
            given = gen.given(english)
            # Not a name another member already bears, nor its short form (no household has a
            # Johann and a Hans).
            if any(
                x.parts["given"] == given
                or given in SHORT_FORMS.get(x.parts["given"], ())
                or x.parts["given"] in SHORT_FORMS.get(given, ())
                for x in (o, *gen.by_building[where.key])
            ):
                return None
            e = gen.person(-1, Person(given, p["family"], english), where, landline=landline)
            return e, f"relative of @{o.key} {o.name!r} at the same address"
        if variant == "trap_near_given_same_address":
            pair = next((x for x in NEAR_GIVEN if p["given"] in x), None)
            if not pair:
                return None
            given = pair[1] if p["given"] == pair[0] else pair[0]
            e = gen.person(-1, Person(given, p["family"], english), where, landline=landline)
            return e, f"relative of @{o.key} {o.name!r}, a letter apart, same address"
        if variant == "trap_namesake_same_city":
            if gen.taken(o.name, where) and len(gen.by_city_name[(where.city, fold(o.name))]) > 1:
                return None
            other = gen.building(english, city=gen.city_of(where))
            e = gen.person(-1, Person(p["given"], p["family"], english), other)
            return e, f"namesake of @{o.key} {o.name!r} in the same city"
        if variant == "trap_namesake_elsewhere":
            other = gen.building(english)
            if other.city == where.city:
                return None
            e = gen.person(-1, Person(p["given"], p["family"], english), other)
            return e, f"namesake of @{o.key} {o.name!r} in {other.city}"
        if variant == "trap_flat_same_building":
            e = gen.person(-1, Person(gen.given(english), gen.family(english), english), where)
            return e, f"another flat in the building of @{o.key} {o.name!r}"
        if variant == "trap_flat_same_family":
            # Another family of the same (common) name in the building: not related.
            given = gen.given(english)
            if given == p["given"]:
                return None
            e = gen.person(-1, Person(given, p["family"], english), where)
            return e, f"same family name as @{o.key} {o.name!r}, another flat, own phone"
        if variant == "trap_similar_name_same_postal":
            family = phonetic(p["family"], rng)
            if not family:
                return None
            other = gen.building(english, city=gen.city_of(where), postal_code=where.postal_code)
            e = gen.person(-1, Person(p["given"], family, english), other)
            return e, f"near-identical to @{o.key} {o.name!r} in the same postal code"
        raise ValueError(variant)

    def build(self, total: int) -> list[Incoming]:
        kinds = [True] * (total // 2) + [False] * (total - total // 2)
        self.rng.shuffle(kinds)
        records = []
        for index, matchable in enumerate(kinds):
            pool = MATCHABLE_VARIANTS if matchable else NEW_VARIANTS
            variant = self.rng.choices([v for v, _ in pool], weights=[w for _, w in pool])[0]
            records.append(
                self.matchable(index, variant) if matchable else self.new(index, variant)
            )
        return records
