"""The import-throughput data set: record set `n` (a customer with a location and a contact) and
target items that carry it, the same for the same `n` on every run."""

import random
from datetime import date, timedelta
from typing import Any

from bench.data import words

# --- realistic, deterministic test data ----------------------------------------------------------

FIRST_NAMES = words.FIRST_NAMES[:20]
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
    "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler",
    "Maier", "Herrmann", "König", "Walter", "Peters", "Möller", "Jung", "Hahn", "Vogel",
    "Friedrich", "Keller", "Günther", "Frank", "Berger",
)  # fmt: skip
TRADES = (
    "Haustechnik", "Kältetechnik", "Medizintechnik", "Logistik", "Facility Services",
    "Gebäudereinigung", "Elektrotechnik", "Bäckereien", "Apotheken", "Autohaus",
    "Lebensmittelmarkt", "Hotelbetriebe", "Sanitär", "Druckerei", "Metallbau", "Pflegedienst",
    "Getränkehandel", "Zahnarztpraxis", "Brandschutz", "Aufzugstechnik",
)  # fmt: skip
# city, postal code prefix, region, latitude, longitude
CITIES = (
    ("Essen", "451", "Nordrhein-Westfalen", 51.4556, 7.0116),
    ("Bochum", "447", "Nordrhein-Westfalen", 51.4818, 7.2162),
    ("Dortmund", "441", "Nordrhein-Westfalen", 51.5136, 7.4653),
    ("Düsseldorf", "402", "Nordrhein-Westfalen", 51.2277, 6.7735),
    ("Köln", "506", "Nordrhein-Westfalen", 50.9375, 6.9603),
    ("Duisburg", "470", "Nordrhein-Westfalen", 51.4344, 6.7623),
    ("Gelsenkirchen", "458", "Nordrhein-Westfalen", 51.5177, 7.0857),
    ("Münster", "481", "Nordrhein-Westfalen", 51.9607, 7.6261),
    ("Hannover", "301", "Niedersachsen", 52.3759, 9.7320),
    ("Frankfurt am Main", "603", "Hessen", 50.1109, 8.6821),
    ("Stuttgart", "701", "Baden-Württemberg", 48.7758, 9.1829),
    ("München", "803", "Bayern", 48.1351, 11.5820),
)
STREETS = (
    "Hachestraße", "Kettwiger Straße", "Rüttenscheider Straße", "Hauptstraße", "Bahnhofstraße",
    "Industriestraße", "Am Stadtpark", "Gewerbering", "Lindenallee", "Schillerstraße",
    "Goethestraße", "Kantstraße", "Ringstraße", "Mühlenweg", "Hafenstraße", "Friedrichstraße",
)  # fmt: skip
LEGAL_FORMS = ("GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "OHG")
INDUSTRIES = ("Healthcare", "Retail", "Hospitality", "Manufacturing", "Logistics", "Facilities")
SITE_KINDS = ("Filiale", "Lager", "Werk", "Praxis", "Zentrale", "Markt", "Depot", "Büro")
ROLES = ("Operations Manager", "Facility Manager", "Filialleitung", "Technischer Leiter", "Einkauf")
DEPARTMENTS = ("Operations", "Technik", "Einkauf", "Verwaltung")
TITLES = (
    ("Maintenance visit", "Check refrigeration unit and document status."),
    ("Annual inspection", "Inspect fire extinguishers and emergency lighting."),
    ("Repair", "Door closer of the delivery entrance is broken."),
    ("Installation", "Install the new coffee machine and brief the staff."),
    ("Service call", "Heating does not reach the set temperature."),
)
PRIORITIES = ("Low", "Normal", "High", "Urgent")
ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": ""})


def context_blocks(n: int) -> dict[str, dict[str, Any]]:
    """Customer, location and contact of record set `n`: unique external IDs, customer numbers and
    e-mail addresses; plausible German names and addresses; coordinates always present."""
    rng = random.Random(n)
    last = LAST_NAMES[n % len(LAST_NAMES)]
    trade = TRADES[(n // len(LAST_NAMES)) % len(TRADES)]
    legal = LEGAL_FORMS[(n // (len(LAST_NAMES) * len(TRADES))) % len(LEGAL_FORMS)]
    city, zip_prefix, region, lat, lon = CITIES[n % len(CITIES)]
    first, contact_last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = f"{last.lower().translate(ASCII)}-{trade.split()[0].lower().translate(ASCII)}.de"
    street = f"{rng.choice(STREETS)} {rng.randint(1, 180)}"
    return {
        "customer": {
            "externalId": f"CUST-{n:06d}",
            "customerNumber": f"K-{100000 + n}",
            "name": f"{last} {trade} {legal}",
            "type": "Business",
            "industry": rng.choice(INDUSTRIES),
            "email": f"info{n}@{domain}",
            "phone": f"+49 {rng.randint(200, 899)} {rng.randint(100000, 999999)}",
            "website": f"https://www.{domain}",
        },
        "location": {
            "externalId": f"LOC-{n:06d}",
            "name": f"{city} {rng.choice(SITE_KINDS)} {n % 97 + 1}",
            "type": "Branch",
            "street": street,
            "postalCode": f"{zip_prefix}{rng.randint(10, 99)}",
            "city": city,
            "region": region,
            "country": "DE",
            "latitude": round(lat + rng.uniform(-0.05, 0.05), 6),
            "longitude": round(lon + rng.uniform(-0.05, 0.05), 6),
            "defaultEstimatedWorkMinutes": rng.choice((30, 45, 60, 90)),
            "defaultPriority": rng.choice(PRIORITIES[:3]),
            "accessNotes": "Anmeldung am Empfang, Ausweis mitbringen.",
        },
        "contact": {
            "externalId": f"CONT-{n:06d}",
            "firstName": first,
            "lastName": contact_last,
            "displayName": f"{first} {contact_last}",
            "role": rng.choice(ROLES),
            "department": rng.choice(DEPARTMENTS),
            "email": f"{first.lower()}.{contact_last.lower().translate(ASCII)}.{n}@{domain}",
            "phone": f"+49 {rng.randint(200, 899)} {rng.randint(100000, 999999)}",
            "preferredContactMethod": "Email",
        },
    }


def target_item(external_id: str, n: int, *, context: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(f"{external_id}")
    title, description = TITLES[n % len(TITLES)]
    due = date(2026, 7, 1) + timedelta(days=n % 60)
    return {
        "externalId": external_id,
        "title": title,
        "description": description,
        **context,
        "planning": {
            "priority": rng.choice(PRIORITIES),
            "estimatedWorkMinutes": rng.choice((30, 45, 60, 120)),
            "dueDate": due.isoformat(),
            "preferredTimeWindowStart": f"{due.isoformat()}T08:00:00Z",
            "preferredTimeWindowEnd": f"{due.isoformat()}T14:00:00Z",
        },
        "customFields": {"serviceType": "Maintenance", "assetId": f"ASSET-{n:06d}"},
    }


def batch_bodies(prefix: str, batches: int, size: int) -> list[list[dict[str, Any]]]:
    """`batches` lists of `size` items; item n carries record set n and target `prefix-n`."""
    return [
        [
            target_item(f"{prefix}-{n:06d}", n, context=context_blocks(n))
            for n in range(b * size, (b + 1) * size)
        ]
        for b in range(batches)
    ]


def small_context(n: int) -> dict[str, Any]:
    """A known customer context as a lean client sends it: external IDs and the customer name."""
    full = context_blocks(n)
    return {
        "customer": {
            "externalId": full["customer"]["externalId"],
            "name": full["customer"]["name"],
        },
        "location": {"externalId": full["location"]["externalId"]},
        "contact": {"externalId": full["contact"]["externalId"]},
    }
