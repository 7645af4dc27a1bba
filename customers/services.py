"""Writes of customer master data."""

from mapping.matching import normalize_name, street_key

from .models import Customer, Location


def customer_normalize(*, customer: Customer) -> Customer:
    """Refresh the matching key of a customer whose name may have changed (no save)."""
    customer.normalized_name = normalize_name(customer.name)[:200]
    return customer


def location_normalize(*, location: Location) -> Location:
    """Refresh the matching key of a location whose street may have changed (no save)."""
    location.street_key = street_key(location.street)[:200]
    return location
