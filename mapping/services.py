"""Writes of the mapping app: mapping a batch's customer contexts (the engine, `mapping.engine`),
storing external references, and a reference a person set."""

from collections import Counter
from typing import Any

from django.db import models, transaction

from customers.choices import CustomerType
from customers.models import Customer, Location
from customers.normalization import fold, normalize_postal_code, person_name_words
from customers.phonetics import koelner
from tenants.models import Tenant
from tenants.services import tenant_consistency_check

from .choices import FrequencyKind
from .engine import IncomingContext, MappingOutcome, batch_map
from .engine.load import external_ids_of
from .engine.write import references_write
from .models import ExternalReference, NameFrequency
from .policy import MappingPolicy


def context_external_ids(
    *, policy: MappingPolicy, contexts: list[IncomingContext]
) -> dict[str, set[str]]:
    """The external IDs (per type) whose references mapping these contexts reads, for a caller
    that looks them up together with its own in one statement (`referenced=` of
    customer_contexts_map); none where that cannot be shared (no mapping, or only confirmed
    references count)."""
    if not policy.can_map or policy.manual_only:
        return {}
    return external_ids_of(contexts)


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
    return batch_map(tenant=tenant, policy=policy, contexts=contexts, referenced=referenced)


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
    references_write(
        tenant=tenant,
        source_system=source_system,
        records=records,
        origin=origin,
        created_by=created_by,
    )


def external_reference_save(*, reference: ExternalReference) -> ExternalReference:
    """Save a reference a person set or changed (admin): its record must be of its tenant
    (ValidationError naming the field otherwise)."""
    tenant_consistency_check(instance=reference)
    reference.save()
    return reference


def name_frequencies_refresh(*, tenant: Tenant | int) -> int:
    """Count anew how many of the tenant's private customers bear each name word and phonetic
    key and live in each postal code (`NameFrequency`, the person matcher's rarity); returns the
    number of private customers. Streams the customers: seconds at a million."""
    tenant_id = getattr(tenant, "pk", tenant)
    words: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    persons = 0
    private = Customer.objects.for_tenant(tenant_id).filter(type=CustomerType.PRIVATE)
    for name in private.values_list("name", flat=True).iterator(chunk_size=5000):
        persons += 1
        own = set(person_name_words(fold(name).split()))
        words.update(own)
        keys.update({koelner(w) for w in own if len(w) > 1} - {""})
    postal_codes: Counter[str] = Counter()
    located = (
        Location.objects.for_tenant(tenant_id)
        .filter(customer__type=CustomerType.PRIVATE)
        .values_list("customer_id", "postal_code", "country")
        .distinct()
    )
    seen = set()
    for customer_id, code, country in located.iterator(chunk_size=5000):
        normalized = normalize_postal_code(code, country)
        if normalized and (customer_id, normalized) not in seen:
            seen.add((customer_id, normalized))
            postal_codes[normalized] += 1
    rows = [NameFrequency(tenant_id=tenant_id, kind=FrequencyKind.PERSONS, value="", count=persons)]
    for kind, counter in (
        (FrequencyKind.WORD, words),
        (FrequencyKind.KEY, keys),
        (FrequencyKind.POSTAL_CODE, postal_codes),
    ):
        rows += [
            NameFrequency(tenant_id=tenant_id, kind=kind, value=value[:100], count=count)
            for value, count in counter.items()
        ]
    with transaction.atomic():
        NameFrequency.objects.for_tenant(tenant_id).delete()
        NameFrequency.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return persons
