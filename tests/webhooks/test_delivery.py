"""One delivery attempt against a real HTTP receiver on loopback (SPEC §7): envelope and
signatures as a `standardwebhooks` receiver verifies them, what each answer leads to, and what
is recorded."""

import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from procrastinate.jobs import Job
from standardwebhooks import Webhook, WebhookVerificationError

from tests.factories import TenantFactory
from webhooks.choices import DeliveryStatus, DisabledReason
from webhooks.delivery import (
    batch_send,
    deliveries_due,
    lane_send,
    retry_after_seconds,
    retry_delay,
)
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.tasks import SendRetryStrategy

from .conftest import Answer
from .factories import (
    WebhookDeliveryFactory,
    WebhookEventFactory,
    secret_new,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_connections")]

SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]


def attempt(delivery, *, number=1, final=False):
    """Run attempt `number` (`final`: the schedule's last) of this delivery alone, as a send run
    does (when it is due); `delivery` and its endpoint are refreshed."""
    attempts_before = len(settings.WEBHOOK_RETRY_SCHEDULE) if final else number - 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempt_count=attempts_before)
    # A retry's time has come.
    WebhookDelivery.objects.filter(pk=delivery.pk, next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now()
    )
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    due = [
        d
        for d in deliveries_due(
            tenant_id=delivery.tenant_id, endpoint_id=endpoint.pk, lane=delivery.lane, limit=1000
        )
        if d.id == delivery.pk
    ]
    batch_send(endpoint=endpoint, due=due)
    delivery.refresh_from_db()
    delivery.endpoint.refresh_from_db()


def attempt_retried(delivery, **options):
    """`attempt`, which must leave the delivery Pending for a retry; when it is due."""
    attempt(delivery, **options)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None
    return delivery.next_attempt_at


def attempts_of(delivery) -> list[WebhookAttempt]:
    return list(WebhookAttempt.objects.filter(delivery=delivery).order_by("id"))


# --- envelope and signature ----------------------------------------------------------------------


def test_a_delivery_is_signed_as_standard_webhooks_receivers_verify_it(receiver, endpoint):
    delivery = WebhookDeliveryFactory(
        endpoint=endpoint,
        event__type="target.customer_context_changed",
        event__payload={"target": {"id": 7, "title": "Wartung Ä"}, "sequence": 3},
    )
    before = int(timezone.now().timestamp())

    attempt(delivery)

    (request,) = receiver.received("/hook")
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    event = delivery.event
    assert payload == {
        "type": "target.customer_context_changed",
        "timestamp": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {"target": {"id": 7, "title": "Wartung Ä"}, "sequence": 3},
    }
    assert request.headers["webhook-id"] == event.message_id == f"msg_{event.webhook_id.hex}"
    assert before <= int(request.headers["webhook-timestamp"]) <= before + 5
    assert request.headers["webhook-signature"].startswith("v1,")
    assert " " not in request.headers["webhook-signature"]  # one secret, one signature
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_new()).verify(request.body, request.headers)


@override_settings(WEBHOOK_LANES_PER_ENDPOINT=1)
@pytest.mark.parametrize("count", [1, 5])
def test_a_run_reads_a_batch_with_one_query_and_records_it_with_one_statement(
    receiver, endpoint, count
):
    deliveries = [WebhookDeliveryFactory(endpoint=endpoint) for _ in range(count)]
    receiver.script("/hook", *[Answer(200, body=b'{"ok": true}')] * count)

    with CaptureQueriesContext(connection) as queries:
        finished = lane_send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=0)

    assert finished
    statements = [
        q["sql"].split()[0] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]
    ]
    # The lane's request cleared; the endpoint and the due deliveries read; the attempts
    # inserted and the deliveries updated in one statement (the endpoint is not written:
    # nothing of its health changed); then the endpoint and the due ones again: none left.
    assert statements == ["DELETE", "SELECT", "SELECT", "WITH", "SELECT", "SELECT"]
    assert len(receiver.received("/hook")) == count
    delivery = deliveries[0]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_count == 1
    assert delivery.delivered_at is not None
    assert delivery.last_attempt_at is not None
    assert delivery.next_attempt_at is None
    (recorded,) = attempts_of(delivery)
    assert (recorded.status_code, recorded.succeeded, recorded.error) == (200, True, "")
    assert recorded.response_body == '{"ok": true}'
    assert recorded.tenant_id == delivery.tenant_id
    assert recorded.duration_ms >= 0


def test_both_signatures_are_sent_during_the_grace_period_of_a_rotation(receiver, endpoint):
    old, new = secret_new(), secret_new()
    endpoint.secret, endpoint.previous_secret = new, old
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(hours=23)
    endpoint.save()
    first = WebhookDeliveryFactory(endpoint=endpoint)
    attempt(first)

    (request,) = receiver.received()
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(request.body, request.headers)
    Webhook(old).verify(request.body, request.headers)  # a receiver not yet switched over

    # Grace over: only the new secret signs.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )
    attempt(WebhookDeliveryFactory(endpoint=endpoint))
    later = receiver.received()[1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(later.body, later.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(later.body, later.headers)


# --- failures and retries ------------------------------------------------------------------------


def test_a_retry_sends_the_same_webhook_id_and_body_newly_signed(receiver, endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    receiver.script("/hook", Answer(500, body=b"oops"))

    retry = attempt_retried(delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempt_count == 1
    assert delivery.next_attempt_at == retry
    wait = (retry - timezone.now()).total_seconds()
    assert 5 * 0.9 - 1 <= wait <= 5 * 1.1

    attempt(delivery, number=2)

    first, second = receiver.received()
    assert first.webhook_id == second.webhook_id == delivery.event.message_id
    assert first.body == second.body
    Webhook(endpoint.secret).verify(second.body, second.headers)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_count == 2
    assert [(a.status_code, a.succeeded, a.response_body) for a in attempts_of(delivery)] == [
        (500, False, "oops"),
        (200, True, ""),
    ]
    assert attempts_of(delivery)[0].error == "HTTP 500"


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured(receiver, endpoint, status):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    receiver.script("/hook", Answer(status, headers={"Retry-After": "120"}))

    retry = attempt_retried(delivery)

    wait = (retry - timezone.now()).total_seconds()
    assert 119 <= wait <= 132  # 120 s, plus at most 10% so held-back deliveries spread out


def test_retry_after_as_an_http_date_is_honoured(receiver, endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    receiver.script("/hook", Answer(503, headers={"Retry-After": format_datetime(when, True)}))

    retry = attempt_retried(delivery)

    assert when - timedelta(seconds=2) <= retry <= when + timedelta(seconds=61)


def test_retry_after_is_bounded_and_ignored_on_other_statuses(receiver, endpoint):
    receiver.script(
        "/hook",
        Answer(429, headers={"Retry-After": "99999999"}),
        Answer(500, headers={"Retry-After": "3000"}),
    )
    capped = attempt_retried(WebhookDeliveryFactory(endpoint=endpoint))
    ignored = attempt_retried(WebhookDeliveryFactory(endpoint=endpoint))

    capped_wait = (capped - timezone.now()).total_seconds()
    assert 10 * 3600 - 5 <= capped_wait <= 11 * 3600
    assert (ignored - timezone.now()).total_seconds() <= 6  # the schedule's 5 s


def test_retry_after_parsing():
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("30", now=now) == 30
    assert retry_after_seconds("Sat, 05 Dec 2026 12:01:00 GMT", now=now) == 60
    assert retry_after_seconds("Sat, 05 Dec 2026 11:00:00 GMT", now=now) == 0  # past: now
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds("-5", now=now) is None
    assert retry_after_seconds(None, now=now) is None


def test_a_redirect_is_not_followed_but_recorded_as_a_failure(receiver, endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    receiver.script("/hook", Answer(302, headers={"Location": receiver.url("/elsewhere")}))

    attempt_retried(delivery)

    assert [r.path for r in receiver.received()] == ["/hook"]
    (recorded,) = attempts_of(delivery)
    assert (recorded.status_code, recorded.succeeded) == (302, False)
    assert "redirects are not followed" in recorded.error
    assert delivery.status == DeliveryStatus.PENDING


@override_settings(WEBHOOK_TIMEOUT_SECONDS=0.5)
def test_a_receiver_slower_than_the_timeout_is_a_failure(receiver, endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    receiver.script("/hook", Answer(200, delay=3))

    attempt_retried(delivery)

    (recorded,) = attempts_of(delivery)
    assert (recorded.status_code, recorded.succeeded, recorded.error) == (None, False, "timed out")
    assert 400 <= recorded.duration_ms < 2500


def test_a_refused_connection_is_a_failure():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delivery = WebhookDeliveryFactory(endpoint__url=f"http://127.0.0.1:{port}/hook")

    attempt_retried(delivery)

    (recorded,) = attempts_of(delivery)
    assert recorded.status_code is None
    assert recorded.error.startswith("could not connect to 127.0.0.1: ")
    assert "refused" in recorded.error


def test_the_final_attempt_gives_up(receiver, endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    receiver.script("/hook", Answer(500))

    attempt(delivery, number=8, final=True)  # no DeliveryRetry

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.endpoint.is_enabled


def test_the_first_two_kilobytes_of_the_answer_are_kept(receiver, endpoint):
    text = ("Fehler: Überlauf " * 400).encode()  # 7,200 bytes, 2-byte characters among them
    receiver.script("/hook", Answer(500, body=text), Answer(200, body=b"x" * 1_000_000))
    first = WebhookDeliveryFactory(endpoint=endpoint)
    second = WebhookDeliveryFactory(endpoint=endpoint)

    attempt_retried(first)
    attempt(second)

    kept = attempts_of(first)[0].response_body
    assert kept == text[:2048].decode("utf-8", errors="replace")
    assert attempts_of(second)[0].response_body == "x" * 2048
    assert second.status == DeliveryStatus.DELIVERED


def test_connections_are_kept_between_deliveries(receiver, endpoint):
    for _ in range(3):
        attempt(WebhookDeliveryFactory(endpoint=endpoint))
    assert len(receiver.received()) == 3
    assert receiver.connections == 1


# --- the endpoint's health -----------------------------------------------------------------------


def test_410_gone_disables_the_endpoint_and_later_deliveries_are_cancelled(receiver, endpoint):
    gone = WebhookDeliveryFactory(endpoint=endpoint)
    later = WebhookDeliveryFactory(endpoint=endpoint)
    receiver.script("/hook", Answer(410))

    attempt(gone)  # no retry

    assert gone.status == DeliveryStatus.FAILED
    endpoint.refresh_from_db()
    assert (endpoint.is_enabled, endpoint.disabled_reason) == (False, DisabledReason.GONE)
    assert endpoint.disabled_at is not None

    attempt(later)

    assert later.status == DeliveryStatus.CANCELLED
    assert later.attempt_count == 0
    assert len(receiver.received()) == 1


def test_failing_since_is_set_by_the_first_failure_and_cleared_by_a_success(receiver, endpoint):
    receiver.script("/hook", Answer(500), Answer(500))
    attempt_retried(WebhookDeliveryFactory(endpoint=endpoint))
    endpoint.refresh_from_db()
    first_failure = endpoint.failing_since
    assert first_failure is not None

    attempt_retried(WebhookDeliveryFactory(endpoint=endpoint))
    endpoint.refresh_from_db()
    assert endpoint.failing_since == first_failure  # the run's start, kept

    attempt(WebhookDeliveryFactory(endpoint=endpoint))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_an_endpoint_failing_for_five_days_is_disabled(receiver, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=4, hours=23)
    )
    receiver.script("/hook", Answer(503), Answer(500))
    attempt_retried(WebhookDeliveryFactory(endpoint=endpoint))  # 4 days 23 hours: not yet
    endpoint.refresh_from_db()
    assert endpoint.is_enabled

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=5, minutes=1)
    )
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    attempt(delivery)  # no retry

    assert delivery.status == DeliveryStatus.FAILED
    endpoint.refresh_from_db()
    assert (endpoint.is_enabled, endpoint.disabled_reason) == (False, DisabledReason.FAILING)
    attempt(later := WebhookDeliveryFactory(endpoint=endpoint))
    assert later.status == DeliveryStatus.CANCELLED


def test_a_disabled_endpoint_gets_nothing(receiver, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_enabled=False, disabled_reason=DisabledReason.MANUAL
    )
    delivery = WebhookDeliveryFactory(endpoint=endpoint)

    attempt(delivery)

    assert delivery.status == DeliveryStatus.CANCELLED
    assert receiver.received() == []


@pytest.mark.parametrize(
    "status", [DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED, DeliveryStatus.FAILED]
)
def test_a_delivery_that_is_no_longer_pending_is_not_sent_again(receiver, endpoint, status):
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status=status)
    attempt(delivery)
    assert receiver.received() == []
    assert delivery.status == status


def test_a_delivery_whose_event_is_of_another_tenant_is_not_sent(receiver, endpoint):
    stranger = WebhookEventFactory(client__tenant=TenantFactory())
    delivery = WebhookDeliveryFactory(endpoint=endpoint, event=stranger)
    attempt(delivery)
    assert receiver.received() == []
    assert delivery.status == DeliveryStatus.PENDING


# --- SSRF at attempt time ------------------------------------------------------------------------


@override_settings(WEBHOOK_ALLOWED_NETWORKS=[])
def test_an_address_refused_before_the_attempt_is_a_failed_attempt(receiver, endpoint):
    delivery = WebhookDeliveryFactory(endpoint=endpoint)  # 127.0.0.1, no longer allowed

    attempt_retried(delivery)

    assert receiver.received() == []
    (recorded,) = attempts_of(delivery)
    assert recorded.status_code is None
    assert recorded.error.startswith("Not sent: The address 127.0.0.1, a loopback address")
    assert delivery.attempt_count == 1
    assert delivery.endpoint.failing_since is not None


@override_settings(WEBHOOK_ALLOWED_NETWORKS=[])
def test_a_name_that_now_resolves_to_a_private_address_is_not_called(receiver, monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.1.1", port))
        ],
    )
    delivery = WebhookDeliveryFactory(endpoint__url="http://hooks.example.com/hook")

    attempt_retried(delivery)

    assert "hooks.example.com resolves to 10.1.1.1, a private address" in (
        attempts_of(delivery)[0].error
    )


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(receiver, monkeypatch):
    # DNS rebinding: the first answer is checked and used; a second lookup (by an HTTP client
    # resolving the name itself) would be sent to a private address here.
    answers = iter(["127.0.0.1", "10.9.9.9"])
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "127.0.0.1":  # an IP literal resolves to itself, no DNS asked
            lookups.append(host)
            host = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    delivery = WebhookDeliveryFactory(endpoint__url=f"http://hooks.test:{receiver.port}/hook")

    attempt(delivery)

    assert lookups == ["hooks.test"]
    (request,) = receiver.received()
    assert request.headers["host"] == f"hooks.test:{receiver.port}"
    assert delivery.status == DeliveryStatus.DELIVERED


def resolving_to_loopback(monkeypatch, *names: str) -> list[str]:
    """socket.getaddrinfo answering 127.0.0.1 for `names` (IP literals as themselves); the
    names looked up, in order."""
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            lookups.append(host)
            host = "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@override_settings(WEBHOOK_ALLOW_HTTP=False)
def test_https_goes_to_the_checked_address_with_the_url_host_s_certificate(
    tls_receiver, monkeypatch
):
    lookups = resolving_to_loopback(monkeypatch, "hooks.test")
    delivery = WebhookDeliveryFactory(endpoint__url=f"https://hooks.test:{tls_receiver.port}/in")

    attempt(delivery)

    assert delivery.status == DeliveryStatus.DELIVERED
    assert lookups == ["hooks.test"]
    (request,) = tls_receiver.received()
    assert request.path == "/in"
    assert request.headers["host"] == f"hooks.test:{tls_receiver.port}"
    Webhook(delivery.endpoint.secret).verify(request.body, request.headers)


@override_settings(WEBHOOK_ALLOW_HTTP=False)
def test_a_certificate_of_another_name_is_a_failure(tls_receiver, monkeypatch):
    resolving_to_loopback(monkeypatch, "other.test")
    delivery = WebhookDeliveryFactory(endpoint__url=f"https://other.test:{tls_receiver.port}/in")

    attempt_retried(delivery)

    assert tls_receiver.received() == []
    (recorded,) = attempts_of(delivery)
    assert recorded.status_code is None
    assert "TLS error" in recorded.error
    assert "other.test" in recorded.error


# --- logging -------------------------------------------------------------------------------------


def test_neither_secrets_nor_bodies_are_logged(receiver, endpoint, caplog):
    delivery = WebhookDeliveryFactory(endpoint=endpoint, event__payload={"name": "Geheim GmbH"})
    receiver.script("/hook", Answer(500, body=b"receiver-private-answer"))
    with caplog.at_level(logging.DEBUG):
        attempt_retried(delivery)
    assert caplog.text  # the attempt is logged...
    for secret in (
        endpoint.secret,
        endpoint.secret.removeprefix("whsec_"),
        "Geheim",
        "receiver-private",
    ):
        assert secret not in caplog.text  # ...without its secret or bodies


# --- the task and its retry strategy -------------------------------------------------------------


def job(attempts: int) -> Job:
    return Job(
        id=1,
        queue="webhooks",
        lock=None,
        queueing_lock=None,
        task_name="webhooks.send",
        task_kwargs={},
        attempts=attempts,
    )


def test_retry_delays_follow_the_schedule_with_ten_percent_jitter():
    assert SCHEDULE == [5, 300, 1800, 7200, 18000, 36000, 36000]
    for retries_done, seconds in enumerate(SCHEDULE):
        delays = [retry_delay(retries_done=retries_done) for _ in range(200)]
        assert all(seconds * 0.9 <= d <= seconds * 1.1 for d in delays)
        assert max(delays) - min(delays) > seconds * 0.05  # jittered, not constant
    assert retry_delay(retries_done=7) is None  # 7 retries, then give up


@override_settings(WEBHOOK_RETRY_SCHEDULE=[0.1, 0.2])
def test_the_schedule_is_read_when_deciding():
    assert 0.09 <= retry_delay(retries_done=0) <= 0.11
    assert 0.18 <= retry_delay(retries_done=1) <= 0.22
    assert retry_delay(retries_done=2) is None


def test_a_run_that_lost_its_database_runs_again_and_a_bug_does_not():
    strategy = SendRetryStrategy()
    lost_database = OperationalError("server closed the connection")

    decision = strategy.get_retry_decision(exception=lost_database, job=job(1))

    assert decision is not None
    assert timezone.now() < decision.retry_at <= timezone.now() + timedelta(seconds=6)
    assert strategy.get_retry_decision(exception=lost_database, job=job(10)) is None
    assert strategy.get_retry_decision(exception=ValueError("a bug"), job=job(0)) is None
    assert strategy.get_retry_decision(exception=KeyError("a bug"), job=job(0)) is None


@override_settings(WEBHOOK_RETRY_SCHEDULE=[1, 2])
def test_a_delivery_is_given_up_after_the_last_retry(receiver, endpoint):
    receiver.script("/hook", Answer(500), Answer(500), Answer(500))
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    for _ in range(3):
        # Its retry due (as retries_due finds it), the lane's run sends it again.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        lane_send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=delivery.lane)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.FAILED, 3)
    assert delivery.next_attempt_at is None
    assert len(receiver.received("/hook")) == 3
    assert json.loads(receiver.received()[0].body)["type"] == delivery.event.type
