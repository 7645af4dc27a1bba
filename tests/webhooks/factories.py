"""Factories of the webhooks app's records (the outbox tests')."""

import secrets

import factory

from tests.factories import IntegrationClientFactory
from webhooks.models import WebhookEndpoint


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An enabled endpoint of an integration client, subscribed to every event type, with the
    default payload options (contact details on, summary previews and billing details off)."""

    class Meta:
        model = WebhookEndpoint

    client = factory.SubFactory(IntegrationClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    url = factory.Sequence(lambda n: f"https://hooks.example.com/ordinavo/{n}")
    secret = factory.LazyFunction(lambda: f"whsec_{secrets.token_urlsafe(24)}")
