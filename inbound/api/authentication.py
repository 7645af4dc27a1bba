"""`Authorization: Bearer <api key>`: the key is looked up by its prefix and verified against its
stored hash in constant time."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from inbound.models import ApiKey
from inbound.services import api_key_authenticate


class IntegrationPrincipal:
    """Who is calling: an integration client, through one of its API keys."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.client = api_key.client
        self.tenant = api_key.client.tenant

    def __str__(self) -> str:
        return f"client {self.client.pk} (key {self.api_key.prefix})"


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword.lower().encode():
            raise exceptions.AuthenticationFailed(
                "Use the Bearer scheme: 'Authorization: Bearer <api key>'."
            )
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: expected 'Bearer <api key>'."
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The API key is malformed.") from exc
        api_key = api_key_authenticate(key=key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is unknown, revoked or expired.")
        return IntegrationPrincipal(api_key), api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="ordinavo-connect"'
