"""Asynchronous imports on real worker processes: a worker killed (SIGKILL) in the middle of a job
loses nothing and imports nothing twice; another worker finishes the job."""

import contextlib
import time
from collections.abc import Iterator

import orjson
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
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


def _progress_waiting_for_the_job_row() -> int:
    """How many backends wait for a lock in a statement on the job table (a chunk's progress)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND position('inbound_importjob' in query) > 0"
        )
        return cursor.fetchone()[0]


@contextlib.contextmanager
def _job_row_locked(job_id: int) -> Iterator[None]:
    """The job's row locked by another connection: a chunk counting its progress into it (the
    last statement of its transaction) waits there, its items imported but not committed."""
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT 1 FROM inbound_importjob WHERE id = %s FOR UPDATE", [job_id])
            yield
            cursor.execute("ROLLBACK")
    finally:
        holder.close()


def test_a_worker_killed_mid_job_loses_nothing_and_imports_nothing_twice(make_caller, worker_start):
    caller = make_caller()
    body = b"\n".join(orjson.dumps(_item(n)) for n in range(ITEMS))
    response = caller.http.post(BASE + "inbound/imports", body, content_type="application/x-ndjson")
    assert response.status_code == 202
    job_id = response.json()["importJobId"]
    doomed = worker_start(concurrency=1)  # one chunk at a time: always inside one

    # Killed once two chunks are done, inside another one: held at its last statement (the
    # job's progress) by the job's row locked, whatever a chunk's speed on this machine.
    _job_wait(job_id, until=lambda job: job.processed_count >= 1000, timeout=120, workers=(doomed,))
    with _job_row_locked(job_id):
        _job_wait(
            job_id,
            until=lambda job: _progress_waiting_for_the_job_row() > 0,
            timeout=60,
            workers=(doomed,),
        )
        # The chunk it is importing, left `doing`.
        killed_chunk = _chunk_jobs_doing()
        doomed.kill()
    killed_at = ImportJob.objects.get(pk=job_id).processed_count
    assert killed_at < ITEMS, "the job ended before the worker was killed"
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
