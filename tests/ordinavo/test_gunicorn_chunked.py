"""A chunked request body (no Content-Length) under gunicorn, the production server: gunicorn
hands it on without CONTENT_LENGTH, which Django alone reads as an empty body."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inbound.api.examples import MINIMAL_TARGET
from inbound.models import Target
from tests.api import BASE
from tests.database import current_database_url
from tests.workers import procrastinate_reset

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 4096

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn_url():
    """gunicorn on the test database, with a body limit of LIMIT bytes."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ordinavo.settings.test",
        "DATABASE_URL": current_database_url(),
        "INBOUND_MAX_BODY_BYTES": str(LIMIT),
    }
    server = subprocess.Popen(  # noqa: S603 (this interpreter's gunicorn, fixed arguments)
        [sys.executable, "-m", "gunicorn", "ordinavo.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
        procrastinate_reset()  # the chunk jobs of its asynchronous imports, committed


def _post_chunked(
    port: int,
    key: str,
    body: bytes,
    path: str = "inbound/targets",
    content_type: str = "application/json",
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        chunks = (body[i : i + 1000] for i in range(0, len(body), 1000))
        conn.request(
            "POST",
            BASE + path,
            body=chunks,
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": content_type,
                "Transfer-Encoding": "chunked",
            },
            encode_chunked=True,
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_a_chunked_body_is_imported_and_one_over_the_limit_is_a_413(gunicorn_url, caller):
    small = json.dumps(MINIMAL_TARGET).encode()
    large = json.dumps({**MINIMAL_TARGET, "externalId": "BIG", "title": "x" * LIMIT}).encode()

    imported = _post_chunked(gunicorn_url, caller.key, small)
    refused = _post_chunked(gunicorn_url, caller.key, large)

    assert imported[0] == 200, imported
    assert imported[1]["items"][0]["externalId"] == MINIMAL_TARGET["externalId"]
    assert refused[0] == 413, refused
    assert refused[1]["status"] == 413
    assert list(Target.objects.values_list("title", flat=True)) == [MINIMAL_TARGET["title"]]


def test_a_chunked_async_import_is_streamed_under_its_own_limit(gunicorn_url, caller):
    # Far more than the other endpoints' LIMIT: the asynchronous import streams its body under
    # INBOUND_MAX_ASYNC_BODY_BYTES instead of having it read by the middleware.
    body = b"\n".join(
        json.dumps({**MINIMAL_TARGET, "externalId": f"JOB-{n}"}).encode() for n in range(100)
    )
    assert len(body) > LIMIT

    status, answer = _post_chunked(
        gunicorn_url, caller.key, body, "inbound/imports", "application/x-ndjson"
    )

    assert status == 202, answer
    assert answer["itemCount"] == 100
