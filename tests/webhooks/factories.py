"""Factories of the webhooks app's records, for the delivery tests (events are created directly,
without the outbox's recording, and the send runs of their deliveries' lanes asked for with
webhooks.outbox.deliveries_queue)."""

import base64
import secrets

import factory

from ordinavo.events import EventType
from tests.factories import IntegrationClientFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


def secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    client = factory.SubFactory(IntegrationClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    secret = factory.LazyFunction(secret_new)


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    client = factory.SubFactory(IntegrationClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    type = EventType.TARGET_UPDATED
    target_id = factory.Sequence(lambda n: 1000 + n)
    sequence = 1
    payload = factory.LazyAttribute(
        lambda o: {"target": {"id": o.target_id}, "sequence": o.sequence}
    )


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = factory.SubFactory(
        WebhookEventFactory,
        client=factory.SelfAttribute("..endpoint.client"),
    )
    tenant = factory.SelfAttribute("endpoint.tenant")
