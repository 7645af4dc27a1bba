"""Event payloads (`data`, SPEC §7): built in bulk when the events are recorded, with every
detail, and shaped per endpoint (its payload options) when sent (`endpoint_view`).

Keys are camelCase and values JSON-safe (date-times in ISO 8601, amounts as decimal strings), so
the stored payload is what is sent. A part of the customer context that is not linked is null;
external IDs are the ones the event's client's own source system knows the records by (null
when it has none), never another system's.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fieldwork.models import BillingDocument, VisitReport
from inbound.models import ImportJob
from inbound.selectors import import_job_summaries
from ordinavo.events import DomainEvent, EventType

from .models import WebhookEndpoint
from .selectors import (
    TargetContext,
    billing_documents_by_id,
    import_jobs_by_id,
    target_contexts,
    visit_reports_by_id,
)

_NO_OFFSET = timedelta(0)
# Characters of a visit report's summary sent as `summaryPreview` (where the endpoint enables
# it); a longer summary is cut at a word and ends with "…".
SUMMARY_PREVIEW_LENGTH = 200
# What an endpoint without contact details still gets of a contact.
CONTACT_IDENTIFIERS = ("id", "externalId")
# What an endpoint without billing details still gets of a billing document (only when the option
# was switched off after the event was recorded: recording already leaves such endpoints out).
BILLING_IDENTIFIERS = ("id", "number")


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601 as the API writes it: date-times in UTC with `Z`."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.utcoffset() != _NO_OFFSET:  # those read from the database are in UTC
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def _text(value: str | None) -> str | None:
    return value or None


# --- parts ---------------------------------------------------------------------------------------


def target_data(context: TargetContext) -> dict[str, Any]:
    return {
        "id": context.target_id,
        "externalId": context.external_id,
        "title": context.title,
        "description": _text(context.description),
        "planning": {
            "priority": _text(context.priority),
            "estimatedWorkMinutes": context.estimated_work_minutes,
            "dueDate": iso(context.due_date),
            "preferredTimeWindowStart": iso(context.preferred_time_window_start),
            "preferredTimeWindowEnd": iso(context.preferred_time_window_end),
        },
    }


def customer_context_data(context: TargetContext) -> dict[str, Any]:
    """`customerContext`: customer, location and contact, each null when not linked."""
    c = context
    customer = location = contact = None
    if c.customer_id is not None:
        customer = {
            "id": c.customer_id,
            "externalId": c.customer_external_id,
            "customerNumber": c.customer_number,
            "name": c.customer_name,
            "type": _text(c.customer_type),
        }
    if c.location_id is not None:
        location = {
            "id": c.location_id,
            "externalId": c.location_external_id,
            "name": _text(c.location_name),
            "street": _text(c.street),
            "postalCode": _text(c.postal_code),
            "city": _text(c.city),
            "region": _text(c.region),
            "country": _text(c.country),
            "latitude": c.latitude,
            "longitude": c.longitude,
        }
    if c.contact_id is not None:
        full_name = " ".join(part for part in (c.first_name, c.last_name) if part)
        contact = {
            "id": c.contact_id,
            "externalId": c.contact_external_id,
            "displayName": c.display_name or full_name or None,
            "role": _text(c.role),
            "email": _text(c.email),
            "phone": _text(c.phone),
            "mobile": _text(c.mobile),
            "preferredContactMethod": _text(c.preferred_contact_method),
        }
    return {"customer": customer, "location": location, "contact": contact}


def summary_preview(summary: str) -> str | None:
    if len(summary) <= SUMMARY_PREVIEW_LENGTH:
        return summary or None
    cut = summary[: SUMMARY_PREVIEW_LENGTH - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def visit_report_data(report: VisitReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "submittedAt": iso(report.submitted_at),
        "outcome": report.outcome,
        "summaryPreview": summary_preview(report.summary),
    }


def billing_document_data(document: BillingDocument) -> dict[str, Any]:
    return {
        "id": document.pk,
        "number": document.number,
        "currency": document.currency,
        "amount": str(document.amount),
        "lines": document.lines,
    }


def import_job_data(job: ImportJob, *, summary: dict[str, Any]) -> dict[str, Any]:
    """`data` of import_job.completed (sent by the asynchronous import when a job ends)."""
    return {
        "importJob": {
            "id": job.pk,
            "status": job.status,
            "itemCount": job.item_count,
            "summary": summary,
        }
    }


def webhook_test_data(*, endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "message": "A test event from Ordinavo Connect: this endpoint receives its events.",
        "endpointId": endpoint.pk,
    }


# --- in bulk -------------------------------------------------------------------------------------


def payloads_build(
    *,
    events: Sequence[DomainEvent],
    sequences: Sequence[int | None],
    source_systems: dict[int, str],
) -> list[dict[str, Any] | None]:
    """The `data` of each event (in order): `sequences` per event (None for events not about a
    target), `source_systems` by client id (whose external IDs the payload names). A fixed
    number of queries for any number of events: one per kind of record reported on. An event
    whose record no longer exists (deleted in the same transaction) gets None."""
    wanted_targets = {
        event.target_id: (event.tenant_id, event.target_id, source_systems[event.client_id])
        for event in events
        if event.target_id is not None
    }
    contexts = target_contexts(wanted=wanted_targets.values())

    def subjects(event_type: str) -> set[tuple[int, int]]:
        return {
            (e.tenant_id, e.subject_id)
            for e in events
            if e.type == event_type and e.subject_id is not None
        }

    reports = visit_reports_by_id(wanted=subjects(EventType.VISIT_REPORT_SUBMITTED))
    documents = billing_documents_by_id(wanted=subjects(EventType.BILLING_CREATED))
    jobs = import_jobs_by_id(wanted=subjects(EventType.IMPORT_JOB_COMPLETED))
    summaries = _summaries(jobs.values())

    payloads: list[dict[str, Any] | None] = []
    for event, sequence in zip(events, sequences, strict=True):
        data: dict[str, Any] | None = None
        if event.type == EventType.IMPORT_JOB_COMPLETED:
            job = jobs.get(event.subject_id)
            data = job and import_job_data(job, summary=summaries[job.pk])
        elif (context := contexts.get(event.target_id)) is not None:
            data = {}
            if event.type == EventType.VISIT_REPORT_SUBMITTED:
                report = reports.get(event.subject_id)
                data = report and {"visitReport": visit_report_data(report)}
            elif event.type == EventType.BILLING_CREATED:
                document = documents.get(event.subject_id)
                data = document and {"billingDocument": billing_document_data(document)}
            if data is not None:
                data["target"] = target_data(context)
                data["customerContext"] = customer_context_data(context)
                data["sequence"] = sequence
        payloads.append(data)
    return payloads


def _summaries(jobs) -> dict[int, dict[str, Any]]:
    by_tenant: dict[int, list[ImportJob]] = {}
    for job in jobs:
        by_tenant.setdefault(job.tenant_id, []).append(job)
    summaries: dict[int, dict[str, Any]] = {}
    for tenant_jobs in by_tenant.values():
        summaries.update(import_job_summaries(jobs=tenant_jobs))
    return summaries


# --- per endpoint --------------------------------------------------------------------------------


def endpoint_view(data: dict[str, Any], *, event_type: str, endpoint: WebhookEndpoint) -> dict:
    """The event's `data` as `endpoint` may receive it (its payload options applied); the stored
    `data` is left as it is.

    - contact details off: the contact holds only `id` and `externalId`;
    - summary previews off (the default): a visit report has no `summaryPreview` key;
    - billing details off: a billing document holds only `id` and `number` (recording leaves
      such endpoints out of billing.created; this covers an option switched off since).
    """
    view = dict(data)
    context = view.get("customerContext")
    if context and context.get("contact") and not endpoint.include_contact_details:
        contact = context["contact"]
        view["customerContext"] = {
            **context,
            "contact": {key: contact.get(key) for key in CONTACT_IDENTIFIERS},
        }
    report = view.get("visitReport")
    if report is not None and not endpoint.include_summary_preview:
        view["visitReport"] = {k: v for k, v in report.items() if k != "summaryPreview"}
    document = view.get("billingDocument")
    if document is not None and not endpoint.include_billing_details:
        view["billingDocument"] = {key: document.get(key) for key in BILLING_IDENTIFIERS}
    return view
