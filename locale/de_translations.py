# ruff: noqa: E501 - a translation table: each entry is one sentence on one line, as in the .po
"""German wording of the dispatcher pages: the source of locale/de/LC_MESSAGES/django.po.

.venv/bin/python locale/de_translations.py   # after makemessages: fills the .po, lists gaps
"""

import re
import sys
from pathlib import Path

SINGULAR = {
    "Merge the selected duplicate customers": "Ausgewählte doppelte Kunden zusammenführen",
    "Tenant": "Mandant",
    "Mapping status": "Zuordnungsstatus",
    "Warning code": "Warncode",
    "Integration client": "Integrations-Client",
    "Imported from": "Importiert ab",
    "Imported until": "Importiert bis",
    "Search": "Suchen",
    "customer number": "Kundennummer",
    "name": "Name",
    "type": "Art",
    "industry": "Branche",
    "e-mail": "E-Mail",
    "phone": "Telefon",
    "website": "Website",
    "street": "Straße",
    "postal code": "Postleitzahl",
    "city": "Ort",
    "region": "Region",
    "country": "Land",
    "latitude": "Breitengrad",
    "longitude": "Längengrad",
    "default work minutes": "Standard-Arbeitsminuten",
    "default priority": "Standardpriorität",
    "access notes": "Zugangshinweise",
    "parking notes": "Parkhinweise",
    "first name": "Vorname",
    "last name": "Nachname",
    "display name": "Anzeigename",
    "role": "Rolle",
    "department": "Abteilung",
    "mobile": "Mobil",
    "preferred contact method": "bevorzugter Kontaktweg",
    "Customer": "Kunde",
    "Location": "Standort",
    "Contact": "Ansprechpartner",
    "Warning": "Warnung",
    "Failed": "Fehlgeschlagen",
    "Skipped": "Übersprungen",
    "Mapped": "Zugeordnet",
    "Created": "Angelegt",
    "Updated": "Aktualisiert",
    "Not applicable": "Nicht zutreffend",
    "Open": "Offen",
    "Resolved": "Erledigt",
    "Dismissed": "Verworfen",
    "Not needed": "Nicht nötig",
    "Link": "Verknüpfen",
    "Create": "Anlegen",
    "Dismiss": "Verwerfen",
    "Undo": "Rückgängig",
    "Merge": "Zusammenführen",
    "Unknown fields: %(fields)s.": "Unbekannte Felder: %(fields)s.",
    "Choose at least one duplicate to merge into the surviving customer.": "Wählen Sie mindestens ein Duplikat, das in den bleibenden Kunden zusammengeführt wird.",
    "The surviving customer cannot be merged into itself.": "Der bleibende Kunde kann nicht mit sich selbst zusammengeführt werden.",
    "Every customer of a merge must belong to this tenant.": "Alle Kunden einer Zusammenführung müssen zu diesem Mandanten gehören.",
    "This merge was undone already.": "Diese Zusammenführung wurde bereits rückgängig gemacht.",
    "The surviving customer was deleted since; the merge cannot be undone.": "Der bleibende Kunde wurde inzwischen gelöscht; die Zusammenführung kann nicht rückgängig gemacht werden.",
    "Same address": "Gleiche Adresse",
    "Same e-mail address": "Gleiche E-Mail-Adresse",
    "Same phone number": "Gleiche Telefonnummer",
    "Same name": "Gleicher Name",
    "Name matches except legal form": "Name stimmt bis auf die Rechtsform überein",
    "Name matches except legal form or spelling": "Name stimmt bis auf Rechtsform oder Schreibweise überein",
    "Similar name (%(percent)d %%)": "Ähnlicher Name (%(percent)d %%)",
    "Different name": "Anderer Name",
    "E-mail domain matches": "E-Mail-Domain stimmt überein",
    "Same street": "Gleiche Straße",
    "Same postal code or city": "Gleiche Postleitzahl oder gleicher Ort",
    "Different place (postal code and city)": "Anderer Ort (Postleitzahl und Ort)",
    "Different street": "Andere Straße",
    "Different house number": "Andere Hausnummer",
    "Different e-mail address": "Andere E-Mail-Adresse",
    "This item was already resolved; reload to see who did what.": "Dieser Eintrag wurde bereits erledigt; laden Sie die Seite neu, um zu sehen, wer was getan hat.",
    "Choose a customer to link.": "Wählen Sie einen Kunden zum Verknüpfen.",
    "That record belongs to another tenant.": "Dieser Datensatz gehört zu einem anderen Mandanten.",
    "The location belongs to another customer than the one chosen.": "Der Standort gehört zu einem anderen als dem gewählten Kunden.",
    "The contact belongs to another customer than the one chosen.": "Der Ansprechpartner gehört zu einem anderen als dem gewählten Kunden.",
    "The incoming customer has no name to create it with; link it instead.": "Der eingehende Kunde hat keinen Namen, mit dem er angelegt werden könnte; verknüpfen Sie ihn stattdessen.",
    "Another customer of this tenant has this customer number; link to it instead.": "Ein anderer Kunde dieses Mandanten hat diese Kundennummer; verknüpfen Sie stattdessen mit ihm.",
    "There is no decision on this item to undo.": "Zu diesem Eintrag gibt es keine Entscheidung, die rückgängig gemacht werden kann.",
    "This item is open already.": "Dieser Eintrag ist bereits offen.",
    "Choose the items to decide together.": "Wählen Sie die Einträge, die gemeinsam entschieden werden sollen.",
    "Only items with the same incoming customer data can be decided together.": "Nur Einträge mit denselben eingehenden Kundendaten können gemeinsam entschieden werden.",
    "Review queue": "Prüfliste",
    "Review %(item)s": "%(item)s prüfen",
    "item": "Eintrag",
    "Choose records from the list.": "Wählen Sie Datensätze aus der Liste.",
    "Linked %(item)s to %(customer)s.": "%(item)s mit %(customer)s verknüpft.",
    "Created a customer for %(item)s.": "Kunde für %(item)s angelegt.",
    "Dismissed %(item)s; the target keeps no customer context.": "%(item)s verworfen; der Auftrag bleibt ohne Kundenkontext.",
    "Undid the last decision on %(item)s.": "Letzte Entscheidung zu %(item)s rückgängig gemacht.",
    "Decide %(n)d items together": "%(n)d Einträge gemeinsam entscheiden",
    "Items of several tenants cannot be decided together.": "Einträge mehrerer Mandanten können nicht gemeinsam entschieden werden.",
    "Decided %(n)d items together.": "%(n)d Einträge gemeinsam entschieden.",
    "Choose two or more customers of one tenant to merge.": "Wählen Sie zwei oder mehr Kunden eines Mandanten zum Zusammenführen.",
    "Choose the customer that stays.": "Wählen Sie den Kunden, der bleibt.",
    "Merged %(n)d duplicates into %(customer)s.": "%(n)d Duplikat(e) in %(customer)s zusammengeführt.",
    "Merge duplicate customers": "Doppelte Kunden zusammenführen",
    "The merge was undone.": "Die Zusammenführung wurde rückgängig gemacht.",
    "Merge of duplicate customers": "Zusammenführung doppelter Kunden",
    "Mapping health: %(scope)s": "Zuordnungsqualität: %(scope)s",
    "Items per day by mapping status, last 30 days": "Einträge pro Tag nach Zuordnungsstatus, letzte 30 Tage",
    "Warnings per day by code, last 30 days": "Warnungen pro Tag nach Code, letzte 30 Tage",
    "Home": "Start",
    "Language": "Sprache",
    "Switch": "Wechseln",
    "Keyboard shortcuts": "Tastenkürzel",
    "next / previous item": "nächster / vorheriger Eintrag",
    "open the selected item (queue)": "gewählten Eintrag öffnen (Liste)",
    "link to candidate n": "mit Kandidat n verknüpfen",
    "create new from the incoming data": "neu aus den eingehenden Daten anlegen",
    "dismiss": "verwerfen",
    "undo the decision": "Entscheidung rückgängig machen",
    "tick the selected item (queue)": "gewählten Eintrag ankreuzen (Liste)",
    "search": "suchen",
    "show or hide this help": "diese Hilfe ein- oder ausblenden",
    "Close": "Schließen",
    "Decide together": "Gemeinsam entscheiden",
    "Incoming customer": "Eingehender Kunde",
    "Decide for all of them": "Für alle entscheiden",
    "Link all to %(name)s": "Alle mit %(name)s verknüpfen",
    "Link all to this customer": "Alle mit diesem Kunden verknüpfen",
    "Create one new customer for all": "Einen neuen Kunden für alle anlegen",
    "Dismiss all": "Alle verwerfen",
    "Mapping health": "Zuordnungsqualität",
    "Choose what to show": "Auswahl der Anzeige",
    "All clients of the tenant": "Alle Clients des Mandanten",
    "Show": "Anzeigen",
    "Open in the queue": "Offen in der Prüfliste",
    "Oldest open item waits": "Ältester offener Eintrag wartet seit",
    "Needed a person (30 days)": "Brauchte einen Menschen (30 Tage)",
    "Items imported (30 days)": "Importierte Einträge (30 Tage)",
    "Mapping status per day": "Zuordnungsstatus pro Tag",
    "Warning codes per day": "Warncodes pro Tag",
    "No warnings in the last 30 days.": "Keine Warnungen in den letzten 30 Tagen.",
    "The numbers as a table": "Die Zahlen als Tabelle",
    "Day": "Tag",
    "Items": "Einträge",
    "Needed a person": "Brauchte einen Menschen",
    "job": "Importauftrag",
    "target “%(title)s”": "Auftrag „%(title)s“",
    "Previous item": "Vorheriger Eintrag",
    "Next item": "Nächster Eintrag",
    "Incoming": "Eingehend",
    "Create new from incoming data": "Neu aus den eingehenden Daten anlegen",
    "Dismiss (keep the target without customer)": "Verwerfen (Auftrag ohne Kunden behalten)",
    "by %(user)s": "von %(user)s",
    "on %(when)s": "am %(when)s",
    "Undo this decision": "Diese Entscheidung rückgängig machen",
    "Candidates": "Kandidaten",
    "Two candidates are the same company twice? Tick both and merge them.": "Zwei Kandidaten sind dieselbe Firma doppelt? Beide ankreuzen und zusammenführen.",
    "Merge the ticked duplicates": "Angekreuzte Duplikate zusammenführen",
    "Candidate %(name)s": "Kandidat %(name)s",
    "duplicate": "Duplikat",
    "Holds customer number %(number)s, which the incoming customer sends too. Link to it if it is the same customer; otherwise correct the number in the source system.": "Hat die Kundennummer %(number)s, die auch der eingehende Kunde sendet. Verknüpfen Sie mit ihm, wenn es derselbe Kunde ist; sonst korrigieren Sie die Nummer im Quellsystem.",
    "The incoming location is known as “%(location)s”, which belongs to %(customer)s.": "Der eingehende Standort ist als „%(location)s“ bekannt und gehört zu %(customer)s.",
    "The incoming contact is known as “%(contact)s”, who belongs to %(customer)s.": "Der eingehende Ansprechpartner ist als „%(contact)s“ bekannt und gehört zu %(customer)s.",
    "The item is linked to %(other)s.": "Der Eintrag ist mit %(other)s verknüpft.",
    "Speaks for it": "Spricht dafür",
    "Speaks against it": "Spricht dagegen",
    "Customer number": "Kundennummer",
    "External IDs": "Externe IDs",
    "Targets": "Aufträge",
    "latest “%(title)s” on %(day)s": "zuletzt „%(title)s“ am %(day)s",
    "Field": "Feld",
    "Existing": "Vorhanden",
    "differs": "weicht ab",
    "location": "Standort",
    "details": "Details",
    "score": "Bewertung",
    "name and address or contact agree": "Name und Adresse oder Kontakt stimmen überein",
    "Link to %(name)s": "Mit %(name)s verknüpfen",
    "Link to this customer and location": "Mit diesem Kunden und Standort verknüpfen",
    "Link to this customer and contact": "Mit diesem Kunden und Ansprechpartner verknüpfen",
    "Link to this customer": "Mit diesem Kunden verknüpfen",
    "No candidates were kept for this item. Search for a record below.": "Für diesen Eintrag wurden keine Kandidaten behalten. Suchen Sie unten nach einem Datensatz.",
    "Find a customer, location or contact": "Kunden, Standort oder Ansprechpartner finden",
    "Search this tenant's records": "Datensätze dieses Mandanten durchsuchen",
    "Name, number, street, e-mail, external ID": "Name, Nummer, Straße, E-Mail, externe ID",
    "Kind": "Art",
    "Record": "Datensatz",
    "Link to customer %(name)s": "Mit Kunde %(name)s verknüpfen",
    "Link to location %(location)s": "Mit Standort %(location)s verknüpfen",
    "Link to contact %(contact)s": "Mit Ansprechpartner %(contact)s verknüpfen",
    "No records match “%(q)s”.": "Keine Datensätze passen zu „%(q)s“.",
    "Decisions": "Entscheidungen",
    "%(action)s by %(user)s": "%(action)s von %(user)s",
    "undone": "rückgängig gemacht",
    "Which customer stays?": "Welcher Kunde bleibt?",
    "The others are deleted; their locations, contacts, targets and external IDs move to the customer that stays, so later imports of their external IDs map to it. You can undo the merge.": "Die anderen werden gelöscht; ihre Standorte, Ansprechpartner, Aufträge und externen IDs gehen auf den bleibenden Kunden über, sodass spätere Importe ihrer externen IDs ihm zugeordnet werden. Sie können die Zusammenführung rückgängig machen.",
    "Stays": "Bleibt",
    "Moves along": "Geht mit über",
    "%(locations)s locations, %(contacts)s contacts, %(targets)s targets": "%(locations)s Standorte, %(contacts)s Ansprechpartner, %(targets)s Aufträge",
    "Which values does it keep?": "Welche Werte behält er?",
    "Back to the item": "Zurück zum Eintrag",
    "Undone merge": "Rückgängig gemachte Zusammenführung",
    "Merged": "Zusammengeführt",
    "On %(when)s by %(user)s.": "Am %(when)s von %(user)s.",
    "Stays:": "Bleibt:",
    "Merged into it:": "Darin zusammengeführt:",
    "Undo the merge": "Zusammenführung rückgängig machen",
    "Open the customer": "Kunden öffnen",
    "Open items per mapping status": "Offene Einträge nach Zuordnungsstatus",
    "All open": "Alle offenen",
    "Filter the queue": "Prüfliste filtern",
    "Filter": "Filtern",
    "Reset": "Zurücksetzen",
    "Decide the ticked items together": "Angekreuzte Einträge gemeinsam entscheiden",
    "Tick items with the same incoming customer; press ? for keyboard shortcuts.": "Einträge mit demselben eingehenden Kunden ankreuzen; ? zeigt die Tastenkürzel.",
    "Items waiting for a person, oldest first": "Einträge, die auf einen Menschen warten, älteste zuerst",
    "Select": "Auswählen",
    "External ID": "Externe ID",
    "Mapping": "Zuordnung",
    "Warnings": "Warnungen",
    "Client": "Client",
    "Imported": "Importiert",
    "Select %(id)s": "%(id)s auswählen",
    "Pages": "Seiten",
    "Previous": "Zurück",
    "Page %(number)s of %(pages)s": "Seite %(number)s von %(pages)s",
    "Next": "Weiter",
    "Nothing waits for review with these filters.": "Mit diesen Filtern wartet nichts auf Prüfung.",
    "Nothing waits for review.": "Nichts wartet auf Prüfung.",
}

PLURAL = {
    "A new site of a chain with %(n)d site": (
        "Ein neuer Standort einer Kette mit %(n)d Standort",
        "Ein neuer Standort einer Kette mit %(n)d Standorten",
    ),
    "%(n)s item": ("%(n)s Eintrag", "%(n)s Einträge"),
    "The incoming data was purged on %(day)s: it is kept %(days)s day after the decision (or after the import, when nobody had to review it). Statuses, warnings and decisions stay.": (
        "Die eingehenden Daten wurden am %(day)s gelöscht: Sie werden %(days)s Tag nach der Entscheidung aufbewahrt (oder nach dem Import, wenn niemand prüfen musste). Status, Warnungen und Entscheidungen bleiben.",
        "Die eingehenden Daten wurden am %(day)s gelöscht: Sie werden %(days)s Tage nach der Entscheidung aufbewahrt (oder nach dem Import, wenn niemand prüfen musste). Status, Warnungen und Entscheidungen bleiben.",
    ),
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(line: str) -> str:
    return line.split(" ", 1)[1][1:-1].replace('\\"', '"').replace("\\\\", "\\")


def fill(path: Path) -> list[str]:
    """Write the German msgstrs into the .po at `path` (made with --no-wrap); return the
    msgids that have none."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, missing, msgid, n = [], [], None, 0
    while n < len(lines):
        line = lines[n]
        if line.startswith("#, fuzzy") and msgid is not None:
            n += 1
            continue
        if line.startswith("msgid "):
            msgid = _unquote(line)
        if line.startswith("msgstr ") and msgid:
            if msgid in SINGULAR:
                line = "msgstr " + _quote(SINGULAR[msgid])
            else:
                missing.append(msgid)
        if line.startswith("msgstr[") and msgid:
            index = int(line[7])
            if msgid in PLURAL:
                line = f"msgstr[{index}] " + _quote(PLURAL[msgid][index])
            elif index == 0:
                missing.append(msgid)
        out.append(line)
        n += 1
    text = "\n".join(out) + "\n"
    text = text.replace("#\n#, fuzzy\nmsgid", "#\nmsgid", 1)
    text = re.sub(
        r'"Plural-Forms: [^"]*"', r'"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', text
    )
    text = text.replace('"Language: \\n"', '"Language: de\\n"')
    text = text.replace(
        '"Content-Type: text/plain; charset=CHARSET\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
    )
    path.write_text(text, encoding="utf-8")
    return missing


if __name__ == "__main__":
    gaps = fill(Path(__file__).parent / "de" / "LC_MESSAGES" / "django.po")
    for gap in gaps:
        print("untranslated:", gap)
    sys.exit(1 if gaps else 0)
