"""What the benchmarks use of the apps, by name: the one module to change when app code moves.

Only public names (services, selectors, models, choices, the matcher's functions): the benchmarks
measure the application's own code and never copy it. Names resolve on first use (PEP 562), so
importing this module sets nothing up: call `bench.db.django_setup()` first, then use
`app.normalize_name(...)`, `app.Tenant.objects...` and so on.
"""

import importlib
from typing import Any

_HOME = {
    # tenants
    "Tenant": "tenants.models",
    "dispatcher_create_or_add_tenant": "tenants.services",
    # customers (master data and its matching keys)
    "Customer": "customers.models",
    "Location": "customers.models",
    "customer_family_key": "customers.services",
    "customer_prepare": "customers.services",
    "location_prepare": "customers.services",
    # mapping (matcher, candidate search, engine)
    "MATCHER_VERSION": "mapping.matching",
    "MappingPolicy": "mapping.policy",
    "Party": "mapping.matching",
    "decide": "mapping.matching",
    "normalize_name": "customers.normalization",
    "normalize_phone": "customers.normalization",
    "split_street": "customers.normalization",
    "street_parts": "customers.normalization",
    "street_key": "customers.normalization",
    "CANDIDATES_PER_NAME": "mapping.selectors",
    "TENANT_WIDE_THRESHOLD": "mapping.selectors",
    "TRIGRAM_THRESHOLD": "mapping.selectors",
    "customer_candidates": "mapping.selectors",
    "IncomingContext": "mapping.engine",
    "customer_contexts_map": "mapping.services",
    "name_frequencies_refresh": "mapping.services",
    # inbound
    "MatchingStrategy": "mapping.choices",
    "Scope": "inbound.choices",
    "mapping_policy": "inbound.policy",
    "GC_THRESHOLDS": "inbound.tasks",
    "api_key_issue": "inbound.services",
    "ImportItem": "inbound.models",
    "ImportJob": "inbound.models",
    "IntegrationClient": "inbound.models",
    "Target": "inbound.models",
    # review
    "mapping_health": "review.health",
    "mapping_health_rollup": "review.health",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    try:
        module = _HOME[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def customer_name_key(name: str) -> str:
    """The `normalized_name` the app stores for a customer of this name (its own service)."""
    customer = _scratch("Customer")
    customer.name = name
    __getattr__("customer_prepare")(customer=customer)
    return customer.normalized_name


def location_street_key(street: str) -> str:
    """The `street_key` the app stores for a location on this street (its own service)."""
    location = _scratch("Location")
    location.street = street
    __getattr__("location_prepare")(location=location)
    return location.street_key


_SCRATCH: dict[str, Any] = {}


def _scratch(model: str) -> Any:
    """One unsaved instance per model, reused: a million keys without a million constructors."""
    if model not in _SCRATCH:
        _SCRATCH[model] = __getattr__(model)()
    return _SCRATCH[model]
