"""Concurrent requests on PostgreSQL: no duplicates, no deadlocks, no errors."""

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

import inbound.services
import mapping.engine.write
from customers.models import Contact, Customer, Location
from inbound.api.examples import MINIMAL_TARGET
from inbound.models import ImportJob, Target, ThrottleWindow
from mapping.choices import ExternalType
from mapping.models import ExternalReference
from tests.api import BASE

pytestmark = pytest.mark.django_db(transaction=True)


def _run_in_parallel(key: str, requests: list[tuple[str, dict, dict]]) -> list:
    barrier = threading.Barrier(len(requests))

    def send(request):
        path, body, headers = request
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        try:
            barrier.wait()
            return http.post(BASE + path, body, format="json", headers=headers)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _item(n: int, job: int) -> dict:
    # Every batch shares the same 40 new customers, in a different order each time.
    return {
        "externalId": f"JOB-{job}-{n}",
        "title": f"Visit {n}",
        "customer": {
            "externalId": f"CUST-{n}",
            "customerNumber": f"N-{n}",
            "name": f"Customer {n} GmbH",
        },
        "location": {
            "externalId": f"LOC-{n}",
            "name": f"Site {n}",
            "city": "Essen",
            "country": "DE",
            "latitude": 51.4,
            "longitude": 7.0,
        },
        "contact": {
            "externalId": f"CONT-{n}",
            "displayName": f"Person {n}",
            "email": f"p{n}@example.com",
        },
    }


def test_parallel_batches_creating_the_same_customers_create_each_once(make_caller):
    caller = make_caller(allow_contact_create=True)
    batches = [
        [_item(n, job) for n in (range(40) if job % 2 == 0 else reversed(range(40)))]
        for job in range(4)
    ]

    responses = _run_in_parallel(
        caller.key, [("inbound/targets/batch", {"items": b}, {}) for b in batches]
    )

    assert [r.status_code for r in responses] == [200] * 4
    assert all(i["status"] == "Imported" for r in responses for i in r.json()["items"])
    assert Customer.objects.count() == 40
    assert Location.objects.count() == 40
    assert Contact.objects.count() == 40
    assert Target.objects.count() == 160
    assert ExternalReference.objects.filter(external_type=ExternalType.CUSTOMER).count() == 40
    created = sum(
        i["customerMapping"]["status"] == "Created" for r in responses for i in r.json()["items"]
    )
    assert created == 40  # each customer is reported created exactly once, mapped elsewhere


def test_a_batch_writes_its_new_records_and_references_in_key_order(make_caller, monkeypatch):
    # What keeps the parallel batches above from deadlocking: whatever order the items come in,
    # every batch takes the unique keys in the same order, so one waits for another, never in a
    # cycle. (Deadlocks there are retried, so that test alone would not show a missing sort.)
    written: dict[str, list[list]] = defaultdict(list)  # model name -> rows of each call

    def recording(write):
        def record(model, rows):
            written[model.__name__].append(list(rows))
            write(model, rows)

        return record

    for module in (inbound.services, mapping.engine.write):
        for name in ("bulk_insert", "insert_rows"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, recording(getattr(module, name)))
    caller = make_caller(allow_contact_create=True)
    order = random.Random(7).sample(range(40), 40)

    response = caller.post("inbound/targets/batch", {"items": [_item(n, 1) for n in order]})

    assert response.status_code == 200
    keys = sorted(str(n) for n in range(40))  # external IDs sort as text: 1, 10, 11, ..., 2, ...
    [targets], [customers], [locations], [contacts] = (
        written[model] for model in ("Target", "Customer", "Location", "Contact")
    )
    assert [t.title for t in targets] == [f"Visit {k}" for k in keys]
    assert [t.external_id for t in targets] == sorted(t.external_id for t in targets)
    assert [c.customer_number for c in customers] == [f"N-{k}" for k in keys]
    assert [loc.name for loc in locations] == [f"Site {k}" for k in keys]
    assert [c.display_name for c in contacts] == [f"Person {k}" for k in keys]
    references = [
        [(r["external_type"], r["external_id"]) for r in call]
        for call in written["ExternalReference"]
    ]
    assert (
        sum(map(len, references)) == 40 * 3
    )  # customer, location, contact: a target keeps its own
    assert all(call == sorted(call) for call in references)


def test_concurrent_identical_requests_with_one_idempotency_key_make_one_job(caller):
    headers = {"Idempotency-Key": "same-request"}

    responses = _run_in_parallel(caller.key, [("inbound/targets", MINIMAL_TARGET, headers)] * 4)

    # The duplicates wait for the first one (well within IDEMPOTENCY_WAIT_MS) and replay it.
    assert ImportJob.objects.count() == 1
    assert Target.objects.count() == 1
    assert [r.status_code for r in responses] == [200] * 4
    assert (
        sorted(r.headers.get("Idempotent-Replayed", "") for r in responses) == [""] + ["true"] * 3
    )
    assert all(r.json() == responses[0].json() for r in responses)


def test_concurrent_imports_of_the_same_new_target_create_one_target(caller):
    responses = _run_in_parallel(caller.key, [("inbound/targets", MINIMAL_TARGET, {})] * 4)

    assert [r.status_code for r in responses] == [200] * 4
    assert Target.objects.count() == 1
    assert sorted(r.json()["items"][0]["status"] for r in responses) == [
        "Imported",
        "Updated",
        "Updated",
        "Updated",
    ]


def test_concurrent_requests_of_a_client_are_each_counted_by_the_throttle(make_caller, settings):
    # Every worker and server counts in the same row, and no two requests read the same count.
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "THROTTLE_RATE": "5/min"}
    caller = make_caller()
    barrier = threading.Barrier(8)

    def get(_):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.key}")
        try:
            barrier.wait()
            return http.get(BASE + "inbound/import-jobs").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(get, range(8)))

    assert statuses == [200] * 5 + [429] * 3
    assert ThrottleWindow.objects.get(client=caller.client).count == 8
