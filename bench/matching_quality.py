"""Matching quality benchmark: name-and-address customer matching on realistic, messy data.

    .venv/bin/python bench/matching_quality.py                  # what `make bench-matching` runs
    .venv/bin/python bench/matching_quality.py --seed 7         # another realistic data set
    .venv/bin/python bench/matching_quality.py --shipped-index  # index as shipped, see run_engine

It creates its own PostgreSQL database (`ordinavo_matching_bench` on 127.0.0.1:5432, dropped again
at the end; a server-wide advisory lock keeps a second run from dropping it under the first),
migrates it (the post_migrate hook adds the pg_trgm GIN index the candidate search uses) and seeds
one tenant with 5,000 customers: German and international, business and private, 1..n locations,
ten chains with 20-100 branches, and the hard cases real master data has: the same name in other
cities, near-identical names of different companies in one postal code (Schmidt / Schmitt),
several customers in one building, property managers whose owners' associations (WEG) share
their e-mail. Then 2,000 incoming customer contexts with NEW external IDs (so the external-ID path
misses) go through `mapping.services.customer_contexts_map` under ExternalIdThenNameAndAddress
with create allowed, in batches of 500, each in its own transaction:

- 1,000 *matchable* records describe an existing customer the way other systems write it:
  legal form dropped / spelled differently / changed, "Str." for "Straße", case and umlauts, a
  typo, swapped tokens, a salutation, missing fields, punctuation, a company that moved (linking
  it is right, review acceptable, creating it a duplicate), a new or existing branch of a chain;
- 1,000 *new* records are pairwise distinct new customers, many of them traps: the same name as
  an existing customer in another city, another company at the same address, a neighbour with
  the same surname, a near-identical name in the same postal code, a sister company ("... Holding
  GmbH") at the same address, a new WEG of the same property manager (same e-mail).

A link is *wrong* when it goes to any customer other than the true original, or when a new
record is linked at all (also to a customer another record created in this run). It prints wrong
links, duplicates, review rate and automatic-link recall against their targets, a breakdown per
variant, why records were not linked (from the engine's own candidate scores), how often a link
overwrote master data, every wrong link, and examples per variant and outcome.

Exits 0 unless the script itself fails (or another run holds the lock): a missed target is a
measurement. The generator uses a fixed seed and never looks at the matcher. Between batches the
trigram index's GIN pending list is merged, as a vacuum would (same results, stable plan; see
`run_engine`), which keeps a run well under two minutes. Only the standard library, psycopg and
the project's venv are used.
"""

import argparse
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from benchdb import PG_HOST, PG_PORT, admin_connection, database_create, database_drop, database_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "ordinavo_matching_bench"
os.environ["DJANGO_SETTINGS_MODULE"] = "ordinavo.settings.test"
os.environ["DATABASE_URL"] = database_url(DB_NAME)

SEED = 20260315
EXISTING_CUSTOMERS = 5000
INCOMING = 2000
BATCH_SIZE = 500
TARGET_WRONG_LINKS = 0
TARGET_DUPLICATE_RATE = 0.02
TARGET_RECALL = 0.95
EXAMPLES_PER_GROUP = 3

# --- vocabulary --------------------------------------------------------------------------------

# (name, weight): roughly the frequency order of real German surnames and first names.
LAST_NAMES_DE = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller",
    "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
    "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher",
    "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt",
    "Haas", "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl",
    "Engel", "Horn", "Busch", "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff",
    "Pfeiffer", "Y\u0131lmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Nowak", "Kowalski",
    "Nguyen", "Popescu", "Petrović", "Wójcik",
)  # fmt: skip
FIRST_NAMES_DE = (
    "Anna", "Peter", "Maria", "Michael", "Thomas", "Ursula", "Andreas", "Monika", "Stefan",
    "Petra", "Christian", "Sabine", "Wolfgang", "Claudia", "Klaus", "Susanne", "Jürgen", "Andrea",
    "Frank", "Julia", "Uwe", "Katharina", "Markus", "Laura", "Bernd", "Lea", "Matthias", "Sophie",
    "Jan", "Hannah", "Martin", "Emma", "Daniel", "Mia", "Tobias", "Lena", "Sebastian", "Sarah",
    "Florian", "Christina", "Jörg", "Stefanie", "Lukas", "Nicole", "Jonas", "Birgit", "Leon",
    "Heike", "Felix", "Karin", "Paul", "Renate", "Tim", "Gabriele", "Niklas", "Ingrid", "Hans",
    "Helga", "Dieter", "Elke", "Ralf", "Jana", "Sven", "Paula", "Holger", "Daniela", "Dirk",
    "Michaela", "Björn", "Christiane", "Jens", "Martina", "Oliver", "Carla", "Maximilian",
    "Hanna", "Mehmet", "Ayşe", "Ahmet", "Fatma", "Murat", "Zeynep", "Piotr", "Katarzyna",
    "Michał", "Małgorzata", "Thi Lan", "Ion",
)  # fmt: skip
# Real spelling variants of one surname: different families, easily confused.
SURNAME_SPELLINGS = (
    ("Meyer", "Meier", "Maier", "Mayer"), ("Schmidt", "Schmitt", "Schmid"),
    ("Hoffmann", "Hofmann"), ("Schulz", "Schulze", "Schultz"), ("Wolf", "Wolff"),
    ("Krüger", "Kröger"), ("Kuhn", "Kühn"), ("Lang", "Lange"), ("Frank", "Franke"),
    ("Schröder", "Schröter"), ("Neumann", "Naumann"), ("Becker", "Bäcker"), ("Peters", "Petersen"),
    ("Keller", "Kellner"), ("Kraus", "Krause"), ("Vogt", "Voigt"), ("Schmitz", "Schmitt"),
)  # fmt: skip
# First names that differ by a letter or two: siblings, spouses, parent and child.
FIRST_NAME_PAIRS = (
    ("Peter", "Petra"), ("Jan", "Jana"), ("Paul", "Paula"), ("Daniel", "Daniela"),
    ("Michael", "Michaela"), ("Christian", "Christiane"), ("Andreas", "Andrea"),
    ("Stefan", "Stefanie"), ("Anna", "Hanna"), ("Martin", "Martina"), ("Carl", "Carla"),
)  # fmt: skip
TRADES_DE = (
    "Haustechnik", "Elektrotechnik", "Elektro", "Sanitär", "Heizung und Sanitär", "Kältetechnik",
    "Klimatechnik", "Gebäudereinigung", "Dachdeckerei", "Malerbetrieb", "Tischlerei",
    "Schreinerei", "Bäckerei", "Metzgerei", "Autohaus", "Kfz-Werkstatt", "Reifenservice",
    "Bauunternehmung", "Garten- und Landschaftsbau", "Hausverwaltung", "Immobilien", "Spedition",
    "Transporte", "Medizintechnik", "Pflegedienst", "Physiotherapie", "Steuerberatung",
    "Druckerei", "Metallbau", "Stahlbau", "Aufzugstechnik", "Brandschutz", "Sicherheitstechnik",
    "Getränkehandel", "Optik", "Hörgeräte", "Fliesen", "Glaserei", "Rollladenbau", "Zahntechnik",
)  # fmt: skip
# Trades a surname-led name is often seen with, in the same building: Elektro / Sanitär / ...
SIBLING_TRADES = ("Elektro", "Sanitär", "Haustechnik", "Bau", "Immobilien", "Malerbetrieb",
                  "Dachtechnik", "Gartenbau", "Fliesen", "Heizungsbau")  # fmt: skip
REGIONS_DE = (
    "Rhein-Ruhr", "Westfalen", "Niederrhein", "Rheinland", "Emscher", "Nordsee", "Ostsee",
    "Schwaben", "Franken", "Oberbayern", "Sauerland", "Münsterland", "Harz", "Taunus", "Spree",
    "Elbe", "Weser", "Allgäu", "Bodensee", "Eifel",
)  # fmt: skip
BRANDS = (
    "Novatec", "Primus", "Optima", "Delta", "Secura", "Thermoplus", "AquaTec", "BauFix",
    "CleanStar", "LogiTrans", "MediCare", "Vitalis", "Elektra", "Kompass", "Zenit", "Orbis",
    "Fortis", "Terra", "Lumen", "Ventus", "Polaris", "Atlas", "Nexus", "Pro-Tec", "Multi-Service",
)  # fmt: skip
PHARMACY_NAMES = ("Adler", "Löwen", "Stern", "Sonnen", "Rosen", "Hirsch", "Engel", "Linden",
                  "Markt", "Bahnhof", "Park", "Rathaus", "Schloss", "Central",
                  "Einhorn")  # fmt: skip
# (legal form, weight) for German businesses; "" is a sole trader without a form in the name.
LEGAL_FORMS_DE = (
    ("GmbH", 44), ("GmbH & Co. KG", 15), ("e.K.", 6), ("UG (haftungsbeschränkt)", 5), ("AG", 4),
    ("KG", 4), ("OHG", 3), ("GbR", 3), ("gGmbH", 2), ("e.V.", 1), ("eG", 1), ("SE", 1),
    ("PartG mbB", 1), ("", 10),
)  # fmt: skip
# How other systems write a legal form (same company) ...
LEGAL_FORM_SPELLINGS = {
    "GmbH": ("Gesellschaft mit beschränkter Haftung", "G.m.b.H.", "Gmbh", "GMBH", "mbH"),
    "GmbH & Co. KG": ("GmbH & Co KG", "GmbH u. Co. KG", "GmbH + Co. KG", "GmbH&Co.KG",
                      "GmbH & Co.KG"),
    "AG": ("Aktiengesellschaft", "A.G."),
    "KG": ("Kommanditgesellschaft",),
    "e.K.": ("e. K.", "eK", "e.Kfm.", "e.Kfr."),
    "UG (haftungsbeschränkt)": ("UG", "UG (haftungsbeschraenkt)", "UG (h.b.)",
                                "UG haftungsbeschränkt"),
    "OHG": ("oHG", "o.H.G."),
    "GbR": ("G.b.R.",),
    "e.V.": ("eV", "e. V."),
    "eG": ("e.G.",),
    "gGmbH": ("gemeinnützige GmbH", "GmbH"),
    "PartG mbB": ("Partnerschaftsgesellschaft mbB", "PartGmbB"),
    "Ltd": ("Limited", "Ltd."), "PLC": ("plc", "Public Limited Company"),
    "Inc.": ("Inc", "Incorporated"), "LLC": ("L.L.C.", "Llc"), "Corp.": ("Corporation", "Corp"),
    "S.A.": ("SA", "S.A"), "SARL": ("S.A.R.L.", "Sarl"), "SAS": ("S.A.S.",),
    "B.V.": ("BV", "B.V"), "N.V.": ("NV",),
    "S.r.l.": ("Srl", "S.R.L."), "S.p.A.": ("SpA", "S.P.A."),
    "S.L.": ("SL", "S.L"), "Sp. z o.o.": ("sp. z o. o.", "Sp.z o.o.", "Spółka z o.o."),
    "ApS": ("Aps",), "A/S": ("AS",), "Ges.m.b.H.": ("GesmbH", "GmbH"), "Sàrl": ("Sarl",),
}  # fmt: skip
# ... and what it becomes after a real change of form (same company, new form).
LEGAL_FORM_CHANGES = {
    "UG (haftungsbeschränkt)": ("GmbH",), "e.K.": ("GmbH", "UG (haftungsbeschränkt)"),
    "GmbH": ("GmbH & Co. KG", "AG"), "KG": ("GmbH & Co. KG",), "GbR": ("OHG", "GmbH"),
    "OHG": ("KG",), "AG": ("SE",), "": ("e.K.", "GmbH"), "Ltd": ("PLC",), "SARL": ("SAS",),
    "B.V.": ("N.V.",), "S.r.l.": ("S.p.A.",), "S.L.": ("S.A.",), "LLC": ("Inc.",),
}  # fmt: skip
STREETS_DE = (
    "Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Goethestraße", "Kirchstraße",
    "Gartenstraße", "Schulstraße", "Lindenstraße", "Bergstraße", "Industriestraße",
    "Hachestraße", "Kettwiger Straße", "Rüttenscheider Straße", "Alfred-Krupp-Straße",
    "Friedrich-Ebert-Straße", "Konrad-Adenauer-Straße", "Kaiser-Wilhelm-Straße",
    "Schloßstraße", "Mühlenweg", "Birkenweg", "Am Stadtpark", "Am Markt", "An der Ruhr",
    "Im Gewerbepark", "Lindenallee", "Marktplatz", "Europaplatz", "Theodor-Heuss-Ring",
    "Gewerbering", "Hafenstraße", "Kantstraße", "Ringstraße", "Wilhelmstraße", "Mozartstraße",
    "Poststraße", "Feldstraße", "Dorfstraße", "Waldstraße", "Rosenstraße", "Uhlandstraße",
    "Königsallee", "Leopoldstraße", "Zeil", "Kurfürstendamm", "Straße des 17. Juni",
    "Frankfurter Straße", "Kölner Straße", "Dortmunder Straße", "Essener Straße",
    "Münchener Straße", "Brückenstraße", "Sankt-Georg-Straße", "Von-der-Tann-Straße",
    "Jägerstraße", "Grüner Weg", "Heinrich-Heine-Allee", "Düsseldorfer Straße", "Ulmenweg",
)  # fmt: skip
# name, country, postal codes, lat, lon, phone prefix (international form), weight, spellings
CITIES_DE = (
    ("Essen", ["45127", "45128", "45130", "45131", "45133", "45136", "45138", "45139", "45141",
               "45143", "45145", "45147", "45149"], 51.4556, 7.0116, "201", 8,
     ("Essen-Rüttenscheid", "Essen (Ruhr)")),
    ("Bochum", ["44787", "44789", "44791", "44793", "44795", "44799", "44801", "44803", "44805"],
     51.4818, 7.2162, "234", 5, ()),
    ("Dortmund", ["44135", "44137", "44139", "44141", "44143", "44145", "44147", "44149"],
     51.5136, 7.4653, "231", 6, ()),
    ("Düsseldorf", ["40210", "40211", "40212", "40213", "40215", "40217", "40219", "40221",
                    "40223", "40225", "40227", "40229"], 51.2277, 6.7735, "211", 6,
     ("Duesseldorf",)),
    ("Köln", ["50667", "50668", "50670", "50672", "50674", "50676", "50677", "50678", "50733",
              "50735", "50737", "50739"], 50.9375, 6.9603, "221", 7, ("Koeln", "Cologne")),
    ("Duisburg", ["47051", "47053", "47055", "47057", "47058", "47059", "47119"], 51.4344,
     6.7623, "203", 3, ()),
    ("Gelsenkirchen", ["45879", "45881", "45883", "45884", "45886", "45888"], 51.5177, 7.0857,
     "209", 2, ()),
    ("Mülheim an der Ruhr", ["45468", "45470", "45472", "45473", "45475", "45476", "45478"],
     51.4275, 6.8825, "208", 2, ("Mülheim a.d. Ruhr", "Mülheim", "Muelheim an der Ruhr")),
    ("Münster", ["48143", "48145", "48147", "48149", "48151", "48153", "48155"], 51.9607, 7.6261,
     "251", 3, ("Muenster", "Münster (Westf.)")),
    ("Hannover", ["30159", "30161", "30163", "30165", "30167", "30169", "30171", "30173"],
     52.3759, 9.7320, "511", 4, ("Hanover",)),
    ("Frankfurt am Main", ["60306", "60308", "60311", "60313", "60314", "60316", "60318",
                           "60320", "60322", "60325", "60326", "60327"], 50.1109, 8.6821, "69",
     6, ("Frankfurt", "Frankfurt a.M.", "Frankfurt/Main")),
    ("Stuttgart", ["70173", "70174", "70176", "70178", "70180", "70182", "70184", "70186",
                   "70188", "70190", "70191", "70192"], 48.7758, 9.1829, "711", 5, ()),
    ("München", ["80331", "80333", "80335", "80336", "80337", "80339", "80469", "80538",
                 "80539", "80634", "80636", "80637", "81369", "81371", "81541", "81543"],
     48.1351, 11.5820, "89", 8, ("Muenchen", "Munich")),
    ("Berlin", ["10115", "10117", "10119", "10178", "10179", "10243", "10245", "10247", "10405",
                "10407", "10435", "10437", "10551", "10553", "10623", "10625", "12043", "12045",
                "13347", "13349"], 52.5200, 13.4050, "30", 10, ()),
    ("Hamburg", ["20095", "20097", "20099", "20144", "20146", "20148", "20249", "20251",
                 "20253", "22041", "22043", "22081", "22083", "22085"], 53.5511, 9.9937, "40",
     8, ()),
    ("Leipzig", ["04103", "04105", "04107", "04109", "04155", "04157", "04177", "04229"],
     51.3397, 12.3731, "341", 4, ()),
    ("Dresden", ["01067", "01069", "01097", "01099", "01127", "01139", "01157"], 51.0504,
     13.7373, "351", 3, ()),
    ("Nürnberg", ["90402", "90403", "90408", "90409", "90411", "90419", "90429", "90431",
                  "90439", "90441"], 49.4521, 11.0767, "911", 4, ("Nuernberg", "Nuremberg")),
    ("Bremen", ["28195", "28197", "28199", "28201", "28203", "28205", "28207", "28209"],
     53.0793, 8.8017, "421", 3, ()),
    ("Bielefeld", ["33602", "33604", "33605", "33607", "33609", "33611"], 52.0302, 8.5325,
     "521", 2, ()),
    ("Augsburg", ["86150", "86152", "86153", "86154", "86156", "86157", "86159"], 48.3705,
     10.8978, "821", 2, ()),
    ("Hattingen", ["45525", "45527", "45529"], 51.3990, 7.1860, "2324", 1, ()),
    ("Velbert", ["42549", "42551", "42553", "42555"], 51.3394, 7.0434, "2051", 1, ()),
    ("Weiden i.d.OPf.", ["92637"], 49.6768, 12.1561, "961", 1,
     ("Weiden", "Weiden in der Oberpfalz")),
    ("Halle (Saale)", ["06108", "06110", "06112", "06114"], 51.4969, 11.9688, "345", 1,
     ("Halle", "Halle/Saale")),
    ("Freiburg im Breisgau", ["79098", "79100", "79102", "79104", "79106"], 47.9990, 7.8421,
     "761", 2, ("Freiburg", "Freiburg i. Br.")),
)  # fmt: skip


@dataclass(frozen=True)
class Country:
    code: str
    cities: tuple  # (city, postal codes, lat, lon, phone prefix, spellings)
    streets: tuple
    number_first: bool
    legal_forms: tuple  # (form, weight)
    last_names: tuple
    first_names: tuple
    trades: tuple
    trade_first: bool  # "Électricité Dupont" rather than "Dupont Electrical"
    phone_cc: str
    mail_tld: str
    weight: int


COUNTRIES_INTL = (
    Country("AT", (("Wien", ["1010", "1020", "1030", "1040", "1050", "1060", "1070", "1100"],
                    48.2082, 16.3738, "1", ("Vienna",)),
                   ("Graz", ["8010", "8020"], 47.0707, 15.4395, "316", ())),
            ("Mariahilfer Straße", "Landstraßer Hauptstraße", "Favoritenstraße", "Praterstraße",
             "Wiedner Hauptstraße", "Annenstraße"), False,
            (("GmbH", 6), ("Ges.m.b.H.", 2), ("KG", 2), ("OG", 1), ("e.U.", 1)), LAST_NAMES_DE,
            FIRST_NAMES_DE, TRADES_DE, False, "43", "at", 3),
    Country("CH", (("Zürich", ["8001", "8002", "8003", "8004", "8005"], 47.3769, 8.5417, "44",
                    ("Zurich", "Zuerich")),
                   ("Basel", ["4051", "4052", "4053"], 47.5596, 7.5886, "61", ())),
            ("Bahnhofstrasse", "Seefeldstrasse", "Langstrasse", "Badenerstrasse",
             "Freie Strasse"), False, (("AG", 5), ("GmbH", 5), ("SA", 1), ("Sàrl", 1)),
            LAST_NAMES_DE, FIRST_NAMES_DE, TRADES_DE, False, "41", "ch", 3),
    Country("NL", (("Amsterdam", ["1012 AB", "1012 JS", "1013 AA", "1015 CJ", "1017 DD",
                                  "1071 XX"], 52.3676, 4.9041, "20", ()),
                   ("Rotterdam", ["3011 AA", "3012 CN", "3014 GK"], 51.9244, 4.4777, "10", ())),
            ("Damrak", "Herengracht", "Keizersgracht", "Prinsengracht", "Kalverstraat",
             "Coolsingel"), False, (("B.V.", 8), ("N.V.", 1), ("V.O.F.", 1)),
            ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
             "van Dijk", "van der Berg", "de Jong", "van den Heuvel"),
            ("Jan", "Daan", "Sem", "Emma", "Julia", "Tess", "Pieter", "Sanne", "Joost"),
            ("Installatietechniek", "Schoonmaak", "Bouw", "Logistiek", "Elektrotechniek",
             "Vastgoed"), False, "31", "nl", 3),
    Country("FR", (("Paris", ["75001", "75002", "75008", "75009", "75011", "75015", "75017"],
                    48.8566, 2.3522, "1", ()),
                   ("Lyon", ["69001", "69002", "69003", "69006", "69007"], 45.7640, 4.8357,
                    "4", ())),
            ("Rue de Rivoli", "Boulevard Haussmann", "Rue du Faubourg Saint-Honoré",
             "Avenue de la République", "Rue de la Paix", "Quai Saint-Antoine"), True,
            (("S.A.", 3), ("SARL", 5), ("SAS", 4)),
            ("Dupont", "Lefèvre", "Martin", "Bernard", "Durand", "Moreau", "Girard", "Rousseau",
             "Lambert", "Fontaine", "Mercier", "Bonnet", "François", "Gauthier", "Chevalier"),
            ("Jean", "Marie", "Pierre", "Sophie", "Camille", "Léa", "Chloé", "Hélène", "François",
             "Zoé", "Noël", "Amélie"),
            ("Électricité", "Plomberie", "Chauffage", "Nettoyage", "Boulangerie", "Pharmacie",
             "Maintenance Générale", "Bâtiment"), True, "33", "fr", 3),
    Country("GB", (("London", ["EC1A 1BB", "SW1A 2AA", "W1D 3QF", "E1 6AN", "N1 9GU",
                               "SE1 7PB"], 51.5072, -0.1276, "20", ()),
                   ("Manchester", ["M1 1AE", "M2 5DB", "M4 1HQ"], 53.4808, -2.2426, "161", ())),
            ("Baker Street", "Oxford Street", "High Street", "King's Road", "Victoria Street",
             "Deansgate"), True, (("Ltd", 8), ("PLC", 1), ("LLP", 1)),
            ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
             "Robinson", "Wright", "Thompson", "Evans", "Walker", "O'Brien", "McDonald"),
            ("James", "Oliver", "Emily", "Sophie", "Charlotte", "Jack", "Harry", "George",
             "Amelia", "Olivia"),
            ("Facilities", "Engineering", "Property Services", "Logistics", "Maintenance",
             "Electrical", "Plumbing & Heating", "Cleaning Services"), False, "44", "co.uk", 3),
    Country("US", (("New York", ["10001", "10011", "10016", "10018", "10036"], 40.7128,
                    -74.0060, "212", ()),
                   ("Chicago", ["60601", "60602", "60611"], 41.8781, -87.6298, "312", ())),
            ("Fifth Avenue", "Broadway", "Madison Avenue", "West 34th Street", "Park Avenue",
             "Michigan Avenue"), True, (("Inc.", 5), ("LLC", 4), ("Corp.", 1)),
            ("Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Taylor",
             "Moore", "Jackson", "Harris"),
            ("Michael", "Jennifer", "David", "Ashley", "Chris", "Jessica", "Matthew", "Sarah"),
            ("Facilities", "Building Services", "Medical Supply", "Logistics", "HVAC",
             "Elevator Company"), False, "1", "com", 2),
    Country("IT", (("Milano", ["20121", "20122", "20123", "20135"], 45.4642, 9.1900, "2",
                    ("Milan", "Mailand")),),
            ("Via Roma", "Corso Buenos Aires", "Via Torino", "Viale Monza"), False,
            (("S.r.l.", 6), ("S.p.A.", 2), ("S.n.c.", 1)),
            ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
             "De Luca", "Greco"),
            ("Giuseppe", "Marco", "Giulia", "Francesca", "Luca", "Chiara", "Niccolò"),
            ("Impianti", "Costruzioni", "Pulizie", "Servizi", "Elettrotecnica"), False, "39", "it",
            2),
    Country("ES", (("Madrid", ["28001", "28004", "28013", "28014"], 40.4168, -3.7038, "91", ()),),
            ("Calle Mayor", "Gran Vía", "Calle de Alcalá", "Paseo de la Castellana"), False,
            (("S.L.", 6), ("S.A.", 2)),
            ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
             "Pérez", "Gómez", "Muñoz", "Álvarez"),
            ("José", "María", "Lucía", "Álvaro", "Martín", "Inés", "Sofía"),
            ("Limpiezas", "Instalaciones", "Construcciones", "Mantenimiento", "Electricidad"),
            True, "34", "es", 2),
    Country("PL", (("Warszawa", ["00-001", "00-950", "02-495", "01-234"], 52.2297, 21.0122,
                    "22", ("Warsaw", "Warschau")),),
            ("ul. Marszałkowska", "ul. Nowy Świat", "Aleje Jerozolimskie", "ul. Puławska"), False,
            (("Sp. z o.o.", 7), ("S.A.", 1), ("sp.j.", 1)),
            ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński",
             "Lewandowski", "Zieliński", "Woźniak", "Dąbrowski", "Łukasiewicz"),
            ("Piotr", "Anna", "Katarzyna", "Michał", "Łukasz", "Małgorzata", "Paweł"),
            ("Serwis", "Budownictwo", "Instalacje", "Transport"), False, "48", "pl", 2),
    Country("DK", (("København", ["1050", "1160", "2100", "2200"], 55.6761, 12.5683, "",
                    ("Copenhagen", "Kopenhagen")),),
            ("Strøget", "Nørrebrogade", "Vesterbrogade", "Østerbrogade"), False,
            (("ApS", 5), ("A/S", 3)),
            ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Sørensen", "Møller"),
            ("Søren", "Mette", "Lars", "Kirsten", "Jørgen", "Freja"),
            ("Byg", "Service", "El-teknik", "VVS"), False, "45", "dk", 1),
)  # fmt: skip

MAIL_DOMAINS_PRIVATE = ("web.de", "gmx.de", "gmail.com", "t-online.de", "outlook.de",
                        "posteo.de", "icloud.com", "freenet.de")  # fmt: skip
SITE_WORDS = ("Filiale", "Niederlassung", "Standort", "NL", "Markt", "Zweigstelle")

CHAINS = (
    # name, legal form, branches, industry, site word
    ("Frischemarkt Nord", "GmbH", 100, "Retail", "Markt"),
    ("AutoPlus Werkstattservice", "GmbH & Co. KG", 60, "Automotive", "Filiale"),
    ("Bäckerei Hünnebeck", "GmbH & Co. KG", 45, "Food", "Filiale"),
    ("CityClean Gebäudedienste", "GmbH", 40, "Facilities", "Niederlassung"),
    ("Sonnen-Apotheken", "OHG", 35, "Healthcare", "Filiale"),
    ("Deutsche Parkhaus Betriebs", "AG", 30, "Mobility", "Standort"),
    ("Nordsee Logistik", "SE", 28, "Logistics", "Standort"),
    ("FitWerk Studios", "GmbH", 25, "Fitness", "Studio"),
    ("Hotel Lindenhof Gruppe", "AG", 22, "Hospitality", "Hotel"),
    ("Pflegedienst Lebensfreude", "gGmbH", 20, "Healthcare", "Standort"),
)


# --- data model of the generator -------------------------------------------------------------


@dataclass
class Address:
    street: str
    postal_code: str
    city: str
    country: str
    lat: float
    lon: float
    city_spellings: tuple = ()
    name: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """One building: a street and number appear once in a city (whatever the postal code)."""
        return (self.country, self.city, self.street.casefold())


@dataclass
class Entity:
    """One real-world customer (existing or new); `parts` say how its name was built."""

    key: int
    kind: str  # "Business" or "Private"
    name: str
    country: str
    email: str
    phone: str
    addresses: list[Address]
    parts: dict[str, Any] = field(default_factory=dict)
    group: str = "plain"  # plain, chain, multi, twin, near-twin, shared-address, household
    industry: str = ""
    pk: int | None = None


@dataclass
class Incoming:
    index: int
    customer: dict[str, Any]
    location: dict[str, Any] | None
    matchable: bool
    variant: str
    truth: int | None  # Entity.key of the true original (matchable only)
    entity: Entity  # what the record describes (the original, or the new entity)
    note: str = ""


# --- generator ---------------------------------------------------------------------------------


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.used_emails: set[str] = set()
        self.used_domains: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_addresses: set[tuple[str, str, str]] = set()
        self.entities: list[Entity] = []
        # (country, postal code, normalized name) -> entity keys: keeps the population distinct
        self.by_place_and_name: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        self.last_weights = [1.0 / (i + 8) for i in range(len(LAST_NAMES_DE))]
        self.first_weights = [1.0 / (i + 10) for i in range(len(FIRST_NAMES_DE))]

    # -- small pieces --

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, pairs):
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def last_name(self) -> str:
        return self.rng.choices(LAST_NAMES_DE, weights=self.last_weights)[0]

    def first_name(self) -> str:
        return self.rng.choices(FIRST_NAMES_DE, weights=self.first_weights)[0]

    def city_de(self):
        return self.rng.choices(CITIES_DE, weights=[c[5] for c in CITIES_DE])[0]

    def house_number(self) -> str:
        n = self.rng.choices([self.rng.randint(1, 40), self.rng.randint(41, 250)], weights=(6, 4))[
            0
        ]
        roll = self.rng.random()
        if roll < 0.10:
            return f"{n}{self.pick('abcd')}"
        if roll < 0.13:
            return f"{n}-{n + self.pick((1, 2, 4))}"
        return str(n)

    def address(
        self, country: str = "DE", city=None, postal_code: str | None = None, street_name=None
    ) -> Address:
        for _ in range(50):
            if country == "DE":
                name, codes, lat, lon, _, _, spellings = city or self.city_de()
                street = f"{street_name or self.pick(STREETS_DE)} {self.house_number()}"
            else:
                c = self.country(country)
                name, codes, lat, lon, _, spellings = city or self.pick(c.cities)
                number = self.house_number()
                street_name = self.pick(c.streets)
                street = f"{number} {street_name}" if c.number_first else f"{street_name} {number}"
            code = postal_code or self.pick(codes)
            address = Address(
                street=street,
                postal_code=code,
                city=name,
                country=country,
                lat=round(lat + self.rng.uniform(-0.06, 0.06), 6),
                lon=round(lon + self.rng.uniform(-0.09, 0.09), 6),
                city_spellings=spellings,
            )
            if address.key not in self.used_addresses:
                self.used_addresses.add(address.key)
                return address
        raise RuntimeError("no free address")

    def country(self, code: str) -> Country:
        return next(c for c in COUNTRIES_INTL if c.code == code)

    def slug(self, text: str) -> str:
        text = text.casefold().translate(
            str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
        )
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in " -"))
        return "-".join(text.split())[:40] or "kontakt"

    def email(self, local: str, domain: str) -> str:
        base = f"{local}@{domain}"
        n = 2
        while base in self.used_emails:
            base = f"{local}{n}@{domain}"
            n += 1
        self.used_emails.add(base)
        return base

    def business_email(
        self, name: str, tld: str = "de", city: str = "", small: bool = False
    ) -> str:
        """A company's address at its own domain; a domain belongs to one organization, so
        the second "Elektro Meyer" gets elektro-meyer-essen.de. Small firms often use a
        freemail or provider address instead (elektro-meyer@t-online.de)."""
        if self.rng.random() > 0.8:
            return ""
        if small and self.rng.random() < 0.25:
            return self.email(self.slug(name), self.pick(MAIL_DOMAINS_PRIVATE))
        local = self.pick(("info", "kontakt", "service", "office", "mail"))
        return self.email(local, self.own_domain(name, city, tld))

    def own_domain(self, name: str, city: str = "", tld: str = "de") -> str:
        domain = f"{self.slug(name)}.{tld}"
        if domain in self.used_domains:
            domain = f"{self.slug(name)}-{self.slug(city)}.{tld}"
        n = 2
        while domain in self.used_domains:
            domain = f"{self.slug(name)}{n}.{tld}"
            n += 1
        self.used_domains.add(domain)
        return domain

    def private_email(self, first: str, last: str) -> str:
        if self.rng.random() > 0.6:
            return ""
        local = self.pick((f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}",
                           f"{last}.{first}"))  # fmt: skip
        return self.email(self.slug(local).replace("-", ""), self.pick(MAIL_DOMAINS_PRIVATE))

    def phone(self, prefix: str, cc: str = "49", mobile: bool = False) -> str:
        for _ in range(20):
            if mobile:
                prefix = self.pick(("151", "160", "170", "171", "176", "157"))
                local = str(self.rng.randint(1000000, 99999999))
            else:
                local = str(self.rng.randint(10000, 9999999))
            digits = (prefix + local)[-9:]
            if digits in self.used_phones:
                continue
            self.used_phones.add(digits)
            if cc == "49" and self.rng.random() < 0.5:
                return f"0{prefix} {local}"
            return f"+{cc} {prefix} {local}".replace("  ", " ")
        return ""

    # -- names --

    def business_name_de(self, city_name: str) -> tuple[str, dict[str, Any]]:
        lf = self.weighted(LEGAL_FORMS_DE)
        surname = self.last_name()
        trade = self.pick(TRADES_DE)
        roll = self.rng.random()
        parts: dict[str, Any] = {"legal_form": lf}
        if roll < 0.30:
            base = f"{surname} {trade}"
            parts.update(pattern="surname-trade", surname=surname, trade=trade)
        elif roll < 0.50:
            base = f"{trade} {surname}"
            parts.update(pattern="trade-surname", surname=surname, trade=trade)
        elif roll < 0.58:
            other = self.last_name()
            while other == surname:
                other = self.last_name()
            base = f"{surname} & {other}"
            parts.update(pattern="partners", surname=surname)
        elif roll < 0.68:
            base = f"{self.pick(REGIONS_DE)} {trade}"
            parts.update(pattern="region-trade", trade=trade)
        elif roll < 0.74:
            first = self.first_name()
            base = self.pick((f"{trade} {first} {surname}", f"{first} {surname} {trade}"))
            parts.update(pattern="owner", surname=surname, first=first, trade=trade)
            lf = parts["legal_form"] = self.pick(("", "", "e.K."))
        elif roll < 0.86:
            base = f"{self.pick(BRANDS)} {trade}"
            parts.update(pattern="brand", trade=trade)
        elif roll < 0.91:
            base, lf = self.pick(
                (
                    (f"Stadtwerke {city_name}", "GmbH"),
                    (f"Klinikum {city_name}", "gGmbH"),
                    (f"Evangelisches Krankenhaus {city_name}", "gGmbH"),
                    (f"Wohnungsbaugenossenschaft {city_name}", "eG"),
                    (f"TSV {city_name} {self.rng.randint(1860, 1990)}", "e.V."),
                    (f"Volksbank {self.pick(REGIONS_DE)}", "eG"),
                    (f"Sparkasse {city_name}", ""),
                )
            )
            parts.update(pattern="institution", legal_form=lf)
        elif roll < 0.96:
            base, lf = self.pick(
                (
                    (f"{self.pick(PHARMACY_NAMES)}-Apotheke", self.pick(("e.K.", "OHG"))),
                    (f"Zahnarztpraxis Dr. {surname}", ""),
                    (f"Praxis Dr. med. {self.first_name()} {surname}", ""),
                    (f"Hotel {self.pick(PHARMACY_NAMES)}hof", self.pick(("GmbH", "KG"))),
                    (f"Gasthaus Zur {self.pick(('Linde', 'Post', 'Krone', 'Eiche'))}", ""),
                )
            )
            parts.update(pattern="practice", legal_form=lf, surname=surname)
        else:
            other = self.last_name()
            base, lf = f"{surname} & Partner Rechtsanwälte", self.pick(("PartG mbB", "GbR"))
            parts.update(pattern="lawyers", surname=surname, legal_form=lf)
            del other
        parts["base"] = base
        return (f"{base} {lf}".strip(), parts)

    def business_name_intl(self, c: Country) -> tuple[str, dict[str, Any]]:
        lf = self.weighted(c.legal_forms)
        surname = self.pick(c.last_names)
        trade = self.pick(c.trades)
        if c.code in ("GB", "US") and self.rng.random() < 0.3:
            base = self.pick((f"{surname} & Sons", f"{surname} Brothers", f"{surname} & Co"))
        elif c.trade_first:
            base = f"{trade} {surname}"
        else:
            base = f"{surname} {trade}"
        parts = {"pattern": "intl", "legal_form": lf, "surname": surname, "trade": trade,
                 "base": base}  # fmt: skip
        return (f"{base} {lf}".strip() if lf != "Inc." else f"{base}, Inc.", parts)

    def person_name(self, c: Country | None = None) -> tuple[str, dict[str, Any]]:
        first = self.pick(c.first_names) if c else self.first_name()
        last = self.pick(c.last_names) if c else self.last_name()
        title = ""
        if self.rng.random() < 0.05:
            title = self.pick(("Dr.", "Dr.", "Prof. Dr."))
        name = " ".join(p for p in (title, first, last) if p)
        return name, {"pattern": "person", "first": first, "last": last, "title": title}

    # -- entities --

    def add(self, entity: Entity) -> Entity:
        self.entities.append(entity)
        for address in entity.addresses:
            self.by_place_and_name[
                (address.country, address.postal_code, fold(entity.name))
            ].append(entity.key)
        return entity

    def taken(self, name: str, address: Address) -> bool:
        """An entity of (nearly) this name already exists at this postal code or street."""
        return bool(self.by_place_and_name.get((address.country, address.postal_code, fold(name))))

    def new_business_de(
        self, key: int, *, city=None, locations: int = 1, name_parts=None
    ) -> Entity:
        city = city or self.city_de()
        for _ in range(20):
            name, parts = name_parts or self.business_name_de(city[0])
            first = self.address("DE", city)
            if not self.taken(name, first):
                break
            name_parts = None
        addresses = [first]
        for _ in range(locations - 1):
            near = city if self.rng.random() < 0.6 else self.city_de()
            addresses.append(self.address("DE", near))
        for n, address in enumerate(addresses):
            address.name = "Hauptsitz" if n == 0 else f"{self.pick(SITE_WORDS)} {address.city}"
        return Entity(
            key=key,
            kind="Business",
            name=name,
            country="DE",
            email=self.business_email(
                parts.get("base", name),
                city=first.city,
                small=parts.get("legal_form") in ("", "e.K.", "GbR"),
            ),
            phone=self.phone(city[4]) if self.rng.random() < 0.85 else "",
            addresses=addresses,
            parts=parts,
            group="multi" if locations > 1 else "plain",
            industry=self.pick(("Facilities", "Retail", "Healthcare", "Manufacturing", "Crafts")),
        )

    def new_private_de(self, key: int, *, city=None, address: Address | None = None,
                       name_parts=None) -> Entity:  # fmt: skip
        city = city or self.city_de()
        name, parts = name_parts or self.person_name()
        address = address or self.address("DE", city)
        return Entity(
            key=key,
            kind="Private",
            name=name,
            country="DE",
            email=self.private_email(parts["first"], parts["last"]),
            phone=(
                self.phone(city[4], mobile=self.rng.random() < 0.6)
                if self.rng.random() < 0.7
                else ""
            ),
            addresses=[address],
            parts=parts,
        )

    def new_intl(self, key: int, *, private: bool, c: Country | None = None,
                 name_parts=None) -> Entity:  # fmt: skip
        c = c or self.rng.choices(COUNTRIES_INTL, weights=[x.weight for x in COUNTRIES_INTL])[0]
        city = self.pick(c.cities)
        address = self.address(c.code, city)
        if private:
            name, parts = name_parts or self.person_name(c)
            email = self.private_email(parts["first"], parts["last"])
        else:
            name, parts = name_parts or self.business_name_intl(c)
            email = self.business_email(parts["base"], c.mail_tld, city=address.city)
        return Entity(
            key=key,
            kind="Private" if private else "Business",
            name=name,
            country=c.code,
            email=email,
            phone=self.phone(city[4], cc=c.phone_cc) if self.rng.random() < 0.7 else "",
            addresses=[address],
            parts=parts,
        )

    def population(self, total: int) -> list[Entity]:
        key = 0
        for name, lf, branches, industry, site in CHAINS:
            addresses = [self.address("DE") for _ in range(branches)]
            for n, address in enumerate(addresses, start=1):
                address.name = f"{site} {address.city} {n:03d}"
            self.add(
                Entity(
                    key=key, kind="Business", name=f"{name} {lf}", country="DE",
                    email=self.email("service", self.own_domain(name)),
                    phone=self.phone("800"), addresses=addresses, group="chain",
                    industry=industry,
                    parts={"pattern": "chain", "base": name, "legal_form": lf, "site": site},
                )
            )  # fmt: skip
            key += 1
        # Hard case: the same name in other cities (other companies, other people).
        for _ in range(130):
            original = self.new_business_de(key)
            self.add(original)
            key += 1
            for _ in range(self.pick((1, 1, 2))):
                other_city = self.city_de()
                while other_city[0] == original.addresses[0].city:
                    other_city = self.city_de()
                parts = dict(original.parts)
                name = original.name
                if self.rng.random() < 0.3 and parts.get("legal_form"):  # same name, other form
                    parts["legal_form"] = self.weighted(LEGAL_FORMS_DE)
                    name = f"{parts['base']} {parts['legal_form']}".strip()
                twin = self.new_business_de(key, city=other_city, name_parts=(name, parts))
                twin.group = original.group = "twin"
                self.add(twin)
                key += 1
        # Hard case: near-identical names of different companies in the same postal code.
        for _ in range(90):
            spellings = self.pick(SURNAME_SPELLINGS)
            a, b = self.rng.sample(spellings, 2)
            trade = self.pick(TRADES_DE)
            pattern = self.rng.random() < 0.5
            city = self.city_de()
            first = self.new_business_de(key, city=city, name_parts=self._surname_business(
                a, trade, pattern))  # fmt: skip
            self.add(first)
            second = self.new_business_de(key + 1, city=city, name_parts=self._surname_business(
                b, trade, pattern))  # fmt: skip
            other = self.address("DE", city, postal_code=first.addresses[0].postal_code)
            other.name = "Hauptsitz"
            self.used_addresses.discard(second.addresses[0].key)
            second.addresses = [other]
            first.group = second.group = "near-twin"
            self.add(second)
            key += 2
        # Hard case: several customers in one building (office building, multi-family house).
        for _ in range(70):
            city = self.city_de()
            shared = self.address("DE", city)
            if self.rng.random() < 0.5:
                people = self.rng.randint(2, 4)
                surname = self.last_name()
                for n in range(people):
                    same_family = n > 0 and self.rng.random() < 0.35
                    first = self.first_name()
                    last = surname if same_family else self.last_name()
                    parts = {"pattern": "person", "first": first, "last": last, "title": ""}
                    entity = self.new_private_de(
                        key, city=city, address=Address(**vars(shared)),
                        name_parts=(f"{first} {last}", parts),
                    )  # fmt: skip
                    entity.group = "household"
                    self.add(entity)
                    key += 1
            else:
                for _ in range(self.rng.randint(2, 3)):
                    entity = self.new_business_de(key, city=city)
                    self.used_addresses.discard(entity.addresses[0].key)
                    entity.addresses = [Address(**vars(shared))]
                    entity.group = "shared-address"
                    self.add(entity)
                    key += 1
        # Property managers: the owners' associations (WEG) they manage share their e-mail and
        # phone, and are named after their building: "WEG Hauptstraße 5" next to "... 7".
        for _ in range(40):
            city = self.city_de()
            surname = self.last_name()
            base = f"Hausverwaltung {surname}"
            manager = self.new_business_de(key, city=city, name_parts=(f"{base} GmbH", {
                "pattern": "trade-surname", "surname": surname, "trade": "Hausverwaltung",
                "legal_form": "GmbH", "base": base}))  # fmt: skip
            if self.taken(manager.name, manager.addresses[0]):
                continue
            if not manager.email or manager.email.split("@")[1] in MAIL_DOMAINS_PRIVATE:
                manager.email = self.email("info", self.own_domain(base, city[0]))
            manager.phone = manager.phone or self.phone(city[4])
            manager.group = "property-manager"
            self.add(manager)
            key += 1
            streets: list[str] = []
            for _ in range(self.rng.randint(2, 6)):
                same_street = streets and self.rng.random() < 0.35
                street_name = self.pick(streets) if same_street else self.pick(STREETS_DE)
                streets.append(street_name)
                self.add(self.weg(key, manager, self.address("DE", city, street_name=street_name)))
                key += 1
        # Everybody else: mostly German businesses and private persons, some international.
        while len(self.entities) < total:
            roll = self.rng.random()
            if roll < 0.55:
                locations = 1 if self.rng.random() < 0.85 else self.rng.randint(2, 5)
                entity = self.new_business_de(key, locations=locations)
            elif roll < 0.85:
                entity = self.new_private_de(key)
            else:
                entity = self.new_intl(key, private=self.rng.random() < 0.2)
            if self.taken(entity.name, entity.addresses[0]):
                continue
            self.add(entity)
            key += 1
        return self.entities

    def weg(self, key: int, manager: Entity, address: Address) -> Entity:
        name = self.pick((f"WEG {address.street}", f"WEG {address.street}, {address.city}",
                          f"Wohnungseigentümergemeinschaft {address.street}"))  # fmt: skip
        address.name = address.street
        return Entity(
            key=key, kind="Business", name=name, country="DE", email=manager.email,
            phone=manager.phone, addresses=[address], group="weg", industry="Real estate",
            parts={"pattern": "weg", "base": name, "legal_form": "", "manager": manager},
        )  # fmt: skip

    def _surname_business(self, surname: str, trade: str, surname_first: bool):
        lf = self.weighted(LEGAL_FORMS_DE[:8])
        base = f"{surname} {trade}" if surname_first else f"{trade} {surname}"
        parts = {"pattern": "surname-trade" if surname_first else "trade-surname",
                 "surname": surname, "trade": trade, "legal_form": lf, "base": base}  # fmt: skip
        return f"{base} {lf}".strip(), parts


def fold(text: str) -> str:
    """The generator's own notion of "the same name" (independent of the matcher)."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in text if ch.isalnum() or ch == " ").split())


# --- variants: how other systems write the same customer ---------------------------------------

KEYBOARD_NEIGHBOURS = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "r": "et", "s": "ad", "t": "rz", "u": "zi", "v": "cb", "w": "qe", "z": "tu",
}  # fmt: skip
UMLAUT_TO_DIGRAPH = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe",
                                   "Ü": "Ue", "ß": "ss"})  # fmt: skip
ASCII_FALLBACK = str.maketrans({"\u0131": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d",
                                "ß": "ss"})  # fmt: skip


def strip_accents(text: str) -> str:
    """What an ASCII-only system makes of a name: "Müller" -> "Muller", Yilmaz with a dotless i
    -> "Yilmaz"."""
    text = unicodedata.normalize("NFKD", text.translate(ASCII_FALLBACK))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


class Variants:
    def __init__(self, gen: Generator):
        self.gen = gen
        self.rng = gen.rng

    # -- names --

    def legal_form(self, e: Entity) -> tuple[str, str]:
        lf, base = e.parts.get("legal_form", ""), e.parts.get("base", e.name)
        roll = self.rng.random()
        if lf and roll < 0.4:
            return base, "dropped"
        if lf in LEGAL_FORM_SPELLINGS and roll < 0.8:
            return f"{base} {self.gen.pick(LEGAL_FORM_SPELLINGS[lf])}", "spelled differently"
        if lf in LEGAL_FORM_CHANGES:
            return f"{base} {self.gen.pick(LEGAL_FORM_CHANGES[lf])}", "changed form"
        if lf:
            return base, "dropped"
        return f"{base} {self.gen.pick(('GmbH', 'e.K.'))}", "form added"

    def case_umlaut(self, name: str) -> tuple[str, str]:
        options = [("upper case", name.upper()), ("lower case", name.lower())]
        if name != name.translate(UMLAUT_TO_DIGRAPH):
            options += [("ü -> ue", name.translate(UMLAUT_TO_DIGRAPH))] * 2
        if name != strip_accents(name):
            options += [("accents lost", strip_accents(name))] * 2
        how, value = self.gen.pick(options)
        return value, how

    def typo(self, text: str) -> tuple[str, str]:
        words = [(i, w) for i, w in enumerate(text.split(" ")) if sum(c.isalpha() for c in w) >= 4]
        if not words:
            return text, "no typo possible"
        i, word = self.gen.pick(words)
        letters = [j for j in range(1, len(word)) if word[j].isalpha()]
        j = self.gen.pick(letters)
        kind = self.gen.weighted((("swap", 35), ("drop", 30), ("double", 10), ("neighbour", 25)))
        if kind == "swap" and j + 1 < len(word) and word[j + 1].isalpha():
            new = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif kind == "double":
            new = word[:j] + word[j] + word[j:]
        elif kind == "neighbour" and word[j].lower() in KEYBOARD_NEIGHBOURS:
            new = word[:j] + self.gen.pick(KEYBOARD_NEIGHBOURS[word[j].lower()]) + word[j + 1 :]
        else:
            kind = "drop"
            new = word[:j] + word[j + 1 :]
        tokens = text.split(" ")
        tokens[i] = new
        return " ".join(tokens), f"{kind} in '{word}'"

    def swapped(self, e: Entity) -> tuple[str, str] | None:
        p = e.parts
        if p.get("pattern") == "person":
            first = f"{p['title']} {p['first']}".strip()
            return self.gen.pick((f"{p['last']} {first}", f"{p['last']}, {first}")), "last first"
        if p.get("pattern") in ("surname-trade", "trade-surname"):
            a, b = (p["surname"], p["trade"]) if p["pattern"] == "surname-trade" else (
                p["trade"], p["surname"])  # fmt: skip
            return f"{b} {a} {p['legal_form']}".strip(), "tokens swapped"
        return None

    def salutation(self, e: Entity) -> tuple[str, str]:
        p = e.parts
        if p.get("title") and self.rng.random() < 0.5:
            return f"{p['first']} {p['last']}", "title dropped"
        prefix = self.gen.pick(("Herr", "Frau", "Hr.", "Fr.", "Dr."))
        return f"{prefix} {e.name}", f"'{prefix}' added"

    def punctuation(self, name: str) -> tuple[str, str]:
        options = [
            ("double spaces", name.replace(" ", "  ", 2)),
            ("padded", f"  {name} "),
            ("trailing dot", f"{name}."),
            ("quoted", f'"{name}"'),
            (
                "comma before form",
                re.sub(r" (GmbH|AG|KG|e\.K\.|OHG|Ltd|B\.V\.|S\.A\.)", r", \1", name, count=1),
            ),
        ]
        if "-" in name:
            options.append(("hyphen as space", name.replace("-", " ")))
        if " & " in name:
            options.append(("& as und", name.replace(" & ", " und ")))
            options.append(("& as +", name.replace(" & ", " + ")))
        how, value = self.gen.pick([o for o in options if o[1] != name] or options[:1])
        return value, how

    def with_site(self, e: Entity, address: Address) -> tuple[str, str]:
        base = e.parts.get("base", e.name)
        site = e.parts.get("site") or self.gen.pick(SITE_WORDS)
        options = (
            f"{e.name} - {address.city}",
            f"{e.name} {site} {address.city}",
            f"{base} {address.city}",
            f"{e.name} ({address.city})",
            f"{base}, {site} {address.city}",
        )
        return self.gen.pick(options), "site in name"

    # -- addresses --

    def street(self, street: str) -> tuple[str, str]:
        options = []
        if re.search(r"[Ss]traße", street):
            for replacement in ("str.", "Str.", "strasse", "Strasse", "str", "Str"):
                if re.search(r"\w[Ss]traße", street):  # "Hachestraße"
                    options.append(re.sub(r"(?<=\w)straße", replacement.lower(), street))
                else:  # "Kettwiger Straße", "Alfred-Krupp-Straße"
                    options.append(re.sub(r"Straße", replacement.capitalize(), street))
            options.append(street.replace("ß", "ss"))
        if "-" in street and self.rng.random() < 0.3:
            options.append(street.replace("-", " "))
        m = re.search(r"(\d+)([a-d])$", street)
        if m:
            options += [street[: m.start()] + f"{m[1]} {m[2]}", street[: m.start()] + m[1] +
                        m[2].upper()]  # fmt: skip
        m = re.search(r"(\d+)-(\d+)$", street)
        if m:
            options += [street[: m.start()] + f"{m[1]} - {m[2]}", street[: m.start()] + m[1]]
        if "Platz" in street:
            options.append(street.replace("platz", "pl.").replace("Platz", "Pl."))
        if not options:
            options.append(street.replace(" ", "  ", 1))
        return self.gen.pick(options), "street spelled differently"

    def address_format(self, address: Address) -> tuple[dict[str, Any], str]:
        block = location_block(address)
        changes = []
        kinds = ["street"] * 6
        if address.city_spellings:
            kinds += ["city"] * 2
        if address.country == "DE" and address.postal_code.startswith("0"):
            kinds += ["postal"] * 2
        if address.country in ("PL", "NL", "GB"):
            kinds += ["postal"]
        for kind in self.rng.sample(kinds, min(len(kinds), self.gen.pick((1, 1, 2)))):
            if kind == "street" and "street" not in changes:
                block["street"], _ = self.street(address.street)
                changes.append("street")
            elif kind == "city" and "city" not in changes:
                block["city"] = self.gen.pick(address.city_spellings)
                changes.append("city")
            elif kind == "postal" and "postal" not in changes:
                code = address.postal_code
                block["postal_code"] = (code.lstrip("0") if address.country == "DE"
                                        else code.replace("-", "").replace(" ", ""))  # fmt: skip
                changes.append("postal")
        return block, "+".join(changes)


def location_block(address: Address, *, coordinates: bool = True) -> dict[str, Any]:
    block = {
        "street": address.street,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }
    if address.name:
        block["name"] = address.name
    if coordinates:
        block["latitude"] = round(
            address.lat + random.Random(address.street).uniform(-1, 1) * 1e-4, 6
        )
        block["longitude"] = round(address.lon, 6)
    return block


def reformat_phone(phone: str, rng: random.Random) -> str:
    """The same number as another system writes it: "+49 30 932723" -> "030/932723", ..."""
    parts = phone.split()
    if len(parts) == 3 and parts[0].startswith("+"):
        cc, area, local = parts[0][1:], parts[1], parts[2]
    elif len(parts) == 2 and parts[0].startswith("0"):
        cc, area, local = "49", parts[0][1:], parts[1]
    else:
        return phone.replace(" ", "")
    options = [f"+{cc} (0){area} {local}", f"00{cc} {area} {local}", f"+{cc}{area}{local}"]
    if cc != "1":
        options += [f"0{area}/{local}", f"0{area}-{local}", f"0{area} {local}"]
    return rng.choice(options)


# --- the incoming records ---------------------------------------------------------------------

MATCHABLE_VARIANTS = (
    # variant, weight
    ("exact", 8), ("legal_form", 12), ("address_format", 12), ("case_umlaut", 9), ("typo", 10),
    ("swapped_tokens", 5), ("salutation", 3), ("missing_fields", 10), ("punctuation", 6),
    ("moved", 8), ("new_branch", 5), ("existing_branch", 5), ("combined", 7),
)  # fmt: skip
UNMATCHABLE_VARIANTS = (
    ("new_company", 28), ("new_person", 20), ("trap_same_name_elsewhere", 15),
    ("trap_other_company_same_address", 12), ("trap_neighbour_same_surname", 8),
    ("trap_near_name_same_postal", 11), ("trap_related_entity", 6), ("trap_shared_email", 5),
)  # fmt: skip


class IncomingBuilder:
    def __init__(self, gen: Generator, entities: list[Entity]):
        self.gen = gen
        self.rng = gen.rng
        self.v = Variants(gen)
        self.entities = entities
        self.chains = [e for e in entities if e.group == "chain"]
        self.multi = [e for e in entities if len(e.addresses) > 1]
        self.wegs = [e for e in entities if e.group == "weg"]
        self.next_key = max(e.key for e in entities) + 1
        self.new_names: set[tuple[str, str]] = set()  # (folded name, city) of new entities

    def customer_block(self, index: int, name: str, e: Entity, *, email: str | None,
                       phone: str | None) -> dict[str, Any]:  # fmt: skip
        block: dict[str, Any] = {"external_id": f"NEW-{index:05d}", "name": name}
        if self.rng.random() < 0.7:
            block["type"] = e.kind
        if email:
            block["email"] = email
        if phone:
            block["phone"] = phone
        return block

    def contact_details(self, e: Entity) -> tuple[str | None, str | None]:
        """What a source system knows of an existing customer's e-mail and phone."""
        email = phone = None
        roll = self.rng.random()
        if e.email and roll < 0.35:
            email = e.email if self.rng.random() < 0.8 else e.email.upper()
        elif roll < 0.5:
            local = self.gen.pick(("buchhaltung", "rechnung", "technik", "einkauf"))
            domain = e.email.split("@")[1] if e.email and e.kind == "Business" else "web.de"
            email = self.gen.email(local, domain)
        if e.phone and self.rng.random() < 0.3:
            phone = reformat_phone(e.phone, self.rng)
        return email, phone

    def matchable(self, index: int, variant: str) -> Incoming:
        e = self.pick_original(variant)
        address = self.gen.pick(e.addresses) if e.group in ("chain", "multi") else e.addresses[0]
        if variant == "existing_branch":
            address = self.gen.pick(e.addresses[1:])
        email, phone = self.contact_details(e)
        name, location, note = e.name, location_block(address), ""
        if variant == "exact":
            email, phone = e.email or None, e.phone or None
        elif variant == "legal_form":
            name, note = self.v.legal_form(e)
        elif variant == "address_format":
            location, note = self.v.address_format(address)
        elif variant == "case_umlaut":
            name, note = self.v.case_umlaut(e.name)
            if self.rng.random() < 0.4:
                location["street"] = location["street"].translate(UMLAUT_TO_DIGRAPH)
        elif variant == "typo":
            if self.rng.random() < 0.75:
                name, note = self.v.typo(e.name)
            else:
                location["street"], note = self.v.typo(address.street)
                note = "street: " + note
        elif variant == "swapped_tokens":
            name, note = self.v.swapped(e)
        elif variant == "salutation":
            name, note = self.v.salutation(e)
        elif variant == "missing_fields":
            what = self.gen.weighted((("no street", 30), ("no postal code", 15),
                                      ("no location", 20), ("no email/phone", 35)))  # fmt: skip
            note = what
            if what == "no street":
                del location["street"]
            elif what == "no postal code":
                del location["postal_code"]
            elif what == "no location":
                location = None
            email = phone = None
        elif variant == "punctuation":
            name, note = self.v.punctuation(e.name)
        elif variant == "moved":
            same_city = self.rng.random() < 0.6
            city = next((c for c in CITIES_DE if c[0] == address.city), None)
            if e.country == "DE":
                new = self.gen.address("DE", city if same_city else None)
            else:
                new = self.gen.address(e.country)
            location = location_block(new)
            note = "moved within the city" if same_city and e.country == "DE" else "moved away"
            if self.rng.random() < 0.3 and e.kind == "Business":
                name, how = self.v.legal_form(e)
                note += f", legal form {how}"
        elif variant == "new_branch":
            new = self.gen.address("DE")
            new.name = f"{e.parts.get('site', 'Filiale')} {new.city}"
            location = location_block(new)
            if self.rng.random() < 0.4:
                name, note = self.v.with_site(e, new)
        elif variant == "existing_branch":
            if self.rng.random() < 0.4:
                name, note = self.v.with_site(e, address)
        elif variant == "combined":
            steps = self.rng.sample(["legal_form", "address", "case", "typo", "punctuation",
                                     "no_contact"], self.gen.pick((2, 2, 3)))  # fmt: skip
            notes = []
            for step in steps:
                if step == "legal_form" and e.kind == "Business":
                    name, how = self.v.legal_form(e)
                    notes.append(f"legal form {how}")
                elif step == "address":
                    location, how = self.v.address_format(address)
                    notes.append(how)
                elif step == "case":
                    name, how = self.v.case_umlaut(name)
                    notes.append(how)
                elif step == "typo":
                    name, how = self.v.typo(name)
                    notes.append(how)
                elif step == "punctuation":
                    name, how = self.v.punctuation(name)
                    notes.append(how)
                elif step == "no_contact":
                    email = phone = None
                    notes.append("no email/phone")
            note = "; ".join(notes)
        if location is not None:
            location["external_id"] = f"NEW-LOC-{index:05d}"
            if self.rng.random() < 0.15:
                location.pop("latitude", None)
                location.pop("longitude", None)
        return Incoming(
            index=index,
            customer=self.customer_block(index, name, e, email=email, phone=phone),
            location=location,
            matchable=True,
            variant=variant,
            truth=e.key,
            entity=e,
            note=note,
        )

    def pick_original(self, variant: str) -> Entity:
        if variant == "new_branch":
            return self.gen.pick(self.chains)
        if variant == "existing_branch":
            return self.gen.pick(self.multi)
        while True:
            e = self.gen.pick(self.entities)
            if variant == "legal_form" and not (
                e.parts.get("legal_form") or e.parts.get("pattern") == "owner"
            ):
                continue
            if variant == "swapped_tokens" and self.v.swapped(e) is None:
                continue
            if variant == "salutation" and e.kind != "Private":
                continue
            return e

    # -- new customers --

    def unmatchable(self, index: int, variant: str) -> Incoming:
        for _ in range(200):
            made = self._new_entity(variant)
            if made is None:
                continue
            entity, note = made
            address = entity.addresses[0]
            name_key = (fold(entity.name), address.city)
            if name_key in self.new_names or self.gen.taken(entity.name, address):
                continue  # keep the new half pairwise distinct, and distinct from the existing
            self.new_names.add(name_key)
            break
        else:
            raise RuntimeError(f"could not make a new {variant}")
        entity.key = self.next_key
        self.next_key += 1
        location = location_block(address)
        location["external_id"] = f"NEW-LOC-{index:05d}"
        # The property manager orders for its new WEG: its e-mail is usually on the order.
        shared = variant == "trap_shared_email"
        email = entity.email if self.rng.random() < (0.8 if shared else 0.45) else None
        phone = entity.phone if self.rng.random() < (0.4 if shared else 0.25) else None
        return Incoming(
            index=index,
            customer=self.customer_block(index, entity.name, entity, email=email, phone=phone),
            location=location,
            matchable=False,
            variant=variant,
            truth=None,
            entity=entity,
            note=note,
        )

    def _new_entity(self, variant: str) -> tuple[Entity, str] | None:
        gen = self.gen
        if variant == "new_company":
            if self.rng.random() < 0.85:
                return gen.new_business_de(-1), ""
            return gen.new_intl(-1, private=False), "international"
        if variant == "new_person":
            if self.rng.random() < 0.9:
                return gen.new_private_de(-1), ""
            return gen.new_intl(-1, private=True), "international"
        if variant == "trap_shared_email":
            # A new building of an existing property manager: its e-mail, often the same street.
            original = gen.pick(self.wegs)
            manager, where = original.parts["manager"], original.addresses[0]
            city = next(c for c in CITIES_DE if c[0] == where.city)
            street_name = where.street.rsplit(" ", 1)[0] if self.rng.random() < 0.5 else None
            e = gen.weg(-1, manager, gen.address("DE", city, street_name=street_name))
            return e, f"new building of {manager.name!r}, next to @{original.key} {original.name!r}"
        original = gen.pick(self.entities)
        if original.group == "chain":
            return None
        where = original.addresses[0]
        if variant == "trap_same_name_elsewhere":
            # Another company or person of exactly this name, elsewhere, nothing else in common.
            if original.country == "DE":
                city = gen.city_de()
                if city[0] == where.city:
                    return None
                maker = gen.new_private_de if original.kind == "Private" else gen.new_business_de
                return maker(-1, city=city, name_parts=(original.name, original.parts)), (
                    f"same name as @{original.key} in {where.city}"
                )
            c = gen.country(original.country)
            twin = gen.new_intl(-1, private=original.kind == "Private", c=c,
                                name_parts=(original.name, original.parts))  # fmt: skip
            if twin.addresses[0].city == where.city:
                return None
            return twin, f"same name as @{original.key} in {where.city}"
        if original.country != "DE":
            return None
        city = next(c for c in CITIES_DE if c[0] == where.city)
        if variant == "trap_other_company_same_address":
            if original.kind != "Business":
                return None
            p = original.parts
            if p.get("pattern") in ("surname-trade", "trade-surname") and self.rng.random() < 0.7:
                trade = gen.pick([t for t in SIBLING_TRADES if t != p["trade"]])
                lf = gen.pick(("GmbH", "GmbH", "e.K.", "GmbH & Co. KG"))
                base = f"{p['surname']} {trade}" if p["pattern"] == "surname-trade" else (
                    f"{trade} {p['surname']}")  # fmt: skip
                name_parts = (f"{base} {lf}", {**p, "trade": trade, "base": base,
                                               "legal_form": lf})  # fmt: skip
                note = f"sister trade of @{original.key} '{original.name}', same address"
            else:
                name_parts = None
                note = f"other company in the building of @{original.key} '{original.name}'"
            e = gen.new_business_de(-1, city=city, name_parts=name_parts)
            e.addresses = [Address(**vars(where))]
            return e, note
        if variant == "trap_neighbour_same_surname":
            if original.kind != "Private":
                return None
            p = original.parts
            pair = next((pr for pr in FIRST_NAME_PAIRS if p["first"] in pr), None)
            if pair and self.rng.random() < 0.5:
                first = pair[1] if p["first"] == pair[0] else pair[0]
            else:
                first = gen.first_name()
            if first == p["first"]:
                return None
            parts = {"pattern": "person", "first": first, "last": p["last"], "title": ""}
            e = gen.new_private_de(-1, city=city, address=Address(**vars(where)),
                                   name_parts=(f"{first} {p['last']}", parts))  # fmt: skip
            return e, f"neighbour of @{original.key} '{original.name}', same building"
        if variant == "trap_near_name_same_postal":
            p = original.parts
            surname = p.get("surname") or p.get("last")
            spellings = next((s for s in SURNAME_SPELLINGS if surname in s), None)
            if not spellings:
                return None
            other = gen.pick([s for s in spellings if s != surname])
            name = original.name.replace(surname, other, 1)
            parts = {**p, "base": p.get("base", name).replace(surname, other, 1)}
            parts["surname" if "surname" in p else "last"] = other
            address = gen.address("DE", city, postal_code=where.postal_code)
            if original.kind == "Private":
                e = gen.new_private_de(-1, city=city, address=address, name_parts=(name, parts))
            else:
                e = gen.new_business_de(-1, city=city, name_parts=(name, parts))
                e.addresses = [address]
            return e, f"near-identical to @{original.key} '{original.name}', same postal code"
        if variant == "trap_related_entity":
            p = original.parts
            if original.kind != "Business" or p.get("pattern") in ("institution", "weg"):
                return None
            suffix = gen.pick(("Verwaltungs GmbH", "Holding GmbH", "Immobilien GmbH",
                               "Service GmbH", "Beteiligungs GmbH"))  # fmt: skip
            name = f"{p['base']} {suffix}"
            e = gen.new_business_de(-1, city=city, name_parts=(name, {**p, "base": name}))
            e.addresses = [Address(**vars(where))]
            if original.email and self.rng.random() < 0.5:  # one group, one mail domain
                domain = original.email.split("@")[1]
                e.email = gen.email(gen.pick(("info", "verwaltung", "buchhaltung")), domain)
            return e, f"sister company of @{original.key} '{original.name}', same address"
        raise ValueError(variant)

    def build(self, total: int) -> list[Incoming]:
        kinds = [True] * (total // 2) + [False] * (total - total // 2)
        self.rng.shuffle(kinds)
        records = []
        for index, matchable in enumerate(kinds):
            pool = MATCHABLE_VARIANTS if matchable else UNMATCHABLE_VARIANTS
            variant = self.gen.weighted(pool)
            if matchable:
                records.append(self.matchable(index, variant))
            else:
                records.append(self.unmatchable(index, variant))
        return records


# --- database, Django ------------------------------------------------------------------------


RUN_LOCK = 0x4F52_4D51  # "ORMQ": one matching benchmark per server at a time


def run_lock() -> psycopg.Connection | None:
    """A session lock on the server, held for the run: a second run would drop this run's
    database under it (the database name is fixed)."""
    conn = admin_connection()
    if conn.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK]).fetchone()[0]:
        return conn
    conn.close()
    return None


def django_setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class Seeded:
    tenant: Any
    client: Any
    pk_by_key: dict[int, int]  # Entity.key -> customer pk
    key_by_pk: dict[int, int]
    locations: int


def seed(entities: list[Entity], slug: str) -> Seeded:
    """One tenant with its integration client, customers and locations."""
    from customers.models import Customer, Location
    from customers.services import customer_normalize, location_normalize
    from inbound.models import IntegrationClient
    from mapping.choices import MatchingStrategy
    from tenants.models import Tenant

    tenant = Tenant.objects.create(slug=slug, name=f"Matching bench ({slug})")
    client = IntegrationClient.objects.create(
        tenant=tenant,
        name="Bench ERP",
        source_system="bench-erp",
        strategy=MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
    )
    customers = []
    for n, e in enumerate(entities):
        customer = Customer(
            tenant=tenant,
            customer_number=f"K-{10000 + n}",
            name=e.name,
            type=e.kind,
            industry=e.industry,
            email=e.email,
            phone=e.phone,
        )
        customer_normalize(customer=customer)
        customers.append(customer)
    Customer.objects.bulk_create(customers, batch_size=1000)
    locations = []
    for e, customer in zip(entities, customers, strict=True):
        for address in e.addresses:
            location = Location(
                tenant=tenant,
                customer=customer,
                name=address.name,
                street=address.street,
                postal_code=address.postal_code,
                city=address.city,
                country=address.country,
                latitude=address.lat,
                longitude=address.lon,
            )
            location_normalize(location=location)
            locations.append(location)
    Location.objects.bulk_create(locations, batch_size=2000)
    pk_by_key = {e.key: c.pk for e, c in zip(entities, customers, strict=True)}
    return Seeded(tenant, client, pk_by_key, {v: k for k, v in pk_by_key.items()}, len(locations))


def vacuum() -> None:
    """Steady state, as autovacuum leaves it: statistics, and the GIN pending list merged.

    Right after a bulk load neither is there: the planner then scans every customer and computes
    trigrams per row (~20 ms per name, ~10 s per batch of 500) until autovacuum has run.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer, customers_location")


# --- running the engine and judging the outcome ------------------------------------------------


@dataclass
class Result:
    record: Incoming
    outcome: str  # correct, wrong, review, created, dup_link, not_linked
    linked_pk: int | None
    truth_pk: int | None
    decision: dict[str, Any]


def run_engine(
    seeded: Seeded, records: list[Incoming], *, clean_index: bool = True
) -> tuple[list[Result], list[float]]:
    """All records through the engine, in batches of BATCH_SIZE, one transaction each; the
    results and the seconds per batch.

    `clean_index` merges the trigram index's GIN pending list after each batch, as a vacuum
    would. It changes no result (the candidate query orders deterministically), only the plan:
    with the shipped index, customers created by a batch wait in the pending list and after a
    batch or two the planner gives up the index for ~30 ms per name (see --shipped-index).
    """
    from django.db import connection, transaction

    from inbound.choices import Scope
    from inbound.policy import mapping_policy
    from mapping.engine import IncomingContext
    from mapping.services import customer_contexts_map

    policy = mapping_policy(
        client=seeded.client, scopes=[Scope.CUSTOMERS_MAP, Scope.CUSTOMERS_WRITE]
    )
    created_by: dict[int, Incoming] = {}  # pk of a customer created in this run -> its record
    results, seconds = [], []
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        contexts = [
            IncomingContext(
                customer=dict(r.customer), location=dict(r.location) if r.location else None
            )
            for r in batch
        ]
        t0 = time.perf_counter()
        with transaction.atomic():
            outcomes = customer_contexts_map(tenant=seeded.tenant, policy=policy, contexts=contexts)
        seconds.append(time.perf_counter() - t0)
        if clean_index:
            with connection.cursor() as cursor:
                cursor.execute("SELECT gin_clean_pending_list('customers_customer_name_trgm')")
        decisions = [out.decisions_as_json().get("customer", {}) for out in outcomes]
        for record, out, decision in zip(batch, outcomes, decisions, strict=True):
            if decision.get("action") == "Created":
                created_by[out.customer.pk] = record
        for record, out, decision in zip(batch, outcomes, decisions, strict=True):
            pk = out.customer.pk if out.customer is not None else None
            truth_pk = seeded.pk_by_key.get(record.truth) if record.matchable else None
            if out.ambiguous:
                outcome = "review"
            elif decision.get("action") == "Created":
                outcome = "created"
            elif pk is None:
                outcome = "not_linked"
            elif pk in seeded.key_by_pk:
                outcome = "correct" if record.matchable and pk == truth_pk else "wrong"
            else:
                creator = created_by.get(pk)
                same = (
                    record.matchable and creator is not None and creator.matchable
                    and creator.truth == record.truth
                )  # fmt: skip
                outcome = "dup_link" if same else "wrong"
            results.append(Result(record, outcome, pk, truth_pk, decision))
    return results, seconds


# --- report -----------------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   - "


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def summary(results: list[Result]) -> dict[str, float]:
    matchable = [r for r in results if r.record.matchable]
    unmatchable = [r for r in results if not r.record.matchable]
    duplicates = sum(r.outcome == "created" for r in matchable)
    review = sum(r.outcome == "review" for r in results)
    correct = sum(r.outcome == "correct" for r in matchable)
    return {
        "wrong": sum(r.outcome == "wrong" for r in results),
        "duplicates": duplicates,
        "duplicate_rate": duplicates / len(matchable),
        "review": review,
        "review_rate": review / len(results),
        "review_matchable": sum(r.outcome == "review" for r in matchable),
        "review_new": sum(r.outcome == "review" for r in unmatchable),
        "correct": correct,
        "recall": correct / len(matchable),
        "created_new": sum(r.outcome == "created" for r in unmatchable),
        "dup_links": sum(r.outcome == "dup_link" for r in results),
        "matchable": len(matchable),
        "unmatchable": len(unmatchable),
        "total": len(results),
    }


def print_summary(label: str, results: list[Result], thresholds: str, seconds: list[float]) -> None:
    s = summary(results)
    print(f"\n=== {label} ===")
    print(f"thresholds: {thresholds}")
    print(
        f"  wrong links            {s['wrong']:5d}{'':23s}target {TARGET_WRONG_LINKS}"
        f"       {verdict(s['wrong'] <= TARGET_WRONG_LINKS)}"
    )
    print(
        f"  duplicates created     {s['duplicates']:5d} {pct(s['duplicates'], s['matchable'])}"
        f" of matchable   target <= {TARGET_DUPLICATE_RATE:.0%}  "
        f"{verdict(s['duplicate_rate'] <= TARGET_DUPLICATE_RATE)}"
    )
    print(
        f"  review rate            {s['review']:5d} {pct(s['review'], s['total'])} of all"
        f"         ({s['review_matchable']} matchable, {s['review_new']} new)"
    )
    print(
        f"  automatic-link recall  {s['correct']:5d} {pct(s['correct'], s['matchable'])}"
        f" of matchable   target >= {TARGET_RECALL:.0%} {verdict(s['recall'] >= TARGET_RECALL)}"
    )
    print(f"  linked to a duplicate created earlier in the run: {s['dup_links']}")
    overwritten: Counter = Counter()
    for r in results:
        if r.decision.get("method") == "NameAndAddress" and r.decision.get("action") == "Updated":
            overwritten.update(r.decision.get("updatedFields", []))
    if overwritten:
        fields = ", ".join(f"{f} {n}" for f, n in overwritten.most_common())
        print(f"  master data overwritten by name-and-address links: {fields}")
    print(
        f"  new customers created as new: {s['created_new']} of {s['unmatchable']}"
        f" ({pct(s['created_new'], s['unmatchable']).strip()})"
    )
    per_batch = ", ".join(f"{x:.1f}" for x in seconds)
    print(f"  elapsed: {sum(seconds):.1f}s for {s['total']} records (per batch: {per_batch})")

    columns = ("correct", "wrong", "review", "created", "dup_link", "not_linked")
    print(f"\n  {'variant':34s} {'n':>5s} " + " ".join(f"{c:>10s}" for c in columns))
    for matchable in (True, False):
        by_variant: dict[str, Counter] = defaultdict(Counter)
        for r in results:
            if r.record.matchable == matchable:
                by_variant[r.record.variant][r.outcome] += 1
        print(f"  {'-- matchable' if matchable else '-- new (must not be linked)'}")
        for variant, counts in sorted(by_variant.items()):
            n = sum(counts.values())
            print(f"  {variant:34s} {n:5d} " + " ".join(f"{counts[c]:10d}" for c in columns))


# --- analysis ---------------------------------------------------------------------------------


def describe_record(r: Incoming) -> str:
    c, loc = r.customer, r.location or {}
    address = ", ".join(str(loc[k]) for k in ("street", "postal_code", "city") if loc.get(k))
    extra = " ".join(f"{k}={c[k]}" for k in ("type", "email", "phone") if c.get(k))
    return f"{c['name']!r} | {address or '(no address)'} {extra}".rstrip()


def describe_entity(e: Entity, pk: int | None) -> str:
    a = e.addresses[0]
    more = f" (+{len(e.addresses) - 1} locations)" if len(e.addresses) > 1 else ""
    extra = " ".join(f"{k}={v}" for k, v in (("email", e.email), ("phone", e.phone)) if v)
    return f"#{pk} {e.name!r} | {a.street}, {a.postal_code}, {a.city}{more} {extra}".rstrip()


def describe_candidates(
    decision: dict[str, Any], truth_pk: int | None, limit: int = 3
) -> list[str]:
    details = decision.get("nameAndAddress", decision)
    lines = []
    for c in (details.get("candidates") or [])[:limit]:
        marker = "TRUE " if truth_pk is not None and c["recordId"] == truth_pk else "     "
        s = c["signals"]
        rid = c["recordId"] if c["recordId"] is not None else "new-in-batch"
        lines.append(
            f"      {marker}#{rid} {c.get('name', '')!r} score={c['score']:.3f} "
            f"corroborated={c['corroborated']} name={s['name']:.2f} street={s['street']:.2f} "
            f"no={s['houseNumber']:.0f} plz={s['postalCode']:.0f} city={s['city']:.0f} "
            f"email={s['email']:.0f} phone={s['phone']:.0f}"
        )
    return lines or ["      (no plausible candidate recorded)"]


def miss_reason(r: Result, margin: float) -> str:
    """Why a matchable record was not linked to its original, from the engine's own decision."""
    details = r.decision.get("nameAndAddress", r.decision)
    candidates = details.get("candidates") or []
    if r.outcome == "created" or not candidates:
        return "original not retrieved, or below plausibility"
    ids = [c["recordId"] for c in candidates]
    if r.truth_pk not in ids:
        return "original not among the candidates"
    rank = ids.index(r.truth_pk)
    truth = candidates[rank]
    if rank > 0:
        runner = candidates[0]
        blind = runner["signals"]["postalCode"] == 0 and runner["signals"]["street"] == 0
        return "another candidate ranked above the original" + (
            " (it has no address the engine compared: name-only score)" if blind else ""
        )
    s = truth["signals"]
    if not truth["corroborated"]:
        if s["name"] < 0.85:
            return "original first, not corroborated: name similarity < 0.85"
        if not (s["postalCode"] and s["houseNumber"]):
            return "original first, not corroborated: address differs or is incomplete"
        return "original first, not corroborated (other rule)"
    if truth["score"] < details.get("threshold", 0):
        if s["email"] == 0 and s["phone"] == 0 and s["name"] >= 0.99 and s["postalCode"]:
            return "original first, corroborated, below threshold: e-mail/phone differ"
        return "original first, corroborated, below threshold"
    runner = candidates[1]
    blind = runner["signals"]["postalCode"] == 0 and runner["signals"]["street"] == 0
    kind = "runner-up has no address the engine compared" if blind else "runner-up close"
    return f"original first, corroborated, margin < {margin} ({kind})"


def analyse(results: list[Result], margin: float, examples: int, pk_by_key: dict[int, int]) -> None:
    print("\n--- why matchable records were not linked automatically (engine's own scores) ---")
    reasons: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        if r.record.matchable and r.outcome != "correct":
            reasons[f"{r.outcome}: {miss_reason(r, margin)}"][r.record.variant] += 1
    for reason, counts in sorted(reasons.items(), key=lambda kv: -sum(kv[1].values())):
        detail = ", ".join(f"{v} {n}" for v, n in counts.most_common())
        print(f"  {sum(counts.values()):4d}  {reason}\n        ({detail})")

    print("\n--- why new customers went to review ---")
    new_reasons: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        if r.record.matchable or r.outcome != "review":
            continue
        top = (r.decision.get("candidates") or [{}])[0]
        s = top.get("signals", {})
        if not s:
            reason = "?"
        elif s["postalCode"] == 0 and s["street"] == 0:
            reason = "top candidate: name-only score (no address compared)"
        elif s["name"] >= 0.99:
            reason = "top candidate: same name, other address"
        elif s["name"] >= 0.85:
            reason = "top candidate: similar name (>= 0.85)"
        else:
            reason = "top candidate: same/near address, other name"
        new_reasons[reason][r.record.variant] += 1
    for reason, counts in sorted(new_reasons.items(), key=lambda kv: -sum(kv[1].values())):
        detail = ", ".join(f"{v} {n}" for v, n in counts.most_common())
        print(f"  {sum(counts.values()):4d}  {reason}\n        ({detail})")

    print("\n--- wrong links (all) ---")
    wrong = [r for r in results if r.outcome == "wrong"]
    for r in wrong:
        print_example(r, pk_by_key)
    if not wrong:
        print("  none")

    print(f"\n--- examples per variant and outcome (up to {examples} each) ---")
    seen: Counter = Counter()
    for r in results:
        key = (r.record.variant, r.outcome)
        if r.outcome in ("correct", "wrong") or (not r.record.matchable and r.outcome == "created"):
            continue
        if seen[key] >= examples:
            continue
        seen[key] += 1
        print_example(r, pk_by_key)


def print_example(r: Result, pk_by_key: dict[int, int]) -> None:
    rec = r.record
    kind = "matchable" if rec.matchable else "new"
    note = re.sub(r"@(\d+)", lambda m: f"#{pk_by_key.get(int(m[1]), '?')}", rec.note)
    print(f"  [{rec.variant} / {r.outcome}] ({kind}) {note}")
    print(f"    incoming: {describe_record(rec)}")
    if rec.matchable:
        print(f"    original: {describe_entity(rec.entity, r.truth_pk)}")
    if r.outcome == "wrong" and r.linked_pk is not None:
        print(f"    linked to #{r.linked_pk}")
    for line in describe_candidates(r.decision, r.truth_pk):
        print(line)


# --- main -------------------------------------------------------------------------------------


def thresholds_text(client) -> str:
    from mapping import matching, selectors

    # What a link and a review mean is mapping/matching/__init__.py's docstring; here only the settings.
    text = (
        f"matcher {matching.MATCHER_VERSION}; link threshold {client.name_match_threshold}, "
        f"margin {client.name_match_margin}; candidates (top {selectors.CANDIDATES_PER_NAME} "
        f"each): same name, trigram >= {selectors.TRIGRAM_THRESHOLD} at the postal code, "
        f"without a postal code trigram >= {selectors.TENANT_WIDE_THRESHOLD} anywhere, "
        f"same address, same e-mail"
    )
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=EXAMPLES_PER_GROUP)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--shipped-index",
        action="store_true",
        help="leave the trigram index's pending list alone between batches (slow: shows the plan "
        "change after inserts; results are the same)",
    )
    args = parser.parse_args()

    lock = run_lock()
    if lock is None:
        print(f"another matching benchmark is running on {PG_HOST}:{PG_PORT} ({DB_NAME})")
        return 1
    try:
        return run(args)
    finally:
        lock.close()


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    gen = Generator(args.seed)
    entities = gen.population(EXISTING_CUSTOMERS)
    records = IncomingBuilder(gen, entities).build(INCOMING)
    generated = time.perf_counter()

    database_create(DB_NAME)
    try:
        django_setup()
        migrated = time.perf_counter()
        current = seed(entities, "matching-bench")
        vacuum()
        seeded = time.perf_counter()

        groups = Counter(e.group for e in entities)
        kinds = Counter((e.kind.lower(), "DE" if e.country == "DE" else "intl") for e in entities)
        matchable = sum(r.matchable for r in records)
        print("Matching quality benchmark (ExternalIdThenNameAndAddress, create allowed)")
        print(
            f"seed {args.seed}: {len(entities)} existing customers with {current.locations} "
            f"locations: " + ", ".join(f"{k} {c} {n}" for (k, c), n in sorted(kinds.items()))
        )
        print("  groups: " + ", ".join(f"{g} {n}" for g, n in groups.most_common()))
        print(
            f"incoming: {len(records)} records with new external IDs, {matchable} matchable, "
            f"{len(records) - matchable} new; batches of {BATCH_SIZE}, one transaction each"
        )

        results, seconds = run_engine(current, records, clean_index=not args.shipped_index)
        engine_s = sum(seconds)
        margin = current.client.name_match_margin
        print_summary("current engine (mapping/*.py)", results, thresholds_text(current.client),
                      seconds)  # fmt: skip
        analyse(results, margin, args.examples, current.pk_by_key)

        print(
            f"\ntimings: generate {generated - started:.1f}s, create+migrate "
            f"{migrated - generated:.1f}s, seed {seeded - migrated:.1f}s, engine {engine_s:.1f}s"
            + f", total {time.perf_counter() - started:.1f}s"
        )
    finally:
        if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
            from django.db import connections

            connections.close_all()
        database_drop(DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
