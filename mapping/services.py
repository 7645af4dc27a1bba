"""Writes of the mapping app: mapping a batch's customer contexts (the engine, `mapping.engine`),
storing external references, and a reference a person set."""

from typing import Any

from django.db import models

from tenants.models import Tenant
from tenants.services import tenant_consistency_check

from .engine import IncomingContext, MappingOutcome, batch_map
from .engine.load import external_ids_of
from .engine.write import references_write
from .models import ExternalReference
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
