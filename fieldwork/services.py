"""Writes of visit reports and billing documents; each publishes its domain event in its own
transaction (`visit_report.submitted`, `billing.created`), so the webhooks outbox records it with
the record or not at all."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from inbound.models import Target
from ordinavo.events import DomainEvent, EventType, publish
from tenants.services import tenant_consistency_check

from .models import BillingDocument, VisitReport

BILLING_NUMBER_CONSTRAINT = "fieldwork_billing_unique_number_per_tenant"
SUMMARY_MAX_LENGTH = VisitReport._meta.get_field("summary").max_length
# A billing line: what it is, how many at what price, and its amount (decimal strings as sent).
LINE_KEYS = frozenset({"description", "quantity", "unitPrice", "amount"})


class BillingNumberTaken(ValidationError):
    """The tenant already has a billing document with this number (also when a concurrent
    request took it first)."""


def _published(*, event_type: str, target: Target, subject_id: int) -> None:
    publish(
        [
            DomainEvent(
                type=event_type,
                tenant_id=target.tenant_id,
                client_id=target.client_id,
                target_id=target.pk,
                subject_id=subject_id,
            )
        ]
    )


def _saved_target(target: Target) -> None:
    if target.pk is None:
        raise ValidationError({"target": "Save the target first."})


def visit_report_submit(
    *, target: Target, outcome: str, summary: str = "", submitted_at: datetime | None = None
) -> VisitReport:
    """Record a visit report of `target` (in the target's tenant) and publish
    visit_report.submitted. ValidationError (per field) for an unknown outcome, a summary over
    4,000 characters or a date-time without time zone."""
    _saved_target(target)
    if submitted_at is not None and timezone.is_naive(submitted_at):
        raise ValidationError({"submitted_at": "Give the time with its time zone."})
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise ValidationError(
            {"summary": f"At most {SUMMARY_MAX_LENGTH:,} characters ({len(summary):,} given)."}
        )
    report = VisitReport(
        tenant_id=target.tenant_id,
        target=target,
        outcome=outcome,
        summary=summary,
        submitted_at=submitted_at or timezone.now(),
    )
    report.full_clean()
    tenant_consistency_check(instance=report)
    with transaction.atomic():
        report.save()
        _published(event_type=EventType.VISIT_REPORT_SUBMITTED, target=target, subject_id=report.pk)
    return report


def _decimal(value: Any, *, field: str) -> Decimal:
    if isinstance(value, float):  # binary floats are not money
        raise ValidationError({field: "Give an amount as a decimal (string), not a float."})
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: f"{value!r} is not a decimal number."}) from exc
    if not amount.is_finite():
        raise ValidationError({field: "The amount must be a finite number."})
    return amount


def _lines_checked(lines: list[dict[str, Any]], *, amount: Decimal) -> list[dict[str, Any]]:
    """The lines as stored (their numbers as decimal strings); each needs a description and an
    amount, quantity and unitPrice are optional, and the amounts add up to the document's."""
    if not isinstance(lines, list):
        raise ValidationError({"lines": "A list of lines."})
    stored, total = [], Decimal("0")
    for n, line in enumerate(lines):
        if not isinstance(line, dict) or not line.keys() <= LINE_KEYS:
            raise ValidationError(
                {"lines": f"Line {n + 1}: an object with {', '.join(sorted(LINE_KEYS))}."}
            )
        if not str(line.get("description") or "").strip() or "amount" not in line:
            raise ValidationError({"lines": f"Line {n + 1} needs a description and an amount."})
        checked = {"description": str(line["description"]).strip()}
        for key in ("quantity", "unitPrice", "amount"):
            if line.get(key) is not None:
                checked[key] = str(_decimal(line[key], field="lines"))
        total += Decimal(checked["amount"])
        stored.append(checked)
    if stored and total != amount:
        raise ValidationError(
            {"lines": f"The lines add up to {total}, the document's amount is {amount}."}
        )
    return stored


def billing_document_create(
    *,
    target: Target,
    number: str,
    currency: str,
    amount: Decimal,
    lines: list[dict[str, Any]] | None = None,
) -> BillingDocument:
    """Record a billing document of `target` (in the target's tenant) and publish
    billing.created (delivered only where the tenant's billing and the endpoint allow it).

    ValidationError (per field) for an empty or too long number, a currency that is not an
    upper-case ISO 4217 code, an amount that is negative, not a decimal or has more than two
    decimal places, or lines that do not add up; `BillingNumberTaken` when the tenant already
    has a document with this number.
    """
    _saved_target(target)
    amount = _decimal(amount, field="amount")
    if amount < 0:
        raise ValidationError({"amount": "A billing document's amount is not negative."})
    document = BillingDocument(
        tenant_id=target.tenant_id,
        target=target,
        number=number.strip(),
        currency=currency,
        amount=amount,
        lines=_lines_checked(lines or [], amount=amount),
    )
    # The unique number is left to the database (below): a check here could race.
    document.full_clean(validate_constraints=False)
    tenant_consistency_check(instance=document)
    try:
        with transaction.atomic():
            document.save()
            _published(event_type=EventType.BILLING_CREATED, target=target, subject_id=document.pk)
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) == (
            BILLING_NUMBER_CONSTRAINT
        ):
            raise BillingNumberTaken(
                {"number": f"This tenant already has a billing document numbered {number!r}."}
            ) from exc
        raise
    return document
