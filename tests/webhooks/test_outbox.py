"""The transactional outbox (SPEC §7): which events the producers publish, which are recorded for
which endpoints, their per-target sequence, and that everything commits or rolls back with the
change that caused it, in a fixed number of queries."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from fieldwork.services import billing_document_create, visit_report_submit
from inbound.models import ImportItem, Target
from ordinavo.db import bulk_insert, new_instance
from ordinavo.events import DomainEvent, EventType, domain_events
from review.services import (
    import_item_create,
    import_item_dismiss,
    import_item_link,
    import_item_undo,
)
from tests.api import BASE
from tests.factories import (
    CustomerFactory,
    IntegrationClientFactory,
    LocationFactory,
    TargetFactory,
    UserFactory,
)
from tests.webhooks.factories import WebhookEndpointFactory
from tests.webhooks.records import queued_delivery_ids
from webhooks.choices import DeliveryStatus
from webhooks.models import (
    TargetEventSequence,
    WebhookDelivery,
    WebhookEvent,
    WebhookSendRequest,
    delivery_lane,
)
from webhooks.outbox import (
    SEND_QUEUE,
    SEND_TASK,
    deliveries_queue,
    events_record,
    lane_lock,
    lanes_request,
    webhook_test_record,
)

pytestmark = pytest.mark.django_db

IMPORTED = EventType.TARGET_IMPORTED
UPDATED = EventType.TARGET_UPDATED
CONTEXT_CHANGED = EventType.TARGET_CUSTOMER_CONTEXT_CHANGED
REVIEW_SCOPES = ["inbound.targets.write", "inbound.targets.batch.write", "customers.map"]


@pytest.fixture
def jobs(db):
    """The procrastinate jobs deferred during the test, oldest first (a callable). Its tables
    are not Django's, so a transactional test's flush leaves its jobs there: this fixture
    deletes those of its test afterwards, and counts only its own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        (start,) = cursor.fetchone()
    yield lambda: list(ProcrastinateJob.objects.filter(id__gt=start).order_by("id"))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id > %s", [start])


@pytest.fixture
def published():
    """Every call of ordinavo.events.publish, as the list of events it sent."""
    calls: list[list[DomainEvent]] = []

    def receive(sender, *, events, **kwargs):
        calls.append(list(events))

    domain_events.connect(receive, dispatch_uid="tests.published")
    yield calls
    domain_events.disconnect(dispatch_uid="tests.published")


def _item(n: int, *, prefix: str = "JOB", customer: str = "CUST", title: str = "Visit") -> dict:
    return {
        "externalId": f"{prefix}-{n}",
        "title": f"{title} {n}",
        "customer": {"externalId": f"{customer}-{n}", "name": f"Kunde {customer} {n} GmbH"},
        "location": {"externalId": f"{customer}-LOC-{n}", "city": "Essen", "country": "DE"},
    }


def _batch(caller, items: list[dict]) -> None:
    response = caller.post("inbound/targets/batch", {"items": items})
    assert response.status_code == 200, response.content


def _lanes(jobs) -> list[tuple[int, int]]:
    """(endpoint id, lane) of send jobs, in the order they were deferred."""
    return [(job.args["endpoint_id"], job.args["lane"]) for job in jobs]


def _send_job(endpoint, lane: int) -> tuple:
    """A send run's job as `_job` shows it: the run of one lane of `endpoint`, under its lock."""
    return (
        SEND_TASK,
        SEND_QUEUE,
        {"tenant_id": endpoint.tenant_id, "endpoint_id": endpoint.pk, "lane": lane},
        lane_lock(endpoint_id=endpoint.pk, lane=lane),
    )


def _job(job) -> tuple:
    return (job.task_name, job.queue_name, job.args, job.lock)


def _recorded() -> list[tuple[str, str, int | None]]:
    """(type, target external ID, sequence) of the recorded events, oldest first."""
    external_ids = dict(Target.objects.values_list("pk", "external_id"))
    return [
        (event.type, external_ids.get(event.target_id), event.sequence)
        for event in WebhookEvent.objects.order_by("id")
    ]


# --- producers: imports --------------------------------------------------------------------------


def test_an_import_publishes_imported_then_updated_and_context_changed_in_item_order(
    make_caller, published
):
    caller = make_caller(allow_contact_create=True)
    WebhookEndpointFactory(client=caller.client)

    _batch(caller, [_item(1), _item(2)])
    _batch(caller, [_item(2), _item(1)])  # sent again as they are: nothing to announce
    # JOB-2 gets another title; JOB-1 another customer; JOB-3 is new.
    _batch(caller, [_item(2, title="Repair"), _item(1, customer="OTHER"), _item(3)])

    assert [[e.type for e in call] for call in published] == [
        [IMPORTED, IMPORTED],
        [UPDATED, UPDATED, CONTEXT_CHANGED, IMPORTED],
    ]
    assert _recorded() == [
        (IMPORTED, "JOB-1", 1),
        (IMPORTED, "JOB-2", 1),
        (UPDATED, "JOB-2", 2),
        (UPDATED, "JOB-1", 2),
        (CONTEXT_CHANGED, "JOB-1", 3),  # two events of one target in one batch: consecutive
        (IMPORTED, "JOB-3", 1),
    ]
    event = published[1][2]
    target = Target.objects.get(external_id="JOB-1")
    assert (event.tenant_id, event.client_id, event.target_id, event.subject_id) == (
        caller.client.tenant_id,
        caller.client.pk,
        target.pk,
        None,
    )


def test_failed_items_publish_nothing_and_a_single_import_publishes_one_event(
    make_caller, published
):
    caller = make_caller()
    invalid = {"externalId": "JOB-X"}  # no title

    _batch(caller, [invalid])
    assert caller.post("inbound/targets", {"externalId": "JOB-S", "title": "T"}).status_code == 200

    assert [[(e.type) for e in call] for call in published] == [[IMPORTED]]


def test_a_client_without_endpoints_records_nothing_in_one_query(make_caller, published, jobs):
    caller = make_caller()
    WebhookEndpointFactory(client=IntegrationClientFactory(tenant=caller.client.tenant))

    _batch(caller, [_item(1)])

    assert len(published) == 1  # published, but nobody of this client listens
    assert WebhookEvent.objects.count() == 0
    assert len(jobs()) == 0
    assert not WebhookSendRequest.objects.exists()
    assert TargetEventSequence.objects.count() == 0
    target = Target.objects.get()
    with CaptureQueriesContext(connection) as captured:
        events_record(
            events=[
                DomainEvent(
                    IMPORTED, caller.client.tenant_id, caller.client.pk, target_id=target.pk
                )
            ]
        )
    assert len(captured) == 1


def test_a_rolled_back_import_records_no_event_and_defers_no_job(caller, jobs):
    endpoint = WebhookEndpointFactory(client=caller.client)

    class Abort(Exception):
        pass

    inside = {}

    def import_then_fail():
        with transaction.atomic():
            _batch(caller, [_item(1), _item(2)])
            inside.update(
                events=WebhookEvent.objects.count(),
                deliveries=WebhookDelivery.objects.count(),
                lanes=set(WebhookDelivery.objects.values_list("endpoint_id", "lane")),
                requested=set(WebhookSendRequest.objects.values_list("endpoint_id", "lane")),
                jobs=_lanes(jobs()),
            )
            raise Abort

    with pytest.raises(Abort):
        import_then_fail()

    # Recorded in the import's transaction, their lanes' runs asked for ...
    assert (inside["events"], inside["deliveries"]) == (2, 2)
    assert {endpoint_id for endpoint_id, _ in inside["lanes"]} == {endpoint.pk}
    assert inside["requested"] == inside["lanes"]
    assert sorted(inside["jobs"]) == sorted(inside["lanes"])
    assert WebhookEvent.objects.count() == 0  # ... and all of it gone with it
    assert WebhookDelivery.objects.count() == 0
    assert not WebhookSendRequest.objects.exists()
    assert len(jobs()) == 0
    assert TargetEventSequence.objects.count() == 0


def test_the_query_count_of_an_import_with_an_endpoint_does_not_grow_with_its_items(
    make_caller, jobs
):
    caller = make_caller(allow_contact_create=True)
    WebhookEndpointFactory(client=caller.client)
    WebhookEndpointFactory(client=caller.client, is_enabled=False)
    caller.get("inbound/import-jobs")  # the key's first use of the minute writes last_used_at

    def queries(items):
        with CaptureQueriesContext(connection) as captured:
            _batch(caller, items)
        return len(captured)

    # From COPY_FROM_ROWS rows on, rows go in with two statements (keys, COPY), below with one.
    # Every batch with customers of its own (new ones, then others new again).
    new_tiny, new_small, new_large = (
        queries([_item(n, prefix=p, customer=f"{p}-CUST") for n in range(size)])
        for p, size in (("T", 5), ("S", 10), ("L", 50))
    )
    changed_small, changed_large = (
        queries([_item(n, prefix=p, customer=f"{p}-NEW") for n in range(size)])
        for p, size in (("S", 10), ("L", 50))
    )

    assert WebhookEvent.objects.count() == 5 + 10 + 50 + 2 * (10 + 50)
    assert WebhookDelivery.objects.count() == WebhookEvent.objects.count()  # enabled one only
    assert new_tiny <= new_small == new_large
    assert changed_small == changed_large
    # No run started meanwhile: a job per lane of the enabled endpoint, none per delivery.
    assert len(jobs()) <= settings.WEBHOOK_LANES_PER_ENDPOINT


def test_an_import_defers_a_job_per_lane_and_none_for_a_lane_whose_run_is_asked_for(caller, jobs):
    endpoint = WebhookEndpointFactory(client=caller.client)
    WebhookEndpointFactory(client=IntegrationClientFactory(tenant=caller.client.tenant))

    _batch(caller, [_item(n) for n in range(10)])

    deliveries = list(WebhookDelivery.objects.order_by("event_id"))
    lanes = sorted({d.lane for d in deliveries})
    assert len(deliveries) == 10
    assert len(lanes) <= settings.WEBHOOK_LANES_PER_ENDPOINT < len(deliveries)
    assert [_job(j) for j in jobs()] == [_send_job(endpoint, lane) for lane in lanes]
    assert queued_delivery_ids() == [d.pk for d in deliveries]

    # The lanes' runs have not started: a second import only adds to what they send.
    _batch(caller, [_item(n, prefix="MORE") for n in range(10)])

    assert len(jobs()) == len(lanes)
    assert queued_delivery_ids() == list(
        WebhookDelivery.objects.order_by("event_id").values_list("pk", flat=True)
    )
    assert len(queued_delivery_ids()) == 20

    # A run that starts deletes its lane's request: the lane's next delivery (the same targets
    # changed, so the same lanes) asks for a new run; the others' runs are still asked for.
    started = lanes[0]
    WebhookSendRequest.objects.filter(endpoint=endpoint, lane=started).delete()
    _batch(caller, [_item(n, title="Repair") for n in range(10)])

    assert WebhookDelivery.objects.count() == 30
    assert [_job(j) for j in jobs()[len(lanes) :]] == [_send_job(endpoint, started)]
    assert sorted(WebhookSendRequest.objects.values_list("endpoint_id", "lane")) == [
        (endpoint.pk, lane) for lane in lanes
    ]


# --- which endpoints ----------------------------------------------------------------------------


def test_deliveries_go_to_the_enabled_endpoints_of_the_events_client_only(caller, jobs):
    mine = WebhookEndpointFactory(client=caller.client)
    disabled = WebhookEndpointFactory(client=caller.client, is_enabled=False)
    same_tenant = WebhookEndpointFactory(
        client=IntegrationClientFactory(tenant=caller.client.tenant)
    )
    other_tenant = WebhookEndpointFactory()

    _batch(caller, [_item(1), _item(2)])

    events = list(WebhookEvent.objects.order_by("id"))
    assert {(e.tenant_id, e.client_id) for e in events} == {
        (caller.client.tenant_id, caller.client.pk)
    }
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [(d.event_id, d.endpoint_id) for d in deliveries] == [
        (events[0].pk, mine.pk),
        (events[1].pk, mine.pk),
    ]
    for endpoint in (disabled, same_tenant, other_tenant):
        assert not endpoint.deliveries.exists()
    # Each delivery in the lane of its event's target; a send job per lane of `mine` alone.
    assert [(d.target_id, d.lane) for d in deliveries] == [
        (e.target_id, delivery_lane(target_id=e.target_id, event_id=e.pk)) for e in events
    ]
    lanes = sorted({d.lane for d in deliveries})
    assert [_job(j) for j in jobs()] == [_send_job(mine, lane) for lane in lanes]
    assert set(WebhookSendRequest.objects.values_list("endpoint_id", flat=True)) == {mine.pk}
    assert queued_delivery_ids() == [d.pk for d in deliveries]


def test_a_disabled_endpoint_alone_gets_events_recorded_for_a_later_replay_but_no_delivery(
    caller, jobs
):
    WebhookEndpointFactory(client=caller.client, is_enabled=False)

    _batch(caller, [_item(1)])

    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.count() == 0
    assert len(jobs()) == 0
    assert not WebhookSendRequest.objects.exists()


def test_only_subscribed_types_are_recorded_and_each_endpoint_gets_its_own(make_caller):
    caller = make_caller()
    context_only = WebhookEndpointFactory(client=caller.client, event_types=[CONTEXT_CHANGED])
    everything = WebhookEndpointFactory(client=caller.client, event_types=[])

    _batch(caller, [_item(1)])
    _batch(caller, [_item(1, customer="OTHER")])

    assert [t for t, _, _ in _recorded()] == [IMPORTED, UPDATED, CONTEXT_CHANGED]
    assert list(context_only.deliveries.values_list("event__type", flat=True)) == [CONTEXT_CHANGED]
    assert everything.deliveries.count() == 3


def test_no_endpoint_subscribed_to_the_type_records_nothing(caller):
    WebhookEndpointFactory(client=caller.client, event_types=[EventType.VISIT_REPORT_SUBMITTED])

    _batch(caller, [_item(1)])

    assert WebhookEvent.objects.count() == 0
    assert TargetEventSequence.objects.count() == 0


# --- producers: fieldwork, with billing gated -----------------------------------------------------


def test_a_visit_report_and_a_billing_document_are_recorded_with_their_subject(published):
    endpoint = WebhookEndpointFactory(include_billing_details=True)
    tenant = endpoint.tenant
    tenant.billing_enabled, tenant.billing_subscription = True, "PLAN-1"
    tenant.save()
    target = TargetFactory(client=endpoint.client)

    report = visit_report_submit(target=target, outcome="Completed", summary="Done.")
    document = billing_document_create(
        target=target, number="R-1", currency="EUR", amount=Decimal("10.00")
    )

    assert [[(e.type, e.target_id, e.subject_id) for e in call] for call in published] == [
        [(EventType.VISIT_REPORT_SUBMITTED, target.pk, report.pk)],
        [(EventType.BILLING_CREATED, target.pk, document.pk)],
    ]
    assert [(e.type, e.subject_id, e.sequence) for e in WebhookEvent.objects.order_by("id")] == [
        (EventType.VISIT_REPORT_SUBMITTED, report.pk, 1),
        (EventType.BILLING_CREATED, document.pk, 2),
    ]
    assert endpoint.deliveries.count() == 2


@pytest.mark.parametrize(
    ("billing_enabled", "subscription", "include_billing_details", "sent"),
    [
        (True, "PLAN-1", True, True),
        (False, "PLAN-1", True, False),  # the tenant's feature off
        (True, "  ", True, False),  # no subscription configured
        (True, "PLAN-1", False, False),  # the endpoint did not opt in
    ],
)
def test_billing_created_needs_the_tenants_billing_and_the_endpoints_option(
    billing_enabled, subscription, include_billing_details, sent
):
    endpoint = WebhookEndpointFactory(include_billing_details=include_billing_details)
    tenant = endpoint.tenant
    tenant.billing_enabled, tenant.billing_subscription = billing_enabled, subscription
    tenant.save()
    target = TargetFactory(client=endpoint.client)

    billing_document_create(target=target, number="R-1", currency="EUR", amount=Decimal("1.00"))

    assert WebhookEvent.objects.filter(type=EventType.BILLING_CREATED).exists() is sent
    assert endpoint.deliveries.exists() is sent


def test_billing_created_goes_only_to_the_endpoints_that_opted_in():
    opted_in = WebhookEndpointFactory(include_billing_details=True)
    client, tenant = opted_in.client, opted_in.tenant
    tenant.billing_enabled, tenant.billing_subscription = True, "PLAN-1"
    tenant.save()
    plain = WebhookEndpointFactory(client=client)
    target = TargetFactory(client=client)

    billing_document_create(target=target, number="R-1", currency="EUR", amount=Decimal("1.00"))
    visit_report_submit(target=target, outcome="Completed")

    assert list(opted_in.deliveries.values_list("event__type", flat=True).order_by("id")) == [
        EventType.BILLING_CREATED,
        EventType.VISIT_REPORT_SUBMITTED,
    ]
    assert list(plain.deliveries.values_list("event__type", flat=True)) == [
        EventType.VISIT_REPORT_SUBMITTED
    ]


# --- producers: review decisions -----------------------------------------------------------------


@pytest.fixture
def waiting(make_caller):
    """Two open items (JOB-1, JOB-2) waiting on the same unknown customer CUST-9 (no
    customers.write), of a client with an endpoint; returns the caller and the items."""
    caller = make_caller(scopes=REVIEW_SCOPES)
    WebhookEndpointFactory(client=caller.client)
    for n in (1, 2):
        response = caller.post(
            "inbound/targets",
            {
                "externalId": f"JOB-{n}",
                "title": "T",
                "customer": {"externalId": "CUST-9", "name": "Nordsee Feinkost GmbH"},
            },
        )
        assert response.status_code == 200
    items = list(ImportItem.objects.order_by("id"))
    assert [i.review_state for i in items] == ["Open", "Open"]
    return caller, items


def _context_changes(published) -> list[list[str]]:
    external_ids = dict(Target.objects.values_list("pk", "external_id"))
    return [
        [external_ids[e.target_id] for e in call if e.type == CONTEXT_CHANGED] for call in published
    ]


def test_a_link_announces_every_target_it_gave_a_context_once(waiting, published):
    caller, (item, _) = waiting
    customer = CustomerFactory(tenant=caller.client.tenant)

    import_item_link(item=item, user=UserFactory(), customer=customer)

    assert _context_changes(published) == [["JOB-1", "JOB-2"]]  # one call, the sibling's too
    (event,) = WebhookEvent.objects.filter(type=CONTEXT_CHANGED, target_id=item.target_id)
    assert event.payload["customerContext"]["customer"]["id"] == customer.pk
    assert event.sequence == 2  # after its target.imported


def test_create_announces_the_new_context_and_undo_announces_it_taken_back(waiting, published):
    _, (item, _) = waiting
    user = UserFactory()

    import_item_create(item=item, user=user)
    import_item_undo(item=item, user=user)

    assert _context_changes(published) == [["JOB-1", "JOB-2"], ["JOB-2", "JOB-1"]]
    last = WebhookEvent.objects.filter(target_id=item.target_id).order_by("id").last()
    assert (last.type, last.sequence) == (CONTEXT_CHANGED, 3)
    assert last.payload["customerContext"] == {"customer": None, "location": None, "contact": None}


def test_a_decision_that_changes_no_target_context_announces_nothing(make_caller, published):
    caller = make_caller(scopes=REVIEW_SCOPES)
    WebhookEndpointFactory(client=caller.client)
    customer = CustomerFactory(tenant=caller.client.tenant)
    location = LocationFactory(customer=customer)
    # Linked already by the import (customer number), but with a warning to review.
    caller.post(
        "inbound/targets",
        {"externalId": "JOB-1", "title": "T", "customer": {"externalId": "X-1", "name": "N"}},
    )
    item = ImportItem.objects.get()
    Target.objects.filter(pk=item.target_id).update(customer=customer, location=location)
    published.clear()

    import_item_link(item=item, user=UserFactory(), customer=customer, location=location)

    assert published == []


def test_a_dismiss_changes_no_context_and_announces_nothing(waiting, published):
    _, (item, _) = waiting
    user = UserFactory()

    import_item_dismiss(item=item, user=user)
    import_item_undo(item=item, user=user)

    assert published == []
    assert not WebhookEvent.objects.filter(type=CONTEXT_CHANGED).exists()


# --- sequences -----------------------------------------------------------------------------------


def test_sequences_count_per_target_across_batches_and_producers(make_caller):
    caller = make_caller()
    WebhookEndpointFactory(client=caller.client)
    _batch(caller, [_item(1), _item(2)])
    target = Target.objects.get(external_id="JOB-2")
    visit_report_submit(target=target, outcome="Completed")
    _batch(caller, [_item(2, customer="OTHER")])

    assert [(t, s) for t, ext, s in _recorded() if ext == "JOB-2"] == [
        (IMPORTED, 1),
        (EventType.VISIT_REPORT_SUBMITTED, 2),
        (UPDATED, 3),
        (CONTEXT_CHANGED, 4),
    ]
    assert TargetEventSequence.objects.get(target_id=target.pk).last == 4
    assert [(t, s) for t, ext, s in _recorded() if ext == "JOB-1"] == [(IMPORTED, 1)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_the_same_targets_number_their_events_without_gaps_or_twins(
    make_caller, jobs
):
    caller = make_caller()
    endpoint = WebhookEndpointFactory(client=caller.client)
    ids = range(20)
    _batch(caller, [_item(n) for n in ids])
    # The lanes' runs started (and sent everything): the rounds below ask for runs afresh, all
    # at once.
    WebhookDelivery.objects.update(status=DeliveryStatus.DELIVERED)
    WebhookSendRequest.objects.all().delete()
    before = len(jobs())
    rounds = 6
    barrier = threading.Barrier(rounds)

    def send(r: int):
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.key}")
        items = [_item(n, title=f"Round {r}") for n in (ids if r % 2 else reversed(ids))]
        try:
            barrier.wait()
            return http.post(BASE + "inbound/targets/batch", {"items": items}, format="json")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=rounds) as pool:
        responses = list(pool.map(send, range(rounds)))

    assert [r.status_code for r in responses] == [200] * rounds
    queued = queued_delivery_ids()
    for target in Target.objects.all():
        events = list(WebhookEvent.objects.filter(target_id=target.pk).order_by("id"))
        # Imported, then updated by every round (each sends a title of its own).
        assert [e.sequence for e in events] == list(range(1, rounds + 2))
        assert [e.type for e in events] == [IMPORTED] + [UPDATED] * rounds
        # A run sends a target's deliveries in event order, all through the target's lane.
        deliveries = WebhookDelivery.objects.filter(event__in=events)
        assert set(deliveries.values_list("target_id", "lane")) == {
            (target.pk, delivery_lane(target_id=target.pk, event_id=events[0].pk))
        }
        pending = list(
            deliveries.filter(status=DeliveryStatus.PENDING)
            .order_by("event__sequence")
            .values_list("pk", flat=True)
        )
        assert len(pending) == rounds
        assert [pk for pk in queued if pk in pending] == pending
    # Six transactions asked for the same lanes at once: one job per lane, none twice.
    lanes = sorted(set(WebhookDelivery.objects.values_list("endpoint_id", "lane")))
    deferred = sorted(jobs()[before:], key=lambda j: j.args["lane"])
    assert [_job(j) for j in deferred] == [_send_job(endpoint, lane) for _, lane in lanes]
    assert sorted(WebhookSendRequest.objects.values_list("endpoint_id", "lane")) == lanes


# --- the test event and the fast path ------------------------------------------------------------


def test_a_test_event_goes_to_its_endpoint_whatever_it_subscribes_to(jobs):
    endpoint = WebhookEndpointFactory(event_types=[EventType.BILLING_CREATED])

    delivery = webhook_test_record(endpoint=endpoint)

    event = delivery.event
    assert (event.type, event.client_id, event.target_id, event.sequence) == (
        EventType.WEBHOOK_TEST,
        endpoint.client_id,
        None,
        None,
    )
    assert event.payload["endpointId"] == endpoint.pk
    # About no target: its lane is its event's.
    lane = delivery_lane(target_id=None, event_id=event.pk)
    assert (delivery.target_id, delivery.lane) == (None, lane)
    assert [_job(j) for j in jobs()] == [_send_job(endpoint, lane)]
    assert queued_delivery_ids() == [delivery.pk]


@pytest.mark.parametrize("count", [1, 8])  # one INSERT; COPY
def test_the_fast_path_writes_events_and_deliveries_as_bulk_create_does(count):
    endpoint = WebhookEndpointFactory()

    def rows(model):
        return list(model.objects.order_by("pk").values())

    def write(make, insert):
        with transaction.atomic():
            events = [
                make(
                    WebhookEvent,
                    {
                        "tenant_id": endpoint.tenant_id,
                        "client_id": endpoint.client_id,
                        "type": IMPORTED,
                        "target_id": 7,
                        "sequence": n,
                        "payload": {"target": {"title": "Wärme"}, "n": n, "none": None},
                    },
                )
                for n in range(count)
            ]
            insert(WebhookEvent, events)
            deliveries = [
                make(WebhookDelivery, {"tenant_id": endpoint.tenant_id, "endpoint_id": endpoint.pk})
                for _ in events
            ]
            for delivery, event in zip(deliveries, events, strict=True):
                delivery.event = event
            insert(WebhookDelivery, deliveries)
            written = [
                [
                    {
                        k: v
                        for k, v in row.items()
                        if k not in ("id", "created_at", "webhook_id", "event_id")
                    }
                    for row in rows(model)
                ]
                for model in (WebhookEvent, WebhookDelivery)
            ]
            assert all(e.pk and e.webhook_id for e in events)
            transaction.set_rollback(True)
        return written

    orm = write(lambda model, values: model(**values), lambda m, i: m.objects.bulk_create(i))
    fast = write(new_instance, bulk_insert)
    assert fast == orm


def test_a_delivery_row_of_the_outbox_holds_what_the_orm_would_write(caller):
    WebhookEndpointFactory(client=caller.client)
    _batch(caller, [_item(1)])
    (written,) = WebhookDelivery.objects.values()
    other_endpoint = WebhookEndpointFactory(client=caller.client)
    orm = WebhookDelivery.objects.create(
        tenant_id=written["tenant_id"], event_id=written["event_id"], endpoint=other_endpoint
    )
    (created,) = WebhookDelivery.objects.filter(pk=orm.pk).values()

    for row in (written, created):
        assert row.pop("created_at") is not None
        del row["id"], row["endpoint_id"]
    assert written == created
    assert written["status"] == "Pending"


def test_deliveries_queue_defers_a_job_per_lane_until_the_lanes_run_starts(jobs):
    endpoint = WebhookEndpointFactory()
    other = WebhookEndpointFactory(client=endpoint.client)
    lanes = settings.WEBHOOK_LANES_PER_ENDPOINT
    events = [
        WebhookEvent.objects.create(
            tenant=endpoint.tenant, client=endpoint.client, type=IMPORTED, target_id=t, payload={}
        )
        for t in (7, 7 + lanes, 7, None, 7)
    ]
    deliveries = [
        WebhookDelivery.objects.create(tenant=endpoint.tenant, event=event, endpoint=endpoint)
        for event in events[:4]
    ] + [WebhookDelivery.objects.create(tenant=other.tenant, event=events[4], endpoint=other)]
    # Targets 7 and 7 + lanes share a lane; an event about no target takes its own id's.
    assert [d.lane for d in deliveries] == [7 % lanes] * 3 + [events[3].pk % lanes, 7 % lanes]
    wanted = sorted({(d.endpoint_id, d.lane) for d in deliveries})

    deliveries_queue(deliveries=deliveries)

    assert [(*_job(j), j.status, j.priority) for j in jobs()] == [
        (*_send_job(other if endpoint_id == other.pk else endpoint, lane), "todo", 0)
        for endpoint_id, lane in wanted
    ]
    assert len(wanted) < len(deliveries)  # a job per lane, not per delivery
    assert sorted(WebhookSendRequest.objects.values_list("endpoint_id", "lane")) == wanted
    assert queued_delivery_ids() == [d.pk for d in deliveries]

    # Asked for again before the runs start (the same lanes twice in one call too): no new job.
    deliveries_queue(deliveries=deliveries)
    lanes_request(lanes=[(endpoint.tenant_id, endpoint.pk, 7 % lanes)] * 2)
    assert len(jobs()) == len(wanted)

    # The run of target 7's lane starts (deleting its request): the next call asks for a new one.
    WebhookSendRequest.objects.filter(endpoint=endpoint, lane=7 % lanes).delete()
    deliveries_queue(deliveries=deliveries)
    assert [_job(j) for j in jobs()[len(wanted) :]] == [_send_job(endpoint, 7 % lanes)]
    assert sorted(WebhookSendRequest.objects.values_list("endpoint_id", "lane")) == wanted
