from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from inbound.models import ApiKey


class IntegrationClientThrottle(SimpleRateThrottle):
    """Requests per integration client (all its keys together); 429 with Retry-After.

    A window of the rate's period opens with a client's first request and counts up to the
    rate: one small cache entry per client. DRF's own allow_request keeps the time of every
    request in the period instead, and pickles that list on every request: thousands of entries
    at an integration's rates. Rate, cache, key and clock are DRF's (CACHE_URL shares the count).
    """

    scope = "integration_client"

    def get_rate(self) -> str:
        return settings.INBOUND_LIMITS["THROTTLE_RATE"]

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.client_id}

    def allow_request(self, request, view) -> bool:
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        opened, count = self.cache.get(key) or (now, 0)
        if now - opened >= self.duration:
            opened, count = now, 0
        self.wait_seconds = self.duration - (now - opened)
        if count >= self.num_requests:
            return False
        self.cache.set(key, (opened, count + 1), timeout=max(1, round(self.wait_seconds)))
        return True

    def wait(self) -> float:
        return max(self.wait_seconds, 1.0)
