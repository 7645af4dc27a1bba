"""Deliveries run by real worker processes (`manage.py procrastinate worker`) on PostgreSQL, and
the procrastinate behaviour the order per target rests on, tested directly."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.jobs import Status
from standardwebhooks import Webhook

from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookAttempt

from .conftest import Answer, deliveries_wait, delivery_queue, event_of, procrastinate_reset
from .factories import WebhookEndpointFactory

worker_test = pytest.mark.django_db(transaction=True)


def delivery_of(job) -> int:
    # Django's connector hands the job's arguments back as JSON text (the worker's own
    # connector decodes them).
    kwargs = job.task_kwargs
    return (json.loads(kwargs) if isinstance(kwargs, str) else kwargs)["delivery_id"]


def sequence_of(request) -> int:
    return json.loads(request.body)["data"]["sequence"]


# --- procrastinate's lock, directly --------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_waiting_for_its_retry_holds_back_the_later_jobs_of_its_lock():
    """What the order per endpoint and target rests on (procrastinate_fetch_job_v2): a job with
    a lock is not fetched while an earlier job of that lock is running *or still to do*, even
    when that one is scheduled for later (a retry); jobs of other locks go on meanwhile."""
    procrastinate_reset()  # (inside this test's transaction)
    manager = app.job_manager
    worker_id = async_to_sync(manager.register_worker)()

    def fetch():
        return async_to_sync(manager.fetch_job)(queues=["webhooks"], worker_id=worker_id)

    endpoint = WebhookEndpointFactory()
    first = delivery_queue(endpoint, target_id=1)
    second = delivery_queue(endpoint, target_id=1)
    other_target = delivery_queue(endpoint, target_id=2)

    job = fetch()
    assert delivery_of(job) == first.pk
    assert job.lock == f"webhook:{endpoint.pk}:target:1"
    assert delivery_of(fetch()) == other_target.pk  # not held back
    assert fetch() is None  # `second` waits while `first` runs

    # `first` failed: its retry is an hour away. `second` still waits.
    async_to_sync(manager.retry_job)(job, retry_at=timezone.now() + timedelta(hours=1))
    assert fetch() is None

    # The retry comes due: `first` again (not `second`), then `second` once `first` is done.
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
    assert delivery_of(fetch()) == second.pk


@pytest.mark.django_db
def test_a_job_given_up_releases_the_later_jobs_of_its_lock():
    procrastinate_reset()
    manager = app.job_manager
    worker_id = async_to_sync(manager.register_worker)()
    endpoint = WebhookEndpointFactory()
    delivery_queue(endpoint, target_id=1)
    second = delivery_queue(endpoint, target_id=1)

    job = async_to_sync(manager.fetch_job)(queues=["webhooks"], worker_id=worker_id)
    async_to_sync(manager.finish_job)(job, status=Status.FAILED, delete_job=False)

    later = async_to_sync(manager.fetch_job)(queues=["webhooks"], worker_id=worker_id)
    assert delivery_of(later) == second.pk


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
    # The failed attempt is logged once by procrastinate, without a traceback.
    assert "ended with status: Error, to retry" in worker.log()
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
