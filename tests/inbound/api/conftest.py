from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from inbound.models import ApiKey, IntegrationClient
from inbound.services import DEFAULT_SCOPES, api_key_issue
from tests.factories import IntegrationClientFactory

BASE = "/api/connect/v1/"


@dataclass
class Caller:
    """An HTTP client authenticated as one integration client through one API key."""

    http: APIClient
    client: IntegrationClient
    api_key: ApiKey
    key: str

    def post(self, path: str, body, **headers):
        return self.http.post(BASE + path, body, format="json", headers=headers or None)

    def get(self, path: str, **params):
        return self.http.get(BASE + path, params)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def make_caller(db):
    def make(*, scopes=DEFAULT_SCOPES, client: IntegrationClient | None = None, **client_kwargs):
        client = client or IntegrationClientFactory(**client_kwargs)
        api_key, key = api_key_issue(client=client, name="test", scopes=scopes)
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return Caller(http=http, client=client, api_key=api_key, key=key)

    return make


@pytest.fixture
def caller(make_caller) -> Caller:
    return make_caller()
