"""The Idempotency-Key record lives in the import's transaction (PostgreSQL, real connections).

A batch is held mid-import by a table lock another connection takes on `inbound_importjob`:
its targets are written, its job not yet. Requests run in threads, each on its own connection.
"""

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from inbound.models import IdempotencyRecord, ImportJob, Target
from tests.api import BASE

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "inbound/targets/batch"
BATCH = {"items": [{"externalId": f"JOB-{n}", "title": f"Visit {n}"} for n in range(20)]}
KEY = {"Idempotency-Key": "batch-7"}


def _post(key: str, body: dict, headers: dict, *, reconnects: bool = True):
    """One request on this thread's own connection: its response, or the error it died of.

    Without `reconnects` the thread connects once and never again, as a worker during a
    failover or one killed with its request: whatever it meant to clean up stays as it is.
    """
    if not reconnects:
        connect, connects = connection.get_new_connection, []

        def connect_once(params):
            connects.append(params)
            if len(connects) > 1:
                raise psycopg.OperationalError("the database is not reachable (failover)")
            return connect(params)

        connection.get_new_connection = connect_once  # this thread's connection only
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    try:
        return http.post(BASE + PATH, body, format="json", headers=headers)
    except Exception as exc:  # the request whose backend is killed dies of it
        return exc
    finally:
        connection.close()


@contextmanager
def _jobs_locked() -> Iterator[int]:
    """Hold, until the block ends, a lock that stops every import before it writes its job; the
    holder's backend pid."""
    holder = connection.get_new_connection(connection.get_connection_params())
    holder.autocommit = False
    holder.execute(f"LOCK TABLE {ImportJob._meta.db_table} IN EXCLUSIVE MODE")
    try:
        yield holder.info.backend_pid
    finally:
        holder.rollback()
        holder.close()


def _backend_waiting_for(pid: int) -> int:
    """The backend (other than ours) that waits for a lock `pid` holds."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
            )
            rows = cursor.fetchall()
            if rows:
                [(waiting,)] = rows
                return waiting
            time.sleep(0.01)
    raise AssertionError(f"nothing waited for backend {pid}")


def _submit(pool: ThreadPoolExecutor, key: str, body: dict = BATCH, **options) -> Future:
    return pool.submit(_post, key, body, KEY, **options)


@pytest.mark.parametrize("reconnects", [True, False], ids=["worker lives", "worker cut off"])
def test_the_retry_of_a_batch_whose_backend_was_killed_runs_at_once_and_imports_once(
    caller, reconnects
):
    # Cut off, the dying request cannot clean up after itself (nor need it: it left nothing).
    with ThreadPoolExecutor(max_workers=1) as pool, _jobs_locked() as holder:
        first = _submit(pool, caller.key, reconnects=reconnects)
        batch_backend = _backend_waiting_for(holder)  # mid-import: targets written, no job yet
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [batch_backend])
        died = first.result(timeout=10)

    started = time.monotonic()
    retry = caller.post(PATH, BATCH, **KEY)
    elapsed = time.monotonic() - started
    replay = caller.post(PATH, BATCH, **KEY)

    assert isinstance(died, Exception) or died.status_code >= 500
    assert retry.status_code == 200, retry.content
    assert elapsed < 1
    assert "Idempotent-Replayed" not in retry.headers
    assert [item["status"] for item in retry.json()["items"]] == ["Imported"] * 20
    assert Target.objects.count() == 20
    assert sorted(Target.objects.values_list("external_id", flat=True)) == sorted(
        item["externalId"] for item in BATCH["items"]
    )
    assert ImportJob.objects.count() == 1
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == retry.json()


@pytest.mark.parametrize(
    ("second_body", "second_status"),
    [(BATCH, 200), ({"items": BATCH["items"][:1]}, 422)],
    ids=["same body replays", "other body is 422"],
)
def test_a_concurrent_duplicate_waits_for_the_running_request(caller, second_body, second_status):
    with ThreadPoolExecutor(max_workers=2) as pool:
        with _jobs_locked() as holder:
            first = _submit(pool, caller.key)
            first_backend = _backend_waiting_for(holder)
            second = _submit(pool, caller.key, second_body)
            _backend_waiting_for(first_backend)  # the duplicate waits on the key's row
        first, second = first.result(timeout=10), second.result(timeout=10)

    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert second.status_code == second_status
    if second_status == 200:
        assert second.headers["Idempotent-Replayed"] == "true"
        assert second.json() == first.json()
    else:
        assert second.json()["type"].endswith("idempotency-key-reused")
    assert ImportJob.objects.count() == 1
    assert Target.objects.count() == 20


def test_a_duplicate_that_waits_too_long_is_409_and_the_first_request_completes(caller, settings):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "IDEMPOTENCY_WAIT_MS": 200}
    with ThreadPoolExecutor(max_workers=1) as pool:
        with _jobs_locked() as holder:
            first = _submit(pool, caller.key)
            _backend_waiting_for(holder)
            started = time.monotonic()
            busy = caller.post(PATH, BATCH, **KEY)
            waited = time.monotonic() - started
        first = first.result(timeout=10)
    replay = caller.post(PATH, BATCH, **KEY)

    assert busy.status_code == 409
    assert busy["Retry-After"] == "1"
    assert busy.json()["type"].endswith("idempotency-key-in-flight")
    assert waited >= 0.2
    assert first.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert ImportJob.objects.count() == IdempotencyRecord.objects.count() == 1
