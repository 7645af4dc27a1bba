"""Deliveries run by real worker processes (`manage.py procrastinate worker`) on PostgreSQL, and
the procrastinate behaviour the order per target rests on, tested directly."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.jobs import Status
from standardwebhooks import Webhook

from webhooks.choices import DeliveryStatus
from webhooks.delivery import deliveries_due
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSendRequest
from webhooks.outbox import lane_lock

from .conftest import Answer, deliveries_wait, delivery_queue, event_of, procrastinate_reset
from .factories import WebhookEndpointFactory

worker_test = pytest.mark.django_db(transaction=True)


def args_of(job) -> dict:
    # Django's connector hands the job's arguments back as JSON text (the worker's own
    # connector decodes them).
    kwargs = job.task_kwargs
    return json.loads(kwargs) if isinstance(kwargs, str) else kwargs


def sequence_of(request) -> int:
    return json.loads(request.body)["data"]["sequence"]


# --- procrastinate's lock, directly --------------------------------------------------------------


@pytest.mark.django_db
def test_one_run_per_lane_at_a_time_and_other_lanes_go_on():
    """What a lane's order rests on (procrastinate_fetch_job_v2): a job with a lock is not
    fetched while an earlier job of that lock is running or still to do, even when that one is
    scheduled for later; jobs of other locks go on meanwhile."""
    procrastinate_reset()  # (inside this test's transaction)
    manager = app.job_manager
    worker_id = async_to_sync(manager.register_worker)()

    def fetch():
        return async_to_sync(manager.fetch_job)(queues=["webhooks"], worker_id=worker_id)

    def request_row_clear(job):  # what a run does first
        WebhookSendRequest.objects.filter(
            endpoint_id=args_of(job)["endpoint_id"], lane=args_of(job)["lane"]
        ).delete()

    endpoint = WebhookEndpointFactory()
    lane_of_1 = delivery_queue(endpoint, target_id=1).lane
    lane_of_2 = delivery_queue(endpoint, target_id=2).lane
    assert lane_of_1 != lane_of_2

    job = fetch()
    assert args_of(job) == {
        "tenant_id": endpoint.tenant_id,
        "endpoint_id": endpoint.pk,
        "lane": lane_of_1,
    }
    assert job.lock == lane_lock(endpoint_id=endpoint.pk, lane=lane_of_1)
    request_row_clear(job)
    # A delivery committed while the run goes on asks for the next run of the lane...
    delivery_queue(endpoint, target_id=1)
    other = fetch()
    assert args_of(other)["lane"] == lane_of_2  # ...another lane's run is not held back...
    assert fetch() is None  # ...but the next run of the busy lane waits for the running one.

    # Even when the running one is put back for later (a retry), the later one still waits.
    async_to_sync(manager.retry_job)(job, retry_at=timezone.now() + timedelta(hours=1))
    assert fetch() is None
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procrastinate_jobs SET scheduled_at = now() - interval '1 second' "
            "WHERE id = %s",
            [job.id],
        )
    retried = fetch()
    assert (retried.id, retried.attempts) == (job.id, 1)
    assert fetch() is None
    async_to_sync(manager.finish_job)(retried, status=Status.SUCCEEDED, delete_job=False)
    assert args_of(fetch())["lane"] == lane_of_1


@pytest.mark.django_db
def test_a_delivery_waiting_for_its_retry_holds_back_the_later_events_of_its_target_only():
    endpoint = WebhookEndpointFactory()
    first = delivery_queue(endpoint, target_id=1)
    second = delivery_queue(endpoint, target_id=1)
    # Another target of the same lane (targets spread over the lanes by their id).
    neighbour = delivery_queue(endpoint, target_id=1 + settings.WEBHOOK_LANES_PER_ENDPOINT)

    def due() -> list[int]:
        return [
            d.id
            for d in deliveries_due(
                tenant_id=endpoint.tenant_id, endpoint_id=endpoint.pk, lane=first.lane, limit=100
            )
        ]

    assert due() == [first.pk, neighbour.pk]  # one event per target at a time, oldest first
    WebhookDelivery.objects.filter(pk=first.pk).update(
        attempt_count=1, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    assert due() == [neighbour.pk]  # `second` waits for `first`'s retry
    WebhookDelivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.FAILED)
    assert due() == [second.pk, neighbour.pk]  # given up: the target's next one goes


# --- worker processes ----------------------------------------------------------------------------


@worker_test
def test_a_worker_delivers_a_committed_event(receiver, worker_start):
    worker = worker_start()
    endpoint = WebhookEndpointFactory(url=receiver.url("/hook"))

    delivery = delivery_queue(endpoint, target_id=1)

    (delivered,) = deliveries_wait([delivery], status=DeliveryStatus.DELIVERED, workers=(worker,))
    (request,) = receiver.received()
    Webhook(endpoint.secret).verify(request.body, request.headers)
    assert request.webhook_id == event_of(delivery).message_id
    assert delivered.attempt_count == 1


@worker_test
def test_a_failed_delivery_is_retried_with_its_webhook_id_and_its_target_waits(
    receiver, worker_start
):
    worker = worker_start()
    endpoint = WebhookEndpointFactory(url=receiver.url("/hook"))
    first = delivery_queue(endpoint, target_id=1, event__sequence=1)
    receiver.script(event_of(first).message_id, Answer(500))
    second = delivery_queue(endpoint, target_id=1, event__sequence=2)
    third = delivery_queue(endpoint, target_id=1, event__sequence=3)
    elsewhere = delivery_queue(endpoint, target_id=2, event__sequence=1)

    deliveries_wait(
        [first, second, third, elsewhere], status=DeliveryStatus.DELIVERED, workers=(worker,)
    )

    requests = receiver.received()
    first_id = event_of(first).message_id
    of_target_1 = [r for r in requests if json.loads(r.body)["data"]["target"]["id"] == 1]
    assert [(r.webhook_id == first_id, sequence_of(r)) for r in of_target_1] == [
        (True, 1),  # 500
        (True, 1),  # the retry, ~5 s later, with the same webhook-id
        (False, 2),  # only then the later events of that target
        (False, 3),
    ]
    assert of_target_1[1].at - of_target_1[0].at >= 4.4  # the schedule's 5 s, -10%
    # Another target's event was not held back by the retry.
    other = next(r for r in requests if r.webhook_id == event_of(elsewhere).message_id)
    assert other.at < of_target_1[1].at
    assert WebhookAttempt.objects.filter(delivery=first).count() == 2
    # The failed attempt is logged (by the run), without a traceback.
    assert f"webhook delivery {first.pk} attempt 1 to endpoint {endpoint.pk}: 500" in worker.log()
    assert "Traceback" not in worker.log()


@worker_test
def test_the_worker_honours_retry_after(receiver, worker_start):
    worker = worker_start()
    endpoint = WebhookEndpointFactory(url=receiver.url("/hook"))
    delivery = delivery_queue(endpoint, target_id=1)
    receiver.script(event_of(delivery).message_id, Answer(503, headers={"Retry-After": "1"}))

    deliveries_wait([delivery], status=DeliveryStatus.DELIVERED, workers=(worker,))

    first, retry = receiver.received()
    assert first.webhook_id == retry.webhook_id
    # Retry-After: 1 instead of the schedule's 5 s (at least 4.5 s).
    assert 1.0 <= retry.at - first.at < 4.0


@worker_test
def test_order_per_target_under_concurrency(receiver, worker_start):
    worker = worker_start(concurrency=8)
    endpoint = WebhookEndpointFactory(url=receiver.url("/hook"))
    deliveries = [
        delivery_queue(endpoint, target_id=target, event__sequence=sequence)
        for sequence in range(1, 11)
        for target in (1, 2, 3)
    ]

    deliveries_wait(deliveries, status=DeliveryStatus.DELIVERED, workers=(worker,))

    for target in (1, 2, 3):
        received = [
            sequence_of(r)
            for r in receiver.received()
            if json.loads(r.body)["data"]["target"]["id"] == target
        ]
        assert received == list(range(1, 11))


@worker_test
def test_a_worker_killed_while_delivering_loses_no_event(receiver, worker_start):
    doomed = worker_start()
    endpoint = WebhookEndpointFactory(url=receiver.url("/hook"))
    delivery = delivery_queue(endpoint, target_id=1)
    message_id = event_of(delivery).message_id
    receiver.script(message_id, Answer(200, delay=60))  # the first attempt hangs...
    receiver.wait_for(1)
    survivor = worker_start()

    doomed.kill()  # ...and its worker dies with it (SIGKILL: no clean-up at all)

    deliveries_wait(
        [delivery], status=DeliveryStatus.DELIVERED, timeout=30, workers=(doomed, survivor)
    )
    first, again = receiver.received()
    assert first.webhook_id == again.webhook_id == message_id
    Webhook(endpoint.secret).verify(again.body, again.headers)
    # The killed attempt recorded nothing; the survivor's did.
    assert list(WebhookAttempt.objects.filter(delivery=delivery).values_list("succeeded")) == [
        (True,)
    ]
    assert "retried job" in survivor.log()
