"""Writes of customer master data."""

from mapping.matching import normalize_name, street_key
from tenants.services import tenant_consistency_check

from .models import Contact, Customer, Location


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


def location_save(*, location: Location) -> Location:
    """Save a location edited by a person. A new one takes its customer's tenant; a customer of
    another tenant than the location's is refused (ValidationError naming `customer`)."""
    if location.tenant_id is None:
        location.tenant_id = location.customer.tenant_id
    tenant_consistency_check(instance=location)
    location_normalize(location=location)
    location.save()
    return location


def contact_save(*, contact: Contact) -> Contact:
    """Save a contact edited by a person. A new one takes its customer's tenant; a customer of
    another tenant than the contact's is refused (ValidationError naming `customer`)."""
    if contact.tenant_id is None:
        contact.tenant_id = contact.customer.tenant_id
    tenant_consistency_check(instance=contact)
    contact.save()
    return contact
