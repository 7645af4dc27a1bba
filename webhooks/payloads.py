"""Event payloads (`data`, SPEC §7): built in bulk when the events are recorded, with every
detail (a target and its customer context by PostgreSQL, in the statement that records them:
`target_json_sql`, `customer_context_json_sql`), and shaped per endpoint (its payload options)
when sent (`endpoint_view`).

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
from .selectors import billing_documents_by_id, import_jobs_by_id, visit_reports_by_id

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


def _iso_sql(value: str) -> str:
    """`iso` in SQL, for a timestamptz: UTC, microseconds only when there are any, `Z`."""
    return (
        f"to_char({value} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"extract(microseconds FROM {value})::bigint %% 1000000 <> 0 "
        f"THEN to_char({value} AT TIME ZONE 'UTC', '.US') ELSE '' END || 'Z'"
    )


def _text_sql(value: str) -> str:
    return f"NULLIF({value}, '')"


def target_json_sql(x: str) -> str:
    """`target` of a target event, from a row `x` of selectors.target_contexts_sql."""
    return (
        f"jsonb_build_object('id', {x}.target_id, 'externalId', {x}.external_id, "
        f"'title', {x}.title, 'description', {_text_sql(f'{x}.description')}, "
        f"'planning', jsonb_build_object('priority', {_text_sql(f'{x}.priority')}, "
        f"'estimatedWorkMinutes', {x}.estimated_work_minutes, 'dueDate', {x}.due_date, "
        f"'preferredTimeWindowStart', {_iso_sql(f'{x}.preferred_time_window_start')}, "
        f"'preferredTimeWindowEnd', {_iso_sql(f'{x}.preferred_time_window_end')}))"
    )


def customer_context_json_sql(x: str) -> str:
    """`customerContext`: customer, location and contact, each null when not linked; from a row
    `x` of selectors.target_contexts_sql."""
    customer = (
        f"jsonb_build_object('id', {x}.customer_id, 'externalId', {x}.customer_external_id, "
        f"'customerNumber', {x}.customer_number, 'name', {x}.customer_name, "
        f"'type', {_text_sql(f'{x}.customer_type')})"
    )
    location = (
        f"jsonb_build_object('id', {x}.location_id, 'externalId', {x}.location_external_id, "
        f"'name', {_text_sql(f'{x}.location_name')}, 'street', {_text_sql(f'{x}.street')}, "
        f"'postalCode', {_text_sql(f'{x}.postal_code')}, 'city', {_text_sql(f'{x}.city')}, "
        f"'region', {_text_sql(f'{x}.region')}, 'country', {_text_sql(f'{x}.country')}, "
        f"'latitude', {x}.latitude, 'longitude', {x}.longitude)"
    )
    full_name = (
        f"NULLIF(concat_ws(' ', {_text_sql(f'{x}.first_name')}, {_text_sql(f'{x}.last_name')}), '')"
    )
    contact = (
        f"jsonb_build_object('id', {x}.contact_id, 'externalId', {x}.contact_external_id, "
        f"'displayName', COALESCE({_text_sql(f'{x}.display_name')}, {full_name}), "
        f"'role', {_text_sql(f'{x}.role')}, 'email', {_text_sql(f'{x}.email')}, "
        f"'phone', {_text_sql(f'{x}.phone')}, 'mobile', {_text_sql(f'{x}.mobile')}, "
        f"'preferredContactMethod', {_text_sql(f'{x}.preferred_contact_method')})"
    )
    return (
        f"jsonb_build_object("
        f"'customer', CASE WHEN {x}.customer_id IS NULL THEN NULL ELSE {customer} END, "
        f"'location', CASE WHEN {x}.location_id IS NULL THEN NULL ELSE {location} END, "
        f"'contact', CASE WHEN {x}.contact_id IS NULL THEN NULL ELSE {contact} END)"
    )


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


def payload_extras(*, events: Sequence[DomainEvent]) -> list[dict[str, Any] | None]:
    """What each event's `data` holds besides its target, customer context and sequence (those
    are added where it is recorded, webhooks.outbox.record_sql): a visit report, a billing
    document or an import job; {} for the other events about a target. None for an event whose
    record no longer exists (deleted in the same transaction) or that is about nothing. A fixed
    number of queries for any number of events: one per kind of record reported on."""

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

    extras: list[dict[str, Any] | None] = []
    for event in events:
        extra: dict[str, Any] | None = None
        if event.type == EventType.IMPORT_JOB_COMPLETED:
            job = jobs.get(event.subject_id)
            extra = job and import_job_data(job, summary=summaries[job.pk])
        elif event.target_id is not None:
            extra = {}
            if event.type == EventType.VISIT_REPORT_SUBMITTED:
                report = reports.get(event.subject_id)
                extra = report and {"visitReport": visit_report_data(report)}
            elif event.type == EventType.BILLING_CREATED:
                document = documents.get(event.subject_id)
                extra = document and {"billingDocument": billing_document_data(document)}
        extras.append(extra)
    return extras


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
