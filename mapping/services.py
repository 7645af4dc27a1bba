"""The mapping engine: incoming customer, location and contact → Ordinavo records, for a batch.

All lookups of a batch are done in bulk (a fixed number of queries whatever the batch size) and
every write happens in a stable order (sorted by key), so concurrent batches do not deadlock.
Callers run it inside a transaction and retry it once on an IntegrityError: a concurrent request
that created the same record first is then found by its reference.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from customers.choices import CustomerType
from customers.models import Contact, Customer, Location
from customers.normalization import normalize_email
from customers.services import customer_prepare, location_prepare
from ordinavo.db import bulk_insert, bulk_update, insert_rows, new_instance
from tenants.models import Tenant
from tenants.services import tenant_consistency_check

from .choices import (
    ExternalType,
    MappingStatus,
    MappingWarning,
    MatchingStrategy,
    MatchMethod,
    RecordAction,
    ReferenceOrigin,
)
from .matching import Party, decide
from .models import ExternalReference
from .selectors import customer_candidates, name_locks_take, referenced_records

# A name-and-address link found these similar, not the same: a branch's name or a colleague's
# e-mail must not rename the master record (and so hide it from the next record's candidate
# search); they only fill empty fields. Links by ID or customer number update them as sent.
FUZZY_LINK_KEPT_FIELDS = ("name", "email", "phone")
CUSTOMER_FIELDS = ("customer_number", "name", "type", "industry", "email", "phone", "website")
LOCATION_FIELDS = (
    "name",
    "type",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "latitude",
    "longitude",
    "default_estimated_work_minutes",
    "default_priority",
    "access_notes",
    "parking_notes",
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "role",
    "department",
    "email",
    "phone",
    "mobile",
    "preferred_contact_method",
)
# Only a person's decision counts under ManualOnly.
CONFIRMED_ORIGINS = (ReferenceOrigin.REVIEW, ReferenceOrigin.ADMIN)


@dataclass(frozen=True)
class MappingPolicy:
    """What this request may do: the key's scopes narrowed by the client's policies (made by
    `inbound.policy.mapping_policy`)."""

    source_system: str
    strategy: str
    can_map: bool
    can_create_customer: bool
    can_update_customer: bool
    can_create_location: bool
    can_update_location: bool
    can_create_contact: bool
    can_update_contact: bool
    match_by_customer_number: bool = False
    match_by_name_and_address: bool = False
    name_match_threshold: float = 0.92
    name_match_margin: float = 0.08

    @property
    def manual_only(self) -> bool:
        return self.strategy == MatchingStrategy.MANUAL_ONLY

    @property
    def external_id_only(self) -> bool:
        return self.strategy in (MatchingStrategy.EXTERNAL_ID_ONLY, MatchingStrategy.MANUAL_ONLY)


@dataclass
class IncomingContext:
    """The customer, location and contact blocks of one item, validated, keyed by model field
    (plus `external_id`); absent fields are absent keys."""

    customer: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.customer or self.location or self.contact)


@dataclass
class MappingOutcome:
    status: str = MappingStatus.NOT_APPLICABLE
    customer: Customer | None = None
    location: Location | None = None
    contact: Contact | None = None
    warnings: list[str] = field(default_factory=list)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    actions: set[str] = field(default_factory=set)
    # Left undecided on purpose: several candidates fit (AmbiguousCustomerMatch).
    ambiguous: bool = False

    def warn(self, code: str) -> None:
        if code not in self.warnings:
            self.warnings.append(code)

    def decide(self, record: str, *, method: str, action: str, instance=None, **extra) -> None:
        self.decisions[record] = {
            "method": method,
            "action": action,
            "recordId": None,
            "instance": instance,
            **extra,
        }
        if action in (RecordAction.CREATED, RecordAction.UPDATED):
            self.actions.add(action)

    def decisions_as_json(self) -> dict[str, dict[str, Any]]:
        """Decisions with the ids of records that only got one when the batch was written."""
        result = {}
        for record, decision in self.decisions.items():
            data = {k: v for k, v in decision.items() if k != "instance"}
            if decision.get("instance") is not None:
                data["recordId"] = decision["instance"].pk
            result[record] = data
        return result


@dataclass
class _Plan:
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


def _changed_fields(instance, data: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {f: data[f] for f in fields if f in data and getattr(instance, f) != data[f]}


def _party_of(customer_block: dict | None, location_block: dict | None) -> Party:
    customer_block, location_block = customer_block or {}, location_block or {}
    return Party.of(
        name=customer_block.get("name"),
        street=location_block.get("street"),
        postal_code=location_block.get("postal_code"),
        city=location_block.get("city"),
        email=customer_block.get("email"),
        phone=customer_block.get("phone"),
        person=customer_block.get("type") == CustomerType.PRIVATE,
        country=location_block.get("country"),
    )


def _belongs_to(record: Location | Contact, customer: Customer) -> bool:
    """Whether a location or contact is the customer's, without loading its customer (one query
    per record otherwise): by id once both are saved, else by identity (planned in this batch)."""
    if record.customer_id is not None and customer.pk is not None:
        return record.customer_id == customer.pk
    return record.customer is customer


def _location_party(location: Location) -> Party:
    return Party.of(
        street=location.street,
        postal_code=location.postal_code,
        city=location.city,
        country=location.country,
    )


def _external_ids_of(contexts: list[IncomingContext]) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = defaultdict(set)
    for ctx in contexts:
        for external_type, block in (
            (ExternalType.CUSTOMER, ctx.customer),
            (ExternalType.LOCATION, ctx.location),
            (ExternalType.CONTACT, ctx.contact),
        ):
            if block and block.get("external_id"):
                ids[external_type].add(block["external_id"])
    return ids


def context_external_ids(
    *, policy: "MappingPolicy", contexts: list[IncomingContext]
) -> dict[str, set[str]]:
    """The external IDs (per type) whose references mapping these contexts reads, for a caller
    that looks them up together with its own in one statement (`referenced=` of
    customer_contexts_map); none where that cannot be shared (no mapping, or only confirmed
    references count)."""
    if not policy.can_map or policy.manual_only:
        return {}
    return _external_ids_of(contexts)


class _BatchMapper:
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
        self.plan = _Plan()
        # (external type, external ID) -> the record its reference points at; None: not read yet
        self.referenced = referenced
        self.customers_by_number: dict[str, Customer] = {}
        # Customers found by number that already carry another external ID of this source.
        self.numbers_taken_by_reference: set[int] = set()
        self.candidates: dict[int, dict[int, list[Party]]] = {}
        self.candidate_customers: dict[int, Customer] = {}
        self.new_customer_parties: list[tuple[Customer, Party]] = []
        self.locations_by_customer: dict[int, list[Location]] = defaultdict(list)
        self.contacts_by_customer: dict[int, list[Contact]] = defaultdict(list)

    # --- bulk reads -------------------------------------------------------------------------

    def _load(self) -> None:
        if self.referenced is None:
            self.referenced = referenced_records(
                tenant=self.tenant,
                source_system=self.policy.source_system,
                external_ids=_external_ids_of(self.contexts),
                origins=CONFIRMED_ORIGINS if self.policy.manual_only else (),
            )
        if self.referenced:
            self._attach_parent_customers()
        # Customer numbers to look up: for the number fallback, and for conflicts. A known
        # customer sent with the number it has needs neither.
        numbers = set()
        for ctx in self.contexts:
            number = ctx.customer.get("customer_number") if ctx.customer else None
            if number:
                known = self._referenced(ExternalType.CUSTOMER, ctx.customer)
                if known is None or known.customer_number != number:
                    numbers.add(number)
        if numbers:
            self.customers_by_number = {
                c.customer_number: c
                for c in Customer.objects.for_tenant(self.tenant).filter(
                    customer_number__in=numbers
                )
            }
        if self.policy.match_by_customer_number and self.customers_by_number:
            self.numbers_taken_by_reference = set(
                ExternalReference.objects.of_source(
                    self.tenant, self.policy.source_system, ExternalType.CUSTOMER
                )
                .filter(customer__in=[c.pk for c in self.customers_by_number.values()])
                .values_list("customer_id", flat=True)
            )
        if self.policy.match_by_name_and_address:
            self._load_candidates()

    def _attach_parent_customers(self) -> None:
        """The customers of the known locations and contacts of items that send no customer
        block (they establish its customer), in one query; only those: loading every record's
        customer would cost a model instance per reference in a large batch."""
        children = [
            record
            for ctx in self.contexts
            if not ctx.customer
            for record in (
                self._referenced(ExternalType.LOCATION, ctx.location),
                self._referenced(ExternalType.CONTACT, ctx.contact),
            )
            if record is not None
        ]
        if not children:
            return
        customers = Customer.objects.for_tenant(self.tenant).in_bulk(
            {child.customer_id for child in children}
        )
        for child in children:
            child.customer = customers[child.customer_id]

    def _load_candidates(self) -> None:
        """Name-and-address candidates for every customer not known by its external ID."""
        wanted: dict[int, Party] = {}
        for index, ctx in enumerate(self.contexts):
            block = ctx.customer
            if (
                block
                and block.get("name")
                and self._referenced(ExternalType.CUSTOMER, block) is None
            ):
                wanted[index] = _party_of(block, ctx.location)
        if not wanted:
            return
        # Requests that might create the same customer wait for each other here, so the later
        # one finds the earlier one's customer among its candidates.
        name_locks_take(tenant=self.tenant, names=[p.name for p in wanted.values()])
        found = customer_candidates(tenant=self.tenant, parties=wanted)
        self.candidate_customers = found.customers
        self.candidates = found.parties_by_index

    def _load_children(self, outcomes: list[MappingOutcome]) -> None:
        """Locations and contacts of resolved customers, only where a fallback needs them."""
        location_customers, contact_customers = set(), set()
        for out, ctx in zip(outcomes, self.contexts, strict=True):
            if out.customer is None or not out.customer.pk:
                continue
            if (
                ctx.location
                and self.policy.match_by_name_and_address
                and self._referenced(ExternalType.LOCATION, ctx.location) is None
            ):
                location_customers.add(out.customer.pk)
            if (
                ctx.contact
                and not self.policy.external_id_only
                and self._referenced(ExternalType.CONTACT, ctx.contact) is None
            ):
                contact_customers.add(out.customer.pk)
        if location_customers:
            for location in Location.objects.for_tenant(self.tenant).filter(
                customer__in=location_customers
            ):
                self.locations_by_customer[location.customer_id].append(location)
        if contact_customers:
            for contact in Contact.objects.for_tenant(self.tenant).filter(
                customer__in=contact_customers
            ):
                self.contacts_by_customer[contact.customer_id].append(contact)

    def _referenced(self, external_type: str, block: dict | None):
        if not block or not block.get("external_id"):
            return None
        return self.referenced.get((external_type, block["external_id"]))

    # --- decisions: customer -------------------------------------------------------------------

    def _decide_customer(self, index: int, ctx: IncomingContext, out: MappingOutcome) -> None:
        block = ctx.customer
        customer = self._referenced(ExternalType.CUSTOMER, block)
        if customer is not None:
            out.customer = customer
            self._update_customer(customer, block, out, method=MatchMethod.EXTERNAL_ID)
            return
        if not block:
            # No customer block: an already known location or contact establishes the customer.
            for external_type, method, sub in (
                (ExternalType.LOCATION, MatchMethod.VIA_LOCATION, ctx.location),
                (ExternalType.CONTACT, MatchMethod.VIA_CONTACT, ctx.contact),
            ):
                record = self._referenced(external_type, sub)
                if record is not None:
                    out.customer = record.customer
                    out.decide(
                        "customer",
                        method=method,
                        action=RecordAction.MAPPED,
                        instance=record.customer,
                    )
                    return
            return
        if self.policy.manual_only:
            return
        external_id = block.get("external_id")
        planned = self.plan.new_customers.get(external_id) if external_id else None
        if planned is not None:  # the same new customer earlier in this batch
            out.customer = planned
            out.decide(
                "customer",
                method=MatchMethod.EXTERNAL_ID,
                action=RecordAction.MAPPED,
                instance=planned,
            )
            return
        if self.policy.match_by_customer_number and self._link_by_number(block, out):
            return
        if self.policy.match_by_name_and_address and self._link_by_name_and_address(
            index, ctx, out
        ):
            return
        self._create_customer(block, ctx, out)

    def _learn(self, external_type: str, block: dict, instance) -> None:
        """A fallback linked this record: remember its external ID, so next time maps by ID."""
        if block.get("external_id"):
            self.plan.reference(external_type, block["external_id"], instance)

    def _link_by_number(self, block: dict, out: MappingOutcome) -> bool:
        number = block.get("customer_number")
        customer = self.customers_by_number.get(number) if number else None
        if customer is None:
            return False
        if customer.pk in self.numbers_taken_by_reference:
            # The number names a customer this source already knows by another external ID.
            out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
            out.decide(
                "customer",
                method=MatchMethod.CUSTOMER_NUMBER,
                action=RecordAction.NOT_LINKED,
                otherCustomerId=customer.pk,
                reason="the customer number belongs to a customer known by another external ID",
            )
            return True
        out.customer = customer
        self._learn(ExternalType.CUSTOMER, block, customer)
        self._update_customer(customer, block, out, method=MatchMethod.CUSTOMER_NUMBER)
        return True

    def _link_by_name_and_address(self, index: int, ctx, out: MappingOutcome) -> bool:
        block = ctx.customer
        incoming = _party_of(block, ctx.location)
        parties = dict(self.candidates.get(index, {}))
        # Customers planned earlier in this batch are candidates too (negative keys).
        planned = {-(n + 1): c for n, (c, _) in enumerate(self.new_customer_parties)}
        for key, (_, party) in zip(planned, self.new_customer_parties, strict=True):
            parties[key] = [party]
        decision = decide(
            incoming,
            parties,
            threshold=self.policy.name_match_threshold,
            margin=self.policy.name_match_margin,
        )
        details = decision.as_json()
        for candidate in details["candidates"]:
            customer = self.candidate_customers.get(candidate["recordId"]) or planned.get(
                candidate["recordId"]
            )
            candidate["name"] = customer.name if customer is not None else ""
            if candidate["recordId"] < 0:
                candidate["recordId"] = None  # created in this batch; not yet an id to show
        if decision.link is not None:
            customer = self.candidate_customers.get(decision.link) or planned[decision.link]
            out.customer = customer
            self._learn(ExternalType.CUSTOMER, block, customer)
            if customer.pk:
                self._update_customer(
                    customer,
                    block,
                    out,
                    method=MatchMethod.NAME_AND_ADDRESS,
                    keep=FUZZY_LINK_KEPT_FIELDS,
                    **details,
                )
            else:
                out.decide(
                    "customer",
                    method=MatchMethod.NAME_AND_ADDRESS,
                    action=RecordAction.MAPPED,
                    instance=customer,
                    **details,
                )
            return True
        if decision.ambiguous:
            out.ambiguous = True
            out.warn(MappingWarning.AMBIGUOUS_CUSTOMER_MATCH)
            out.candidates = details["candidates"]
            out.decide(
                "customer",
                method=MatchMethod.NAME_AND_ADDRESS,
                action=RecordAction.NOT_LINKED,
                **details,
            )
            return True
        out.decisions["customer"] = {"nameAndAddress": details}  # nothing plausible: recorded
        return False

    def _update_customer(
        self,
        customer: Customer,
        block: dict | None,
        out,
        *,
        method,
        keep: tuple[str, ...] = (),
        **extra,
    ) -> None:
        """Apply the sent fields the policy lets change; the `keep` fields only fill gaps."""
        changes = _changed_fields(customer, block or {}, CUSTOMER_FIELDS)
        for name in keep:
            if name in changes and getattr(customer, name):
                del changes[name]
        number = changes.get("customer_number")
        if number is not None:
            holder = self.customers_by_number.get(number)
            claimed = number in self.plan.new_customer_numbers
            if (holder is not None and holder.pk != customer.pk) or claimed:
                out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
                del changes["customer_number"]
        if changes and self.policy.can_update_customer:
            if "customer_number" in changes:
                self.customers_by_number.pop(customer.customer_number, None)
            for name, value in changes.items():
                setattr(customer, name, value)
            if "customer_number" in changes:
                self.customers_by_number[customer.customer_number] = customer
            fields = set(changes)
            fields.update(customer_prepare(customer=customer, changed=changes))
            self.plan.change(customer, fields)
            out.decide(
                "customer",
                method=method,
                action=RecordAction.UPDATED,
                instance=customer,
                updatedFields=sorted(changes),
                **extra,
            )
        else:
            out.decide(
                "customer", method=method, action=RecordAction.MAPPED, instance=customer, **extra
            )

    def _create_customer(self, block: dict, ctx: IncomingContext, out: MappingOutcome) -> None:
        external_id = block.get("external_id")
        # Without an external ID only name-and-address matching can find it again next time.
        rememberable = bool(external_id) or self.policy.match_by_name_and_address
        previous = out.decisions.get("customer", {})
        if not (self.policy.can_create_customer and rememberable and block.get("name")):
            out.warn(MappingWarning.CUSTOMER_NOT_FOUND)
            reason = (
                "no external ID to remember the customer by"
                if not rememberable
                else "no name to create the customer with"
                if not block.get("name")
                else "creating customers is not allowed (customers.write scope or client policy)"
            )
            out.decide(
                "customer",
                method=MatchMethod.NONE,
                action=RecordAction.NOT_LINKED,
                reason=reason,
                **previous,
            )
            return
        number = block.get("customer_number")
        if number and (
            number in self.customers_by_number or number in self.plan.new_customer_numbers
        ):
            out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
            out.decide(
                "customer",
                method=MatchMethod.NONE,
                action=RecordAction.NOT_LINKED,
                reason="the customer number belongs to another customer",
                **previous,
            )
            return
        customer = self._new(Customer, block, CUSTOMER_FIELDS)
        customer_prepare(customer=customer)
        key = external_id or f"~{len(self.plan.new_customers)}"
        self.plan.new_customers[key] = customer
        if customer.customer_number:
            self.plan.new_customer_numbers.add(customer.customer_number)
        if external_id:
            self.plan.reference(ExternalType.CUSTOMER, external_id, customer)
        if self.policy.match_by_name_and_address:
            self.new_customer_parties.append((customer, _party_of(block, ctx.location)))
        out.customer = customer
        out.decide(
            "customer",
            method=MatchMethod.CREATED,
            action=RecordAction.CREATED,
            instance=customer,
            **previous,
        )

    # --- decisions: location and contact ------------------------------------------------------

    def _decide_location(self, ctx: IncomingContext, out: MappingOutcome) -> None:
        block = ctx.location
        if not block or out.customer is None:
            return
        external_id = block.get("external_id")
        location = self._referenced(ExternalType.LOCATION, block)
        method = MatchMethod.EXTERNAL_ID
        if location is None and external_id:
            location = self.plan.new_locations.get(external_id)
        if location is None and self.policy.match_by_name_and_address:
            matches = self._locations_at_address(out.customer, block)
            if len(matches) > 1:
                out.warn(MappingWarning.AMBIGUOUS_LOCATION_MATCH)
                out.decide(
                    "location",
                    method=MatchMethod.NAME_AND_ADDRESS,
                    action=RecordAction.NOT_LINKED,
                    candidateIds=sorted(m.pk for m in matches),
                )
                return
            if matches:
                location, method = matches[0], MatchMethod.NAME_AND_ADDRESS
                self._learn(ExternalType.LOCATION, block, location)
        if location is not None:
            if not self._attach_child(
                "location",
                location,
                block,
                LOCATION_FIELDS,
                out,
                method=method,
                allowed=self.policy.can_update_location,
                mismatch=MappingWarning.LOCATION_CUSTOMER_MISMATCH,
            ):
                return
        elif (
            self.policy.can_create_location
            and not self.policy.manual_only
            and (external_id or self.policy.match_by_name_and_address)
        ):
            location = self._new(Location, block, LOCATION_FIELDS, customer=out.customer)
            location_prepare(location=location)
            self._plan_child("location", location, self.plan.new_locations, block, out)
        else:
            if not self.policy.manual_only:
                out.warn(MappingWarning.LOCATION_AUTO_CREATE_DISABLED)
            out.decide("location", method=MatchMethod.NONE, action=RecordAction.NOT_LINKED)
            return
        if not out.location.has_coordinates:
            out.warn(MappingWarning.LOCATION_MISSING_COORDINATES)

    def _locations_at_address(self, customer: Customer, block: dict) -> list[Location]:
        """Locations of this customer at the incoming address: same postal code, street and
        house number after normalization (Straße / Str. / strasse alike)."""
        incoming = Party.of(
            street=block.get("street"),
            postal_code=block.get("postal_code"),
            country=block.get("country"),
        )
        if not customer.pk or not incoming.has_address:
            return []
        return [
            location
            for location in self.locations_by_customer.get(customer.pk, [])
            if (existing := _location_party(location)).postal_code == incoming.postal_code
            and existing.street == incoming.street
            and existing.house_number == incoming.house_number
        ]

    def _decide_contact(self, ctx: IncomingContext, out: MappingOutcome) -> None:
        block = ctx.contact
        if not block or out.customer is None:
            return
        external_id = block.get("external_id")
        contact = self._referenced(ExternalType.CONTACT, block)
        method = MatchMethod.EXTERNAL_ID
        if contact is None and external_id:
            contact = self.plan.new_contacts.get(external_id)
        if contact is None and not self.policy.external_id_only:
            contact = self._contact_with_same_email(out.customer, block)
            method = MatchMethod.EMAIL
            if contact is not None:
                self._learn(ExternalType.CONTACT, block, contact)
        if contact is not None:
            self._attach_child(
                "contact",
                contact,
                block,
                CONTACT_FIELDS,
                out,
                method=method,
                allowed=self.policy.can_update_contact,
                mismatch=MappingWarning.CONTACT_CUSTOMER_MISMATCH,
            )
        elif self.policy.can_create_contact and not self.policy.manual_only:
            contact = self._new(Contact, block, CONTACT_FIELDS, customer=out.customer)
            self._plan_child("contact", contact, self.plan.new_contacts, block, out)
        else:
            if not self.policy.manual_only:
                out.warn(MappingWarning.CONTACT_AUTO_CREATE_DISABLED)
            out.decide("contact", method=MatchMethod.NONE, action=RecordAction.NOT_LINKED)

    def _new(self, model, block: dict, fields: tuple[str, ...], **related):
        """A new record of this tenant with the fields the block sends."""
        values = {name: block[name] for name in fields if name in block}
        return new_instance(model, {"tenant_id": self.tenant.pk, **values}, **related)

    def _plan_child(self, record: str, instance, planned: dict, block: dict, out) -> None:
        """Plan a new location or contact of the item's customer, remembered by its external ID."""
        external_id = block.get("external_id")
        planned[external_id or f"~{len(planned)}"] = instance
        if external_id:
            self.plan.reference(ExternalType(record.capitalize()), external_id, instance)
        setattr(out, record, instance)
        out.decide(
            record, method=MatchMethod.CREATED, action=RecordAction.CREATED, instance=instance
        )

    def _contact_with_same_email(self, customer: Customer, block: dict) -> Contact | None:
        email = normalize_email(block.get("email"))
        if not customer.pk or not email:
            return None
        matches = [
            c
            for c in self.contacts_by_customer.get(customer.pk, [])
            if normalize_email(c.email) == email
        ]
        return matches[0] if len(matches) == 1 else None

    def _attach_child(
        self, record, instance, block, fields, out, *, method, allowed, mismatch
    ) -> bool:
        """Attach a known location or contact to the item, updated as the policy allows; or,
        when it belongs to another customer, warn `mismatch`, link nothing and return False."""
        if not _belongs_to(instance, out.customer):
            out.warn(mismatch)
            out.decide(
                record,
                method=method,
                action=RecordAction.NOT_LINKED,
                reason=f"the {record} belongs to another customer",
                otherCustomerId=instance.customer_id,
            )
            return False
        setattr(out, record, instance)
        self._update_child(record, instance, block, fields, out, method=method, allowed=allowed)
        return True

    def _update_child(self, record, instance, block, fields, out, *, method, allowed) -> None:
        changes = _changed_fields(instance, block, fields)
        if changes and allowed and instance.pk:
            for name, value in changes.items():
                setattr(instance, name, value)
            changed = set(changes)
            if isinstance(instance, Location):
                changed.update(location_prepare(location=instance, changed=changes))
            self.plan.change(instance, changed)
            out.decide(
                record,
                method=method,
                action=RecordAction.UPDATED,
                instance=instance,
                updatedFields=sorted(changes),
            )
        else:
            out.decide(record, method=method, action=RecordAction.MAPPED, instance=instance)

    # --- status --------------------------------------------------------------------------------

    def _status(self, ctx: IncomingContext, out: MappingOutcome) -> str:
        if out.customer is None:
            if self.policy.manual_only:
                out.warn(MappingWarning.MANUAL_MAPPING_REQUIRED)
                return MappingStatus.SKIPPED
            if out.ambiguous:
                return MappingStatus.WARNING
            if not out.warnings:
                out.warn(MappingWarning.CUSTOMER_NOT_FOUND)
            return MappingStatus.FAILED
        if self.policy.manual_only and (
            (ctx.location and out.location is None) or (ctx.contact and out.contact is None)
        ):
            out.warn(MappingWarning.MANUAL_MAPPING_REQUIRED)
            return MappingStatus.SKIPPED
        if out.warnings:
            return MappingStatus.WARNING
        if RecordAction.CREATED in out.actions:
            return MappingStatus.CREATED
        if RecordAction.UPDATED in out.actions:
            return MappingStatus.UPDATED
        return MappingStatus.MAPPED

    # --- writes ----------------------------------------------------------------------------------

    def _write(self) -> None:
        plan = self.plan
        bulk_insert(Customer, [plan.new_customers[k] for k in sorted(plan.new_customers)])
        for location in plan.new_locations.values():
            location.customer_id = location.customer.pk
        for contact in plan.new_contacts.values():
            contact.customer_id = contact.customer.pk
        bulk_insert(Location, [plan.new_locations[k] for k in sorted(plan.new_locations)])
        bulk_insert(Contact, [plan.new_contacts[k] for k in sorted(plan.new_contacts)])
        for model, changed in plan.changed.items():
            rows = [changed[pk] for pk in sorted(changed)]
            fields = sorted(set().union(*(f for _, f in rows)) | {"updated_at"})
            bulk_update(model, [instance for instance, _ in rows], fields)
        references_create(
            tenant=self.tenant,
            source_system=self.policy.source_system,
            records=plan.new_references,
            origin=ReferenceOrigin.IMPORT,
        )

    def run(self) -> list[MappingOutcome]:
        outcomes = [MappingOutcome() for _ in self.contexts]
        if not self.policy.can_map:
            for ctx, out in zip(self.contexts, outcomes, strict=True):
                if not ctx.is_empty:
                    out.status = MappingStatus.SKIPPED
                    out.warn(MappingWarning.CUSTOMER_MAPPING_SCOPE_MISSING)
            return outcomes
        self._load()
        for index, (ctx, out) in enumerate(zip(self.contexts, outcomes, strict=True)):
            if not ctx.is_empty:
                self._decide_customer(index, ctx, out)
        self._load_children(outcomes)
        for ctx, out in zip(self.contexts, outcomes, strict=True):
            if ctx.is_empty:
                continue
            self._decide_location(ctx, out)
            self._decide_contact(ctx, out)
            out.status = self._status(ctx, out)
        self._write()
        return outcomes


def customer_contexts_map(
    *,
    tenant: Tenant,
    policy: MappingPolicy,
    contexts: list[IncomingContext],
    referenced: dict[tuple[str, str], models.Model] | None = None,
) -> list[MappingOutcome]:
    """Map the customer context of every item of a batch; one outcome per context, in order.

    `referenced`: the records of the references of `context_external_ids`, when the caller read
    them already (referenced_records, in the same transaction). Runs a fixed number of queries
    for any batch size. Must run inside a transaction.
    """
    return _BatchMapper(
        tenant=tenant, policy=policy, contexts=contexts, referenced=referenced
    ).run()


def references_create(
    *,
    tenant: Tenant | int,
    source_system: str,
    records: dict[tuple[str, str], Any],
    origin: str,
    created_by=None,
) -> None:
    """Store references (external type, external ID) → saved record, in key order, in one
    query."""
    from .models import RECORD_FIELD_BY_TYPE

    rows = []
    for external_type, external_id in sorted(records):
        record = records[(external_type, external_id)]
        if record.pk is None:
            raise ValueError(f"The {external_type} record of {external_id!r} is not saved yet.")
        field = RECORD_FIELD_BY_TYPE[ExternalType(external_type)]
        rows.append(
            {
                "tenant_id": getattr(tenant, "pk", tenant),
                "source_system": source_system,
                "external_type": external_type,
                "external_id": external_id,
                "origin": origin,
                "created_by_id": getattr(created_by, "pk", created_by),
                f"{field}_id": record.pk,
            }
        )
    insert_rows(ExternalReference, rows)


def external_reference_save(*, reference: ExternalReference) -> ExternalReference:
    """Save a reference a person set or changed (admin): its record must be of its tenant
    (ValidationError naming the field otherwise)."""
    tenant_consistency_check(instance=reference)
    reference.save()
    return reference
