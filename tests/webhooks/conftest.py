"""A real HTTP receiver on loopback (scriptable answers, every request recorded) and real worker
processes (`manage.py procrastinate worker`) on the test database."""

import contextlib
import ssl
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import transaction

from tests.workers import Worker, procrastinate_reset  # noqa: F401 (used by the tests here)
from webhooks import http
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.outbox import deliveries_queue

from .factories import WebhookDeliveryFactory, WebhookEndpointFactory

ROOT = Path(__file__).resolve().parents[2]
TLS = Path(__file__).resolve().parent / "tls"


# --- the receiver --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the receiver answers one request with, after `delay` seconds."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.time() when the request's body was read

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """An HTTP/1.1 server (keep-alive) in threads: scripted answers (`script`), else 200.
    `requests` lists what arrived, in order."""

    def __init__(self, *, tls: bool = False) -> None:
        self.requests: list[Received] = []
        self.connections = 0  # TCP connections accepted
        self._answers: dict[str, deque[Answer]] = defaultdict(deque)
        self._changed = threading.Condition()
        self._closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver._changed:
                    receiver.connections += 1

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                request = Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.time(),
                )
                answer = receiver._answer_next(request)
                if answer.delay:
                    receiver._closing.wait(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format, *args) -> None:
                pass

            def handle(self) -> None:
                # The worker may go away meanwhile (killed, or timed out).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:  # a certificate for hooks.test, by the test CA of tests/webhooks/tls/
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(TLS / "hooks.test.pem", TLS / "hooks.test.key")
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, key: str, *answers: Answer) -> None:
        """Answers for the next requests to a path ("/hook") or of an event (its webhook-id,
        "msg_…"), in order; the event's script goes first."""
        with self._changed:
            self._answers[key].extend(answers)

    def _answer_next(self, request: Received) -> Answer:
        with self._changed:
            self.requests.append(request)
            answer = Answer()
            for key in (request.headers.get("webhook-id", ""), request.path):
                if self._answers.get(key):
                    answer = self._answers[key].popleft()
                    break
            self._changed.notify_all()
        return answer

    def received(self, path: str | None = None) -> list[Received]:
        with self._changed:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 30) -> list[Received]:
        """The first `count` requests (to `path`), once they arrived; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                got = [r for r in self.requests if path is None or r.path == path]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"the receiver got {len(got)} of {count} requests in {timeout} s")
                self._changed.wait(left)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


@pytest.fixture
def fresh_connections() -> Iterator[None]:
    """No connection kept from another test: each test's receiver is a new server."""
    http.pools.clear()
    yield
    http.pools.clear()


@pytest.fixture
def endpoint(receiver):
    """An endpoint of a new client at the test's receiver (path /hook)."""
    return WebhookEndpointFactory(url=receiver.url("/hook"))


@pytest.fixture
def tls_receiver(monkeypatch) -> Iterator[Receiver]:
    """A receiver on HTTPS with a certificate for hooks.test, trusted (SSL_CERT_FILE: the test
    CA, which OpenSSL's default verify paths read) for the test's duration."""
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "ca.pem"))
    server = Receiver(tls=True)
    server.start()
    yield server
    server.close()


# --- events --------------------------------------------------------------------------------------


def delivery_queue(endpoint, *, target_id: int | None = None, **event_fields) -> WebhookDelivery:
    """An event of `endpoint`'s client and its delivery to `endpoint`, committed with its job
    (what the outbox does in the transaction of the change)."""
    with transaction.atomic():
        delivery = WebhookDeliveryFactory(
            endpoint=endpoint, event__target_id=target_id, **event_fields
        )
        deliveries_queue(deliveries=[delivery])
    return delivery


# --- workers: tests/workers.py (worker_start is a fixture of every test package) --------------


def deliveries_wait(
    deliveries, *, status: str, timeout: float = 30, workers: tuple[Worker, ...] = ()
) -> list[WebhookDelivery]:
    """The deliveries, fresh from the database, once all of them have `status`."""
    ids = [d.pk for d in deliveries]
    deadline = time.monotonic() + timeout
    while True:
        fresh = {d.pk: d for d in WebhookDelivery.objects.filter(pk__in=ids)}
        if all(fresh[pk].status == status for pk in ids):
            return [fresh[pk] for pk in ids]
        if time.monotonic() > deadline:
            logs = "\n".join(w.log()[-4000:] for w in workers)
            pytest.fail(
                f"deliveries not {status} after {timeout} s: "
                f"{[(pk, fresh[pk].status, fresh[pk].attempt_count) for pk in ids]}\n{logs}"
            )
        time.sleep(0.1)


def event_of(delivery: WebhookDelivery) -> WebhookEvent:
    return WebhookEvent.objects.get(pk=delivery.event_id)
