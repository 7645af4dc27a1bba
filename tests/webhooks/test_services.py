"""Endpoint management and delivery-log operations (webhooks.services)."""

import base64
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks import Webhook

from ordinavo.events import EventType
from tests.factories import IntegrationClientFactory, TenantFactory
from tests.webhooks.records import (
    URL,
    attempt_make,
    delivery_make,
    endpoint_make,
    event_make,
    queued_delivery_ids,
    send_jobs,
)
from webhooks import services
from webhooks.choices import DeliveryStatus, DisabledReason
from webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSendRequest,
    delivery_lane,
)
from webhooks.outbox import lane_lock
from webhooks.services import (
    WebhookDeliveryQueued,
    WebhookEndpointDisabled,
    WebhookEndpointExists,
    WebhookReplayTooLarge,
    webhook_attempt_answers_purge,
    webhook_deliveries_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_replay,
    webhook_endpoint_secret_rotate,
    webhook_endpoint_update,
    webhook_redeliver,
    webhook_test_send,
)
from webhooks.ssrf import WebhookUrlRefused

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def client():
    return IntegrationClientFactory()


@pytest.fixture
def refuse_private(monkeypatch):
    """The SSRF guard (built by the delivery work) stands in here: it refuses 10.0.0.0/8."""

    def url_check(url: str) -> None:
        if "//10." in url:
            raise WebhookUrlRefused("10.0.0.1 is a private address.")

    monkeypatch.setattr(services, "url_check", url_check)


def _sent_lanes() -> list[tuple[int, int, str]]:
    """(endpoint id, lane, lock) of the send jobs deferred so far, oldest first."""
    return [(j.args["endpoint_id"], j.args["lane"], j.lock) for j in send_jobs()]


def _lane(endpoint: WebhookEndpoint, lane: int) -> tuple[int, int, str]:
    return (endpoint.pk, lane, lane_lock(endpoint_id=endpoint.pk, lane=lane))


def _signed_and_verified(secret_signing: str, secret_verifying: str) -> dict:
    body = '{"type":"webhook.test","timestamp":"2026-12-05T12:00:00Z","data":{}}'
    now = timezone.now()
    signature = Webhook(secret_signing).sign("msg_1", now, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return Webhook(secret_verifying).verify(body, headers)


# --- create, update ---------------------------------------------------------------------------


def test_an_endpoint_is_created_in_its_clients_tenant_with_a_standard_webhooks_secret(client):
    endpoint, secret = webhook_endpoint_create(client=client, url=URL)

    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 32
    assert endpoint.secret == secret
    assert _signed_and_verified(secret, endpoint.secret)["type"] == "webhook.test"
    assert endpoint.tenant_id == client.tenant_id
    assert (endpoint.is_enabled, endpoint.event_types) == (True, [])
    assert endpoint.include_contact_details is True
    assert endpoint.include_summary_preview is False
    assert endpoint.include_billing_details is False


def test_each_endpoint_gets_its_own_secret(client):
    _first, one = webhook_endpoint_create(client=client, url=URL)
    _second, other = webhook_endpoint_create(client=client, url=URL + "/2")

    assert one != other


def test_event_types_are_kept_once_each_in_a_stable_order(client):
    endpoint, _ = webhook_endpoint_create(
        client=client,
        url=URL,
        event_types=["billing.created", "target.imported", "billing.created"],
    )

    assert endpoint.event_types == ["target.imported", "billing.created"]


def test_an_unknown_event_type_is_refused_and_nothing_is_saved(client):
    with pytest.raises(ValueError, match=r"Unknown event types: target\.deleted"):
        webhook_endpoint_create(client=client, url=URL, event_types=["target.deleted"])

    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/hooks", "not a url", "http://10.0.0.1/hooks", " "]
)
def test_a_refused_url_saves_nothing(client, refuse_private, url):
    with pytest.raises(WebhookUrlRefused):
        webhook_endpoint_create(client=client, url=url)

    assert not WebhookEndpoint.objects.exists()


def test_the_same_url_twice_for_one_client_is_a_clear_error(client):
    webhook_endpoint_create(client=client, url=URL)

    with pytest.raises(WebhookEndpointExists, match="already has an endpoint with the URL"):
        webhook_endpoint_create(client=client, url=URL)
    other_client = IntegrationClientFactory(tenant=client.tenant)
    webhook_endpoint_create(client=other_client, url=URL)  # another client may use it

    assert WebhookEndpoint.objects.count() == 2


def test_update_changes_what_is_given_and_checks_the_url_again(client, refuse_private):
    endpoint = endpoint_make(client, event_types=["target.imported"])

    webhook_endpoint_update(endpoint=endpoint, include_summary_preview=True, event_types=[])
    with pytest.raises(WebhookUrlRefused):
        webhook_endpoint_update(endpoint=endpoint, url="http://10.1.2.3/x")

    endpoint.refresh_from_db()
    assert endpoint.event_types == []  # all
    assert endpoint.include_summary_preview is True
    assert endpoint.include_contact_details is True  # not given: unchanged
    assert endpoint.url == URL


def test_update_to_another_endpoints_url_is_a_clear_error(client):
    endpoint_make(client, url=URL)
    endpoint = endpoint_make(client, url=URL + "/2")

    with pytest.raises(WebhookEndpointExists):
        webhook_endpoint_update(endpoint=endpoint, url=URL)


def test_an_endpoint_cannot_be_saved_in_another_tenant_than_its_client(client):
    endpoint = endpoint_make(client)
    endpoint.tenant = TenantFactory()

    with pytest.raises(ValidationError, match="another tenant"):
        webhook_endpoint_update(endpoint=endpoint, description="moved")


# --- secret, enabled state --------------------------------------------------------------------


def test_a_rotated_secret_keeps_the_previous_one_signing_for_the_grace_period(client, settings):
    settings.WEBHOOK_SECRET_GRACE_HOURS = 24
    endpoint, old = webhook_endpoint_create(client=client, url=URL)
    before = timezone.now()

    new = webhook_endpoint_secret_rotate(endpoint=endpoint)

    endpoint.refresh_from_db()
    assert new != old
    assert new.startswith("whsec_")
    assert (endpoint.secret, endpoint.previous_secret) == (new, old)
    assert endpoint.secret_rotated_at >= before
    grace = endpoint.previous_secret_expires_at - endpoint.secret_rotated_at
    assert grace == timedelta(hours=24)
    assert _signed_and_verified(new, endpoint.secret)


def test_disable_and_enable(client):
    endpoint = endpoint_make(client)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now())
    endpoint.refresh_from_db()

    webhook_endpoint_disable(endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.is_enabled is False
    assert endpoint.disabled_reason == DisabledReason.MANUAL
    assert endpoint.disabled_at is not None

    webhook_endpoint_enable(endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.is_enabled is True
    assert endpoint.disabled_reason == DisabledReason.NONE
    assert (endpoint.disabled_at, endpoint.failing_since) == (None, None)


def test_enabling_checks_the_url_again(client, refuse_private):
    endpoint = endpoint_make(client)
    webhook_endpoint_disable(endpoint=endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://10.0.0.1/now-private")
    endpoint.refresh_from_db()

    with pytest.raises(WebhookUrlRefused):
        webhook_endpoint_enable(endpoint=endpoint)

    endpoint.refresh_from_db()
    assert endpoint.is_enabled is False


# --- test event -------------------------------------------------------------------------------


def test_a_test_event_goes_to_this_endpoint_only(client):
    endpoint = endpoint_make(client, event_types=["target.imported"])  # not webhook.test
    sibling = endpoint_make(client, url=URL + "/sibling")

    delivery = webhook_test_send(endpoint=endpoint)

    event = WebhookEvent.objects.get()
    assert event.type == EventType.WEBHOOK_TEST
    assert (event.tenant_id, event.client_id, event.target_id) == (
        client.tenant_id,
        client.pk,
        None,
    )
    assert event.payload["endpointId"] == endpoint.pk
    assert list(WebhookDelivery.objects.values_list("pk", "endpoint_id", "status")) == [
        (delivery.pk, endpoint.pk, DeliveryStatus.PENDING)
    ]
    assert not sibling.deliveries.exists()
    # About no target: the lane of its event's id; the run of that lane asked for.
    assert delivery.lane == delivery_lane(target_id=None, event_id=event.pk)
    (job,) = send_jobs()
    assert job.args == {
        "tenant_id": client.tenant_id,
        "endpoint_id": endpoint.pk,
        "lane": delivery.lane,
    }
    assert job.lock == lane_lock(endpoint_id=endpoint.pk, lane=delivery.lane)
    assert queued_delivery_ids() == [delivery.pk]


def test_no_test_event_to_a_disabled_endpoint(client):
    endpoint = webhook_endpoint_disable(endpoint=endpoint_make(client))

    with pytest.raises(WebhookEndpointDisabled, match="enable it first"):
        webhook_test_send(endpoint=endpoint)

    assert not WebhookEvent.objects.exists()
    assert send_jobs() == []


# --- redeliver --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]
)
def test_a_finished_delivery_is_redelivered_with_the_same_event(client, status):
    endpoint = endpoint_make(client)
    event = event_make(client, target_id=7)
    delivery = delivery_make(event, endpoint, status=status, attempt_count=8)
    attempt_make(delivery)

    webhook_redeliver(delivery=delivery)

    assert (delivery.status, delivery.attempt_count, delivery.delivered_at) == (
        DeliveryStatus.PENDING,
        0,
        None,
    )
    assert delivery.event.webhook_id == event.webhook_id  # the same webhook-id
    assert delivery.attempts.count() == 1  # the log keeps what happened before
    assert queued_delivery_ids() == [delivery.pk]
    assert _sent_lanes() == [_lane(endpoint, delivery_lane(target_id=7, event_id=event.pk))]


def test_a_pending_delivery_is_not_queued_twice(client):
    delivery = delivery_make(
        event_make(client), endpoint_make(client), status=DeliveryStatus.PENDING
    )

    with pytest.raises(WebhookDeliveryQueued):
        webhook_redeliver(delivery=delivery)

    assert send_jobs() == []
    assert not WebhookSendRequest.objects.exists()


def test_nothing_is_redelivered_to_a_disabled_endpoint(client):
    endpoint = endpoint_make(client)
    delivery = delivery_make(event_make(client), endpoint)
    webhook_endpoint_disable(endpoint=endpoint)
    delivery.refresh_from_db()

    with pytest.raises(WebhookEndpointDisabled):
        webhook_redeliver(delivery=delivery)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert send_jobs() == []


def _deliveries(client, endpoint, count: int) -> list[WebhookDelivery]:
    start = timezone.now() - count * HOUR
    return [
        delivery_make(event_make(client, target_id=n, at=start + n * HOUR), endpoint)
        for n in range(count)
    ]


def test_bulk_redelivery_skips_pending_and_disabled_and_keeps_the_events_order(client):
    endpoint = endpoint_make(client)
    off = endpoint_make(client, url=URL + "/off")
    finished = _deliveries(client, endpoint, 3)
    pending = delivery_make(event_make(client), endpoint, status=DeliveryStatus.PENDING)
    to_off = delivery_make(event_make(client), off)
    webhook_endpoint_disable(endpoint=off)

    queued = webhook_deliveries_redeliver(deliveries=WebhookDelivery.objects.all())

    assert queued == 3
    state = {
        pk: (status, count)
        for pk, status, count in WebhookDelivery.objects.values_list(
            "pk", "status", "attempt_count"
        )
    }
    assert [state[d.pk] for d in finished] == [(DeliveryStatus.PENDING, 0)] * 3
    assert state[pending.pk] == (DeliveryStatus.PENDING, 1)  # left as it is, not reset
    assert state[to_off.pk] == (DeliveryStatus.DELIVERED, 1)
    # A run asked for per lane of the finished ones (targets 0 to 2), none for the disabled
    # endpoint. The pending delivery (target 1) goes with its lane's run, as it would anyway.
    assert _sent_lanes() == [_lane(endpoint, d.lane) for d in finished]
    assert queued_delivery_ids() == [*(d.pk for d in finished), pending.pk]  # oldest event first


def test_bulk_redelivery_takes_the_same_queries_for_3_and_30_deliveries(client, settings):
    def queries(count: int) -> int:
        endpoint = endpoint_make(client, url=f"{URL}/{count}")
        _deliveries(client, endpoint, count)
        with CaptureQueriesContext(connection) as captured:
            assert webhook_deliveries_redeliver(deliveries=endpoint.deliveries.all()) == count
        # A job per lane of the endpoint's deliveries (targets 0 to count - 1), not per delivery.
        lanes = [lane for endpoint_id, lane, _ in _sent_lanes() if endpoint_id == endpoint.pk]
        assert lanes == list(range(min(count, settings.WEBHOOK_LANES_PER_ENDPOINT)))
        assert endpoint.deliveries.filter(pk__in=queued_delivery_ids()).count() == count
        return len(captured)

    assert queries(3) == queries(30)


# --- replay -----------------------------------------------------------------------------------


@pytest.fixture
def history(client):
    """Events of the client an hour apart (oldest first), and an endpoint that had some."""
    endpoint = endpoint_make(client)
    start = timezone.now() - 10 * HOUR
    events = [event_make(client, target_id=n % 2, at=start + n * HOUR) for n in range(6)]
    delivered = delivery_make(events[1], endpoint, status=DeliveryStatus.DELIVERED)
    failed = delivery_make(events[2], endpoint, status=DeliveryStatus.FAILED)
    pending = delivery_make(events[3], endpoint, status=DeliveryStatus.PENDING)
    return endpoint, start, events, {"delivered": delivered, "failed": failed, "pending": pending}


def test_replay_resets_sent_deliveries_creates_missing_ones_and_leaves_pending_ones(history):
    endpoint, start, events, deliveries = history

    # Events 1 to 4: 1 delivered, 2 failed, 3 pending, 4 never delivered to this endpoint.
    queued = webhook_endpoint_replay(
        endpoint=endpoint, since=start + 1 * HOUR, until=start + 5 * HOUR
    )

    assert queued == 3
    by_event = {d.event_id: d for d in WebhookDelivery.objects.filter(endpoint=endpoint)}
    assert set(by_event) == {e.pk for e in events[1:5]}
    assert {d.status for d in by_event.values()} == {DeliveryStatus.PENDING}
    assert by_event[events[1].pk].pk == deliveries["delivered"].pk  # the same delivery again
    assert [by_event[e.pk].attempt_count for e in events[1:5]] == [0, 0, 1, 0]  # 3 left as is
    created = by_event[events[4].pk]
    assert (created.target_id, created.lane) == (0, delivery_lane(target_id=0, event_id=0))
    # The runs of the lanes of targets 0 and 1 asked for, once each; they send the pending
    # delivery too, in its target's order.
    assert _sent_lanes() == [
        _lane(endpoint, lane)
        for lane in sorted({delivery_lane(target_id=t, event_id=0) for t in (0, 1)})
    ]
    assert queued_delivery_ids() == [by_event[e.pk].pk for e in events[1:5]]


def test_replay_sends_only_what_the_endpoint_subscribes_to(client, history):
    endpoint, start, _events, _ = history
    since, until = start - HOUR, start + 10 * HOUR
    WebhookDelivery.objects.all().delete()
    other = event_make(IntegrationClientFactory(tenant=client.tenant), at=start)  # other client
    event_make(client, type=EventType.WEBHOOK_TEST, target_id=None, at=start)
    event_make(client, type=EventType.BILLING_CREATED, at=start)
    context = event_make(client, type=EventType.TARGET_CUSTOMER_CONTEXT_CHANGED, at=start)
    webhook_endpoint_update(endpoint=endpoint, event_types=["target.customer_context_changed"])

    queued = webhook_endpoint_replay(endpoint=endpoint, since=since, until=until)

    assert queued == 1
    assert list(WebhookDelivery.objects.values_list("event_id", flat=True)) == [context.pk]
    assert not other.deliveries.exists()


def test_replay_sends_billing_only_with_the_tenants_billing_and_the_endpoints_opt_in(client):
    tenant = client.tenant
    endpoint = endpoint_make(client, include_billing_details=True)
    billing = event_make(client, type=EventType.BILLING_CREATED, at=timezone.now() - HOUR)
    window = {"since": timezone.now() - 2 * HOUR, "until": timezone.now()}

    assert webhook_endpoint_replay(endpoint=endpoint, **window) == 0
    tenant.billing_enabled, tenant.billing_subscription = True, "plan-1"
    tenant.save()
    assert webhook_endpoint_replay(endpoint=endpoint, **window) == 1
    assert billing.deliveries.get().endpoint_id == endpoint.pk


def test_a_replay_of_too_many_events_is_refused_and_changes_nothing(history, monkeypatch):
    endpoint, start, _events, deliveries = history
    monkeypatch.setattr(services, "REPLAY_MAX_EVENTS", 3)

    with pytest.raises(WebhookReplayTooLarge, match="at most 3"):
        webhook_endpoint_replay(endpoint=endpoint, since=start, until=start + 10 * HOUR)

    deliveries["delivered"].refresh_from_db()
    assert deliveries["delivered"].status == DeliveryStatus.DELIVERED
    assert WebhookDelivery.objects.count() == 3
    assert send_jobs() == []
    assert not WebhookSendRequest.objects.exists()


def test_replay_refuses_an_empty_range_and_a_disabled_endpoint(history):
    endpoint, start, _events, _ = history

    with pytest.raises(ValueError, match="before its end"):
        webhook_endpoint_replay(endpoint=endpoint, since=start, until=start)
    webhook_endpoint_disable(endpoint=endpoint)
    with pytest.raises(WebhookEndpointDisabled):
        webhook_endpoint_replay(endpoint=endpoint, since=start, until=start + HOUR)


def test_replay_takes_the_same_queries_for_4_and_40_events(client):
    def queries(count: int) -> int:
        endpoint = endpoint_make(client, url=f"{URL}/{count}")
        start = timezone.now() - 1000 * HOUR
        for n in range(count):
            event = event_make(client, target_id=n, at=start + n * timedelta(seconds=1))
            if n % 2:
                delivery_make(event, endpoint)
        with CaptureQueriesContext(connection) as captured:
            queued = webhook_endpoint_replay(
                endpoint=endpoint, since=start, until=start + count * timedelta(seconds=1)
            )
        assert queued == count
        WebhookEvent.objects.filter(pk__in=endpoint.deliveries.values("event_id")).delete()
        return len(captured)

    assert queries(4) == queries(40)


# --- purge of answers -------------------------------------------------------------------------


def test_answers_older_than_the_retention_are_cleared_in_batches(client, settings):
    settings.WEBHOOK_RESPONSE_RETENTION_DAYS = 30
    delivery = delivery_make(event_make(client), endpoint_make(client))
    now = timezone.now()
    old = [
        attempt_make(delivery, at=now - timedelta(days=31 + n), body=f"old {n}") for n in range(3)
    ]
    recent = attempt_make(delivery, at=now - timedelta(days=29), body="recent")
    empty = attempt_make(delivery, at=now - timedelta(days=40), body="", status_code=None)

    cleared = webhook_attempt_answers_purge(batch_size=2)

    assert cleared == 3
    bodies = dict(WebhookAttempt.objects.values_list("pk", "response_body"))
    assert [bodies[a.pk] for a in old] == ["", "", ""]
    assert bodies[recent.pk] == "recent"
    assert bodies[empty.pk] == ""
    kept = WebhookAttempt.objects.get(pk=old[0].pk)
    assert (kept.status_code, kept.duration_ms) == (200, 12)  # only the body goes
    assert webhook_attempt_answers_purge() == 0  # safe to run again


def test_the_answer_purge_reads_the_partial_index(client):
    delivery = delivery_make(event_make(client), endpoint_make(client))
    attempt_make(delivery, at=timezone.now() - timedelta(days=90))
    with CaptureQueriesContext(connection) as captured:
        webhook_attempt_answers_purge()
    update = next(q["sql"] for q in captured if q["sql"].startswith("UPDATE"))

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the choice visible
        cursor.execute(f"EXPLAIN {update}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "webhooks_attempt_body_purge" in plan
