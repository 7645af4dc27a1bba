"""Merging duplicate customers: one survivor keeps the chosen field values and takes over the
duplicates' locations, contacts, targets, import items and external references (so later
imports of a duplicate's external ID map to the survivor); the duplicates are deleted. One
transaction, tenant-checked, an audit entry (CustomerMerge) with before and after, and an undo
that puts every moved row back and brings the duplicates back under their ids.

It lives in review, above inbound: it moves targets and import items, which mapping and
customers below may not know."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Contact, Customer, Location
from customers.services import customer_create, customer_update, locations_customer_keys_sync
from inbound.models import ImportItem, Target
from mapping.fields import CUSTOMER_FIELDS
from mapping.models import ExternalReference
from ordinavo.events import DomainEvent, EventType, publish

from .models import CustomerMerge


class MergeError(Exception):
    """A merge that cannot be carried out; the message is meant for the dispatcher."""


def _fields(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in CUSTOMER_FIELDS}


def _publish_context_changes(targets: list[tuple[int, int]], tenant_id: int) -> None:
    publish(
        [
            DomainEvent(
                type=EventType.TARGET_CUSTOMER_CONTEXT_CHANGED,
                tenant_id=tenant_id,
                client_id=client_id,
                target_id=target_id,
            )
            for target_id, client_id in targets
        ]
    )


def customer_merge(
    *,
    tenant_id: int,
    survivor: Customer,
    duplicates: list[Customer],
    values: dict[str, Any] | None = None,
    user,
) -> CustomerMerge:
    """Merge `duplicates` into `survivor` (all of tenant `tenant_id`); `values` are the field
    values the survivor keeps (customer fields only; the survivor's own where not given)."""
    values = values or {}
    unknown = set(values) - set(CUSTOMER_FIELDS)
    if unknown:
        raise MergeError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    ids = {d.pk for d in duplicates}
    if not ids:
        raise MergeError(_("Choose at least one duplicate to merge into the surviving customer."))
    if survivor.pk in ids:
        raise MergeError(_("The surviving customer cannot be merged into itself."))
    with transaction.atomic():
        customers = Customer.objects.for_tenant(tenant_id).select_for_update()
        locked = customers.in_bulk([survivor.pk, *ids])
        if len(locked) != len(ids) + 1:
            raise MergeError(_("Every customer of a merge must belong to this tenant."))
        survivor = locked[survivor.pk]
        merged = []
        moved_targets: list[tuple[int, int]] = []
        for pk in sorted(ids):
            duplicate = locked[pk]
            targets = list(
                Target.objects.for_tenant(tenant_id)
                .filter(customer_id=pk)
                .values_list("id", "client_id")
            )
            moved_targets += targets
            merged.append(
                {
                    "id": pk,
                    "fields": _fields(duplicate),
                    "createdAt": duplicate.created_at.isoformat(),
                    "locations": _ids(Location, tenant_id, customer_id=pk),
                    "contacts": _ids(Contact, tenant_id, customer_id=pk),
                    "targets": [target_id for target_id, _client in targets],
                    "items": _ids(ImportItem, tenant_id, customer_id=pk),
                    "references": _ids(ExternalReference, tenant_id, customer_id=pk),
                }
            )
        before = {"survivor": {"id": survivor.pk, **_fields(survivor)}, "merged": merged}
        for model in (Location, Contact, Target, ImportItem, ExternalReference):
            model.objects.for_tenant(tenant_id).filter(customer_id__in=ids).update(
                customer_id=survivor.pk
            )
        locations_customer_keys_sync(tenant_id=tenant_id, customer_ids=[survivor.pk])
        # Deleted before the survivor takes their values: a customer number moves with them.
        Customer.objects.for_tenant(tenant_id).filter(pk__in=ids).delete()
        changed = [name for name, value in values.items() if getattr(survivor, name) != value]
        for name in changed:
            setattr(survivor, name, values[name])
        if changed:
            customer_update(customer=survivor, fields=changed)
        _publish_context_changes(moved_targets, tenant_id)
        return CustomerMerge.objects.create(
            tenant_id=tenant_id,
            survivor=survivor,
            user=user,
            before=before,
            after={"survivor": {"id": survivor.pk, **_fields(survivor)}},
        )


def _ids(model, tenant_id: int, **lookup) -> list[int]:
    return list(model.objects.for_tenant(tenant_id).filter(**lookup).values_list("id", flat=True))


def customer_merge_undo(*, merge: CustomerMerge, user) -> CustomerMerge:
    """Bring the merged duplicates back under their ids with their fields, move back what the
    merge moved (what was added to the survivor since stays there), and restore the survivor's
    field values."""
    with transaction.atomic():
        merge = (
            CustomerMerge.objects.for_tenant(merge.tenant_id).select_for_update().get(pk=merge.pk)
        )
        if merge.undone:
            raise MergeError(_("This merge was undone already."))
        tenant_id = merge.tenant_id
        survivor = (
            Customer.objects.for_tenant(tenant_id)
            .select_for_update()
            .filter(pk=merge.before["survivor"]["id"])
            .first()
        )
        if survivor is None:
            raise MergeError(
                "The surviving customer was deleted since; the merge cannot be undone."
            )
        old = merge.before["survivor"]
        changed = [name for name in CUSTOMER_FIELDS if getattr(survivor, name) != old[name]]
        for name in changed:
            setattr(survivor, name, old[name])
        if changed:
            customer_update(customer=survivor, fields=changed)
        moved_targets: list[int] = []
        for duplicate in merge.before["merged"]:
            pk = duplicate["id"]
            customer_create(customer=Customer(pk=pk, tenant_id=tenant_id, **duplicate["fields"]))
            Customer.objects.for_tenant(tenant_id).filter(pk=pk).update(
                created_at=duplicate["createdAt"]
            )
            for model, key in (
                (Location, "locations"),
                (Contact, "contacts"),
                (Target, "targets"),
                (ImportItem, "items"),
                (ExternalReference, "references"),
            ):
                # Only rows still at the survivor: one moved on since stays where it is now.
                model.objects.for_tenant(tenant_id).filter(
                    pk__in=duplicate[key], customer_id=survivor.pk
                ).update(customer_id=pk)
            moved_targets += duplicate["targets"]
        locations_customer_keys_sync(
            tenant_id=tenant_id, customer_ids=[d["id"] for d in merge.before["merged"]]
        )
        targets = list(
            Target.objects.for_tenant(tenant_id)
            .filter(pk__in=moved_targets)
            .values_list("id", "client_id")
        )
        _publish_context_changes(targets, tenant_id)
        merge.undone = True
        merge.undone_by = user
        merge.save(update_fields=["undone", "undone_by"])
        return merge
