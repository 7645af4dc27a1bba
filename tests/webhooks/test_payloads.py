"""Event payloads (`data`, SPEC §7): the CustomerContext with the endpoint's own external IDs,
target, visit report, billing and import job parts, and each payload option of an endpoint."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from fieldwork.services import billing_document_create, visit_report_submit
from inbound.models import ImportJob, IntegrationClient
from mapping.choices import ExternalType, ReferenceOrigin
from mapping.models import ExternalReference
from ordinavo.events import DomainEvent, EventType
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    IntegrationClientFactory,
    LocationFactory,
    TargetFactory,
)
from tests.webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookEvent
from webhooks.outbox import events_record
from webhooks.payloads import (
    SUMMARY_PREVIEW_LENGTH,
    endpoint_view,
    import_job_data,
    iso,
    summary_preview,
    webhook_test_data,
)

pytestmark = pytest.mark.django_db

WINDOW_START = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)


def _reference(record, source_system: str, external_id: str) -> None:
    external_type = {
        "Customer": ExternalType.CUSTOMER,
        "Location": ExternalType.LOCATION,
        "Contact": ExternalType.CONTACT,
    }[type(record).__name__]
    ExternalReference.objects.create(
        tenant_id=record.tenant_id,
        source_system=source_system,
        external_type=external_type,
        external_id=external_id,
        origin=ReferenceOrigin.IMPORT,
        **{external_type.value.lower(): record},
    )


@pytest.fixture
def linked():
    """A target of client "erp" linked to a customer, location and contact that both "erp" and
    another client's system "crm" know, each by its own IDs; an endpoint of the "erp" client."""
    client = IntegrationClientFactory(source_system="erp")
    tenant = client.tenant
    customer = CustomerFactory(
        tenant=tenant, name="Rhein-Ruhr Medical Supply GmbH", customer_number="RRM-001"
    )
    customer.type = "Business"
    customer.save()
    location = LocationFactory(
        customer=customer,
        name="Essen Center",
        street="Hachestrasse 12",
        postal_code="45127",
        city="Essen",
        region="North Rhine-Westphalia",
        country="DE",
        latitude=51.451,
        longitude=7.012,
    )
    contact = ContactFactory(
        customer=customer,
        first_name="Anna",
        last_name="Weber",
        display_name="Anna Weber",
        role="Operations Manager",
        email="anna.weber@example.com",
        phone="+49 201 123456",
        mobile="+49 170 1234567",
        preferred_contact_method="Phone",
    )
    IntegrationClientFactory(tenant=tenant, source_system="crm")
    for record, erp_id, crm_id in (
        (customer, "CUST-10042", "CRM-C-1"),
        (location, "LOC-ESSEN-01", "CRM-L-1"),
        (contact, "CONT-44", "CRM-K-1"),
    ):
        _reference(record, "crm", crm_id)  # older than the erp one: not picked for its age
        _reference(record, "erp", erp_id)
    _reference(customer, "erp", "CUST-10042-OLD-ALIAS")  # a second erp ID: the oldest wins
    target = TargetFactory(
        client=client,
        external_id="JOB-1",
        title="Maintenance visit",
        description="Check the refrigeration unit.",
        priority="High",
        estimated_work_minutes=45,
        due_date=dt.date(2026, 7, 1),
        preferred_time_window_start=WINDOW_START,
        preferred_time_window_end=WINDOW_START + dt.timedelta(hours=6),
        customer=customer,
        location=location,
        contact=contact,
    )
    endpoint = WebhookEndpointFactory(client=client)
    return target, endpoint


def _recorded_data(event_type: str, target, *, subject_id=None) -> dict:
    (event_id,) = events_record(
        events=[
            DomainEvent(
                event_type,
                target.tenant_id,
                target.client_id,
                target_id=target.pk,
                subject_id=subject_id,
            )
        ]
    )
    stored = WebhookEvent.objects.get(pk=event_id).payload
    assert json.loads(json.dumps(stored)) == stored  # JSON as it is
    return stored


def test_a_target_event_carries_target_sequence_and_the_clients_own_external_ids(linked):
    target, _ = linked
    customer, location, contact = target.customer, target.location, target.contact

    data = _recorded_data(EventType.TARGET_IMPORTED, target)

    assert data == {
        "target": {
            "id": target.pk,
            "externalId": "JOB-1",
            "title": "Maintenance visit",
            "description": "Check the refrigeration unit.",
            "planning": {
                "priority": "High",
                "estimatedWorkMinutes": 45,
                "dueDate": "2026-07-01",
                "preferredTimeWindowStart": "2026-07-01T08:00:00Z",
                "preferredTimeWindowEnd": "2026-07-01T14:00:00Z",
            },
        },
        "customerContext": {
            "customer": {
                "id": customer.pk,
                "externalId": "CUST-10042",
                "customerNumber": "RRM-001",
                "name": "Rhein-Ruhr Medical Supply GmbH",
                "type": "Business",
            },
            "location": {
                "id": location.pk,
                "externalId": "LOC-ESSEN-01",
                "name": "Essen Center",
                "street": "Hachestrasse 12",
                "postalCode": "45127",
                "city": "Essen",
                "region": "North Rhine-Westphalia",
                "country": "DE",
                "latitude": 51.451,
                "longitude": 7.012,
            },
            "contact": {
                "id": contact.pk,
                "externalId": "CONT-44",
                "displayName": "Anna Weber",
                "role": "Operations Manager",
                "email": "anna.weber@example.com",
                "phone": "+49 201 123456",
                "mobile": "+49 170 1234567",
                "preferredContactMethod": "Phone",
            },
        },
        "sequence": 1,
    }


def test_the_other_clients_system_gets_its_own_ids_and_none_where_it_knows_none(linked):
    target, _ = linked
    crm = IntegrationClient.objects.get(tenant=target.tenant, source_system="crm")
    WebhookEndpointFactory(client=crm)
    ExternalReference.objects.filter(source_system="crm", external_type="Contact").delete()
    crm_target = TargetFactory(
        client=crm, customer=target.customer, location=target.location, contact=target.contact
    )

    context = _recorded_data(EventType.TARGET_UPDATED, crm_target)["customerContext"]

    assert [context[part]["externalId"] for part in ("customer", "location", "contact")] == [
        "CRM-C-1",
        "CRM-L-1",
        None,
    ]


def test_parts_not_linked_are_null_and_blank_values_are_null():
    endpoint = WebhookEndpointFactory()
    customer = CustomerFactory(tenant=endpoint.tenant, customer_number=None)
    contact = ContactFactory(customer=customer, display_name="", first_name="Jo", last_name="Ek")
    with_customer = TargetFactory(client=endpoint.client, customer=customer, contact=contact)
    bare = TargetFactory(client=endpoint.client)

    linked_data = _recorded_data(EventType.TARGET_IMPORTED, with_customer)
    bare_data = _recorded_data(EventType.TARGET_IMPORTED, bare)

    context = linked_data["customerContext"]
    assert context["location"] is None
    assert context["customer"]["externalId"] is None  # no reference of the client's system
    assert (context["customer"]["customerNumber"], context["customer"]["type"]) == (None, None)
    assert context["contact"]["displayName"] == "Jo Ek"  # composed when none was given
    assert context["contact"]["role"] is None
    assert bare_data["customerContext"] == {"customer": None, "location": None, "contact": None}
    assert bare_data["target"]["description"] is None
    assert bare_data["target"]["planning"] == {
        "priority": None,
        "estimatedWorkMinutes": None,
        "dueDate": None,
        "preferredTimeWindowStart": None,
        "preferredTimeWindowEnd": None,
    }


def test_a_visit_report_event_carries_the_report_and_its_target(linked):
    target, _ = linked
    submitted = dt.datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)

    report = visit_report_submit(
        target=target, outcome="FollowUpRequired", summary="Pump replaced.", submitted_at=submitted
    )

    (event,) = WebhookEvent.objects.filter(type=EventType.VISIT_REPORT_SUBMITTED)
    assert event.payload["visitReport"] == {
        "id": report.pk,
        "submittedAt": "2026-07-01T09:30:15.123456Z",
        "outcome": "FollowUpRequired",
        "summaryPreview": "Pump replaced.",
    }
    assert event.payload["target"]["id"] == target.pk
    assert event.payload["customerContext"]["customer"]["externalId"] == "CUST-10042"
    assert event.payload["sequence"] == event.sequence == 1


def test_a_billing_event_carries_the_document_with_its_amount_as_a_decimal_string(linked):
    target, endpoint = linked
    tenant = target.tenant
    tenant.billing_enabled, tenant.billing_subscription = True, "PLAN-1"
    tenant.save()
    endpoint.include_billing_details = True
    endpoint.save()
    lines = [
        {"description": "Labour", "quantity": "1.5", "unitPrice": "80.00", "amount": "120.00"},
        {"description": "Filter", "amount": Decimal("9.90")},
    ]

    document = billing_document_create(
        target=target, number="R-2026-1", currency="EUR", amount=Decimal("129.90"), lines=lines
    )

    (event,) = WebhookEvent.objects.filter(type=EventType.BILLING_CREATED)
    assert event.payload["billingDocument"] == {
        "id": document.pk,
        "number": "R-2026-1",
        "currency": "EUR",
        "amount": "129.90",
        "lines": [
            {"description": "Labour", "quantity": "1.5", "unitPrice": "80.00", "amount": "120.00"},
            {"description": "Filter", "amount": "9.90"},
        ],
    }
    assert event.payload["target"]["externalId"] == "JOB-1"
    assert event.payload["customerContext"]["location"]["externalId"] == "LOC-ESSEN-01"


def test_import_job_completed_and_webhook_test_data():
    endpoint = WebhookEndpointFactory()
    job = ImportJob.objects.create(
        tenant=endpoint.tenant,
        client=endpoint.client,
        kind="Batch",
        status="CompletedWithErrors",
        item_count=3,
    )
    summary = {"total": 3, "imported": 2, "updated": 0, "failed": 1}

    assert import_job_data(job, summary=summary) == {
        "importJob": {
            "id": job.pk,
            "status": "CompletedWithErrors",
            "itemCount": 3,
            "summary": summary,
        }
    }
    (event_id,) = events_record(
        events=[
            DomainEvent(
                EventType.IMPORT_JOB_COMPLETED,
                job.tenant_id,
                job.client_id,
                subject_id=job.pk,
            )
        ]
    )
    event = WebhookEvent.objects.get(pk=event_id)
    assert event.sequence is None
    assert event.payload["importJob"]["summary"]["total"] == 0  # from its items: none here
    assert webhook_test_data(endpoint=endpoint) == {
        "message": "A test event from Ordinavo Connect: this endpoint receives its events.",
        "endpointId": endpoint.pk,
    }


@pytest.mark.parametrize("count", [1, 2])  # one target and many: two statements (outbox)
def test_recorded_times_are_written_as_iso_writes_them(count):
    client = IntegrationClientFactory()
    WebhookEndpointFactory(client=client)
    berlin = dt.timezone(dt.timedelta(hours=2))
    starts = [
        dt.datetime(2026, 7, 1, 10, 0, 0, 120000, tzinfo=berlin),
        dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    ][:count]
    targets = [
        TargetFactory(
            client=client,
            preferred_time_window_start=start,
            preferred_time_window_end=start + dt.timedelta(hours=1, microseconds=5),
            description="",
        )
        for start in starts
    ]

    event_ids = events_record(
        events=[
            DomainEvent(EventType.TARGET_UPDATED, t.tenant_id, t.client_id, target_id=t.pk)
            for t in targets
        ]
    )

    for event_id, target in zip(event_ids, targets, strict=True):
        data = WebhookEvent.objects.get(pk=event_id).payload
        planning = data["target"]["planning"]
        assert planning["preferredTimeWindowStart"] == iso(target.preferred_time_window_start)
        assert planning["preferredTimeWindowEnd"] == iso(target.preferred_time_window_end)
        assert data["target"]["description"] is None  # blank: null, as everywhere
        assert data["customerContext"] == {"customer": None, "location": None, "contact": None}
    assert iso(starts[0]) == "2026-07-01T08:00:00.120000Z"


def test_iso_writes_utc_with_z_and_dates_plainly():
    berlin = dt.timezone(dt.timedelta(hours=2))
    assert iso(dt.datetime(2026, 7, 1, 10, 0, tzinfo=berlin)) == "2026-07-01T08:00:00Z"
    assert iso(dt.date(2026, 7, 1)) == "2026-07-01"
    assert iso(None) is None


def test_a_long_summary_is_previewed_cut_at_a_word():
    summary = "word " * 100

    preview = summary_preview(summary)

    assert len(preview) <= SUMMARY_PREVIEW_LENGTH
    assert preview.endswith("word…")
    assert summary_preview("") is None


# --- payload options (endpoint_view) -------------------------------------------------------------


@pytest.fixture
def report_data(linked) -> dict:
    target, _ = linked
    visit_report_submit(target=target, outcome="Completed", summary="All fine.")
    return WebhookEvent.objects.get(type=EventType.VISIT_REPORT_SUBMITTED).payload


def test_by_default_an_endpoint_gets_contact_details_but_no_summary_preview(report_data):
    endpoint = WebhookEndpointFactory.build()

    view = endpoint_view(
        report_data, event_type=EventType.VISIT_REPORT_SUBMITTED, endpoint=endpoint
    )

    assert view["customerContext"]["contact"] == report_data["customerContext"]["contact"]
    assert "summaryPreview" not in view["visitReport"]
    assert report_data["visitReport"]["summaryPreview"] == "All fine."  # stored: untouched


def test_summary_previews_enabled_are_sent(report_data):
    endpoint = WebhookEndpointFactory.build(include_summary_preview=True)

    view = endpoint_view(
        report_data, event_type=EventType.VISIT_REPORT_SUBMITTED, endpoint=endpoint
    )

    assert view["visitReport"]["summaryPreview"] == "All fine."


def test_contact_details_disabled_leave_only_the_contacts_ids(report_data):
    endpoint = WebhookEndpointFactory.build(include_contact_details=False)
    contact = report_data["customerContext"]["contact"]

    view = endpoint_view(
        report_data, event_type=EventType.VISIT_REPORT_SUBMITTED, endpoint=endpoint
    )

    assert view["customerContext"]["contact"] == {
        "id": contact["id"],
        "externalId": "CONT-44",
    }
    assert view["customerContext"]["customer"] == report_data["customerContext"]["customer"]
    assert report_data["customerContext"]["contact"] == contact  # stored: untouched


def test_contact_details_disabled_keep_a_missing_contact_null():
    data = {"customerContext": {"customer": None, "location": None, "contact": None}}
    endpoint = WebhookEndpointFactory.build(include_contact_details=False)

    assert endpoint_view(data, event_type=EventType.TARGET_IMPORTED, endpoint=endpoint) == data


def test_billing_details_switched_off_after_recording_leave_only_id_and_number():
    data = {
        "billingDocument": {
            "id": 4,
            "number": "R-1",
            "currency": "EUR",
            "amount": "1.00",
            "lines": [],
        }
    }
    opted_in = WebhookEndpointFactory.build(include_billing_details=True)
    opted_out = WebhookEndpointFactory.build(include_billing_details=False)

    assert endpoint_view(data, event_type=EventType.BILLING_CREATED, endpoint=opted_in) == data
    assert endpoint_view(data, event_type=EventType.BILLING_CREATED, endpoint=opted_out) == {
        "billingDocument": {"id": 4, "number": "R-1"}
    }


def test_the_test_event_passes_unchanged():
    endpoint = WebhookEndpointFactory.build(include_contact_details=False)
    data = {"message": "hello", "endpointId": 1}

    assert endpoint_view(data, event_type=EventType.WEBHOOK_TEST, endpoint=endpoint) == data
