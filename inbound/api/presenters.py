"""JSON shapes of API responses, built from models (the seed's field names, exactly)."""

from typing import Any

from inbound.choices import ImportJobKind, ImportJobStatus
from inbound.models import ImportItem, ImportJob, Target

ID_FIELDS = (
    ("customerId", "customer_id"),
    ("customerLocationId", "location_id"),
    ("customerContactId", "contact_id"),
)


# What only a key with customers.read sees of a `customerMapping`.
READ_SCOPED_MAPPING_KEYS = frozenset({key for key, _ in ID_FIELDS} | {"details"})


def customer_mapping_data(
    *, status: str, warnings: list[str], decisions: dict[str, Any], source, can_read: bool
) -> dict[str, Any]:
    """`customerMapping`: status and warnings always; IDs and details only with customers.read."""
    data: dict[str, Any] = {"status": status}
    for key, attribute in ID_FIELDS:
        data[key] = getattr(source, attribute)
    data["warnings"] = list(warnings)
    data["details"] = _public_details(decisions)
    return customer_mapping_visible(data, can_read=can_read)


def customer_mapping_visible(data: dict[str, Any], *, can_read: bool) -> dict[str, Any]:
    """A complete `customerMapping` as a key sees it: without IDs and details unless it may
    read customers. The one place that decides it, for fresh and stored answers alike."""
    if can_read:
        return data
    return {key: value for key, value in data.items() if key not in READ_SCOPED_MAPPING_KEYS}


# Decision keys an API client never sees: the user name of the dispatcher who linked a record
# (items reviewed before it was left out of decisions still store it; the admin audit keeps it).
PRIVATE_DECISION_KEYS = frozenset({"reviewedBy"})


def _public_details(decisions: dict[str, Any]) -> dict[str, Any]:
    if not any(
        isinstance(decision, dict) and not PRIVATE_DECISION_KEYS.isdisjoint(decision)
        for decision in decisions.values()
    ):
        return decisions
    return {
        record: {k: v for k, v in decision.items() if k not in PRIVATE_DECISION_KEYS}
        if isinstance(decision, dict)
        else decision
        for record, decision in decisions.items()
    }


def import_item_data(item: ImportItem, *, can_read: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "externalId": item.external_id or None,
        "status": item.import_status,
        "targetId": item.target_id,
        "customerMapping": customer_mapping_data(
            status=item.mapping_status,
            warnings=item.warnings,
            decisions=item.decisions,
            source=item,
            can_read=can_read,
        ),
    }
    if item.errors:
        data["errors"] = item.errors
    return data


def import_answer(job: ImportJob, items: list[ImportItem]) -> dict[str, Any]:
    """The answer to an import, complete (as a key with customers.read sees it): what an
    Idempotency-Key stores. Shown to a key through `import_answer_visible`."""
    return {
        "importJobId": job.pk,
        "status": ImportJobStatus.ACCEPTED.value,
        "items": [import_item_data(item, can_read=True) for item in items],
    }


def import_answer_visible(answer: dict[str, Any], *, can_read: bool) -> dict[str, Any]:
    """A complete import answer, fresh or replayed, as the asking key may see it."""
    if can_read:
        return answer
    return {
        **answer,
        "items": [
            {
                **item,
                "customerMapping": customer_mapping_visible(
                    item["customerMapping"], can_read=False
                ),
            }
            for item in answer["items"]
        ],
    }


def import_job_data(
    job: ImportJob,
    *,
    summary: dict[str, Any],
    items: list[ImportItem] | None = None,
    can_read: bool = False,
) -> dict[str, Any]:
    data = {
        "importJobId": job.pk,
        "status": job.status,
        "kind": job.kind,
        "createdAt": job.created_at,
        "startedAt": job.started_at,
        "finishedAt": job.finished_at,
        "itemCount": job.item_count,
        "progress": import_job_progress(job),
        "summary": summary,
    }
    if items is not None:
        data["items"] = [import_item_data(item, can_read=can_read) for item in items]
    return data


def import_job_progress(job: ImportJob) -> dict[str, int]:
    # Single and batch jobs are written complete (those imported before the counter was kept
    # hold 0 in it).
    processed = job.processed_count if job.kind == ImportJobKind.ASYNC else job.item_count
    return {"processed": processed, "total": job.item_count}


def target_data(target: Target, *, item: ImportItem | None, can_read: bool) -> dict[str, Any]:
    return {
        "externalId": target.external_id,
        "targetId": target.pk,
        "title": target.title,
        "description": target.description,
        "planning": {
            "priority": target.priority or None,
            "estimatedWorkMinutes": target.estimated_work_minutes,
            "dueDate": target.due_date,
            "preferredTimeWindowStart": target.preferred_time_window_start,
            "preferredTimeWindowEnd": target.preferred_time_window_end,
        },
        "customFields": target.custom_fields,
        "customerMapping": customer_mapping_data(
            status=item.mapping_status if item else "NotApplicable",
            warnings=item.warnings if item else [],
            decisions=item.decisions if item else {},
            source=target,
            can_read=can_read,
        ),
        "createdAt": target.created_at,
        "updatedAt": target.updated_at,
    }
