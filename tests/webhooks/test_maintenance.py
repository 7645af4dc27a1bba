"""Periodic tasks (webhooks.maintenance): registered with their schedules, each runs its purge."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob

from inbound.choices import ReviewState
from inbound.models import IdempotencyRecord, ImportItem
from tests.factories import IntegrationClientFactory
from tests.webhooks.records import attempt_make, delivery_make, endpoint_make, event_make
from webhooks import maintenance
from webhooks.models import WebhookAttempt

pytestmark = pytest.mark.django_db

SCHEDULES = {
    "maintenance.purge_idempotency_keys": "7 * * * *",
    "maintenance.purge_import_payloads": "17 3 * * *",
    "maintenance.purge_webhook_answers": "27 3 * * *",
    "maintenance.purge_finished_jobs": "37 * * * *",
}


def test_every_worker_imports_the_periodic_tasks():
    assert "webhooks.maintenance" in settings.PROCRASTINATE_IMPORT_PATHS
    assert "webhooks.maintenance" in app.import_paths


def test_the_purges_are_periodic_tasks_with_their_schedules_and_a_queueing_lock():
    registered = {
        name: periodic for (name, _id), periodic in app.periodic_registry.periodic_tasks.items()
    }

    assert {name: registered[name].cron for name in SCHEDULES} == SCHEDULES
    for name in SCHEDULES:
        task = app.tasks[name]
        assert task.queue == maintenance.QUEUE
        assert task.queueing_lock == name  # one waiting run at most


def test_purge_idempotency_keys_deletes_records_past_the_retention(caller):
    caller.post(
        "inbound/targets", {"externalId": "J-1", "title": "Visit"}, **{"Idempotency-Key": "k-old"}
    )
    caller.post(
        "inbound/targets", {"externalId": "J-2", "title": "Visit"}, **{"Idempotency-Key": "k-new"}
    )
    IdempotencyRecord.objects.filter(key="k-old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    deleted = maintenance.purge_idempotency_keys(timestamp=0)

    assert deleted == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-new"]


def test_purge_import_payloads_clears_payloads_past_the_retention(caller):
    for external_id in ("J-old", "J-new"):
        caller.post(
            "inbound/targets",
            {"externalId": external_id, "title": "Visit", "customer": {"name": "Anna Weber"}},
        )
    ImportItem.objects.filter(external_id="J-old").update(
        review_state=ReviewState.NOT_NEEDED, created_at=timezone.now() - timedelta(days=31)
    )

    cleared = maintenance.purge_import_payloads(timestamp=0)

    payloads = dict(ImportItem.objects.values_list("external_id", "payload"))
    assert cleared == 1
    assert payloads["J-old"] == {}
    assert payloads["J-new"] != {}


def test_purge_webhook_answers_clears_answers_past_the_retention():
    client = IntegrationClientFactory()
    delivery = delivery_make(event_make(client), endpoint_make(client))
    old = attempt_make(delivery, at=timezone.now() - timedelta(days=31), body="old answer")
    new = attempt_make(delivery, body="new answer")

    cleared = maintenance.purge_webhook_answers(timestamp=0)

    bodies = dict(WebhookAttempt.objects.values_list("pk", "response_body"))
    assert cleared == 1
    assert (bodies[old.pk], bodies[new.pk]) == ("", "new answer")


def _job(status: str, finished_hours_ago: float) -> int:
    job_id = app.configure_task("maintenance.test_job", allow_unknown=True).defer()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET status = %s WHERE id = %s", [status, job_id])
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s) "
            "WHERE job_id = %s",
            [finished_hours_ago * 3600, job_id],
        )
    return job_id


def test_purge_finished_jobs_keeps_a_day_of_finished_jobs_and_a_month_of_failed_ones():
    jobs = {
        "succeeded, 2 days ago": _job("succeeded", 48),
        "succeeded, an hour ago": _job("succeeded", 1),
        "cancelled, 2 days ago": _job("cancelled", 48),
        "failed, 2 days ago": _job("failed", 48),
        "failed, 31 days ago": _job("failed", 31 * 24),
        "todo": _job("todo", 24 * 90),
    }

    async_to_sync(maintenance.purge_finished_jobs)(SimpleNamespace(app=app), timestamp=0)

    left = set(ProcrastinateJob.objects.values_list("id", flat=True))
    assert {name for name, job_id in jobs.items() if job_id in left} == {
        "succeeded, an hour ago",
        "failed, 2 days ago",
        "todo",
    }
