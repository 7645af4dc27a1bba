"""The chunk task of asynchronous imports: a chunk that fails for good does not leave its job
unfinished."""

import os
import threading

import pytest

from inbound import async_imports, tasks
from inbound.models import ImportItem, ImportJob, Target
from inbound.services import ImportConflict
from inbound.tasks import CHUNK_RETRY, chunk_import
from ordinavo.events import EventType
from tests.inbound.async_jobs import post_ndjson, queued_chunks
from tests.webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


def target(n: int) -> dict:
    return {"externalId": f"JOB-{n:03d}", "title": f"Visit {n}"}


@pytest.fixture
def failing_on(monkeypatch):
    """Importing any list of items that holds externalId `bad` raises `error`."""

    def fail(bad: str, error: Exception) -> None:
        targets_write = async_imports._targets_write

        def failing(*, items, **kwargs):
            if any(item.external_id == bad for item in items):
                raise error
            return targets_write(items=items, **kwargs)

        monkeypatch.setattr(async_imports, "_targets_write", failing)

    return fail


def test_a_chunk_failing_for_good_is_imported_one_by_one(caller, failing_on):
    WebhookEndpointFactory(client=caller.client)
    response = post_ndjson(caller, [target(n) for n in range(10)])
    [chunk] = queued_chunks()
    failing_on("JOB-004", ValueError("a bug"))

    chunk_import(**chunk)  # not retried: a bug

    job = ImportJob.objects.get(pk=response.json()["importJobId"])
    assert job.status == "CompletedWithErrors"
    assert job.processed_count == 10
    [failed] = ImportItem.objects.filter(job=job, import_status="Failed")
    assert failed.position == 4
    assert failed.external_id == "JOB-004"
    assert failed.errors[0]["code"] == "processing_failed"
    assert Target.objects.count() == 9
    event = WebhookEvent.objects.get(type=EventType.IMPORT_JOB_COMPLETED)
    assert event.payload["importJob"]["summary"]["failed"] == 1


def test_a_conflicting_chunk_is_retried_then_imported_one_by_one(caller, failing_on):
    response = post_ndjson(caller, [target(n) for n in range(10)])
    [chunk] = queued_chunks()
    failing_on("JOB-007", ImportConflict("again"))

    with pytest.raises(ImportConflict):  # procrastinate runs it again later
        chunk_import(**chunk, attempts=CHUNK_RETRY.max_attempts - 1)
    job = ImportJob.objects.get(pk=response.json()["importJobId"])
    assert job.processed_count == 0
    assert not ImportItem.objects.filter(job=job).exists()

    chunk_import(**chunk, attempts=CHUNK_RETRY.max_attempts)  # its last attempt

    job.refresh_from_db()
    assert job.status == "CompletedWithErrors"
    failed = ImportItem.objects.filter(job=job, import_status="Failed")
    assert [(item.position, item.errors[0]["code"]) for item in failed] == [
        (7, "processing_failed")
    ]
    assert ImportItem.objects.filter(job=job, import_status="Imported").count() == 9


def test_a_chunk_runs_at_the_configured_nice_value_and_its_thread_gets_its_priority_back(
    monkeypatch, settings
):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "ASYNC_CHUNK_NICE": 15}
    seen = {}

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def process(**arguments) -> int:
        seen["during"] = niceness()
        return 0

    monkeypatch.setattr(tasks, "async_import_chunk_process", process)

    def worker_thread() -> None:
        seen["before"] = niceness()
        chunk_import(tenant_id=1, job_id=1, chunk=0)
        seen["after"] = niceness()

    thread = threading.Thread(target=worker_thread)  # not the test's own thread
    thread.start()
    thread.join()

    assert seen["during"] == 15
    assert seen["before"] < 15
    if os.geteuid() == 0:  # permitted to raise it again
        assert seen["after"] == seen["before"]
