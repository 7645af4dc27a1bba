"""Batch work is done in bulk: the number of SQL queries does not grow with the batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbound.models import Target

pytestmark = pytest.mark.django_db


def _batch(size: int, prefix: str) -> dict:
    return {
        "items": [
            {
                "externalId": f"{prefix}-JOB-{n}",
                "title": f"Visit {n}",
                "customer": {
                    "externalId": f"{prefix}-C-{n}",
                    "customerNumber": f"{prefix}-{n}",
                    "name": f"Customer {n}",
                },
                "location": {
                    "externalId": f"{prefix}-L-{n}",
                    "name": f"Site {n}",
                    "city": "Essen",
                    "country": "DE",
                    "latitude": 51.4,
                    "longitude": 7.0,
                    "defaultPriority": "High",
                },
                "contact": {
                    "externalId": f"{prefix}-K-{n}",
                    "displayName": f"P {n}",
                    "email": f"p{n}@example.com",
                },
            }
            for n in range(size)
        ]
    }


def _queries(caller, body) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = caller.post("inbound/targets/batch", body)
    assert response.status_code == 200
    return len(captured)


def test_query_count_is_the_same_for_10_and_500_new_and_known_items(make_caller):
    caller = make_caller(allow_contact_create=True)
    caller.get("inbound/import-jobs")  # the key's first use of the minute writes last_used_at
    small, large = _batch(10, "S"), _batch(500, "L")

    new_small, new_large = _queries(caller, small), _queries(caller, large)
    # Known records: the same payloads again (targets updated, customers mapped).
    known_small, known_large = _queries(caller, small), _queries(caller, large)
    changed = _batch(500, "L")
    for item in changed["items"]:
        item["customer"]["name"] += " AG"  # known and updated
    updated_large = _queries(caller, changed)

    # Only a known location: it establishes the customer (its customer loaded in bulk too).
    via_location = {
        size: {
            "items": [
                {
                    "externalId": f"{prefix}-VIA-{n}",
                    "title": "Visit",
                    "location": {"externalId": f"{prefix}-L-{n}"},
                }
                for n in range(size)
            ]
        }
        for size, prefix in ((10, "S"), (500, "L"))
    }
    via_small, via_large = _queries(caller, via_location[10]), _queries(caller, via_location[500])

    assert Target.objects.count() == 1020
    assert new_small == new_large
    assert known_small == known_large
    assert via_small == via_large
    assert updated_large <= known_large + 1
    assert new_large <= 30


def test_a_known_single_import_reads_its_references_in_one_statement(make_caller):
    caller = make_caller(allow_contact_create=True)
    first = _batch(1, "ONE")["items"][0]
    assert caller.post("inbound/targets", first).status_code == 200
    again = {**first, "externalId": "ONE-JOB-AGAIN"}

    with CaptureQueriesContext(connection) as captured:
        response = caller.post("inbound/targets", again)

    assert response.status_code == 200
    assert response.json()["items"][0]["customerMapping"]["status"] == "Mapped"
    statements = [q["sql"] for q in captured]
    reads = [s for s in statements if s.startswith("SELECT") and "mapping_externalreference" in s]
    assert len(reads) == 1, statements
    # The API key, the throttle count, BEGIN, the lock that makes asynchronous imports' workers
    # give way (inbound.sql.SYNC_IMPORT_LOCK), the client's targets, the references, the target,
    # the job, the item, its job's tally (ImportJobTally: the summary is read from it, not
    # counted), the client's webhook endpoints (none: the outbox records nothing) and
    # COMMIT (the known customer was sent with its own number: no number lookup). The targets
    # are read on their own since a target keeps its external ID (issue #13: no reference of
    # mapping's points up at it), one statement more than when they were read with the
    # references; a new target no longer writes a reference, one statement less.
    assert len(captured) == 12, statements

    # Sent again as it is: the same reads, no write of the target; one statement more than when
    # the targets were read with the references (the reason above).
    with CaptureQueriesContext(connection) as captured:
        response = caller.post("inbound/targets", again)

    assert response.json()["items"][0]["status"] == "Updated"
    statements = [q["sql"] for q in captured]
    targets = [s for s in statements if s.startswith("SELECT") and '"inbound_target"' in s]
    assert len(targets) == 1, statements
    # The API key, the throttle count, BEGIN, the lock, targets, references, the job, the item,
    # its tally, COMMIT.
    assert len(captured) == 10, statements


def test_an_idempotency_key_costs_three_statements_and_a_replay_reads_one_record(make_caller):
    caller = make_caller(allow_contact_create=True)
    first = _batch(1, "KEY")["items"][0]
    assert caller.post("inbound/targets", first).status_code == 200
    plain_body, keyed_body = ({**first, "externalId": f"KEY-{n}"} for n in ("PLAIN", "KEYED"))
    key = {"Idempotency-Key": "k-1"}

    with CaptureQueriesContext(connection) as plain:
        assert caller.post("inbound/targets", plain_body).status_code == 200
    with CaptureQueriesContext(connection) as keyed:
        assert caller.post("inbound/targets", keyed_body, **key).status_code == 200
    with CaptureQueriesContext(connection) as replay:
        assert caller.post("inbound/targets", keyed_body, **key).status_code == 200

    # In the import's transaction: set lock_timeout, reserve the key (which puts lock_timeout
    # back), store the answer. A replay: the API key, the throttle count, BEGIN, lock_timeout,
    # the reservation that finds the record, reading it, COMMIT.
    assert len(keyed) == len(plain) + 3, [q["sql"] for q in keyed]
    assert len(replay) == 7, [q["sql"] for q in replay]
