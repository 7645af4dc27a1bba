"""The read endpoints: the job list (filters, order, pages) and a target read back."""

import datetime as dt

import pytest
from django.utils import timezone

from inbound.api.examples import MINIMAL_TARGET, TARGET_WITH_CUSTOMER_MAPPING
from inbound.models import ImportJob
from tests.api import BASE

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def _jobs(caller, **params) -> dict:
    response = caller.get("inbound/import-jobs", **params)
    assert response.status_code == 200, response.content
    return response.json()


def _ids(page: dict) -> list[int]:
    return [job["importJobId"] for job in page["results"]]


@pytest.fixture
def three_jobs(caller) -> list[int]:
    """A completed single import 3 days ago, a batch with a failed item 2 days ago, another
    single import 1 day ago: job IDs oldest first."""
    ids = [
        caller.post("inbound/targets", {**MINIMAL_TARGET, "externalId": "A"}),
        caller.post(
            "inbound/targets/batch", {"items": [{**MINIMAL_TARGET, "externalId": "B"}, {}]}
        ),
        caller.post("inbound/targets", {**MINIMAL_TARGET, "externalId": "C"}),
    ]
    ids = [response.json()["importJobId"] for response in ids]
    for days_ago, job_id in zip((3, 2, 1), ids, strict=True):
        ImportJob.objects.filter(pk=job_id).update(created_at=NOW - dt.timedelta(days=days_ago))
    return ids


def test_jobs_are_listed_newest_first_with_their_summary(caller, three_jobs):
    page = _jobs(caller)

    assert page["count"] == 3
    assert _ids(page) == three_jobs[::-1]
    batch = page["results"][1]
    assert batch["kind"] == "Batch"
    assert batch["status"] == "CompletedWithErrors"
    assert batch["summary"]["total"] == 2
    assert batch["summary"]["failed"] == 1
    assert "items" not in batch  # the list is a summary; the items are on the job


def test_job_list_filters_by_status(caller, three_jobs):
    assert _ids(_jobs(caller, status="CompletedWithErrors")) == [three_jobs[1]]
    assert _ids(_jobs(caller, status="Completed")) == [three_jobs[2], three_jobs[0]]


def test_job_list_filters_by_creation_time_from_inclusive_to_exclusive(caller, three_jobs):
    two_days_ago = (NOW - dt.timedelta(days=2)).isoformat()

    assert _ids(_jobs(caller, createdAfter=two_days_ago)) == [three_jobs[2], three_jobs[1]]
    assert _ids(_jobs(caller, createdBefore=two_days_ago)) == [three_jobs[0]]
    assert _ids(
        _jobs(
            caller,
            createdAfter=(NOW - dt.timedelta(days=2, hours=1)).isoformat(),
            createdBefore=(NOW - dt.timedelta(days=1, hours=1)).isoformat(),
        )
    ) == [three_jobs[1]]


def test_job_list_pages_follow_the_next_link(caller, three_jobs):
    first = _jobs(caller, pageSize=2)
    second = caller.http.get(first["next"]).json()

    assert _ids(first) == [three_jobs[2], three_jobs[1]]
    assert first["previous"] is None
    assert _ids(second) == [three_jobs[0]]
    assert second["next"] is None
    assert second["count"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "Done"}, "status"), ({"createdAfter": "yesterday"}, "createdAfter")],
)
def test_an_invalid_job_filter_is_a_problem_naming_the_parameter(caller, params, field):
    response = caller.get("inbound/import-jobs", **params)

    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.content.decode()


def test_a_target_reads_back_as_imported(make_caller):
    caller = make_caller(allow_contact_create=True)
    imported = caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING).json()["items"][0]

    target = caller.get("inbound/targets/JOB-2026-000918").json()

    assert target["title"] == "Maintenance visit"
    assert target["description"] == "Check refrigeration unit and document status."
    assert target["planning"] == {
        "priority": "High",
        "estimatedWorkMinutes": 45,
        "dueDate": "2026-07-01",
        "preferredTimeWindowStart": "2026-07-01T08:00:00Z",
        "preferredTimeWindowEnd": "2026-07-01T14:00:00Z",
    }
    assert target["customFields"] == {"serviceType": "Maintenance", "assetId": "FRIDGE-221"}
    assert target["targetId"] == imported["targetId"]
    mapping = target["customerMapping"]
    assert mapping == imported["customerMapping"]
    assert mapping["status"] == "Created"
    assert all(
        isinstance(mapping[key], int)
        for key in ("customerId", "customerLocationId", "customerContactId")
    )


def test_a_target_read_back_without_customers_read_hides_the_mapping_ids(make_caller):
    writer = make_caller(allow_contact_create=True)
    reader = make_caller(client=writer.client, scopes=["inbound.targets.write"])
    writer.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING)

    mapping = reader.get("inbound/targets/JOB-2026-000918").json()["customerMapping"]

    assert mapping["status"] == "Created"
    assert not {"customerId", "customerLocationId", "customerContactId", "details"} & set(mapping)


def test_the_next_link_keeps_the_filters(caller, three_jobs):
    first = _jobs(caller, pageSize=1, status="Completed")

    assert "status=Completed" in first["next"]
    assert first["next"].startswith("http://testserver" + BASE)
    assert _ids(caller.http.get(first["next"]).json()) == [three_jobs[0]]
