"""Synchronous imports first: a worker about to import a chunk of an asynchronous job waits while
synchronous imports run (INBOUND_ASYNC_YIELD_SECONDS), found by the advisory lock they hold."""

import threading
import time

import psycopg
import pytest
from django.db import connection

from inbound.async_imports import sync_imports_running, sync_imports_yield
from inbound.models import ImportJob
from inbound.sql import SYNC_IMPORT_LOCK, SYNC_IMPORTS_RUNNING_SQL
from inbound.tasks import chunk_import
from tests.inbound.async_jobs import post_ndjson, queued_chunks

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_connection():
    """A second session on the test database: another request's or another worker's."""
    settings = connection.settings_dict
    conn = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )
    yield conn
    conn.close()


def hold_sync_import_lock(conn: psycopg.Connection) -> psycopg.Transaction:
    """`conn` in the transaction of a synchronous import (holding what it holds)."""
    transaction = conn.transaction()
    transaction.__enter__()
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", SYNC_IMPORT_LOCK)
    return transaction


def test_a_synchronous_import_holds_the_lock_for_its_transaction(caller, other_connection):
    def seen_running() -> bool:
        [(running,)] = other_connection.execute(SYNC_IMPORTS_RUNNING_SQL, SYNC_IMPORT_LOCK * 2)
        return running

    assert not seen_running()

    response = caller.post("inbound/targets/batch", {"items": [{"externalId": "J-1"}]})

    assert response.status_code == 200
    # The test's transaction is still open: so is the import's, for another session.
    assert seen_running()


def test_sync_imports_running_sees_another_sessions_import(other_connection):
    assert not sync_imports_running()
    transaction = hold_sync_import_lock(other_connection)

    assert sync_imports_running()

    transaction.__exit__(None, None, None)
    assert not sync_imports_running()


def test_asking_leaves_the_lock_free_for_requests(other_connection):
    assert not sync_imports_running()

    # The exclusive lock taken to ask is gone at once: a request's shared one is granted.
    other_connection.execute("SET lock_timeout = '100ms'")
    other_connection.execute("SELECT pg_advisory_lock_shared(%s, %s)", SYNC_IMPORT_LOCK)
    assert sync_imports_running()
    other_connection.execute("SELECT pg_advisory_unlock_shared(%s, %s)", SYNC_IMPORT_LOCK)


def test_no_wait_when_no_synchronous_import_runs():
    assert sync_imports_yield(most=5) == 0


def test_the_wait_ends_a_quarter_second_after_the_synchronous_imports(other_connection):
    transaction = hold_sync_import_lock(other_connection)
    timer = threading.Timer(0.3, transaction.__exit__, (None, None, None))
    timer.start()
    try:
        waited = sync_imports_yield(most=10)
    finally:
        timer.join()

    assert 0.5 <= waited < 5


def test_a_steady_stream_of_synchronous_imports_delays_a_chunk_by_at_most_the_setting(
    other_connection,
):
    transaction = hold_sync_import_lock(other_connection)
    try:
        waited = sync_imports_yield(most=0.4)
    finally:
        transaction.__exit__(None, None, None)

    assert 0.4 <= waited < 2


def test_zero_seconds_turns_the_wait_off(other_connection):
    transaction = hold_sync_import_lock(other_connection)
    try:
        assert sync_imports_yield(most=0) == 0
    finally:
        transaction.__exit__(None, None, None)


def test_a_chunk_waits_for_synchronous_imports_then_imports(caller, other_connection, settings):
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "ASYNC_YIELD_SECONDS": 0.5}
    response = post_ndjson(caller, [{"externalId": f"JOB-{n}", "title": "Visit"} for n in range(3)])
    [chunk] = queued_chunks()
    transaction = hold_sync_import_lock(other_connection)
    try:
        started = time.monotonic()
        chunk_import(**chunk)
        took = time.monotonic() - started
    finally:
        transaction.__exit__(None, None, None)

    assert took >= 0.5
    job = ImportJob.objects.get(pk=response.json()["importJobId"])
    assert job.status == "Completed"
    assert job.processed_count == 3
