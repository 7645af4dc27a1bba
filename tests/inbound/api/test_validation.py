"""Whole-request rejections (4xx, nothing written) and per-item failures inside a batch."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbound.api.examples import MINIMAL_TARGET, TARGET_WITH_CUSTOMER_MAPPING
from inbound.api.throttling import IntegrationClientThrottle
from inbound.models import ImportItem, ImportJob, Target, ThrottleWindow
from tests.api import BASE

pytestmark = pytest.mark.django_db


def _fields(response) -> dict[str, str]:
    return {e["field"]: e["code"] for e in response.json()["errors"]}


def _nothing_written() -> bool:
    return not (ImportJob.objects.exists() or Target.objects.exists())


def test_invalid_single_target_is_422_naming_each_field_as_a_json_pointer(caller):
    body = {
        **TARGET_WITH_CUSTOMER_MAPPING,
        "title": "x" * 201,
        "customer": {"externalId": "C-1", "type": "Company", "email": "not-an-email"},
        "location": {"externalId": "L-1", "country": "Germany", "latitude": 91, "longitude": -181},
        "contact": {"externalId": "K-1", "preferredContactMethod": "Fax"},
        "planning": {
            "priority": "Asap",
            "dueDate": "01.07.2026",
            "preferredTimeWindowStart": "2026-07-01T14:00:00Z",
            "preferredTimeWindowEnd": "2026-07-01T08:00:00Z",
        },
    }

    response = caller.post("inbound/targets", body)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert _fields(response) == {
        "/title": "max_length",
        "/customer/type": "invalid_choice",
        "/customer/email": "invalid",
        "/location/country": "max_length",
        "/location/latitude": "max_value",
        "/location/longitude": "min_value",
        "/contact/preferredContactMethod": "invalid_choice",
        "/planning/priority": "invalid_choice",
        "/planning/dueDate": "invalid",
    }
    assert _nothing_written()


def test_time_window_must_start_before_it_ends(caller):
    body = {
        **MINIMAL_TARGET,
        "planning": {
            "preferredTimeWindowStart": "2026-07-01T14:00:00Z",
            "preferredTimeWindowEnd": "2026-07-01T08:00:00Z",
        },
    }

    response = caller.post("inbound/targets", body)

    assert response.status_code == 422
    assert "/planning/preferredTimeWindowEnd" in _fields(response)


def test_unknown_country_code_and_bounded_custom_fields(caller, settings):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "CUSTOM_FIELDS_MAX_KEYS": 2}
    body = {
        **MINIMAL_TARGET,
        "location": {"externalId": "L", "country": "XX"},
        "customFields": {"a": 1, "b": 2, "c": 3},
    }

    response = caller.post("inbound/targets", body)

    assert _fields(response) == {
        "/location/country": "invalid_country",
        "/customFields": "too_many",
    }


def test_nested_custom_fields_are_refused(caller):
    response = caller.post("inbound/targets", {**MINIMAL_TARGET, "customFields": {"a": {"b": 1}}})

    assert _fields(response) == {"/customFields": "not_scalar"}


def test_unknown_fields_are_ignored_and_not_stored(caller):
    body = {
        **MINIMAL_TARGET,
        "customerNumber": "RRM-001",
        "secret": "x",
        "planning": {**MINIMAL_TARGET["planning"], "colour": "red"},
    }

    response = caller.post("inbound/targets", body)

    target = Target.objects.get()
    assert response.status_code == 200
    assert "secret" not in str(target.__dict__)
    assert "RRM-001" not in str(target.__dict__)


def test_nulls_count_as_not_sent(caller):
    body = {
        **MINIMAL_TARGET,
        "description": None,
        "customer": None,
        "planning": {"priority": None, "estimatedWorkMinutes": 30},
    }

    response = caller.post("inbound/targets", body)

    assert response.status_code == 200
    assert response.json()["items"][0]["customerMapping"]["status"] == "NotApplicable"
    assert Target.objects.get().estimated_work_minutes == 30


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b'["a list"]', "application/json", 400),
        (b'{"externalId": NaN, "title": "x"}', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b'{"externalId": "J", "title": "T"}', "text/plain", 415),
        (b"externalId=J&title=T", "application/x-www-form-urlencoded", 415),
    ],
)
def test_malformed_bodies_are_rejected_whole(caller, body, content_type, status):
    response = caller.http.post(BASE + "inbound/targets", body, content_type=content_type)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert _nothing_written()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"items": []}, 422),
        ({"items": "not a list"}, 400),
        ({"no_items": []}, 400),
        ([MINIMAL_TARGET], 400),
    ],
)
def test_batch_envelope_errors_reject_the_whole_request(caller, body, status):
    response = caller.post("inbound/targets/batch", body)

    assert response.status_code == status
    assert _nothing_written()


def test_batch_over_the_item_limit_is_422(caller, settings):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "MAX_BATCH_ITEMS": 3}
    items = [{**MINIMAL_TARGET, "externalId": f"J-{i}"} for i in range(4)]

    response = caller.post("inbound/targets/batch", {"items": items})

    assert response.status_code == 422
    assert _fields(response) == {"/items": "batch_size"}
    assert _nothing_written()


def test_body_over_the_size_limit_is_413(caller, settings):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "MAX_BODY_BYTES": 1000}

    response = caller.post("inbound/targets", {**MINIMAL_TARGET, "description": "x" * 2000})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert _nothing_written()


def test_invalid_batch_item_fails_alone_and_the_others_are_imported(caller):
    items = [
        {**MINIMAL_TARGET, "externalId": "J-1"},
        {"externalId": "J-2", "title": ""},
        "not an object",
        {**MINIMAL_TARGET, "externalId": "J-4", "location": {"country": "ZZ"}},
        {**MINIMAL_TARGET, "externalId": "J-5"},
    ]

    response = caller.post("inbound/targets/batch", {"items": items})

    result = response.json()["items"]
    assert response.status_code == 200
    assert [i["status"] for i in result] == ["Imported", "Failed", "Failed", "Failed", "Imported"]
    assert result[1]["errors"] == [
        {"field": "/items/1/title", "code": "blank", "message": "This field may not be blank."}
    ]
    assert result[1]["targetId"] is None
    assert result[2]["errors"][0]["field"] == "/items/2"
    assert result[3]["errors"][0]["field"] == "/items/3/location/country"
    assert set(Target.objects.values_list("title", flat=True)) == {"Maintenance visit"}
    assert Target.objects.count() == 2
    job = ImportJob.objects.get()
    assert job.status == "CompletedWithErrors"
    assert ImportItem.objects.filter(job=job).count() == 5


def test_repeated_external_ids_in_a_batch_fail_after_the_first(caller):
    items = [
        {**MINIMAL_TARGET, "externalId": "J-1", "title": "first"},
        {**MINIMAL_TARGET, "externalId": "J-1", "title": "second"},
        {**MINIMAL_TARGET, "externalId": "J-1", "title": "third"},
    ]

    result = caller.post("inbound/targets/batch", {"items": items}).json()["items"]

    assert [i["status"] for i in result] == ["Imported", "Failed", "Failed"]
    assert result[1]["errors"][0] == {
        "field": "/items/1/externalId",
        "code": "duplicate",
        "message": "An earlier item of this batch has the same externalId.",
    }
    assert Target.objects.get().title == "first"


def test_reimport_updates_the_target_instead_of_creating_another(caller):
    first = caller.post("inbound/targets", MINIMAL_TARGET).json()["items"][0]
    second = caller.post(
        "inbound/targets", {**MINIMAL_TARGET, "title": "Renamed", "planning": {"priority": "Low"}}
    ).json()["items"][0]

    target = Target.objects.get()
    assert first["status"] == "Imported"
    assert second["status"] == "Updated"
    assert second["targetId"] == first["targetId"] == target.pk
    assert target.title == "Renamed"
    assert target.priority == "Low"
    assert target.estimated_work_minutes == 45  # not sent again, so kept


def test_a_target_sent_again_unchanged_is_updated_without_a_write(caller):
    caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING)
    stored = Target.objects.get()

    with CaptureQueriesContext(connection) as captured:
        again = caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING).json()["items"][0]
    after_again = Target.objects.get()
    changed = caller.post(
        "inbound/targets", {**TARGET_WITH_CUSTOMER_MAPPING, "title": "Changed"}
    ).json()["items"][0]

    assert again["status"] == changed["status"] == "Updated"
    assert not [q for q in captured if q["sql"].startswith('UPDATE "inbound_target"')]
    assert after_again.updated_at == stored.updated_at
    assert Target.objects.get().title == "Changed"  # a changed one is written


def test_same_target_external_id_from_another_client_is_another_target(make_caller):
    make_caller().post("inbound/targets", MINIMAL_TARGET)
    make_caller().post("inbound/targets", MINIMAL_TARGET)

    assert Target.objects.count() == 2


def test_throttled_client_gets_429_with_retry_after(caller, settings):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "THROTTLE_RATE": "2/min"}

    statuses = [caller.get("inbound/import-jobs").status_code for _ in range(3)]
    response = caller.get("inbound/import-jobs")

    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == "application/problem+json"


def test_throttle_counts_per_client_and_opens_a_new_window_after_the_period(
    make_caller, settings, monkeypatch
):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "THROTTLE_RATE": "2/min"}
    clock = [1_000_000.0]
    monkeypatch.setattr(IntegrationClientThrottle, "timer", staticmethod(lambda: clock[0]))
    first, second = make_caller(), make_caller()

    statuses = [first.get("inbound/import-jobs").status_code for _ in range(3)]
    other_client = second.get("inbound/import-jobs").status_code
    clock[0] += 45
    refused = first.get("inbound/import-jobs")
    clock[0] += 15  # the minute since the first request is over
    again = first.get("inbound/import-jobs").status_code

    assert statuses == [200, 200, 429]
    assert other_client == 200
    assert refused.status_code == 429
    assert refused["Retry-After"] == "15"
    assert again == 200


def test_requests_counted_by_another_worker_count_here(caller, settings):
    # What another gunicorn worker or web server counted is in the same row.
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "THROTTLE_RATE": "2/min"}
    ThrottleWindow.objects.create(
        tenant=caller.client.tenant, client=caller.client, opened_at=time.time() - 20, count=2
    )

    response = caller.get("inbound/import-jobs")

    assert response.status_code == 429
    assert 39 <= int(response["Retry-After"]) <= 40


def test_overlong_custom_field_value_is_422(caller, settings):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "CUSTOM_FIELDS_MAX_VALUE_LENGTH": 10}

    response = caller.post("inbound/targets", {**MINIMAL_TARGET, "customFields": {"a": "x" * 11}})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "/customFields",
            "code": "value_length",
            "message": "Custom field 'a' has more than 10 characters.",
        }
    ]


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_unstorable_escapes_are_rejected_whole(caller, escape):
    second = '{"externalId": "J-2", "title": "T", "customFields": {"k": "a' + escape + 'b"}}'
    body = '{"items": [{"externalId": "J-1", "title": "T"}, ' + second + "]}"

    response = caller.http.post(
        BASE + "inbound/targets/batch", body.encode(), content_type="application/json"
    )

    assert response.status_code == 400
    assert "cannot be stored" in response.json()["detail"]
    assert _nothing_written()


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(document.cookie)",
        "JavaScript://example.com/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example.com",
        "www.example.com",
    ],
)
def test_a_customer_website_that_is_no_http_or_https_url_is_422_naming_the_field(caller, website):
    body = {**TARGET_WITH_CUSTOMER_MAPPING, "customer": {"name": "Acme", "website": website}}

    single = caller.post("inbound/targets", body)
    batch = caller.post("inbound/targets/batch", {"items": [body]})

    assert single.status_code == 422
    assert _fields(single) == {"/customer/website": "invalid"}
    assert batch.status_code == 200
    assert batch.json()["items"][0]["status"] == "Failed"
    assert batch.json()["items"][0]["errors"][0]["field"] == "/items/0/customer/website"
    assert not Target.objects.exists()


@pytest.mark.parametrize("website", ["https://www.example.com", "http://example.com/a?b=c", ""])
def test_a_customer_website_that_is_an_http_or_https_url_or_blank_is_accepted(caller, website):
    body = {**TARGET_WITH_CUSTOMER_MAPPING, "customer": {"name": "Acme", "website": website}}

    response = caller.post("inbound/targets", body)

    assert response.status_code == 200
    assert response.json()["items"][0]["status"] != "Failed"
