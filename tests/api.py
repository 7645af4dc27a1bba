"""Calling the API in tests as an integration client."""

from dataclasses import dataclass

from rest_framework.test import APIClient

from inbound.models import ApiKey, IntegrationClient

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
