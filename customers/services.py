"""Writes of customer master data, and the one owner of its matching keys.

The matching keys are columns derived from other fields that the candidate search compares
(`Customer.normalized_name` from the name, `Location.street_key` from the street). Only this
module computes them: every create and update of a customer or location goes through the
services below, the mapping engine's bulk path calls `customer_prepare` / `location_prepare`
for each new or changed record before its bulk write, the factories of the tests build and
create through them, and migration 0005 recomputed the stored ones. Contacts have no key.
"""

from collections.abc import Collection

from tenants.services import tenant_consistency_check

from .models import Contact, Customer, Location
from .normalization import normalize_name, street_key

_NAME_KEY_LENGTH = Customer._meta.get_field("normalized_name").max_length
_STREET_KEY_LENGTH = Location._meta.get_field("street_key").max_length


def customer_prepare(
    *, customer: Customer, changed: Collection[str] | None = None
) -> tuple[str, ...]:
    """Refresh a customer's matching keys in memory (no save, no query); return the keys set.

    `changed`: the fields that changed on a stored customer, so only the keys derived from them
    are recomputed (normalizing a name is the costly part); None (a new or fully saved record)
    recomputes every key."""
    if changed is not None and "name" not in changed:
        return ()
    customer.normalized_name = normalize_name(customer.name)[:_NAME_KEY_LENGTH]
    return ("normalized_name",)


def location_prepare(
    *, location: Location, changed: Collection[str] | None = None
) -> tuple[str, ...]:
    """Refresh a location's matching keys in memory (no save, no query); return the keys set.
    `changed` as for `customer_prepare`."""
    if changed is not None and "street" not in changed:
        return ()
    location.street_key = street_key(location.street)[:_STREET_KEY_LENGTH]
    return ("street_key",)


def _saved(record, *, keys: tuple[str, ...], fields: Collection[str] | None) -> None:
    """Save all fields, or only `fields` with the keys refreshed for them and the timestamp."""
    if fields is None:
        record.save()
    else:
        record.save(update_fields={*fields, *keys, "updated_at"})


def customer_create(*, customer: Customer) -> Customer:
    """Insert a new customer (built by a form, the review queue or a factory) with its keys."""
    customer_prepare(customer=customer)
    customer.save(force_insert=True)
    return customer


def customer_update(*, customer: Customer, fields: Collection[str] | None = None) -> Customer:
    """Save a changed customer with fresh keys: every field, or only `fields` (and the keys
    derived from them) when given."""
    keys = customer_prepare(customer=customer, changed=fields)
    _saved(customer, keys=keys, fields=fields)
    return customer


def _tenant_checked(*, record: Location | Contact) -> None:
    """A new location or contact takes its customer's tenant; a customer of another tenant than
    the record's is refused (ValidationError naming `customer`)."""
    if record.tenant_id is None:
        record.tenant_id = record.customer.tenant_id
    tenant_consistency_check(instance=record)


def location_create(*, location: Location) -> Location:
    """Insert a new location with its keys; it takes its customer's tenant (tenant-checked)."""
    _tenant_checked(record=location)
    location_prepare(location=location)
    location.save(force_insert=True)
    return location


def location_update(*, location: Location, fields: Collection[str] | None = None) -> Location:
    """Save a changed location with fresh keys (tenant-checked); `fields` as for
    `customer_update`."""
    _tenant_checked(record=location)
    keys = location_prepare(location=location, changed=fields)
    _saved(location, keys=keys, fields=fields)
    return location


def contact_create(*, contact: Contact) -> Contact:
    """Insert a new contact; it takes its customer's tenant (tenant-checked)."""
    _tenant_checked(record=contact)
    contact.save(force_insert=True)
    return contact


def contact_update(*, contact: Contact, fields: Collection[str] | None = None) -> Contact:
    """Save a changed contact (tenant-checked): every field, or only `fields`."""
    _tenant_checked(record=contact)
    _saved(contact, keys=(), fields=fields)
    return contact
