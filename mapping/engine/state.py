"""One batch's state: what was read for it in bulk, and the writes planned while deciding."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from customers.models import Contact, Customer, Location
from customers.phonetics import koelner
from ordinavo.db import new_instance
from tenants.models import Tenant

from ..matching import Party
from ..matching.evidence import NO_FREQUENCIES, NameFrequencies
from ..policy import MappingPolicy
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
        self.candidate_customers: dict[int, Customer] = {}
        # The rarity of the persons' names among the tenant's customers (the person matcher).
        self.name_frequencies: NameFrequencies = NO_FREQUENCIES
        self.new_customer_parties: list[tuple[Customer, Party]] = []
        # What each customer planned in this batch could be found by (`planned_candidates`).
        self._planned_by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
        # Per child kind ("location", "contact"): customer id -> its records, where a fallback
        # needs them (see `load.children_load`).
        self.children: dict[str, dict[int, list[models.Model]]] = {
            "location": defaultdict(list),
            "contact": defaultdict(list),
        }

    def customer_planned(self, customer: Customer, party: Party) -> None:
        """A customer this batch creates: a candidate for the later items that share something
        with it (`planned_candidates`)."""
        position = len(self.new_customer_parties)
        self.new_customer_parties.append((customer, party))
        for key in _lookup_keys(party):
            self._planned_by_key[key].append(position)

    def planned_candidates(self, party: Party) -> dict[int, tuple[Customer, Party]]:
        """The customers planned earlier in this batch that share a postal code, e-mail (or
        company mail domain), phone, or a name word (or its sound) with `party`, by negative key:
        the others could not be plausible (`matching.plausible`), and scoring all of them made
        a batch of new customers quadratic."""
        positions = sorted({n for key in _lookup_keys(party) for n in self._planned_by_key[key]})
        return {-(n + 1): self.new_customer_parties[n] for n in positions}

    def referenced_record(self, external_type: str, block: dict | None):
        """The record the block's external ID is known to be, or None."""
        if not block or not block.get("external_id"):
            return None
        return self.referenced.get((external_type, block["external_id"]))

    def learn(self, external_type: str, block: dict, instance) -> None:
        """A fallback linked this record: remember its external ID, so next time maps by ID."""
        if block.get("external_id"):
            self.plan.reference(external_type, block["external_id"], instance)

    def new_record(self, model, block: dict, fields: tuple[str, ...], **related):
        """A new record of this tenant with the fields the block sends."""
        values = {name: block[name] for name in fields if name in block}
        return new_instance(model, {"tenant_id": self.tenant.pk, **values}, **related)


def changed_fields(instance, data: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {f: data[f] for f in fields if f in data and getattr(instance, f) != data[f]}


def _lookup_keys(party: Party) -> set[tuple[str, str]]:
    keys = {
        (kind, value)
        for kind, value in (
            ("postal", party.postal_code),
            ("email", party.email),
            ("domain", party.email_domain),
            ("phone", party.phone),
        )
        if value
    }
    for word in party.name_key.split():
        keys.add(("word", word))
        keys.add(("sound", koelner(word)))
    return keys
