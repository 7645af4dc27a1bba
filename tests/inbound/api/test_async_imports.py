"""POST inbound/imports (SPEC §8): accepted at once, processed by the chunk tasks (run here in
the test's process, as a worker runs them), polled and paged."""

import orjson
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from inbound.api.examples import MINIMAL_TARGET, TARGET_WITH_CUSTOMER_MAPPING
from inbound.choices import Scope
from inbound.models import ImportItem, ImportJob, StagedImportItem, Target
from inbound.tasks import chunk_import
from ordinavo.events import EventType
from tests.api import BASE
from tests.factories import IntegrationClientFactory, TenantFactory, UserFactory
from tests.inbound.async_jobs import PATH, post_ndjson, queued_chunks, run_chunks
from tests.webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


def target(n: int, **fields) -> dict:
    return {"externalId": f"JOB-{n:06d}", "title": f"Visit {n}", **fields}


def with_customer(n: int, customer: int) -> dict:
    return target(n, customer={"externalId": f"CUST-{customer}", "name": f"Customer {customer}"})


def post_json(caller, items, **headers):
    return caller.http.post(
        BASE + PATH,
        orjson.dumps({"items": items}),
        content_type="application/json",
        headers=headers or None,
    )


def job_of(response) -> ImportJob:
    return ImportJob.objects.get(pk=response.json()["importJobId"])


def test_accepted_with_202_and_location_then_polled_to_completion(caller):
    items = [target(n) for n in range(1200)]

    response = post_ndjson(caller, items)

    assert response.status_code == 202
    job_id = response.json()["importJobId"]
    assert response.json() == {"importJobId": job_id, "status": "Accepted", "itemCount": 1200}
    assert response.headers["Location"] == f"/api/connect/v1/inbound/import-jobs/{job_id}"
    polled = caller.http.get(response.headers["Location"]).json()
    assert polled["status"] == "Accepted"
    assert polled["progress"] == {"processed": 0, "total": 1200}
    assert "items" not in polled
    assert Target.objects.count() == 0

    assert run_chunks() == 3  # chunks of 500

    polled = caller.get(f"inbound/import-jobs/{job_id}").json()
    assert polled["status"] == "Completed"
    assert polled["kind"] == "Async"
    assert polled["progress"] == {"processed": 1200, "total": 1200}
    assert polled["summary"]["total"] == polled["summary"]["imported"] == 1200
    assert polled["startedAt"]
    assert polled["finishedAt"]
    assert Target.objects.count() == 1200
    assert not StagedImportItem.objects.exists()


def test_processing_shows_progress_chunk_by_chunk(caller):
    response = post_ndjson(caller, [target(n) for n in range(1001)])
    job_id = response.json()["importJobId"]
    first = queued_chunks()[0]

    chunk_import(**first)

    polled = caller.get(f"inbound/import-jobs/{job_id}").json()
    assert polled["status"] == "Processing"
    assert polled["progress"] == {"processed": 500, "total": 1001}


def test_a_json_body_is_imported_like_ndjson(caller):
    response = post_json(
        caller, [MINIMAL_TARGET, TARGET_WITH_CUSTOMER_MAPPING | {"externalId": "B"}]
    )

    assert response.status_code == 202
    run_chunks()
    job = job_of(response)
    assert job.status == "Completed"
    assert set(Target.objects.values_list("external_id", flat=True)) == {
        MINIMAL_TARGET["externalId"],
        "B",
    }


def test_invalid_items_fail_alone_with_their_errors(caller):
    items = [
        target(0),
        {"externalId": "JOB-1"},  # no title
        "not an object",
        target(3, planning={"priority": "Whenever"}),
        target(0, title="again"),  # the externalId of item 0
        target(5),
    ]

    response = post_ndjson(caller, items)
    run_chunks()

    job = job_of(response)
    assert job.status == "CompletedWithErrors"
    failed = {
        item.position: item.errors
        for item in ImportItem.objects.filter(job=job, import_status="Failed")
    }
    assert set(failed) == {1, 2, 3, 4}
    assert failed[1][0]["field"] == "/items/1/title"
    assert failed[2][0]["code"] == "not_an_object"
    assert failed[3][0]["field"] == "/items/3/planning/priority"
    assert failed[4][0]["code"] == "duplicate"
    assert Target.objects.get(external_id="JOB-000000").title == "Visit 0"
    assert Target.objects.count() == 2


def test_a_duplicate_externalid_in_another_chunk_fails_whatever_order_the_chunks_run_in(caller):
    items = [target(n) for n in range(600)] + [target(5, title="later")]

    response = post_ndjson(caller, items)
    run_chunks(order=lambda chunks: list(reversed(chunks)))  # the later chunk first

    later = ImportItem.objects.get(job=job_of(response), position=600)
    assert later.import_status == "Failed"
    assert later.errors[0]["code"] == "duplicate"
    assert Target.objects.get(external_id="JOB-000005").title == "Visit 5"


def test_new_customers_shared_across_chunks_are_created_once(caller):
    items = [with_customer(n, n % 7) for n in range(1500)]

    response = post_ndjson(caller, items)
    run_chunks()

    assert job_of(response).status == "Completed"
    assert Customer.objects.count() == 7
    assert Target.objects.exclude(customer=None).count() == 1500


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b"not json", 400),
        ("application/json", b"[1, 2]", 400),
        ("application/json", b'{"items": [1, 2', 400),
        ("application/json", b'{"items": []}', 422),
        ("application/json", b'{"other": 1}', 422),
        ("application/json", b"", 422),
        ("application/x-ndjson", b'{"externalId": "A", "title": "x"}\n{broken\n', 400),
        ("application/x-ndjson", b"\n\n", 422),
        ("application/x-ndjson", b'{"externalId": "A\\u0000", "title": "x"}\n', 400),
        ("application/x-ndjson", b'\xff\xfe{"a": 1}\n', 400),
        ("text/csv", b"a,b\n", 415),
    ],
)
def test_a_malformed_body_is_refused_whole_with_a_problem(caller, content_type, body, status):
    response = caller.http.post(BASE + PATH, body, content_type=content_type)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert not ImportJob.objects.exists()
    assert not StagedImportItem.objects.exists()
    assert queued_chunks() == []


def test_more_items_than_the_limit_are_refused_whole(caller):
    limits = {**settings.INBOUND_LIMITS, "MAX_ASYNC_ITEMS": 3}
    with override_settings(INBOUND_LIMITS=limits):
        too_many = post_ndjson(caller, [target(n) for n in range(4)])
        as_json = post_json(caller, [target(n) for n in range(4)])
        enough = post_ndjson(caller, [target(n) for n in range(3)])

    assert too_many.status_code == as_json.status_code == 422
    assert too_many.json()["errors"][0]["code"] == "batch_size"
    assert as_json.json()["errors"][0]["field"] == "/items"
    assert enough.status_code == 202
    assert ImportJob.objects.count() == 1


def test_a_body_over_the_byte_limit_is_413(caller):
    body = b"\n".join(orjson.dumps(target(n)) for n in range(100))
    limits = {**settings.INBOUND_LIMITS, "MAX_ASYNC_BODY_BYTES": len(body) - 1}
    with override_settings(INBOUND_LIMITS=limits):
        response = post_ndjson(caller, body)
        fits = post_ndjson(caller, body[: len(body) // 2].rsplit(b"\n", 1)[0])

    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert fits.status_code == 202
    assert ImportJob.objects.count() == 1


def test_the_async_limit_is_its_own_and_larger_than_a_batch_body(caller):
    # More than INBOUND_MAX_BODY_BYTES (which the other endpoints keep).
    items = [target(n, description="x" * 3000) for n in range(2000)]
    body = b"\n".join(orjson.dumps(item) for item in items)
    assert len(body) > settings.INBOUND_LIMITS["MAX_BODY_BYTES"]

    assert post_ndjson(caller, body).status_code == 202
    assert caller.post("inbound/targets/batch", {"items": items[:500]}).status_code == 200
    big_batch = caller.http.post(BASE + "inbound/targets", body, content_type="application/json")
    assert big_batch.status_code == 413


def test_needs_the_batch_scope(make_caller):
    caller = make_caller(scopes=[Scope.TARGETS_WRITE])

    response = post_ndjson(caller, [target(1)])

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_the_key_scopes_at_acceptance_are_the_ones_imported_with(make_caller):
    caller = make_caller(scopes=[Scope.TARGETS_BATCH_WRITE])  # no customers.map
    response = post_ndjson(caller, [with_customer(1, 1)])
    caller.api_key.scopes = [*caller.api_key.scopes, Scope.CUSTOMERS_MAP, Scope.CUSTOMERS_WRITE]
    caller.api_key.save()

    run_chunks()

    item = ImportItem.objects.get(job=job_of(response))
    assert item.mapping_status == "Skipped"
    assert not Customer.objects.exists()


# --- idempotency -------------------------------------------------------------------------------


def test_an_idempotent_replay_answers_the_same_job(caller):
    items = [target(n) for n in range(10)]
    first = post_ndjson(caller, items, **{"Idempotency-Key": "nightly-1"})
    replay = post_ndjson(caller, items, **{"Idempotency-Key": "nightly-1"})
    other = post_ndjson(caller, items[:5], **{"Idempotency-Key": "nightly-1"})

    assert first.status_code == replay.status_code == 202
    assert replay.json() == first.json()
    assert replay.headers["Location"] == first.headers["Location"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert ImportJob.objects.count() == 1
    assert StagedImportItem.objects.count() == 10
    assert len(queued_chunks()) == 1


# --- reading -------------------------------------------------------------------------------------


def test_items_are_paged_in_request_order_and_filtered(caller):
    items = [target(n) for n in range(250)]
    items[7] = {"externalId": "BAD"}  # no title
    response = post_ndjson(caller, items)
    run_chunks()
    job_id = response.json()["importJobId"]
    path = f"inbound/import-jobs/{job_id}/items"

    page = caller.get(path, page=2, pageSize=100).json()
    failed = caller.get(path, status="Failed").json()
    not_applicable = caller.get(path, mappingStatus="NotApplicable", pageSize=1000).json()

    assert page["count"] == 250
    assert [item["position"] for item in page["results"]] == list(range(100, 200))
    assert page["results"][0]["externalId"] == "JOB-000100"
    assert page["next"]
    assert page["previous"]
    assert failed["count"] == 1
    assert failed["results"][0]["position"] == 7
    assert failed["results"][0]["errors"][0]["field"] == "/items/7/title"
    assert not_applicable["count"] == 249


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"status": "Nope"}, 422),
        ({"mappingStatus": "x"}, 422),
        ({"page": "0"}, 400),
        ({"pageSize": "1001"}, 400),
    ],
)
def test_bad_item_queries_are_problems(caller, query, status):
    response = post_ndjson(caller, [target(1)])

    got = caller.get(f"inbound/import-jobs/{response.json()['importJobId']}/items", **query)

    assert got.status_code == status
    assert got["Content-Type"] == "application/problem+json"


def test_items_of_a_batch_job_are_paged_too(caller):
    batch = caller.post("inbound/targets/batch", {"items": [target(n) for n in range(3)]})

    page = caller.get(f"inbound/import-jobs/{batch.json()['importJobId']}/items").json()
    job = caller.get(f"inbound/import-jobs/{batch.json()['importJobId']}").json()

    assert [item["position"] for item in page["results"]] == [0, 1, 2]
    assert job["progress"] == {"processed": 3, "total": 3}
    assert len(job["items"]) == 3


def test_another_clients_or_tenants_job_is_404(caller, make_caller):
    response = post_ndjson(caller, [target(1)])
    job_id = response.json()["importJobId"]
    same_tenant = make_caller(client=IntegrationClientFactory(tenant=caller.client.tenant))
    other_tenant = make_caller(client=IntegrationClientFactory(tenant=TenantFactory()))

    for other in (same_tenant, other_tenant):
        assert other.get(f"inbound/import-jobs/{job_id}").status_code == 404
        assert other.get(f"inbound/import-jobs/{job_id}/items").status_code == 404
    assert caller.get(f"inbound/import-jobs/{job_id}/items").status_code == 200


# --- the event -----------------------------------------------------------------------------------


def test_import_job_completed_is_recorded_with_the_summary_when_the_last_chunk_ends(caller):
    WebhookEndpointFactory(client=caller.client)
    response = post_ndjson(caller, [target(n) for n in range(600)] + [{"externalId": "X"}])
    chunks = queued_chunks()

    chunk_import(**chunks[0])
    assert not WebhookEvent.objects.filter(type=EventType.IMPORT_JOB_COMPLETED).exists()
    chunk_import(**chunks[1])

    event = WebhookEvent.objects.get(type=EventType.IMPORT_JOB_COMPLETED)
    job = event.payload["importJob"]
    assert job["id"] == response.json()["importJobId"]
    assert job["status"] == "CompletedWithErrors"
    assert job["itemCount"] == 601
    assert job["summary"]["imported"] == 600
    assert job["summary"]["failed"] == 1


def test_a_chunk_run_again_imports_nothing_twice(caller):
    response = post_ndjson(caller, [target(n) for n in range(10)])
    [chunk] = queued_chunks()

    chunk_import(**chunk)
    chunk_import(**chunk)

    job = job_of(response)
    assert job.processed_count == 10
    assert ImportItem.objects.filter(job=job).count() == 10


def test_the_admin_page_of_an_async_job_does_not_list_its_items(caller, client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    response = post_ndjson(caller, [target(n) for n in range(3)])
    run_chunks()

    page = client.get(
        reverse("admin:inbound_importjob_change", args=[response.json()["importJobId"]])
    )

    assert page.status_code == 200
    assert b"JOB-000001" not in page.content


SENT_AGAIN = [
    {"externalId": "A"},  # invalid: takes no externalId
    {"externalId": "A", "title": "first valid A"},
    {"externalId": "A", "title": "later A"},
    {"externalId": " B ", "title": "trimmed B"},
    {"externalId": "B", "title": "B again"},
    {"externalId": "C", "title": "C", "planning": {"priority": "urgent"}},  # invalid
    {"externalId": "C", "title": "valid C"},
    {"externalId": 7, "title": "a number"},
    {"externalId": "7", "title": "its text"},
    {"externalId": "D", "title": "alone"},
]


def settled(job: ImportJob) -> list[tuple]:
    return [
        (item.position, item.import_status, [(e["field"], e["code"]) for e in item.errors])
        for item in ImportItem.objects.filter(job=job).order_by("position")
    ]


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
def test_an_externalid_sent_again_is_settled_as_in_a_batch(make_caller, reverse):
    batch = make_caller().http.post(
        BASE + "inbound/targets/batch", {"items": SENT_AGAIN}, format="json"
    )
    assert batch.status_code == 200
    caller = make_caller()
    limits = {**settings.INBOUND_LIMITS, "ASYNC_CHUNK_ITEMS": 2}

    with override_settings(INBOUND_LIMITS=limits):
        response = post_ndjson(caller, SENT_AGAIN)
        run_chunks(order=(lambda chunks: list(reversed(chunks))) if reverse else None)

    expected = settled(ImportJob.objects.get(pk=batch.json()["importJobId"]))
    assert settled(job_of(response)) == expected
    assert [status for _, status, _ in expected].count("Failed") == 5


def test_a_jobs_summary_is_read_from_its_tallies_not_counted_from_its_items(caller):
    response = post_ndjson(caller, [target(n) for n in range(600)] + [{"externalId": "X"}])
    run_chunks()

    with CaptureQueriesContext(connection) as captured:
        job = caller.http.get(response.headers["Location"]).json()

    assert job["summary"]["imported"] == 600
    assert job["summary"]["failed"] == 1
    assert job["progress"] == {"processed": 601, "total": 601}
    assert not [q["sql"] for q in captured if "inbound_importitem" in q["sql"]]


def test_each_chunk_queues_the_next_of_its_lane_as_it_commits(caller):
    limits = {**settings.INBOUND_LIMITS, "ASYNC_CHUNK_ITEMS": 2, "ASYNC_CHUNK_LANES": 2}
    with override_settings(INBOUND_LIMITS=limits):
        response = post_ndjson(caller, [target(n) for n in range(7)])  # chunks 0 to 3
        first = queued_chunks()
        assert [(args["chunk"], args["lanes"]) for args in first] == [(0, 2), (1, 2)]

        chunk_import(**first[0])
        chunk_import(**first[0])  # run again (its worker was killed after the commit)
        assert [args["chunk"] for args in queued_chunks()] == [0, 1, 2]
        chunk_import(**first[1])
        for args in queued_chunks()[2:]:
            chunk_import(**args)

    assert [args["chunk"] for args in queued_chunks()] == [0, 1, 2, 3]
    assert job_of(response).status == "Completed"


def test_an_item_is_staged_as_sent_whatever_its_json_whitespace_and_escapes(caller):
    line = b'{"externalId":\t"TAB",\r "title": "back\\\\slash \\t \\" \\u00e9 \\\\N"}'
    response = post_ndjson(caller, line + b"\r\n")

    [staged] = StagedImportItem.objects.filter(job=job_of(response))
    assert staged.raw == line.decode()
    run_chunks()
    assert Target.objects.get(external_id="TAB").title == 'back\\slash \t " é \\N'
