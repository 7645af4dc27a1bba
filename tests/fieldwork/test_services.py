"""Visit reports and billing documents: what their services accept, and the one event each
publishes in its own transaction."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from fieldwork.models import BillingDocument, VisitReport
from fieldwork.services import BillingNumberTaken, billing_document_create, visit_report_submit
from ordinavo.events import EventType, domain_events
from tests.factories import IntegrationClientFactory, TargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    calls = []

    def receive(sender, *, events, **kwargs):
        calls.append(list(events))

    domain_events.connect(receive, dispatch_uid="tests.fieldwork.published")
    yield calls
    domain_events.disconnect(dispatch_uid="tests.fieldwork.published")


@pytest.fixture
def target():
    return TargetFactory()


def _event_tuples(published):
    return [
        [(e.type, e.tenant_id, e.client_id, e.target_id, e.subject_id) for e in call]
        for call in published
    ]


# --- visit reports -------------------------------------------------------------------------------


def test_a_visit_report_is_stored_in_the_targets_tenant_and_published(target, published):
    submitted = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC)

    report = visit_report_submit(
        target=target, outcome="Completed", summary="Done.", submitted_at=submitted
    )

    report.refresh_from_db()
    assert (report.tenant_id, report.target, report.outcome, report.summary) == (
        target.tenant_id,
        target,
        "Completed",
        "Done.",
    )
    assert report.submitted_at == submitted
    assert _event_tuples(published) == [
        [
            (
                EventType.VISIT_REPORT_SUBMITTED,
                target.tenant_id,
                target.client_id,
                target.pk,
                report.pk,
            )
        ]
    ]


def test_a_visit_report_without_a_time_is_submitted_now(target):
    before = dt.datetime.now(dt.UTC)

    report = visit_report_submit(target=target, outcome="NotCompleted")

    assert before <= report.submitted_at <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "Great"}, "outcome"),
        ({"outcome": "Completed", "summary": "x" * 4001}, "summary"),
        ({"outcome": "Completed", "submitted_at": dt.datetime(2026, 7, 1, 9, 30)}, "submitted_at"),  # noqa: DTZ001 (naive on purpose)
    ],
)
def test_an_invalid_visit_report_is_refused_naming_the_field(target, published, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        visit_report_submit(target=target, **kwargs)

    assert field in refused.value.message_dict
    assert not VisitReport.objects.exists()
    assert published == []


def test_an_unsaved_target_is_refused(published):
    with pytest.raises(ValidationError):
        visit_report_submit(target=TargetFactory.build(), outcome="Completed")
    assert published == []


# --- billing documents ---------------------------------------------------------------------------


def test_a_billing_document_is_stored_with_its_lines_and_published(target, published):
    document = billing_document_create(
        target=target,
        number="R-2026-0001",
        currency="EUR",
        amount=Decimal("129.90"),
        lines=[
            {"description": "Labour", "quantity": "1.5", "amount": "120.00"},
            {"description": " Filter ", "unitPrice": 9, "amount": Decimal("9.90")},
        ],
    )

    document.refresh_from_db()
    assert (document.tenant_id, document.number, document.currency, document.amount) == (
        target.tenant_id,
        "R-2026-0001",
        "EUR",
        Decimal("129.90"),
    )
    assert document.lines == [
        {"description": "Labour", "quantity": "1.5", "amount": "120.00"},
        {"description": "Filter", "unitPrice": "9", "amount": "9.90"},
    ]
    assert _event_tuples(published) == [
        [
            (
                EventType.BILLING_CREATED,
                target.tenant_id,
                target.client_id,
                target.pk,
                document.pk,
            )
        ]
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"number": ""}, "number"),
        ({"number": "N" * 65}, "number"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"amount": Decimal("-1.00")}, "amount"),
        ({"amount": Decimal("1.005")}, "amount"),
        ({"amount": 1.5}, "amount"),  # a float is not money
        ({"amount": "ten"}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        ({"amount": Decimal("1" * 13)}, "amount"),  # beyond 14 digits with the cents
        ({"lines": [{"description": "A", "amount": "2.00"}]}, "lines"),  # do not add up
        ({"lines": [{"amount": "10.00"}]}, "lines"),  # no description
        ({"lines": [{"description": "A", "amount": "10.00", "vat": "19"}]}, "lines"),
        ({"lines": ["10.00"]}, "lines"),
        ({"lines": [{"description": "A", "amount": 10.0}]}, "lines"),  # a float
        ({"lines": {"description": "A"}}, "lines"),
    ],
)
def test_an_invalid_billing_document_is_refused_naming_the_field(target, published, kwargs, field):
    values = {"number": "R-1", "currency": "EUR", "amount": Decimal("10.00"), **kwargs}

    with pytest.raises(ValidationError) as refused:
        billing_document_create(target=target, **values)

    assert field in refused.value.message_dict
    assert not BillingDocument.objects.exists()
    assert published == []


def test_a_taken_number_is_refused_clearly_and_another_tenant_may_use_it(target, published):
    billing_document_create(target=target, number="R-1", currency="EUR", amount=Decimal("1.00"))
    published.clear()

    with pytest.raises(BillingNumberTaken) as refused:
        billing_document_create(target=target, number="R-1", currency="EUR", amount=Decimal("2"))

    assert (
        "already has a billing document numbered 'R-1'" in refused.value.message_dict["number"][0]
    )
    assert published == []  # the failed insert published nothing (its savepoint rolled back)
    with transaction.atomic():  # the connection is usable: the failure was contained
        assert BillingDocument.objects.count() == 1
    other = TargetFactory(client=IntegrationClientFactory())
    billing_document_create(target=other, number="R-1", currency="EUR", amount=Decimal("1.00"))
    assert BillingDocument.objects.count() == 2
