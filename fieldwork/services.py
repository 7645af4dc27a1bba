"""Writes of visit reports and billing documents; each publishes its domain event.
(Built by the outbox work of issue #14.)"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from inbound.models import Target

from .models import BillingDocument, VisitReport


def visit_report_submit(
    *, target: Target, outcome: str, summary: str = "", submitted_at: datetime | None = None
) -> VisitReport:
    raise NotImplementedError


def billing_document_create(
    *,
    target: Target,
    number: str,
    currency: str,
    amount: Decimal,
    lines: list[dict[str, Any]] | None = None,
) -> BillingDocument:
    raise NotImplementedError
