from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from inbound.models import ApiKey
from inbound.services import throttle_count


class IntegrationClientThrottle(SimpleRateThrottle):
    """Requests per integration client (all its keys together); 429 with Retry-After.

    A window of the rate's period opens with a client's first request and counts up to the
    rate. The count is a database row per client (`inbound.services.throttle_count`), not the
    cache: a process-local cache let every gunicorn worker allow the full rate, and a shared
    cache's read-then-write lost counts under concurrent requests. Rate and clock are DRF's.
    """

    scope = "integration_client"

    def get_rate(self) -> str:
        return settings.INBOUND_LIMITS["THROTTLE_RATE"]

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True  # no client to count: authentication refuses the request
        now = self.timer()
        opened_at, count = throttle_count(client=request.auth.client, now=now, period=self.duration)
        self.wait_seconds = self.duration - (now - opened_at)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.wait_seconds, 1.0)
