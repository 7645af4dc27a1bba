"""Writes of customer master data."""

from tenants.services import tenant_consistency_check

from .models import Contact, Customer, Location
from .normalization import normalize_name, street_key


def customer_normalize(*, customer: Customer) -> Customer:
    """Refresh the matching key of a customer whose name may have changed (no save)."""
    customer.normalized_name = normalize_name(customer.name)[:200]
    return customer


def location_normalize(*, location: Location) -> Location:
    """Refresh the matching key of a location whose street may have changed (no save)."""
    location.street_key = street_key(location.street)[:200]
    return location


def customer_save(*, customer: Customer) -> Customer:
    """Save a customer edited by a person, with a fresh matching key."""
    customer_normalize(customer=customer)
    customer.save()
    return customer


def _tenant_checked(*, record: Location | Contact) -> None:
    """A new location or contact takes its customer's tenant; a customer of another tenant than
    the record's is refused (ValidationError naming `customer`)."""
    if record.tenant_id is None:
        record.tenant_id = record.customer.tenant_id
    tenant_consistency_check(instance=record)


def location_save(*, location: Location) -> Location:
    """Save a location edited by a person, with a fresh matching key (tenant-checked)."""
    _tenant_checked(record=location)
    location_normalize(location=location)
    location.save()
    return location


def contact_save(*, contact: Contact) -> Contact:
    """Save a contact edited by a person (tenant-checked)."""
    _tenant_checked(record=contact)
    contact.save()
    return contact
