"""The location and the contact of each item, once its customer is decided: one routine for
both, parameterised by a `ChildKind` (model, fields, fallback, warnings, policy flags).

By external ID (known, or remembered earlier in this batch for a record an item created or
linked); else by the kind's fallback among the customer's records, stored or planned earlier in
this batch (a location at the same address, a contact with the same e-mail), whose external ID
is then remembered; else created as the policy allows. A known record of another customer is
not linked (a mismatch warning)."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from operator import attrgetter

from django.db import models

from customers.models import Contact, Customer, Location
from customers.normalization import normalize_email, normalize_postal_code, street_parts
from customers.services import location_prepare

from ..choices import ExternalType, MappingWarning, MatchMethod, RecordAction
from ..fields import CONTACT_FIELDS, LOCATION_FIELDS
from ..matching.party import stored_street_parts
from ..policy import MappingPolicy
from .outcome import IncomingContext, MappingOutcome
from .state import Batch, Plan, changed_fields


@dataclass(frozen=True, slots=True)
class ChildKind:
    """What differs between locations and contacts."""

    record: str  # the outcome's attribute and the decision's key: "location", "contact"
    external_type: str
    model: type[models.Model]
    fields: tuple[str, ...]
    block: Callable[[IncomingContext], dict | None]
    planned: Callable[[Plan], dict[str, models.Model]]
    # The fallback after the external ID: whether the policy allows it, its method, and the
    # customer's records it finds for a block (the batch's `children` of this kind).
    fallback: Callable[[MappingPolicy], bool]
    fallback_method: str
    find: Callable[[list, dict], list]
    # Warned when the fallback finds several; None: several are as good as none found.
    ambiguous: str | None
    can_update: Callable[[MappingPolicy], bool]
    can_create: Callable[[MappingPolicy], bool]
    # A new record without an external ID only where the fallback can find it again.
    create_needs_a_key: bool
    mismatch: str
    create_disabled: str
    # Warned when the linked or created record has no coordinates.
    missing_coordinates: str | None
    # Refresh the matching keys of a new record (None) or of one with these changed fields;
    # returns the key fields refreshed.
    keys_refresh: Callable[[models.Model, Collection[str] | None], tuple[str, ...]] | None


def _locations_at_address(locations: list[Location], block: dict) -> list[Location]:
    """Locations of this customer at the incoming address: same postal code, street and
    house number after normalization (Straße / Str. / strasse alike); a location's street as
    the parts stored with it."""
    street_name, number, _ = street_parts(block.get("street"))
    postal_code = normalize_postal_code(block.get("postal_code"), block.get("country"))
    if not (street_name and postal_code):
        return []
    return [
        location
        for location in locations
        if stored_street_parts(
            location.street, location.street_name, location.house_number, location.street_written
        )[:2]
        == (street_name, number)
        and normalize_postal_code(location.postal_code, location.country) == postal_code
    ]


def _contacts_with_same_email(contacts: list[Contact], block: dict) -> list[Contact]:
    email = normalize_email(block.get("email"))
    if not email:
        return []
    return [c for c in contacts if normalize_email(c.email) == email]


def _location_keys(location: Location, changed: Collection[str] | None) -> tuple[str, ...]:
    return location_prepare(location=location, changed=changed)


LOCATION = ChildKind(
    record="location",
    external_type=ExternalType.LOCATION,
    model=Location,
    fields=LOCATION_FIELDS,
    block=attrgetter("location"),
    planned=attrgetter("new_locations"),
    fallback=attrgetter("match_by_name_and_address"),
    fallback_method=MatchMethod.NAME_AND_ADDRESS,
    find=_locations_at_address,
    ambiguous=MappingWarning.AMBIGUOUS_LOCATION_MATCH,
    can_update=attrgetter("can_update_location"),
    can_create=attrgetter("can_create_location"),
    create_needs_a_key=True,
    mismatch=MappingWarning.LOCATION_CUSTOMER_MISMATCH,
    create_disabled=MappingWarning.LOCATION_AUTO_CREATE_DISABLED,
    missing_coordinates=MappingWarning.LOCATION_MISSING_COORDINATES,
    keys_refresh=_location_keys,
)
CONTACT = ChildKind(
    record="contact",
    external_type=ExternalType.CONTACT,
    model=Contact,
    fields=CONTACT_FIELDS,
    block=attrgetter("contact"),
    planned=attrgetter("new_contacts"),
    fallback=lambda policy: not policy.external_id_only,
    fallback_method=MatchMethod.EMAIL,
    find=_contacts_with_same_email,
    ambiguous=None,
    can_update=attrgetter("can_update_contact"),
    can_create=attrgetter("can_create_contact"),
    create_needs_a_key=False,
    mismatch=MappingWarning.CONTACT_CUSTOMER_MISMATCH,
    create_disabled=MappingWarning.CONTACT_AUTO_CREATE_DISABLED,
    missing_coordinates=None,
    keys_refresh=None,
)
# In the order they are decided, loaded and written.
CHILD_KINDS = (LOCATION, CONTACT)


def _belongs_to(record: Location | Contact, customer: Customer) -> bool:
    """Whether a location or contact is the customer's, without loading its customer (one query
    per record otherwise): by id once both are saved, else by identity (planned in this batch)."""
    if record.customer_id is not None and customer.pk is not None:
        return record.customer_id == customer.pk
    return record.customer is customer


def child_decide(batch: Batch, kind: ChildKind, ctx: IncomingContext, out: MappingOutcome) -> None:
    """Link, update or create the item's record of this kind (see the module)."""
    block = kind.block(ctx)
    if not block or out.customer is None:
        return
    policy = batch.policy
    external_id = block.get("external_id")
    record = batch.known_record(kind.external_type, block)
    method = MatchMethod.EXTERNAL_ID
    if record is None and kind.fallback(policy):
        matches = kind.find(batch.children_of(kind.record, out.customer), block)
        if len(matches) > 1 and kind.ambiguous:
            out.warn(kind.ambiguous)
            out.decide(
                kind.record,
                method=kind.fallback_method,
                action=RecordAction.NOT_LINKED,
                candidateIds=sorted(m.pk for m in matches),
            )
            return
        if len(matches) == 1:
            record, method = matches[0], kind.fallback_method
            batch.learn(kind.external_type, block, record)
    if record is not None:
        if not _attach(batch, kind, record, block, out, method=method):
            return
    elif (
        kind.can_create(policy)
        and not policy.manual_only
        and (external_id or not kind.create_needs_a_key or kind.fallback(policy))
    ):
        record = batch.new_record(kind.model, block, kind.fields, customer=out.customer)
        if kind.keys_refresh is not None:
            kind.keys_refresh(record, None)
        _plan(batch, kind, record, block, out)
    else:
        if not policy.manual_only:
            out.warn(kind.create_disabled)
        out.decide(kind.record, method=MatchMethod.NONE, action=RecordAction.NOT_LINKED)
        return
    if kind.missing_coordinates and not record.has_coordinates:
        out.warn(kind.missing_coordinates)


def _plan(batch: Batch, kind: ChildKind, instance, block: dict, out: MappingOutcome) -> None:
    """Plan a new record of the item's customer, remembered by its external ID and among the
    customer's records, where a later item's fallback finds it as it would stored."""
    external_id = block.get("external_id")
    planned = kind.planned(batch.plan)
    planned[external_id or f"~{len(planned)}"] = instance
    batch.children_of(kind.record, out.customer).append(instance)
    if external_id:
        batch.plan.reference(kind.external_type, external_id, instance)
    setattr(out, kind.record, instance)
    out.decide(
        kind.record, method=MatchMethod.CREATED, action=RecordAction.CREATED, instance=instance
    )


def _attach(
    batch: Batch, kind: ChildKind, instance, block: dict, out: MappingOutcome, *, method
) -> bool:
    """Attach a known record to the item, updated as the policy allows; or, when it belongs to
    another customer, warn the kind's mismatch, link nothing and return False."""
    if not _belongs_to(instance, out.customer):
        out.warn(kind.mismatch)
        out.decide(
            kind.record,
            method=method,
            action=RecordAction.NOT_LINKED,
            reason=f"the {kind.record} belongs to another customer",
            otherCustomerId=instance.customer_id,
        )
        return False
    setattr(out, kind.record, instance)
    changes = changed_fields(instance, block, kind.fields)
    if changes and kind.can_update(batch.policy) and instance.pk:
        for name, value in changes.items():
            setattr(instance, name, value)
        changed = set(changes)
        if kind.keys_refresh is not None:
            changed.update(kind.keys_refresh(instance, changes))
        batch.plan.change(instance, changed)
        out.decide(
            kind.record,
            method=method,
            action=RecordAction.UPDATED,
            instance=instance,
            updatedFields=sorted(changes),
        )
    else:
        out.decide(kind.record, method=method, action=RecordAction.MAPPED, instance=instance)
    return True
