"""Writes of customer master data, and the one owner of its matching keys.

The matching keys are columns derived from other fields that the candidate search compares and
the matcher reads (`Customer.normalized_name` from the name, `phone_key` from the phone,
`family_key` and `person_words` from a private person's name; `Location.street_key`,
`house_number`, `street_name` and `street_written` from the street, and `family_key` and
`normalized_name`, copies of its customer's). Only this module computes them: every create and
update of a customer or location goes through the services below, the mapping engine's bulk
path calls `customer_prepare` / `location_prepare` for each new or changed record before its
bulk write (and `locations_customer_keys_sync` when a family key or name changed), the
factories of the tests build and create through them, and migrations 0007, 0009, 0011, 0015
and 0018 recomputed the stored ones. Contacts have no key.
"""

from collections.abc import Collection

from django.db.models import OuterRef, Q, Subquery

from tenants.services import tenant_consistency_check

from .choices import CustomerType
from .models import Contact, Customer, Location
from .normalization import (
    normalize_name,
    normalize_phone,
    person_words_key,
    street_key_of_name,
    street_parts,
)
from .phonetics import family_name_keys

_NAME_KEY_LENGTH = Customer._meta.get_field("normalized_name").max_length
_PHONE_KEY_LENGTH = Customer._meta.get_field("phone_key").max_length
_FAMILY_KEY_LENGTH = Customer._meta.get_field("family_key").max_length
_PERSON_WORDS_LENGTH = Customer._meta.get_field("person_words").max_length
_STREET_KEY_LENGTH = Location._meta.get_field("street_key").max_length
_HOUSE_NUMBER_LENGTH = Location._meta.get_field("house_number").max_length
_STREET_NAME_LENGTH = Location._meta.get_field("street_name").max_length
_STREET_WRITTEN_LENGTH = Location._meta.get_field("street_written").max_length


def customer_family_key(*, name: str, type: str) -> str:
    """A private customer's family key (its locations carry a copy); "" for a company."""
    if type != CustomerType.PRIVATE:
        return ""
    keys = family_name_keys(name)
    return keys[0][:_FAMILY_KEY_LENGTH] if keys else ""


def customer_person_words(*, name: str, type: str) -> str:
    """A private customer's name words (`person_words_key`); "" for a company, or where they
    would not fit the column (never cut: a cut name's words are not its words)."""
    if type != CustomerType.PRIVATE:
        return ""
    words = person_words_key(name)
    return words if len(words) <= _PERSON_WORDS_LENGTH else ""


def customer_prepare(
    *, customer: Customer, changed: Collection[str] | None = None
) -> tuple[str, ...]:
    """Refresh a customer's matching keys in memory (no save, no query); return the keys set.

    `changed`: the fields that changed on a stored customer, so only the keys derived from them
    are recomputed (normalizing a name is the costly part); None (a new or fully saved record)
    recomputes every key. The normalized name, family key and person words are returned only
    when their value changed (the first two's copies on the customer's locations then need the
    new one: `locations_customer_keys_sync`)."""
    keys = []
    if changed is None or "name" in changed:
        normalized = normalize_name(customer.name)[:_NAME_KEY_LENGTH]
        if changed is None or normalized != customer.normalized_name:
            customer.normalized_name = normalized
            keys.append("normalized_name")
    if changed is None or "phone" in changed:
        customer.phone_key = normalize_phone(customer.phone)[:_PHONE_KEY_LENGTH]
        keys.append("phone_key")
    if changed is None or "name" in changed or "type" in changed:
        family = customer_family_key(name=customer.name, type=customer.type)
        if changed is None or family != customer.family_key:
            customer.family_key = family
            keys.append("family_key")
        words = customer_person_words(name=customer.name, type=customer.type)
        if changed is None or words != customer.person_words:
            customer.person_words = words
            keys.append("person_words")
    return tuple(keys)


def location_address_keys(street_name: str, house_number: str) -> tuple[str, str]:
    """The street key and house number a location stores for its street's name and number (as
    `street_parts` splits them): what the candidate search compares an address with."""
    return street_key_of_name(street_name)[:_STREET_KEY_LENGTH], house_number[:_HOUSE_NUMBER_LENGTH]


def location_prepare(
    *, location: Location, changed: Collection[str] | None = None
) -> tuple[str, ...]:
    """Refresh a location's matching keys in memory (no save; a query only to read a customer
    not loaded yet); return the keys set. `changed` as for `customer_prepare`. The family key and
    the normalized name are the customer's, taken when the location is new or moves to another
    customer."""
    keys = []
    if changed is None or "street" in changed:
        name, number, written = street_parts(location.street)
        location.street_key, location.house_number = location_address_keys(name, number)
        location.street_name = name[:_STREET_NAME_LENGTH]
        location.street_written = (written if name else "")[:_STREET_WRITTEN_LENGTH]
        keys += ["street_key", "house_number", "street_name", "street_written"]
    if (changed is None or "customer" in changed) and location.customer_id is not None:
        location.family_key = location.customer.family_key
        location.normalized_name = location.customer.normalized_name
        keys += ["family_key", "normalized_name"]
    return tuple(keys)


# The keys a location copies from its customer.
CUSTOMER_KEYS_COPIED = ("family_key", "normalized_name")


def locations_customer_keys_sync(*, tenant_id: int, customer_ids: Collection[int]) -> int:
    """Give every location of these customers its customer's family key and normalized name
    (after a rename, or locations moved to another customer), in one query; returns the
    locations changed."""
    if not customer_ids:
        return 0
    copied = {
        key: Subquery(Customer.objects.filter(pk=OuterRef("customer_id")).values(key)[:1])
        for key in CUSTOMER_KEYS_COPIED
    }
    differs = Q()
    for key, value in copied.items():
        differs |= ~Q(**{key: value})
    return (
        Location.objects.for_tenant(tenant_id)
        .filter(customer_id__in=customer_ids)
        .filter(differs)
        .update(**copied)
    )


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
    if customer.pk is not None and any(key in keys for key in CUSTOMER_KEYS_COPIED):
        locations_customer_keys_sync(tenant_id=customer.tenant_id, customer_ids=[customer.pk])
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
