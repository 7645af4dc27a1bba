"""Asynchronous imports on real worker processes: a worker killed (SIGKILL) in the middle of a job
loses nothing and imports nothing twice; another worker finishes the job."""

import time

import orjson
import pytest
from django.db import connection
from django.db.models import Count

from customers.models import Customer
from inbound.choices import ImportJobStatus
from inbound.models import ImportItem, ImportJob, StagedImportItem, Target
from tests.api import BASE

ITEMS = 4000  # 8 chunks
CUSTOMERS = 400  # each customer in 10 items, spread over every chunk


def _item(n: int) -> dict:
    customer = n % CUSTOMERS
    return {
        "externalId": f"JOB-{n:05d}",
        "title": f"Visit {n}",
        "customer": {"externalId": f"CUST-{customer}", "name": f"Customer {customer}"},
        "location": {"externalId": f"LOC-{customer}", "city": "Essen", "country": "DE"},
    }


def _job_wait(job_id: int, *, until, timeout: float, workers) -> ImportJob:
    deadline = time.monotonic() + timeout
    while True:
        job = ImportJob.objects.get(pk=job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            logs = "\n".join(worker.log()[-3000:] for worker in workers)
            pytest.fail(f"job {job_id} at {job.status} {job.processed_count}:\n{logs}")
        time.sleep(0.02)


def _chunk_jobs_doing() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM procrastinate_jobs WHERE queue_name = 'imports' AND status = 'doing'"
        )
        return [row[0] for row in cursor.fetchall()]


def _chunk_job_inside() -> int | None:
    """The chunk job running for 50 to 150 ms (a chunk of these items takes 300 ms or more:
    the worker is inside its transaction), or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.id FROM procrastinate_jobs j JOIN procrastinate_events e "
            "ON e.job_id = j.id AND e.type = 'started' WHERE j.queue_name = 'imports' "
            "AND j.status = 'doing' AND now() - e.at BETWEEN interval '50 ms' AND "
            "interval '150 ms' ORDER BY e.at DESC LIMIT 1"
        )
        row = cursor.fetchone()
        return row and row[0]


def test_a_worker_killed_mid_job_loses_nothing_and_imports_nothing_twice(make_caller, worker_start):
    caller = make_caller()
    body = b"\n".join(orjson.dumps(_item(n)) for n in range(ITEMS))
    response = caller.http.post(BASE + "inbound/imports", body, content_type="application/x-ndjson")
    assert response.status_code == 202
    job_id = response.json()["importJobId"]
    doomed = worker_start(concurrency=1)  # one chunk at a time: always inside one

    # Killed once two chunks are done, inside another one.
    def inside_a_later_chunk(job: ImportJob) -> bool:
        return job.processed_count >= 1000 and _chunk_job_inside() is not None

    _job_wait(job_id, until=inside_a_later_chunk, timeout=120, workers=(doomed,))
    doomed.kill()
    killed_at = ImportJob.objects.get(pk=job_id).processed_count
    assert killed_at < ITEMS, "the job ended before the worker was killed"
    # The chunk it was importing, left `doing` (read after the kill: a chunk may have ended
    # between the look inside and the kill, and the worker started the next one).
    killed_chunk = _chunk_jobs_doing()
    assert len(killed_chunk) == 1
    survivor = worker_start()

    job = _job_wait(
        job_id,
        until=lambda job: job.status == ImportJobStatus.COMPLETED,
        timeout=180,
        workers=(doomed, survivor),
    )

    assert job.processed_count == ITEMS
    items = ImportItem.objects.filter(job_id=job_id)
    assert items.count() == ITEMS
    assert items.values("position").distinct().count() == ITEMS
    assert not items.exclude(import_status="Imported").exists()
    assert Target.objects.count() == ITEMS
    assert not Target.objects.values("external_id").annotate(n=Count("id")).filter(n__gt=1)
    # Every new customer created once, every item linked to its own one.
    assert Customer.objects.count() == CUSTOMERS
    assert items.values("customer_id").distinct().count() == CUSTOMERS
    assert not items.filter(customer=None).exists()
    assert not StagedImportItem.objects.exists()
    # The chunk it was killed in was run again, by the survivor.
    assert f"import_chunk[{killed_chunk[0]}]" in survivor.log()
    assert "retried job" in survivor.log()
