"""Reads of the inbound app. A client only ever sees its own jobs and targets."""

from collections.abc import Collection, Iterable
from typing import Any

from django.db.models import F, QuerySet

from mapping.choices import MappingStatus
from ordinavo.db import column_count, fetch, instance_from_row
from tenants.models import Tenant

from .choices import ImportStatus, ReviewState
from .models import ApiKey, ImportItem, ImportJob, ImportJobTally, IntegrationClient, Target
from .sql import api_key_sql, targets_of_client_sql


def unrevoked_api_key_get(*, prefix: str) -> ApiKey | None:
    """The unrevoked key with this prefix (prefixes are unique), with its client and tenant.

    Every API request reads it: hand-written SQL, since compiling the ORM's three-table select
    cost more than a millisecond of CPU per request.
    """
    rows = fetch(api_key_sql(), [prefix])
    if not rows:
        return None
    (row,) = rows
    api_key = instance_from_row(ApiKey, row)
    client_start = column_count(ApiKey)
    api_key.client = client = instance_from_row(IntegrationClient, row, client_start)
    client.tenant = instance_from_row(Tenant, row, client_start + column_count(IntegrationClient))
    return api_key


def import_jobs_of_client(*, client: IntegrationClient) -> QuerySet[ImportJob]:
    return ImportJob.objects.for_tenant(client.tenant_id).filter(client=client)


def import_job_get(*, client: IntegrationClient, job_id: int) -> ImportJob | None:
    # Ordered by key, not the newest-first list order: with that order PostgreSQL may walk the
    # client's jobs newest first until it meets this id (9 ms at 15,000 jobs) instead of
    # looking the id up.
    return import_jobs_of_client(client=client).filter(pk=job_id).order_by("pk").first()


def import_items_of_job(*, job: ImportJob) -> QuerySet[ImportItem]:
    return ImportItem.objects.for_tenant(job.tenant_id).filter(job=job).order_by("position")


def import_job_summaries(*, jobs: Iterable[ImportJob]) -> dict[int, dict[str, Any]]:
    """Summary counts per job from its items' current state (its tallies: a handful of rows
    however many items), for many jobs in one query."""
    jobs = list(jobs)
    summaries = {
        job.pk: {
            "total": 0,
            "imported": 0,
            "updated": 0,
            "failed": 0,
            "mapping": dict.fromkeys(MappingStatus.values, 0),
            "needsReview": 0,
        }
        for job in jobs
    }
    if not jobs:
        return summaries
    rows = (
        ImportJobTally.objects.for_tenant(jobs[0].tenant_id)
        .filter(job__in=[job.pk for job in jobs], count__gt=0)
        .values("job_id", "import_status", "mapping_status", "review_state", n=F("count"))
    )
    import_keys = {
        ImportStatus.IMPORTED: "imported",
        ImportStatus.UPDATED: "updated",
        ImportStatus.FAILED: "failed",
    }
    for row in rows:
        summary = summaries[row["job_id"]]
        summary["total"] += row["n"]
        summary[import_keys[row["import_status"]]] += row["n"]
        summary["mapping"][row["mapping_status"]] += row["n"]
        if row["review_state"] == ReviewState.OPEN:
            summary["needsReview"] += row["n"]
    return summaries


def target_of_client_get(*, client: IntegrationClient, external_id: str) -> Target | None:
    """This client's target with this external ID (another client's is not found)."""
    return (
        Target.objects.for_tenant(client.tenant_id)
        .filter(client=client, external_id=external_id)
        .order_by()
        .first()
    )


def targets_of_client_by_external_id(
    *, client: IntegrationClient, external_ids: Collection[str]
) -> dict[str, Target]:
    """This client's targets with these external IDs, by external ID: one prepared statement
    for any number of IDs (every import reads them)."""
    if not external_ids:
        return {}
    rows = fetch(targets_of_client_sql(), [list(external_ids), client.tenant_id, client.pk])
    targets = [instance_from_row(Target, row) for row in rows]
    return {target.external_id: target for target in targets}


def latest_import_item_of_target(*, target) -> ImportItem | None:
    return (
        ImportItem.objects.for_tenant(target.tenant_id)
        .filter(target=target)
        .order_by("-created_at", "-id")
        .first()
    )
