"""Asynchronous imports in tests: posted through the API, their chunk jobs run in the test's
process as a worker runs them."""

import json

import orjson
from django.db import connection

from inbound.async_imports import IMPORT_CHUNK_TASK, IMPORT_QUEUE
from inbound.tasks import chunk_import
from tests.api import BASE

PATH = "inbound/imports"


def post_ndjson(caller, body: bytes | list, **headers):
    if isinstance(body, list):
        body = b"\n".join(orjson.dumps(item) for item in body) + b"\n"
    return caller.http.post(
        BASE + PATH, body, content_type="application/x-ndjson", headers=headers or None
    )


def queued_chunks() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args FROM procrastinate_jobs WHERE queue_name = %s AND task_name = %s "
            "AND status = 'todo' ORDER BY id",
            [IMPORT_QUEUE, IMPORT_CHUNK_TASK],
        )
        return [row[0] if isinstance(row[0], dict) else json.loads(row[0]) for row in cursor]


def run_chunks(order=None) -> int:
    """Run the queued chunk jobs (as a worker would) until none is left (each chunk queues the
    next of its lane), forgetting those run; `order` reorders each round of them. Returns how
    many ran."""
    ran = 0
    while chunks := queued_chunks():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = %s", [IMPORT_QUEUE])
        for args in order(chunks) if order else chunks:
            chunk_import(**args)
        ran += len(chunks)
    return ran
