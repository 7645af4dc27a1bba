from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from inbound.models import ApiKey


class IntegrationClientThrottle(SimpleRateThrottle):
    """Requests per integration client (all its keys together); 429 with Retry-After."""

    scope = "integration_client"

    def get_rate(self) -> str:
        return settings.INBOUND_LIMITS["THROTTLE_RATE"]

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.client_id}
