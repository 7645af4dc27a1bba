"""From the import API to a receiver on loopback, through a real worker process: what an
integrator's endpoint sees."""

import json
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from tests.api import BASE
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery

from .conftest import deliveries_wait
from .factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db(transaction=True)

TARGET = {
    "externalId": "JOB-E2E-1",
    "title": "Boiler service",
    "customer": {"externalId": "CUST-E2E", "customerNumber": "K-1", "name": "Muster GmbH"},
    "location": {"externalId": "LOC-E2E", "name": "Depot", "city": "Essen", "country": "DE"},
    "contact": {
        "externalId": "CONT-E2E",
        "displayName": "Eva Muster",
        "email": "eva@muster.example",
    },
}


def _bodies(requests) -> list[dict]:
    return [json.loads(request.body) for request in requests]


def test_an_imported_target_reaches_the_endpoint_signed_with_its_customer_context(
    make_caller, receiver, worker_start
):
    worker = worker_start()
    caller = make_caller(allow_contact_create=True)
    endpoint = WebhookEndpointFactory(client=caller.client, url=receiver.url("/hook"))
    other_tenant = WebhookEndpointFactory(url=receiver.url("/other-tenant"))
    sibling = make_caller(tenant=caller.client.tenant, source_system="crm")
    other_client = WebhookEndpointFactory(client=sibling.client, url=receiver.url("/other-client"))

    response = caller.post("inbound/targets", TARGET)

    assert response.status_code == 200, response.content
    deliveries = list(WebhookDelivery.objects.filter(endpoint=endpoint))
    deliveries_wait(deliveries, status=DeliveryStatus.DELIVERED, workers=(worker,))
    (request,) = receiver.received("/hook")
    Webhook(endpoint.secret).verify(request.body, request.headers)
    body = json.loads(request.body)
    assert body["type"] == "target.imported"
    assert body["data"]["target"]["externalId"] == "JOB-E2E-1"
    assert body["data"]["sequence"] == 1
    context = body["data"]["customerContext"]
    assert context["customer"]["externalId"] == "CUST-E2E"
    assert context["customer"]["customerNumber"] == "K-1"
    assert context["location"]["externalId"] == "LOC-E2E"
    assert context["contact"]["email"] == "eva@muster.example"
    assert not WebhookDelivery.objects.filter(endpoint__in=[other_tenant, other_client]).exists()
    assert receiver.received("/other-tenant") == receiver.received("/other-client") == []


def test_events_of_a_target_arrive_in_order_under_concurrent_imports(
    caller, receiver, worker_start
):
    worker = worker_start()
    WebhookEndpointFactory(client=caller.client, url=receiver.url("/hook"))
    targets = [f"JOB-ORDER-{n}" for n in range(3)]
    rounds = 4
    barrier = threading.Barrier(rounds)

    def import_round(round_number: int) -> int:
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {caller.key}")
        items = [
            {"externalId": external_id, "title": f"Visit {round_number}"} for external_id in targets
        ]
        try:
            barrier.wait()
            response = http.post(BASE + "inbound/targets/batch", {"items": items}, format="json")
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=rounds) as pool:
        assert list(pool.map(import_round, range(rounds))) == [200] * rounds

    deliveries = list(WebhookDelivery.objects.all())
    # The first import of each target is imported, every later one an update.
    assert len(deliveries) == rounds * len(targets)
    deliveries_wait(deliveries, status=DeliveryStatus.DELIVERED, workers=(worker,))
    arrived: dict[str, list[int]] = defaultdict(list)
    for body in _bodies(receiver.received("/hook")):
        arrived[body["data"]["target"]["externalId"]].append(body["data"]["sequence"])
    assert arrived == {external_id: [1, 2, 3, 4] for external_id in targets}
