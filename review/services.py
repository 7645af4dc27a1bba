"""Dispatcher decisions on import items: link, create new, dismiss, undo.

Each action runs in one transaction and does everything a decision means: it stores the external
references (origin Review, so later imports map by ID, ManualOnly included), attaches the
customer context to the target, updates the item's mapping status and decision, resolves every
other open item waiting on the same external record, writes an audit entry per item with the
state before and after, and publishes target.customer_context_changed for every target whose
customer, location or contact it changed (a dismiss changes none, so it publishes nothing).
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Contact, Customer, Location
from customers.services import contact_create, customer_create, location_create
from inbound.choices import ReviewState
from inbound.models import ImportItem, Target
from inbound.services import import_item_tally_move
from mapping.choices import ExternalType, MappingStatus, MatchMethod, RecordAction, ReferenceOrigin
from mapping.fields import CONTACT_FIELDS, CUSTOMER_FIELDS, LOCATION_FIELDS
from mapping.models import RECORD_FIELD_BY_TYPE, ExternalReference
from ordinavo.events import DomainEvent, EventType, publish

from .choices import ReviewAction
from .models import ReviewAuditEntry

RECORDS = (
    ("customer", ExternalType.CUSTOMER),
    ("location", ExternalType.LOCATION),
    ("contact", ExternalType.CONTACT),
)


class ReviewError(Exception):
    """A decision that cannot be carried out; the message is meant for the dispatcher."""


class _ContextChanges:
    """The customer context a decision gives targets: each target's as it was when first seen
    (loaded before this decision wrote it) and as last written, so that exactly the targets whose
    customer, location or contact changed are announced, once each, whatever the number of
    items of a target the decision touched."""

    def __init__(self) -> None:
        self._targets: dict[int, tuple[Target, tuple, tuple]] = {}

    def write(self, target: Target, *, customer_id, location_id, contact_id) -> None:
        if target.pk in self._targets:
            target, before, _ = self._targets[target.pk]
        else:
            before = (target.customer_id, target.location_id, target.contact_id)
        self._targets[target.pk] = (target, before, (customer_id, location_id, contact_id))
        Target.objects.for_tenant(target.tenant_id).filter(pk=target.pk).update(
            customer_id=customer_id, location_id=location_id, contact_id=contact_id
        )

    def publish(self) -> None:
        publish(
            [
                DomainEvent(
                    type=EventType.TARGET_CUSTOMER_CONTEXT_CHANGED,
                    tenant_id=target.tenant_id,
                    client_id=target.client_id,
                    target_id=target.pk,
                )
                for target, before, after in self._targets.values()
                if after != before
            ]
        )


def _snapshot(item: ImportItem) -> dict[str, Any]:
    target = item.target
    return {
        "reviewState": item.review_state,
        "mappingStatus": item.mapping_status,
        "warnings": list(item.warnings),
        "decisions": item.decisions,
        "customerId": item.customer_id,
        "locationId": item.location_id,
        "contactId": item.contact_id,
        "resolvedById": item.resolved_by_id,
        "resolvedAt": item.resolved_at.isoformat() if item.resolved_at else None,
        "target": None
        if target is None
        else {
            "customerId": target.customer_id,
            "locationId": target.location_id,
            "contactId": target.contact_id,
        },
    }


def _restore(item: ImportItem, snapshot: dict[str, Any], *, contexts: _ContextChanges) -> None:
    before = {"mappingStatus": item.mapping_status, "reviewState": item.review_state}
    item.review_state = snapshot["reviewState"]
    item.mapping_status = snapshot["mappingStatus"]
    item.warnings = snapshot["warnings"]
    item.decisions = snapshot["decisions"]
    item.customer_id = snapshot["customerId"]
    item.location_id = snapshot["locationId"]
    item.contact_id = snapshot["contactId"]
    item.resolved_by_id = snapshot["resolvedById"]
    item.resolved_at = snapshot["resolvedAt"]
    item.save()
    import_item_tally_move(
        item=item,
        mapping_status_before=before["mappingStatus"],
        review_state_before=before["reviewState"],
    )
    if item.target is not None and snapshot["target"] is not None:
        contexts.write(
            item.target,
            customer_id=snapshot["target"]["customerId"],
            location_id=snapshot["target"]["locationId"],
            contact_id=snapshot["target"]["contactId"],
        )


def _audit(
    item: ImportItem,
    *,
    action: str,
    user,
    before: dict[str, Any],
    caused_by: ReviewAuditEntry | None = None,
    after_extra: dict[str, Any] | None = None,
) -> ReviewAuditEntry:
    """The audit entry of one decision on one item: the state before it and after it."""
    return ReviewAuditEntry.objects.create(
        tenant_id=item.tenant_id,
        item=item,
        action=action,
        user=user,
        caused_by=caused_by,
        before=before,
        after={**_snapshot(item), **(after_extra or {})},
    )


def _locked_open_item(item: ImportItem) -> ImportItem:
    locked = (
        ImportItem.objects.for_tenant(item.tenant_id)
        .select_for_update(of=("self",))
        .select_related("job__client", "target")
        .get(pk=item.pk)
    )
    if locked.review_state != ReviewState.OPEN:
        raise ReviewError(_("This item was already resolved; reload to see who did what."))
    return locked


def _external_id(item: ImportItem, record: str) -> str | None:
    block = (item.payload or {}).get(record) or {}
    return block.get("external_id") or None


def _remember(*, item: ImportItem, user, records: dict[str, Any]) -> list[dict[str, Any]]:
    """Store (or repoint) the references of the item's external IDs to the chosen records;
    returns what changed, so an undo can put it back."""
    changes = []
    source_system = item.job.client.source_system
    for record, external_type in RECORDS:
        external_id = _external_id(item, record)
        instance = records.get(record)
        if not external_id or instance is None:
            continue
        field = RECORD_FIELD_BY_TYPE[external_type]
        reference = (
            ExternalReference.objects.of_source(item.tenant_id, source_system, external_type)
            .select_for_update(of=("self",))
            .filter(external_id=external_id)
            .first()
        )
        if reference is None:
            reference = ExternalReference.objects.create(
                tenant_id=item.tenant_id,
                source_system=source_system,
                external_type=external_type,
                external_id=external_id,
                origin=ReferenceOrigin.REVIEW,
                created_by=user,
                **{field: instance},
            )
            changes.append({"referenceId": reference.pk, "previous": None})
        elif getattr(reference, f"{field}_id") != instance.pk or (
            reference.origin == ReferenceOrigin.IMPORT
        ):
            changes.append(
                {
                    "referenceId": reference.pk,
                    "previous": {
                        "recordId": getattr(reference, f"{field}_id"),
                        "origin": reference.origin,
                        "createdById": reference.created_by_id,
                    },
                }
            )
            setattr(reference, field, instance)
            reference.origin = ReferenceOrigin.REVIEW
            reference.created_by = user
            reference.save(update_fields=[field, "origin", "created_by"])
    return changes


def _attach(
    item: ImportItem,
    *,
    user,
    records: dict[str, Any],
    method: str,
    now,
    contexts: _ContextChanges,
) -> None:
    mapping_status_before, review_state_before = item.mapping_status, item.review_state
    item.customer = records.get("customer")
    item.location = records.get("location")
    item.contact = records.get("contact")
    item.mapping_status = MappingStatus.MAPPED
    item.warnings = []
    decisions = dict(item.decisions or {})
    for record, _type in RECORDS:
        if records.get(record) is not None:
            decisions[record] = {
                "method": method,
                "action": RecordAction.MAPPED,
                "recordId": records[record].pk,
            }  # who decided is in the audit entry and `resolved_by`, never in API details
    item.decisions = decisions
    item.review_state = ReviewState.RESOLVED
    item.resolved_by = user
    item.resolved_at = now
    item.save()
    import_item_tally_move(
        item=item,
        mapping_status_before=mapping_status_before,
        review_state_before=review_state_before,
    )
    if item.target_id:
        contexts.write(
            item.target,
            customer_id=item.customer_id,
            location_id=item.location_id,
            contact_id=item.contact_id,
        )


def _waiting_on_the_same_record(item: ImportItem) -> list[ImportItem]:
    """Other open items of this tenant and source system with the same customer external ID
    (or, without a customer block, the same location or contact external ID)."""
    source_system = item.job.client.source_system
    items = (
        ImportItem.objects.for_tenant(item.tenant_id)
        .filter(review_state=ReviewState.OPEN, job__client__source_system=source_system)
        .exclude(pk=item.pk)
    )
    for record, _type in RECORDS:
        external_id = _external_id(item, record)
        if external_id:
            return list(
                # the inbound_open_{cust,loca,cont}_extid indexes serve exactly this filter
                items.filter(**{f"payload__{record}__external_id": external_id})
                .select_for_update(of=("self",))
                .select_related("job__client", "target")
            )
    return []


def _resolve(
    *,
    item: ImportItem,
    user,
    records: dict[str, Any],
    action: str,
    created: dict[str, int] | None = None,
) -> ReviewAuditEntry:
    now = timezone.now()
    method = MatchMethod.REVIEW
    contexts = _ContextChanges()
    before = _snapshot(item)
    references = _remember(item=item, user=user, records=records)
    _attach(item, user=user, records=records, method=method, now=now, contexts=contexts)
    entry = _audit(
        item,
        action=action,
        user=user,
        before=before,
        after_extra={"references": references, "created": created or {}},
    )
    for other in _waiting_on_the_same_record(item):
        # The same external record: the same customer; location and contact only where the
        # other item names the same ones.
        shared = {"customer": records["customer"]}
        for record in ("location", "contact"):
            if records.get(record) is not None and _external_id(other, record) == _external_id(
                item, record
            ):
                shared[record] = records[record]
        other_before = _snapshot(other)
        _attach(other, user=user, records=shared, method=method, now=now, contexts=contexts)
        _audit(
            other,
            action=action,
            user=user,
            before=other_before,
            caused_by=entry,
        )
    contexts.publish()
    return entry


def _check_same_tenant(item: ImportItem, records: dict[str, Any]) -> None:
    customer = records.get("customer")
    if customer is None:
        raise ReviewError(_("Choose a customer to link."))
    for record in records.values():
        if record is not None and record.tenant_id != item.tenant_id:
            raise ReviewError(_("That record belongs to another tenant."))
    for record in ("location", "contact"):
        if records.get(record) is not None and records[record].customer_id != customer.pk:
            raise ReviewError(
                _("The location belongs to another customer than the one chosen.")
                if record == "location"
                else _("The contact belongs to another customer than the one chosen.")
            )


def import_item_link(
    *,
    item: ImportItem,
    user,
    customer: Customer,
    location: Location | None = None,
    contact: Contact | None = None,
) -> ReviewAuditEntry:
    """Link the item (and every open item waiting on the same external record) to records."""
    records = {"customer": customer, "location": location, "contact": contact}
    _check_same_tenant(item, records)
    with transaction.atomic():
        item = _locked_open_item(item)
        return _resolve(item=item, user=user, records=records, action=ReviewAction.LINK)


def import_item_create(*, item: ImportItem, user) -> ReviewAuditEntry:
    """Create the customer (and the location and contact, when sent) from the incoming data."""
    payload = item.payload or {}
    incoming = payload.get("customer") or {}
    if not incoming.get("name"):
        raise ReviewError(
            _("The incoming customer has no name to create it with; link it instead.")
        )
    try:
        with transaction.atomic():
            item = _locked_open_item(item)
            customer = customer_create(
                customer=Customer(
                    tenant_id=item.tenant_id,
                    **{f: incoming[f] for f in CUSTOMER_FIELDS if f in incoming},
                )
            )
            records: dict[str, Any] = {"customer": customer}
            if payload.get("location"):
                sent = payload["location"]
                records["location"] = location_create(
                    location=Location(
                        tenant_id=item.tenant_id,
                        customer=customer,
                        **{f: sent[f] for f in LOCATION_FIELDS if f in sent},
                    )
                )
            if payload.get("contact"):
                sent = payload["contact"]
                records["contact"] = contact_create(
                    contact=Contact(
                        tenant_id=item.tenant_id,
                        customer=customer,
                        **{f: sent[f] for f in CONTACT_FIELDS if f in sent},
                    )
                )
            created = {name: record.pk for name, record in records.items()}
            return _resolve(
                item=item, user=user, records=records, action=ReviewAction.CREATE, created=created
            )
    except IntegrityError as exc:
        raise ReviewError(
            _("Another customer of this tenant has this customer number; link to it instead.")
        ) from exc


def import_item_dismiss(*, item: ImportItem, user) -> ReviewAuditEntry:
    """Keep the target without customer context; the item leaves the queue."""
    with transaction.atomic():
        item = _locked_open_item(item)
        before = _snapshot(item)
        item.review_state = ReviewState.DISMISSED
        item.resolved_by = user
        item.resolved_at = timezone.now()
        item.save(update_fields=["review_state", "resolved_by", "resolved_at"])
        import_item_tally_move(
            item=item,
            mapping_status_before=item.mapping_status,
            review_state_before=before["reviewState"],
        )
        return _audit(
            item,
            action=ReviewAction.DISMISS,
            user=user,
            before=before,
        )


def import_item_undo(*, item: ImportItem, user) -> ReviewAuditEntry:
    """Take back the last decision on this item (and on the items it resolved along): the item
    is open again, references and target context are as they were, records it created are
    deleted when nothing else uses them."""
    with transaction.atomic():
        entry = (
            ReviewAuditEntry.objects.for_tenant(item.tenant_id)
            .select_for_update(of=("self",))
            .filter(item=item, caused_by__isnull=True, undone=False)
            .exclude(action=ReviewAction.UNDO)
            .order_by("-created_at", "-id")
            .first()
        )
        if entry is None:
            raise ReviewError(_("There is no decision on this item to undo."))
        item = (
            ImportItem.objects.for_tenant(item.tenant_id)
            .select_for_update(of=("self",))
            .select_related("target")
            .get(pk=item.pk)
        )
        if item.review_state == ReviewState.OPEN:
            raise ReviewError(_("This item is open already."))
        current = _snapshot(item)
        contexts = _ContextChanges()
        for change in entry.after.get("references", []):
            reference = (
                ExternalReference.objects.for_tenant(item.tenant_id)
                .filter(pk=change["referenceId"])
                .first()
            )
            if reference is None:
                continue
            if change["previous"] is None:
                reference.delete()
            else:
                field = RECORD_FIELD_BY_TYPE[ExternalType(reference.external_type)]
                setattr(reference, f"{field}_id", change["previous"]["recordId"])
                reference.origin = change["previous"]["origin"]
                reference.created_by_id = change["previous"]["createdById"]
                reference.save()
        for propagated in entry.propagated.filter(undone=False).select_related("item__target"):
            _restore(propagated.item, propagated.before, contexts=contexts)
            propagated.undone = True
            propagated.save(update_fields=["undone"])
        _restore(item, entry.before, contexts=contexts)
        entry.undone = True
        entry.save(update_fields=["undone"])
        _delete_if_unused(entry.after.get("created", {}), tenant_id=item.tenant_id)
        contexts.publish()
        return _audit(
            item,
            action=ReviewAction.UNDO,
            user=user,
            before=current,
        )


def _delete_if_unused(created: dict[str, int], *, tenant_id: int) -> None:
    customer_id = created.get("customer")
    if not customer_id:
        return
    customer = Customer.objects.for_tenant(tenant_id).filter(pk=customer_id).first()
    if customer is None:
        return
    in_use = (
        Target.objects.for_tenant(tenant_id).filter(customer=customer).exists()
        or ImportItem.objects.for_tenant(tenant_id).filter(customer=customer).exists()
        or customer.external_references.exists()
    )
    if not in_use:
        customer.delete()


def _incoming_customer_key(item: ImportItem) -> tuple:
    """The incoming customer data items must share to be decided together (their external IDs
    may differ: each keeps its own reference)."""
    block = (item.payload or {}).get("customer") or {}
    return tuple(sorted((k, str(v)) for k, v in block.items() if k != "external_id"))


def import_items_decide_together(
    *, items: list[ImportItem], user, action: str, customer: Customer | None = None
) -> int:
    """Link, create or dismiss several open items that share the same incoming customer data, in
    one transaction, one audit entry each (a create creates one customer, from the first item,
    and links the others to it). Returns how many items this decided; items an earlier one
    resolved along (the same external record) count there."""
    if not items:
        raise ReviewError(_("Choose the items to decide together."))
    if len({_incoming_customer_key(item) for item in items}) > 1:
        raise ReviewError(
            _("Only items with the same incoming customer data can be decided together.")
        )
    decided = 0
    with transaction.atomic():
        for item in items:
            item.refresh_from_db(fields=["review_state"])
            if item.review_state != ReviewState.OPEN:
                continue  # resolved along with an earlier one of this batch
            if action == ReviewAction.CREATE and customer is None:
                customer = import_item_create(item=item, user=user).item.customer
            elif action == ReviewAction.DISMISS:
                import_item_dismiss(item=item, user=user)
            elif customer is not None:
                import_item_link(item=item, user=user, customer=customer)
            else:
                raise ReviewError(_("Choose a customer to link."))
            decided += 1
    return decided
