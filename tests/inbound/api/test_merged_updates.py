"""An update is checked as it will be stored: the sent fields over the stored target."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import models

from customers.models import Customer
from inbound.api.examples import MINIMAL_TARGET
from inbound.models import IdempotencyRecord, ImportItem, ImportJob, Target
from mapping.models import ExternalReference

pytestmark = pytest.mark.django_db

WINDOW = {
    "preferredTimeWindowStart": "2026-07-01T10:00:00Z",
    "preferredTimeWindowEnd": "2026-07-01T12:00:00Z",
}
STORED_START = dt.datetime(2026, 7, 1, 10, tzinfo=dt.UTC)
STORED_END = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def stored(caller) -> Target:
    response = caller.post("inbound/targets", {**MINIMAL_TARGET, "planning": WINDOW})
    assert response.status_code == 200
    return Target.objects.get()


def _unchanged(target: Target) -> bool:
    target.refresh_from_db()
    return (target.preferred_time_window_start, target.preferred_time_window_end) == (
        STORED_START,
        STORED_END,
    ) and target.title == MINIMAL_TARGET["title"]


@pytest.mark.parametrize(
    ("planning", "field"),
    [
        ({"preferredTimeWindowEnd": "2026-07-01T09:00:00Z"}, "/planning/preferredTimeWindowEnd"),
        ({"preferredTimeWindowEnd": "2026-07-01T10:00:00Z"}, "/planning/preferredTimeWindowEnd"),
        (
            {"preferredTimeWindowStart": "2026-07-01T13:00:00Z"},
            "/planning/preferredTimeWindowStart",
        ),
    ],
)
def test_a_half_window_that_does_not_fit_the_stored_one_is_422_and_writes_nothing(
    caller, stored, planning, field
):
    jobs_before = ImportJob.objects.count()

    response = caller.post(
        "inbound/targets",
        {
            **MINIMAL_TARGET,
            "title": "Renamed",
            "planning": planning,
            "customer": {"externalId": "C-NEW", "name": "New Customer"},
        },
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        (field, "time_window_order")
    ]
    assert _unchanged(stored)
    assert ImportJob.objects.count() == jobs_before
    assert not Customer.objects.exists()
    assert not ExternalReference.objects.filter(external_type="Customer").exists()


def test_a_refused_single_import_frees_its_idempotency_key(caller, stored):
    bad = {**MINIMAL_TARGET, "planning": {"preferredTimeWindowEnd": "2026-07-01T09:00:00Z"}}
    fixed = {**MINIMAL_TARGET, "planning": {"preferredTimeWindowEnd": "2026-07-01T13:00:00Z"}}

    refused = caller.post("inbound/targets", bad, **{"Idempotency-Key": "k-1"})
    retried = caller.post("inbound/targets", fixed, **{"Idempotency-Key": "k-1"})

    assert refused.status_code == 422
    assert retried.status_code == 200
    assert retried.json()["items"][0]["status"] == "Updated"
    assert IdempotencyRecord.objects.get().response_status == 200


def test_a_half_window_that_fits_the_stored_one_updates_it(caller, stored):
    response = caller.post(
        "inbound/targets",
        {**MINIMAL_TARGET, "planning": {"preferredTimeWindowEnd": "2026-07-01T11:00:00Z"}},
    )

    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.preferred_time_window_start == STORED_START
    assert stored.preferred_time_window_end == dt.datetime(2026, 7, 1, 11, tzinfo=dt.UTC)


def test_both_ends_sent_move_the_window_past_the_stored_one(caller, stored):
    response = caller.post(
        "inbound/targets",
        {
            **MINIMAL_TARGET,
            "planning": {
                "preferredTimeWindowStart": "2026-07-02T08:00:00Z",
                "preferredTimeWindowEnd": "2026-07-02T09:00:00Z",
            },
        },
    )

    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.preferred_time_window_start == dt.datetime(2026, 7, 2, 8, tzinfo=dt.UTC)


def test_in_a_batch_the_item_that_does_not_fit_fails_alone_with_nothing_of_it_written(
    caller, stored
):
    items = [
        {**MINIMAL_TARGET, "externalId": "J-NEW-1"},
        {
            **MINIMAL_TARGET,
            "title": "Renamed",
            "planning": {"preferredTimeWindowEnd": "2026-07-01T09:00:00Z"},
            "customer": {"externalId": "C-OF-BAD-ITEM", "name": "Should Not Exist"},
            "location": {"externalId": "L-OF-BAD-ITEM", "street": "Hauptstr. 1"},
        },
        {
            **MINIMAL_TARGET,
            "externalId": "J-NEW-2",
            "customer": {"externalId": "C-GOOD", "name": "Good Customer"},
        },
    ]

    response = caller.post("inbound/targets/batch", {"items": items})

    assert response.status_code == 200
    result = response.json()["items"]
    assert [i["status"] for i in result] == ["Imported", "Failed", "Imported"]
    assert result[1]["targetId"] is None
    assert [(e["field"], e["code"]) for e in result[1]["errors"]] == [
        ("/items/1/planning/preferredTimeWindowEnd", "time_window_order")
    ]
    assert _unchanged(stored)
    assert list(Customer.objects.values_list("name", flat=True)) == ["Good Customer"]
    assert not ExternalReference.objects.filter(
        external_id__in=["C-OF-BAD-ITEM", "L-OF-BAD-ITEM"]
    ).exists()
    job = ImportJob.objects.latest("id")
    assert job.status == "CompletedWithErrors"
    failed = ImportItem.objects.get(job=job, position=1)
    assert failed.import_status == "Failed"
    assert failed.payload == {}
    assert Target.objects.count() == 3


# Every check constraint of the schema, with why an import that puts sent values over stored
# ones cannot break it. A new constraint fails this test until someone has thought about it.
AUDITED_CHECK_CONSTRAINTS = {
    # Two fields: checked on the merged target (inbound.services._merged_target_errors).
    "inbound_target_time_window_ordered": "merged",
    # One field each, checked by the validator when sent, kept as stored when not.
    "customers_location_latitude_range": "one field",
    "customers_location_longitude_range": "one field",
    "customers_customer_number_not_empty": "one field",  # "" is sent as "no number"
    "mapping_extref_ids_not_empty": "one field",
    "inbound_target_external_id_not_empty": "one field",  # and an update never changes it
    # Written by the code, never from sent values.
    "mapping_extref_points_at_its_type": "not from input",
    "inbound_client_thresholds_in_unit_range": "not from input",  # admin, validated by its form
    "inbound_client_source_not_empty": "not from input",
    # Not targets: written by services and the admin, never by an import.
    "webhooks_endpoint_secret_whsec": "not from input",
    "fieldwork_billing_currency_iso": "not from input",
}


def test_every_check_constraint_was_audited_for_merged_updates():
    found = {
        constraint.name
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    }

    assert found == set(AUDITED_CHECK_CONSTRAINTS)
