import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inbound.api import presenters
from inbound.api.examples import MINIMAL_TARGET, TARGET_WITH_CUSTOMER_MAPPING
from inbound.choices import Scope
from inbound.models import IdempotencyRecord, ImportItem, ImportJob, Target
from inbound.services import DEFAULT_SCOPES, request_fingerprint
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

KEY = {"Idempotency-Key": "order-42"}


def test_same_key_and_body_replays_the_stored_response_and_imports_nothing_again(caller):
    first = caller.post("inbound/targets", MINIMAL_TARGET, **KEY)
    replay = caller.post("inbound/targets", MINIMAL_TARGET, **KEY)

    assert first.status_code == replay.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert ImportJob.objects.count() == 1


def test_same_key_with_a_different_body_is_422(caller):
    caller.post("inbound/targets", MINIMAL_TARGET, **KEY)

    response = caller.post("inbound/targets", {**MINIMAL_TARGET, "title": "Other"}, **KEY)

    assert response.status_code == 422
    assert response.json()["type"].endswith("idempotency-key-reused")
    assert Target.objects.get().title == MINIMAL_TARGET["title"]


def test_a_reservation_left_without_an_answer_does_not_block_the_key(caller):
    # What a request that died left behind when keys were reserved outside the import: a record
    # without an answer. (Records are now written with the import, so none are left anymore.)
    IdempotencyRecord.objects.create(
        tenant=caller.client.tenant,
        client=caller.client,
        endpoint="inbound/targets",
        key="order-42",
        request_hash=request_fingerprint(MINIMAL_TARGET),
    )

    response = caller.post("inbound/targets", MINIMAL_TARGET, **KEY)

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert ImportJob.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_body == response.json()


def test_a_request_that_dies_after_its_import_leaves_nothing_and_its_retry_imports_once(
    caller, monkeypatch
):
    # A crash between the import and the key's answer: both belong to one transaction, so the
    # import is undone with it, and the retry neither waits for a 409 nor imports twice.
    build = presenters.import_item_data
    crashes = iter([RuntimeError("worker died")])

    def crash_once(*args, **kwargs):
        if (crash := next(crashes, None)) is not None:
            raise crash
        return build(*args, **kwargs)

    monkeypatch.setattr(presenters, "import_item_data", crash_once)
    batch = {"items": [{**MINIMAL_TARGET, "externalId": f"JOB-{n}"} for n in range(3)]}
    with pytest.raises(RuntimeError):
        caller.post("inbound/targets/batch", batch, **KEY)

    retry = caller.post("inbound/targets/batch", batch, **KEY)

    assert retry.status_code == 200
    assert [item["status"] for item in retry.json()["items"]] == ["Imported"] * 3
    assert ImportJob.objects.count() == 1
    assert Target.objects.count() == 3


def test_keys_are_scoped_to_client_and_endpoint(caller, make_caller):
    other = make_caller(client=None)

    caller.post("inbound/targets", MINIMAL_TARGET, **KEY)
    batch = caller.post("inbound/targets/batch", {"items": [MINIMAL_TARGET]}, **KEY)
    foreign = other.post("inbound/targets", {**MINIMAL_TARGET, "title": "Other"}, **KEY)

    assert batch.status_code == 200
    assert "Idempotent-Replayed" not in batch.headers
    assert foreign.status_code == 200
    assert ImportJob.objects.count() == 3


def test_a_rejected_request_does_not_bind_the_key(caller):
    invalid = caller.post("inbound/targets", {"externalId": "J"}, **KEY)
    valid = caller.post("inbound/targets", MINIMAL_TARGET, **KEY)

    assert invalid.status_code == 422
    assert valid.status_code == 200
    assert "Idempotent-Replayed" not in valid.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_keys_are_400(caller, key):
    response = caller.http.post(
        "/api/connect/v1/inbound/targets",
        MINIMAL_TARGET,
        format="json",
        headers={"Idempotency-Key": key},
    )

    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_keys_are_kept_24_hours_then_purged(caller):
    caller.post("inbound/targets", MINIMAL_TARGET, **KEY)
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=23))
    out = StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    kept = IdempotencyRecord.objects.count()

    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    call_command("purge_idempotency_keys", stdout=out)

    assert kept == 1
    assert not IdempotencyRecord.objects.exists()
    assert "Deleted 1 idempotency record(s)" in out.getvalue()


def test_an_expired_key_is_free_again(caller):
    caller.post("inbound/targets", MINIMAL_TARGET, **KEY)
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))

    response = caller.post("inbound/targets", {**MINIMAL_TARGET, "title": "New"}, **KEY)

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers
    assert Target.objects.get().title == "New"


def test_purge_never_goes_below_the_retention_but_may_keep_longer(caller):
    caller.post("inbound/targets", MINIMAL_TARGET, **KEY)
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=23))
    out = StringIO()

    call_command("purge_idempotency_keys", "--older-than-hours", "1", stdout=out)
    kept_under_retention = IdempotencyRecord.objects.count()
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=30))
    call_command("purge_idempotency_keys", "--older-than-hours", "48", stdout=out)
    kept_under_48_hours = IdempotencyRecord.objects.count()
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=49))
    call_command("purge_idempotency_keys", "--older-than-hours", "48", stdout=out)

    assert kept_under_retention == 1
    assert kept_under_48_hours == 1
    assert not IdempotencyRecord.objects.exists()
    assert "older than 24 hours" in out.getvalue()
    assert "older than 48 hours" in out.getvalue()


# --- a replay shows what the asking key may see --------------------------------------------------

WITHOUT_READ = [scope for scope in DEFAULT_SCOPES if scope != Scope.CUSTOMERS_READ]
READ_ONLY_FIELDS = {"customerId", "customerLocationId", "customerContactId", "details"}


def test_a_replay_to_a_key_without_customers_read_has_no_ids_or_details(caller, make_caller):
    reduced = make_caller(client=caller.client, scopes=WITHOUT_READ)
    first = caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING, **KEY)

    replay = reduced.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING, **KEY)

    assert first.status_code == replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    [stored], [replayed] = first.json()["items"], replay.json()["items"]
    assert stored["customerMapping"]["customerId"] is not None
    assert stored["customerMapping"]["details"]
    assert not READ_ONLY_FIELDS & replayed["customerMapping"].keys()
    # Everything else is the stored answer, and the same as a fresh answer to that key.
    fresh = reduced.post("inbound/targets", {**TARGET_WITH_CUSTOMER_MAPPING, "externalId": "X"})
    [fresh_item] = fresh.json()["items"]
    assert replayed["customerMapping"].keys() == fresh_item["customerMapping"].keys()
    assert replayed == {
        **stored,
        "customerMapping": {
            key: value
            for key, value in stored["customerMapping"].items()
            if key not in READ_ONLY_FIELDS
        },
    }
    assert ImportJob.objects.count() == 2


def test_a_replay_to_a_key_with_customers_read_shows_what_the_reduced_first_call_stored(
    caller, make_caller
):
    # Decided: the record stores the complete answer whoever asked first, so a key that may
    # read customers sees the IDs and details of that import on replay.
    reduced = make_caller(client=caller.client, scopes=WITHOUT_READ)
    first = reduced.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING, **KEY)

    replay = caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING, **KEY)

    assert first.status_code == replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    [first_item], [replayed] = first.json()["items"], replay.json()["items"]
    item = ImportItem.objects.get()
    assert not READ_ONLY_FIELDS & first_item["customerMapping"].keys()
    assert replayed["customerMapping"]["customerId"] == item.customer_id is not None
    assert replayed["customerMapping"]["customerLocationId"] == item.location_id
    assert replayed["customerMapping"]["details"] == item.decisions
    assert ImportJob.objects.count() == 1


def test_a_replay_is_the_stored_answer_not_the_items_current_state(caller):
    first = caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING, **KEY)
    other = CustomerFactory(tenant=caller.client.tenant)
    ImportItem.objects.update(customer=other, mapping_status="Mapped", decisions={"later": True})

    replay = caller.post("inbound/targets", TARGET_WITH_CUSTOMER_MAPPING, **KEY)

    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.json()["items"][0]["customerMapping"]["customerId"] != other.pk
