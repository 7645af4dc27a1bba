"""The worker's tasks, run in-process: a send run of a lane (webhooks.send), what ends it, and
the periodic `webhooks.retries_due` that asks for the runs of retries coming due."""

import socket
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookSendRequest
from webhooks.tasks import retries_due, send

from .conftest import Answer, delivery_queue
from .records import send_jobs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_connections")]

LANES = 4


def lane_requested(endpoint, lane) -> bool:
    return WebhookSendRequest.objects.filter(endpoint=endpoint, lane=lane).exists()


def test_a_run_sends_its_lane_in_event_order_and_clears_its_request(receiver, endpoint):
    deliveries = [delivery_queue(endpoint, target_id=LANES * n) for n in range(1, 4)]
    assert lane_requested(endpoint, 0)

    send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=0)

    received = [r.webhook_id for r in receiver.received()]
    assert received == [d.event.message_id for d in deliveries]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED
    }
    # Cleared when the run started: the next delivery of the lane asks for a run of its own.
    assert not lane_requested(endpoint, 0)


def test_a_run_sends_its_own_lane_only(receiver, endpoint):
    mine = delivery_queue(endpoint, target_id=LANES)
    other_lane = delivery_queue(endpoint, target_id=LANES + 1)

    send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=0)

    assert [r.webhook_id for r in receiver.received()] == [mine.event.message_id]
    other_lane.refresh_from_db()
    assert other_lane.status == DeliveryStatus.PENDING
    assert lane_requested(endpoint, other_lane.lane)


@override_settings(WEBHOOK_SEND_RUN_SECONDS=0, WEBHOOK_SEND_BATCH_SIZE=2)
def test_a_run_past_its_time_hands_its_lane_on_to_a_new_run(receiver, endpoint):
    deliveries = [delivery_queue(endpoint, target_id=LANES * n) for n in range(1, 4)]
    jobs_before = len(send_jobs())

    send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=0)

    # One attempt (the time was up after it), then the lane asked for its next run.
    assert len(receiver.received()) == 1
    assert lane_requested(endpoint, 0)
    assert len(send_jobs()) == jobs_before + 1
    statuses = [WebhookDelivery.objects.get(pk=d.pk).status for d in deliveries]
    assert statuses == [DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.PENDING]


def test_an_endpoint_that_does_not_answer_ends_the_run(endpoint):
    with socket.socket() as closed:  # a port nobody listens on: refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    endpoint.url = f"http://127.0.0.1:{port}/hook"
    endpoint.save(update_fields=["url"])
    first, second = (delivery_queue(endpoint, target_id=LANES * n) for n in (1, 2))

    send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=0)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempt_count) == (DeliveryStatus.PENDING, 1)
    assert first.next_attempt_at is not None
    # Not tried in this run: it waits for the next one (retries_due asks for it).
    assert (second.status, second.attempt_count, second.next_attempt_at) == (
        DeliveryStatus.PENDING,
        0,
        None,
    )


def test_retries_due_asks_for_the_runs_of_due_retries_only(receiver, endpoint):
    due = delivery_queue(endpoint, target_id=LANES)
    later = delivery_queue(endpoint, target_id=LANES + 1)
    behind = delivery_queue(endpoint, target_id=LANES + 1)  # same target, after `later`
    WebhookSendRequest.objects.all().delete()  # as after the runs that tried them
    WebhookDelivery.objects.filter(pk=due.pk).update(
        attempt_count=1, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    WebhookDelivery.objects.filter(pk=later.pk).update(
        attempt_count=1, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    jobs_before = len(send_jobs())

    looked_at = retries_due(timestamp=0)

    # The lane of `due` gets a run; `later`'s lane has nothing it may send (`behind` waits).
    assert looked_at == 1
    assert lane_requested(endpoint, due.lane)
    assert not lane_requested(endpoint, behind.lane)
    (job,) = send_jobs()[jobs_before:]
    assert job.args == {"tenant_id": endpoint.tenant_id, "endpoint_id": endpoint.pk, "lane": 0}

    retries_due(timestamp=1)  # again before the run started: no second job
    assert len(send_jobs()) == jobs_before + 1


def test_a_failed_attempt_comes_back_through_retries_due(receiver, endpoint):
    delivery = delivery_queue(endpoint, target_id=LANES)
    receiver.script("/hook", Answer(500))
    send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=0)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())

    retries_due(timestamp=0)
    send(tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=0)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (DeliveryStatus.DELIVERED, 2)
    first, retry = receiver.received()
    assert first.webhook_id == retry.webhook_id
