"""The writes of a batch, in bulk and in key order (so concurrent batches take the unique keys
in the same order and wait for each other instead of deadlocking)."""

from typing import Any

from customers.models import Customer
from customers.services import CUSTOMER_KEYS_COPIED, locations_customer_keys_sync
from ordinavo.db import bulk_insert, bulk_update, insert_rows
from tenants.models import Tenant

from ..choices import ExternalType, ReferenceOrigin
from ..models import RECORD_FIELD_BY_TYPE, ExternalReference
from .children import CHILD_KINDS
from .state import Batch


def plan_write(batch: Batch) -> None:
    """New customers, then their new locations and contacts, changed records, references."""
    plan = batch.plan
    bulk_insert(Customer, [plan.new_customers[k] for k in sorted(plan.new_customers)])
    for kind in CHILD_KINDS:
        planned = kind.planned(plan)
        for record in planned.values():
            record.customer_id = record.customer.pk
        bulk_insert(kind.model, [planned[k] for k in sorted(planned)])
    for model, changed in plan.changed.items():
        rows = [changed[pk] for pk in sorted(changed)]
        fields = sorted(set().union(*(f for _, f in rows)) | {"updated_at"})
        bulk_update(model, [instance for instance, _ in rows], fields)
    # A renamed customer: its locations carry its family key and normalized name too.
    renamed = [
        pk
        for pk, (_, f) in plan.changed.get(Customer, {}).items()
        if any(key in f for key in CUSTOMER_KEYS_COPIED)
    ]
    locations_customer_keys_sync(tenant_id=batch.tenant.pk, customer_ids=renamed)
    references_write(
        tenant=batch.tenant,
        source_system=batch.policy.source_system,
        records=plan.new_references,
        origin=ReferenceOrigin.IMPORT,
    )


def references_write(
    *,
    tenant: Tenant | int,
    source_system: str,
    records: dict[tuple[str, str], Any],
    origin: str,
    created_by=None,
) -> None:
    """Store references (external type, external ID) → saved record, in key order, in one
    query."""
    rows = []
    for external_type, external_id in sorted(records):
        record = records[(external_type, external_id)]
        if record.pk is None:
            raise ValueError(f"The {external_type} record of {external_id!r} is not saved yet.")
        field = RECORD_FIELD_BY_TYPE[ExternalType(external_type)]
        rows.append(
            {
                "tenant_id": getattr(tenant, "pk", tenant),
                "source_system": source_system,
                "external_type": external_type,
                "external_id": external_id,
                "origin": origin,
                "created_by_id": getattr(created_by, "pk", created_by),
                f"{field}_id": record.pk,
            }
        )
    insert_rows(ExternalReference, rows)
