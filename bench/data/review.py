"""The review-queue data set: two tenants' customers, import jobs over 30 days and their items,
open and closed, with the warnings, candidates, decisions and payloads the mapping engine writes.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.data import words, zipf_cum_weights

SEED = 20260801
MAIN_OPEN, MAIN_CLOSED, OTHER_ITEMS = 100_000, 100_000, 50_000
OTHER_OPEN_SHARE = 0.4
MAIN_CUSTOMERS, OTHER_CUSTOMERS = 20_000, 5_000
DAYS = 30

# --- realistic, deterministic test data ----------------------------------------------------------

SURNAMES = (
    *words.SURNAMES[:70],
    "Öztürk", "Kaya", "Demir", "Nowak", "Kowalski", "Rossi", "García", "Dubois", "Jensen", "Novák",
)  # fmt: skip
TRADES = (
    "Haustechnik", "Elektrotechnik", "Sanitärtechnik", "Heizungsbau", "Kältetechnik",
    "Klimatechnik", "Metallbau", "Gebäudereinigung", "Gebäudeservice", "Facility Management",
    "Hausverwaltung", "Logistik", "Bauunternehmung", "Gartenbau", "Fensterbau", "Aufzüge",
    "Brandschutz", "Sicherheitstechnik", "Solartechnik", "IT-Service", "Anlagenbau",
    "Maschinenbau", "Medizintechnik", "Immobilien", "Industrieservice", "Kanalservice",
)  # fmt: skip
TRADE_PREFIXES = (
    "Elektro", "Sanitär", "Bäckerei", "Autohaus", "Malerbetrieb", "Dachdeckerei", "Schreinerei",
    "Apotheke", "Praxis Dr.", "Hotel", "Restaurant", "Kanzlei", "Ingenieurbüro", "Pflegedienst",
)  # fmt: skip
INTL = (
    *words.INTL_ADJECTIVES[:13],
    "Smart",
    "United",
    "Continental",
    "Premier",
    "Horizon",
    "Orion",
)
INTL_NOUNS = (
    "Solutions", "Logistics", "Systems", "Services", "Technologies", "Facilities", "Properties",
    "Retail", "Hospitality", "Healthcare", "Foods", "Pharma", "Energy", "Engineering",
)  # fmt: skip
CITIES = (
    ("Essen", "451"), ("Bochum", "447"), ("Dortmund", "441"), ("Duisburg", "470"),
    ("Düsseldorf", "402"), ("Köln", "506"), ("Bonn", "531"), ("Münster", "481"),
    ("Hamburg", "201"), ("Berlin", "101"), ("München", "803"), ("Leipzig", "041"),
    ("Hannover", "301"), ("Stuttgart", "701"), ("Frankfurt am Main", "603"), ("Bremen", "281"),
)  # fmt: skip
STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Gartenweg", "Industriestraße", "Lindenallee", "Am Markt",
    "Rüttenscheider Str.", "Kettwiger Straße", "Goetheweg", "Hafenstraße", "Gewerbepark Nord",
)  # fmt: skip
FIRST_NAMES = (
    *words.FIRST_NAMES[:6],
    "Thomas", "Sabine", "Jürgen", "Petra", "Mehmet", "Ayşe", "Piotr", "Giovanni", "Lars", "Ingrid",
    "Renée", "José",
)  # fmt: skip
LEGAL = ("GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "OHG", "UG (haftungsbeschränkt)", "")
WARNING_ONLY_CODES = (
    ("AmbiguousLocationMatch", 20), ("LocationMissingCoordinates", 30),
    ("ContactAutoCreateDisabled", 20), ("LocationCustomerMismatch", 10),
    ("ContactCustomerMismatch", 8), ("CustomerNumberConflict", 7),
    ("LocationAutoCreateDisabled", 5),
)  # fmt: skip


def weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


def company_name(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        base = f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}"
    elif kind < 0.7:
        base = f"{rng.choice(TRADE_PREFIXES)} {rng.choice(SURNAMES)}"
    elif kind < 0.85:
        base = f"{rng.choice(INTL)} {rng.choice(INTL_NOUNS)}"
    else:
        base = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        return base  # a person: no legal form
    legal = rng.choice(LEGAL)
    return f"{base} {legal}".strip()


@dataclass
class CustomerRow:
    name: str
    external_id: str
    number: str
    email: str
    city: str
    postal: str
    street: str


def customers_of(rng: random.Random, count: int, prefix: str) -> list[CustomerRow]:
    names: set[str] = set()
    rows = []
    while len(rows) < count:
        name = company_name(rng)
        if name in names:
            name = f"{name} {rng.choice(CITIES)[0]}"
            if name in names:
                continue
        names.add(name)
        city, postal = rng.choice(CITIES)
        n = len(rows) + 1
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:20]
        rows.append(
            CustomerRow(
                name=name,
                external_id=f"{prefix}-C{n:06d}",
                number=f"{prefix[:2].upper()}{100000 + n}",
                email=f"service@{slug or 'kunde'}.example",
                city=city,
                postal=f"{postal}{rng.randint(10, 99)}",
                street=f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
            )
        )
    return rows


@dataclass
class Job:
    tenant: int  # index into the tenant list
    client: int  # index into that tenant's clients
    created_at: datetime
    size: int
    id: int = 0


@dataclass
class Data:
    jobs: list[Job] = field(default_factory=list)
    # (tenant index, job index, position, external id, import status, mapping status, warnings,
    #  errors, candidates, decisions, payload, customer index or None, review state, created_at)
    items: list[tuple] = field(default_factory=list)
    customers: list[list[CustomerRow]] = field(default_factory=list)


def item_payload(rng: random.Random, row: CustomerRow, known: bool) -> dict:
    customer: dict = {"external_id": row.external_id, "name": row.name}
    if rng.random() < 0.7:
        customer["customer_number"] = row.number
    if rng.random() < 0.5:
        customer["email"] = row.email
    if not known and rng.random() < 0.3:  # new to the tenant: a new external ID
        customer["external_id"] = f"{row.external_id}-N{rng.randint(1, 999)}"
    payload = {"customer": customer}
    if rng.random() < 0.9:
        payload["location"] = {
            "external_id": f"{row.external_id.replace('-C', '-L')}-{rng.randint(1, 4)}",
            "street": row.street,
            "postal_code": row.postal,
            "city": row.city,
            "country": "DE",
        }
    if rng.random() < 0.4:
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(SURNAMES)
        payload["contact"] = {
            "external_id": f"{row.external_id.replace('-C', '-P')}-{rng.randint(1, 3)}",
            "display_name": f"{first} {last}",
            "email": f"{first.lower()}.{len(last)}@{row.email.split('@')[1]}",
        }
    return payload


def ambiguous_candidates(rng: random.Random, cust_index: int, n_customers: int) -> list[dict]:
    out = []
    for k in range(rng.randint(2, 5)):
        record = cust_index if k == 0 else rng.randrange(n_customers)
        total = round(rng.uniform(0.78, 0.95), 3)
        out.append(
            {
                "recordId": record,  # an index; replaced by the customer id on load
                "score": total,
                "corroborated": rng.random() < 0.6,
                "signals": {
                    "name": round(min(1.0, total + rng.uniform(-0.05, 0.08)), 3),
                    "street": round(rng.uniform(0.5, 1.0), 3),
                    "postalCode": rng.choice((1.0, 0.0)),
                    "city": rng.choice((1.0, 0.8)),
                },
            }
        )
    return sorted(out, key=lambda c: -c["score"])


def open_item(rng: random.Random, cust_index: int, n_customers: int, manual: bool) -> tuple:
    """(mapping status, warnings, errors, candidates, decisions, linked customer?, import status)
    of an item `_needs_review` keeps Open: Warning or Failed, or Skipped under ManualOnly."""
    if manual:  # a ManualOnly client: every customer context waits for a person
        return "Skipped", ["ManualMappingRequired"], [], [], {}, False, "Imported"
    link = {"method": "ExternalId", "action": "Mapped", "recordId": cust_index}
    if rng.random() < 0.6:  # Warning
        if rng.random() < 0.4:
            warnings = ["AmbiguousCustomerMatch"]
            if rng.random() < 0.3:
                warnings.append(weighted(rng, WARNING_ONLY_CODES[:3]))
            candidates = ambiguous_candidates(rng, cust_index, n_customers)
            decisions = {
                "customer": {
                    "method": "NameAndAddress",
                    "action": "NotLinked",
                    "recordId": None,
                    "matcherVersion": 3,
                    "threshold": 0.92,
                    "margin": 0.08,
                    "candidates": candidates,
                }
            }
            return "Warning", warnings, [], candidates, decisions, False, "Imported"
        warnings = [weighted(rng, WARNING_ONLY_CODES)]
        if rng.random() < 0.25:
            second = weighted(rng, WARNING_ONLY_CODES)
            if second not in warnings:
                warnings.append(second)
        decisions = {
            "customer": link,
            "location": {"method": "None", "action": "NotLinked", "recordId": None},
        }
        return "Warning", warnings, [], [], decisions, True, rng.choice(("Imported", "Updated"))
    # Failed: nothing plausible
    warnings = ["CustomerNotFound"]
    if rng.random() < 0.15:
        warnings = ["CustomerMappingScopeMissing"]
    decisions = {
        "customer": {
            "nameAndAddress": {
                "matcherVersion": 3,
                "threshold": 0.92,
                "margin": 0.08,
                "candidates": [],
            }
        }
    }
    return "Failed", warnings, [], [], decisions, False, "Imported"


def closed_item(rng: random.Random, cust_index: int, n_customers: int, manual: bool) -> tuple:
    """(review state, *what open_item gives)"""
    roll = rng.random()
    if roll < 0.03:  # failed validation: never reaches the mapping, never needs review
        errors = [
            {
                "field": f"/items/{rng.randint(0, 499)}/planning/dueDate",
                "code": "invalid",
                "message": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
            }
        ]
        return "NotNeeded", "Skipped", [], errors, [], {}, False, "Failed"
    if roll < 0.7:  # mapped on its own
        status = rng.choices(("Mapped", "Created", "Updated"), (70, 20, 10))[0]
        decisions = {"customer": {"method": "ExternalId", "action": status, "recordId": cust_index}}
        return "NotNeeded", status, [], [], [], decisions, True, "Imported"
    state = "Resolved" if roll < 0.95 else "Dismissed"
    status, warnings, errors, candidates, decisions, _, import_status = open_item(
        rng, cust_index, n_customers, manual
    )
    return (
        state,
        status,
        warnings,
        errors,
        candidates,
        decisions,
        state == "Resolved",
        import_status,
    )


def generate() -> Data:
    rng = random.Random(SEED)
    data = Data()
    data.customers = [
        customers_of(rng, MAIN_CUSTOMERS, "ACME"),
        customers_of(random.Random(SEED + 1), OTHER_CUSTOMERS, "ACME"),  # same names and ids!
    ]
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=DAYS)
    # Jobs of both tenants over 30 days; working hours get more of them.
    per_tenant = [MAIN_OPEN + MAIN_CLOSED, OTHER_ITEMS]
    for tenant, total in enumerate(per_tenant):
        left = total
        while left:
            size = 1 if rng.random() < 0.3 else rng.randint(20, 500)
            size = min(size, left)
            left -= size
            day = rng.randrange(DAYS)
            hour = rng.choices(range(24), [1] * 6 + [6] * 12 + [2] * 6)[0]
            at = start + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
            client = 1 if rng.random() < 0.1 else 0  # 1: the ManualOnly service portal
            data.jobs.append(Job(tenant, client, min(at, now), size))
    data.jobs.sort(key=lambda j: j.created_at)
    for n, job in enumerate(data.jobs, start=1):
        job.id = n

    states = ["Open"] * MAIN_OPEN + ["Closed"] * MAIN_CLOSED
    rng.shuffle(states)
    other_open = int(OTHER_ITEMS * OTHER_OPEN_SHARE)
    other_states = ["Open"] * other_open + ["Closed"] * (OTHER_ITEMS - other_open)
    rng.shuffle(other_states)
    queues = [iter(states), iter(other_states)]
    weights = [zipf_cum_weights(len(c), 0.8) for c in data.customers]
    serial = 0
    for j, job in enumerate(data.jobs):
        customers, cum = data.customers[job.tenant], weights[job.tenant]
        prefix = "AUF" if job.tenant == 0 else "OTH"
        for position in range(job.size):
            serial += 1
            c = rng.choices(range(len(customers)), cum_weights=cum)[0]
            if next(queues[job.tenant]) == "Open":
                status, warnings, errors, cands, decisions, linked, imp = open_item(
                    rng, c, len(customers), manual=job.client == 1
                )
                review = "Open"
            else:
                review, status, warnings, errors, cands, decisions, linked, imp = closed_item(
                    rng, c, len(customers), manual=job.client == 1
                )
            payload = item_payload(rng, customers[c], known=linked) if imp != "Failed" else {}
            created = job.created_at + timedelta(milliseconds=3 * position)
            data.items.append(
                (
                    job.tenant, j, position, f"{prefix}-2026-{serial:07d}", imp, status,
                    warnings, errors, cands, decisions, payload, c if linked else None, review,
                    created,
                )
            )  # fmt: skip
    return data
