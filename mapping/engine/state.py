"""One batch's state: what was read for it in bulk, and the writes planned while deciding."""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from customers.models import Contact, Customer, Location
from customers.services import location_address_keys
from ordinavo.db import new_instance
from tenants.models import Tenant

from ..choices import ExternalType
from ..matching import Party
from ..matching.evidence import NO_FREQUENCIES, NameFrequencies
from ..policy import MappingPolicy
from ..search_keys import (
    family_keys,
    house_numbers_meet,
    postal_codes_compared,
    site_bases,
    street_key,
    trigram_similarity,
    trigrams,
    word_orders,
)
from ..selectors import TENANT_WIDE_THRESHOLD, TRIGRAM_THRESHOLD, RowRecords
from .outcome import IncomingContext


@dataclass
class Plan:
    """Writes collected while deciding, executed in bulk and in key order afterwards."""

    new_customers: dict[str, Customer] = field(default_factory=dict)
    # Keyed by external ID, or by a placeholder for records that came without one.
    new_locations: dict[str, Location] = field(default_factory=dict)
    new_contacts: dict[str, Contact] = field(default_factory=dict)
    new_references: dict[tuple[str, str], Any] = field(default_factory=dict)
    new_customer_numbers: set[str] = field(default_factory=set)
    changed: dict[type, dict[int, tuple[Any, set[str]]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def change(self, instance, fields: set[str]) -> None:
        bucket = self.changed[type(instance)]
        previous = bucket.get(instance.pk, (instance, set()))[1]
        bucket[instance.pk] = (instance, previous | fields)

    def reference(self, external_type: str, external_id: str, instance) -> None:
        self.new_references.setdefault((external_type, external_id), instance)


class Batch:
    """The contexts of one batch, its tenant and policy, what `load` read for them and the
    `plan` the decisions fill."""

    def __init__(
        self,
        *,
        tenant: Tenant,
        policy: MappingPolicy,
        contexts: list[IncomingContext],
        referenced: dict[tuple[str, str], models.Model] | None = None,
    ):
        self.tenant = tenant
        self.policy = policy
        self.contexts = contexts
        self.plan = Plan()
        # (external type, external ID) -> the record its reference points at; None: not read yet
        self.referenced = referenced
        self.customers_by_number: dict[str, Customer] = {}
        # Customers found by number that already carry another external ID of this source.
        self.numbers_taken_by_reference: set[int] = set()
        # Item index -> its customer and address as the matcher compares them (made once).
        self.incoming_parties: dict[int, Party] = {}
        self.candidates: dict[int, dict[int, list[Party]]] = {}
        self.candidate_customers: RowRecords = RowRecords(Customer, {})
        # The rarity of the persons' names among the tenant's customers (the person matcher).
        self.name_frequencies: NameFrequencies = NO_FREQUENCIES
        self.new_customer_parties: list[tuple[Customer, Party]] = []
        self._planned = PlannedCustomers()
        # Per child kind ("location", "contact"): customer key -> its records a fallback
        # compares with (`children_of`).
        self.children: dict[str, dict[int, list[models.Model]]] = {
            "location": defaultdict(list),
            "contact": defaultdict(list),
        }
        # Model -> id -> the batch's one object of that stored record (`one`).
        self._records: dict[type[models.Model], dict[int, models.Model]] = defaultdict(dict)

    def one(self, record: models.Model) -> models.Model:
        """The batch's object of this stored record: the first one read of it, so a change an
        item plans on it is what a later item compares with and what is written, whichever read
        found the record for each."""
        return self._records[type(record)].setdefault(record.pk, record)

    def records_of(self, model: type[models.Model]) -> dict[int, models.Model]:
        """The batch's objects of this model's stored records, by id (`one` adds to it)."""
        return self._records[model]

    def customer_planned(
        self, customer: Customer, party: Party, location_block: dict | None
    ) -> None:
        """A customer this batch creates (its keys prepared), with the item's location (the
        party's address): a candidate for the later items that would find it stored
        (`planned_candidates`)."""
        self.new_customer_parties.append((customer, party))
        self._planned.add(customer, party, location_block)

    def planned_candidates(self, party: Party) -> dict[int, tuple[Customer, Party]]:
        """The customers planned earlier in this batch that the candidate search would find for
        `party` had they been stored (`PlannedCustomers`), by negative key."""
        if not self.new_customer_parties:
            return {}
        positions = sorted(self._planned.found(party))
        return {-(n + 1): self.new_customer_parties[n] for n in positions}

    def children_of(self, record: str, customer: Customer) -> list[models.Model]:
        """The customer's locations or contacts (`record`) a fallback compares with: the stored
        ones where a fallback needs them (`load.children_load`) and those planned earlier in
        this batch. A customer planned in this batch has no id yet: keyed by identity (negative,
        never an id)."""
        return self.children[record][customer.pk or -id(customer)]

    def referenced_record(self, external_type: str, block: dict | None):
        """The record the block's external ID is known to be by a stored reference, or None."""
        if not block or not block.get("external_id"):
            return None
        return self.referenced.get((external_type, block["external_id"]))

    def known_record(self, external_type: str, block: dict | None):
        """The record the block's external ID maps to by ID: the one its stored reference points
        at, else the one remembered earlier in this batch (`learn`, or a record an item created),
        as the next batch would find it; or None."""
        record = self.referenced_record(external_type, block)
        if record is None and block and block.get("external_id"):
            record = self.plan.new_references.get((external_type, block["external_id"]))
        return record

    def customer_of(self, record: models.Model) -> Customer:
        """The customer of a location or contact the batch read or planned: the batch's object of
        it (read with the record or by an earlier item; a planned record holds its own), without
        a query."""
        if record.customer_id is not None:
            customer = self.records_of(Customer).get(record.customer_id)
            if customer is not None:
                return customer
        return record.customer

    def learn(self, external_type: str, block: dict, instance) -> None:
        """A fallback linked this record: remember its external ID, so next time maps by ID."""
        if block.get("external_id"):
            self.plan.reference(external_type, block["external_id"], instance)
            if external_type == ExternalType.CUSTOMER and instance.pk:
                # Known to this source by an ID now: a later item's number fallback with
                # another ID conflicts, as it would in the next batch.
                self.numbers_taken_by_reference.add(instance.pk)

    def new_record(self, model, block: dict, fields: tuple[str, ...], **related):
        """A new record of this tenant with the fields the block sends."""
        values = {name: block[name] for name in fields if name in block}
        return new_instance(model, {"tenant_id": self.tenant.pk, **values}, **related)


def changed_fields(instance, data: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {f: data[f] for f in fields if f in data and getattr(instance, f) != data[f]}


class PlannedCustomers:
    """The customers a batch creates, looked up by the rules of the candidate search
    (`mapping.sql`'s candidate statement) over the keys they will be stored with: so a later
    item compares with them exactly when it would had they been stored, and no more (comparing
    the few that share a word or a postal code was a tenth of a batch's matching). Each rule is
    a lookup by key, a batch of new customers stays linear.

    Stored, a customer is found by its `Customer` keys (`customer_prepare`: normalized name,
    phone key, family key; its e-mail) and by those of its location, here the item's: the
    postal code as sent (`Location.postal_code`), the street key and house number
    (`location_address_keys`). Two rules of the statement are reproduced as a superset: a
    company's similar name in the postal code (pg_trgm similarity, computed here in double
    precision) and, for a party without a postal code, a similar name anywhere (without the
    statement's "unless the very name exists"). The statement's per-lookup LIMITs are not
    applied: a batch's planned customers are few. Nor is its leaving out of namesakes beyond
    review (`search_keys.namesakes_beyond_review`): the matcher leaves them unscored all the same
    (`decision._unscored`)."""

    def __init__(self):
        self._names: list[str] = []  # normalized, by position
        # Each rule's key -> the positions found by it.
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._by_phone: dict[str, list[int]] = defaultdict(list)
        self._by_email: dict[str, list[int]] = defaultdict(list)  # upper case, as the statement
        self._at_postal_code: dict[str, list[int]] = defaultdict(list)  # as stored
        self._by_family: dict[tuple[str, str], list[int]] = defaultdict(list)  # postal code too
        # (postal code, street key) -> (position, house number)
        self._at_street: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        # trigram -> positions, for a party without a postal code (rare): made when one comes,
        # of the positions up to then
        self._by_trigram: dict[str, list[int]] = defaultdict(list)
        self._trigrams_made = 0

    def add(self, customer: Customer, party: Party, location_block: dict | None) -> None:
        position = len(self._names)
        self._names.append(customer.normalized_name)
        if customer.normalized_name:
            self._by_name[customer.normalized_name].append(position)
        if customer.phone_key:
            self._by_phone[customer.phone_key].append(position)
        if customer.email:
            self._by_email[customer.email.upper()].append(position)
        if location_block:  # it gets a location (with the party's address)
            postal_code = location_block.get("postal_code") or ""
            self._at_postal_code[postal_code].append(position)
            if customer.family_key:
                self._by_family[(postal_code, customer.family_key)].append(position)
            key, number = location_address_keys(party.street, party.house_number)
            self._at_street[(postal_code, key)].append((position, number))

    def found(self, party: Party) -> set[int]:
        """The positions of the planned customers the candidate search finds for `party`."""
        found: set[int] = set()
        if party.phone and (positions := self._by_phone.get(party.phone)):
            found.update(positions)
        if party.email and (positions := self._by_email.get(party.email.upper())):
            found.update(positions)
        if name := party.name:
            by_name = self._by_name
            for order in word_orders(name).split("|"):
                if positions := by_name.get(order):
                    found.update(positions)
            if bases := site_bases(party):
                for base in bases.split("|"):
                    if positions := by_name.get(base):
                        found.update(positions)
        if not party.postal_code:
            if name:  # a similar name anywhere
                found.update(self._similar_anywhere(name))
            return found
        codes = postal_codes_compared(party)
        if street := street_key(party):
            at_street = self._at_street
            for code in codes:
                for position, number in at_street.get((code, street), ()):
                    if house_numbers_meet(party.house_number, number):
                        found.add(position)
        if party.person:
            by_family = self._by_family
            for family_key in family_keys(party):
                for code in codes:
                    if positions := by_family.get((code, family_key)):
                        found.update(positions)
        elif name:  # a company's similar name in the postal code
            names = self._names
            for code in codes:
                for position in self._at_postal_code.get(code, ()):
                    if trigram_similarity(names[position], name) >= TRIGRAM_THRESHOLD:
                        found.add(position)
        return found

    def _similar_anywhere(self, name: str) -> set[int]:
        by_trigram, names = self._by_trigram, self._names
        for position in range(self._trigrams_made, len(names)):
            for gram in trigrams(names[position]):
                by_trigram[gram].append(position)
        self._trigrams_made = len(names)
        # `trigram_similarity`, its trigrams in common counted off the index (a name's trigrams
        # are a set: each shared one lists the position once).
        grams = trigrams(name)
        common = Counter(n for gram in grams for n in by_trigram.get(gram, ()))
        return {
            n
            for n, shared in common.items()
            if shared / (len(trigrams(names[n])) + len(grams) - shared) >= TENANT_WIDE_THRESHOLD
        }
