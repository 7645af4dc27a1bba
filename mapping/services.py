"""The mapping engine: incoming customer, location and contact → Ordinavo records, for a batch.

All lookups of a batch are done in bulk (a fixed number of queries whatever the batch size) and
every write happens in a stable order (sorted by key), so concurrent batches do not deadlock.
Callers run it inside a transaction and retry it once on an IntegrityError: a concurrent request
that created the same record first is then found by its reference.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from customers.models import Contact, Customer, Location
from inbound.choices import MatchingStrategy, Scope
from ordinavo.db import bulk_update
from tenants.models import Tenant

from .choices import (
    ExternalType,
    MappingStatus,
    MappingWarning,
    MatchMethod,
    RecordAction,
    ReferenceOrigin,
)
from .models import ExternalReference

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
    """What this request may do: the key's scopes narrowed by the client's policies."""

    source_system: str
    strategy: str
    can_map: bool
    can_create_customer: bool
    can_update_customer: bool
    can_create_location: bool
    can_update_location: bool
    can_create_contact: bool
    can_update_contact: bool

    @classmethod
    def for_client(cls, *, client, scopes: Iterable[str]) -> "MappingPolicy":
        scopes = set(scopes)
        can_write = Scope.CUSTOMERS_WRITE in scopes
        update = can_write and client.allow_customer_update
        return cls(
            source_system=client.source_system,
            strategy=client.strategy,
            can_map=Scope.CUSTOMERS_MAP in scopes,
            can_create_customer=can_write and client.allow_customer_create,
            can_update_customer=update,
            can_create_location=can_write and client.allow_location_create,
            can_update_location=update,
            can_create_contact=can_write and client.allow_contact_create,
            can_update_contact=update,
        )


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


class _BatchMapper:
    def __init__(self, *, tenant: Tenant, policy: MappingPolicy, contexts: list[IncomingContext]):
        self.tenant = tenant
        self.policy = policy
        self.contexts = contexts
        self.plan = _Plan()
        self.references: dict[tuple[str, str], ExternalReference] = {}
        self.customers_by_number: dict[str, Customer] = {}
        self.locations_by_customer: dict[int, list[Location]] = defaultdict(list)
        self.contacts_by_customer: dict[int, list[Contact]] = defaultdict(list)

    # --- bulk reads -------------------------------------------------------------------------

    def _load(self) -> None:
        ids: dict[str, set[str]] = defaultdict(set)
        numbers: set[str] = set()
        for ctx in self.contexts:
            for external_type, block in (
                (ExternalType.CUSTOMER, ctx.customer),
                (ExternalType.LOCATION, ctx.location),
                (ExternalType.CONTACT, ctx.contact),
            ):
                if block and block.get("external_id"):
                    ids[external_type].add(block["external_id"])
            if ctx.customer and ctx.customer.get("customer_number"):
                numbers.add(ctx.customer["customer_number"])
        if ids:
            condition = Q()
            for external_type, values in ids.items():
                condition |= Q(external_type=external_type, external_id__in=values)
            references = (
                ExternalReference.objects.for_tenant(self.tenant)
                .filter(condition, source_system=self.policy.source_system)
                .select_related("customer", "location__customer", "contact__customer")
            )
            if self.policy.strategy == MatchingStrategy.MANUAL_ONLY:
                references = references.filter(origin__in=CONFIRMED_ORIGINS)
            self.references = {(r.external_type, r.external_id): r for r in references}
        if numbers:
            self.customers_by_number = {
                c.customer_number: c
                for c in Customer.objects.for_tenant(self.tenant).filter(
                    customer_number__in=numbers
                )
            }

    def _load_children(self, outcomes: list[MappingOutcome]) -> None:
        """Locations and contacts of the resolved customers, for the within-customer fallbacks."""
        customer_ids = {
            o.customer.pk
            for o, ctx in zip(outcomes, self.contexts, strict=True)
            if o.customer is not None and o.customer.pk and (ctx.location or ctx.contact)
        }
        if not customer_ids:
            return
        for location in Location.objects.for_tenant(self.tenant).filter(customer__in=customer_ids):
            self.locations_by_customer[location.customer_id].append(location)
        for contact in Contact.objects.for_tenant(self.tenant).filter(customer__in=customer_ids):
            self.contacts_by_customer[contact.customer_id].append(contact)

    def _referenced(self, external_type: str, block: dict | None):
        if not block or not block.get("external_id"):
            return None
        reference = self.references.get((external_type, block["external_id"]))
        return reference.record if reference else None

    # --- decisions --------------------------------------------------------------------------

    def _decide_customer(self, ctx: IncomingContext, out: MappingOutcome) -> None:
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
        if self.policy.strategy == MatchingStrategy.MANUAL_ONLY:
            return
        self._create_customer(block, out)

    def _update_customer(self, customer: Customer, block: dict | None, out, *, method) -> None:
        changes = _changed_fields(customer, block or {}, CUSTOMER_FIELDS)
        number = changes.get("customer_number")
        if number is not None:
            holder = self.customers_by_number.get(number)
            claimed = any(c.customer_number == number for c in self.plan.new_customers.values())
            if (holder is not None and holder.pk != customer.pk) or claimed:
                out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
                del changes["customer_number"]
        if changes and self.policy.can_update_customer:
            if (
                customer.customer_number in self.customers_by_number
                and "customer_number" in changes
            ):
                del self.customers_by_number[customer.customer_number]
            for name, value in changes.items():
                setattr(customer, name, value)
            if "customer_number" in changes:
                self.customers_by_number[customer.customer_number] = customer
            self.plan.change(customer, set(changes))
            out.decide(
                "customer",
                method=method,
                action=RecordAction.UPDATED,
                instance=customer,
                updatedFields=sorted(changes),
            )
        else:
            out.decide("customer", method=method, action=RecordAction.MAPPED, instance=customer)

    def _create_customer(self, block: dict, out: MappingOutcome) -> None:
        external_id = block.get("external_id")
        if not (self.policy.can_create_customer and external_id and block.get("name")):
            out.warn(MappingWarning.CUSTOMER_NOT_FOUND)
            reason = (
                "no external ID to remember the customer by"
                if not external_id
                else "no name to create the customer with"
                if not block.get("name")
                else "creating customers is not allowed (customers.write scope or client policy)"
            )
            out.decide(
                "customer", method=MatchMethod.NONE, action=RecordAction.NOT_LINKED, reason=reason
            )
            return
        planned = self.plan.new_customers.get(external_id)
        if planned is not None:  # the same new customer earlier in this batch
            out.customer = planned
            out.decide(
                "customer",
                method=MatchMethod.EXTERNAL_ID,
                action=RecordAction.MAPPED,
                instance=planned,
            )
            return
        number = block.get("customer_number")
        if number and (
            number in self.customers_by_number
            or any(c.customer_number == number for c in self.plan.new_customers.values())
        ):
            out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
            out.decide(
                "customer",
                method=MatchMethod.NONE,
                action=RecordAction.NOT_LINKED,
                reason="the customer number belongs to another customer",
            )
            return
        customer = Customer(
            tenant=self.tenant, **{f: block[f] for f in CUSTOMER_FIELDS if f in block}
        )
        self.plan.new_customers[external_id] = customer
        self.plan.reference(ExternalType.CUSTOMER, external_id, customer)
        out.customer = customer
        out.decide(
            "customer", method=MatchMethod.CREATED, action=RecordAction.CREATED, instance=customer
        )

    def _decide_location(self, ctx: IncomingContext, out: MappingOutcome) -> None:
        block = ctx.location
        if not block or out.customer is None:
            return
        external_id = block.get("external_id")
        location = self._referenced(ExternalType.LOCATION, block)
        method = MatchMethod.EXTERNAL_ID
        if location is None and external_id:
            location = self.plan.new_locations.get(external_id)
        if location is None and self.policy.strategy != MatchingStrategy.MANUAL_ONLY:
            location = self._location_at_same_address(out.customer, block)
            method = MatchMethod.NAME_AND_ADDRESS
            if location is not None and external_id:
                self.plan.reference(ExternalType.LOCATION, external_id, location)
        if location is not None:
            if location.customer is not out.customer and location.customer_id != out.customer.pk:
                out.warn(MappingWarning.LOCATION_CUSTOMER_MISMATCH)
                out.decide(
                    "location",
                    method=method,
                    action=RecordAction.NOT_LINKED,
                    reason="the location belongs to another customer",
                    otherCustomerId=location.customer_id,
                )
                return
            out.location = location
            self._update_child(
                "location",
                location,
                block,
                LOCATION_FIELDS,
                out,
                method=method,
                allowed=self.policy.can_update_location,
            )
        elif (
            self.policy.can_create_location and self.policy.strategy != MatchingStrategy.MANUAL_ONLY
        ):
            location = Location(
                tenant=self.tenant,
                customer=out.customer,
                **{f: block[f] for f in LOCATION_FIELDS if f in block},
            )
            self.plan.new_locations[external_id or f"~{len(self.plan.new_locations)}"] = location
            if external_id:
                self.plan.reference(ExternalType.LOCATION, external_id, location)
            out.location = location
            out.decide(
                "location",
                method=MatchMethod.CREATED,
                action=RecordAction.CREATED,
                instance=location,
            )
        else:
            if self.policy.strategy != MatchingStrategy.MANUAL_ONLY:
                out.warn(MappingWarning.LOCATION_AUTO_CREATE_DISABLED)
            out.decide("location", method=MatchMethod.NONE, action=RecordAction.NOT_LINKED)
            return
        if not out.location.has_coordinates:
            out.warn(MappingWarning.LOCATION_MISSING_COORDINATES)

    def _location_at_same_address(self, customer: Customer, block: dict) -> Location | None:
        """A location of this customer at exactly the incoming address (name, street, postcode,
        city, each compared case-insensitively); None when there is none or more than one."""
        keys = ("street", "postal_code", "city")
        if not customer.pk or not all(block.get(k) for k in keys):
            return None
        wanted = tuple(str(block.get(k, "")).strip().casefold() for k in ("name", *keys))
        matches = [
            loc
            for loc in self.locations_by_customer.get(customer.pk, [])
            if tuple(str(getattr(loc, k)).strip().casefold() for k in ("name", *keys)) == wanted
        ]
        return matches[0] if len(matches) == 1 else None

    def _decide_contact(self, ctx: IncomingContext, out: MappingOutcome) -> None:
        block = ctx.contact
        if not block or out.customer is None:
            return
        external_id = block.get("external_id")
        contact = self._referenced(ExternalType.CONTACT, block)
        method = MatchMethod.EXTERNAL_ID
        if contact is None and external_id:
            contact = self.plan.new_contacts.get(external_id)
        if contact is None and self.policy.strategy != MatchingStrategy.MANUAL_ONLY:
            contact = self._contact_with_same_email(out.customer, block)
            method = MatchMethod.EMAIL
            if contact is not None and external_id:
                self.plan.reference(ExternalType.CONTACT, external_id, contact)
        if contact is not None:
            if contact.customer is not out.customer and contact.customer_id != out.customer.pk:
                out.warn(MappingWarning.CONTACT_CUSTOMER_MISMATCH)
                out.decide(
                    "contact",
                    method=method,
                    action=RecordAction.NOT_LINKED,
                    reason="the contact belongs to another customer",
                    otherCustomerId=contact.customer_id,
                )
                return
            out.contact = contact
            self._update_child(
                "contact",
                contact,
                block,
                CONTACT_FIELDS,
                out,
                method=method,
                allowed=self.policy.can_update_contact,
            )
        elif (
            self.policy.can_create_contact and self.policy.strategy != MatchingStrategy.MANUAL_ONLY
        ):
            contact = Contact(
                tenant=self.tenant,
                customer=out.customer,
                **{f: block[f] for f in CONTACT_FIELDS if f in block},
            )
            self.plan.new_contacts[external_id or f"~{len(self.plan.new_contacts)}"] = contact
            if external_id:
                self.plan.reference(ExternalType.CONTACT, external_id, contact)
            out.contact = contact
            out.decide(
                "contact", method=MatchMethod.CREATED, action=RecordAction.CREATED, instance=contact
            )
        else:
            if self.policy.strategy != MatchingStrategy.MANUAL_ONLY:
                out.warn(MappingWarning.CONTACT_AUTO_CREATE_DISABLED)
            out.decide("contact", method=MatchMethod.NONE, action=RecordAction.NOT_LINKED)

    def _contact_with_same_email(self, customer: Customer, block: dict) -> Contact | None:
        email = (block.get("email") or "").strip().casefold()
        if not customer.pk or not email:
            return None
        matches = [
            c
            for c in self.contacts_by_customer.get(customer.pk, [])
            if c.email.strip().casefold() == email
        ]
        return matches[0] if len(matches) == 1 else None

    def _update_child(self, record, instance, block, fields, out, *, method, allowed) -> None:
        changes = _changed_fields(instance, block, fields)
        if changes and allowed and instance.pk:
            for name, value in changes.items():
                setattr(instance, name, value)
            self.plan.change(instance, set(changes))
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
            if self.policy.strategy == MatchingStrategy.MANUAL_ONLY:
                out.warn(MappingWarning.MANUAL_MAPPING_REQUIRED)
                return MappingStatus.SKIPPED
            if not ctx.customer:
                out.warn(MappingWarning.CUSTOMER_NOT_FOUND)
            return MappingStatus.FAILED
        if self.policy.strategy == MatchingStrategy.MANUAL_ONLY and (
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
        customers = [plan.new_customers[k] for k in sorted(plan.new_customers)]
        Customer.objects.bulk_create(customers)
        for location in plan.new_locations.values():
            location.customer_id = location.customer.pk
        for contact in plan.new_contacts.values():
            contact.customer_id = contact.customer.pk
        Location.objects.bulk_create([plan.new_locations[k] for k in sorted(plan.new_locations)])
        Contact.objects.bulk_create([plan.new_contacts[k] for k in sorted(plan.new_contacts)])
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
        for ctx, out in zip(self.contexts, outcomes, strict=True):
            if not ctx.is_empty:
                self._decide_customer(ctx, out)
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
    *, tenant: Tenant, policy: MappingPolicy, contexts: list[IncomingContext]
) -> list[MappingOutcome]:
    """Map the customer context of every item of a batch; one outcome per context, in order.

    Runs a fixed number of queries for any batch size. Must run inside a transaction.
    """
    return _BatchMapper(tenant=tenant, policy=policy, contexts=contexts).run()


def references_create(
    *,
    tenant: Tenant,
    source_system: str,
    records: dict[tuple[str, str], Any],
    origin: str,
    created_by=None,
) -> list[ExternalReference]:
    """Store references (external type, external ID) → record, in key order, in one query."""
    from .models import RECORD_FIELD_BY_TYPE

    references = [
        ExternalReference(
            tenant=tenant,
            source_system=source_system,
            external_type=external_type,
            external_id=external_id,
            origin=origin,
            created_by=created_by,
            **{
                RECORD_FIELD_BY_TYPE[ExternalType(external_type)]: records[
                    (external_type, external_id)
                ]
            },
        )
        for external_type, external_id in sorted(records)
    ]
    return ExternalReference.objects.bulk_create(references)
