import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from inbound.models import ApiKey

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parsed_rate(rate: str) -> tuple[int, int]:
    """A rate in DRF's syntax as (requests, seconds): "3000/min" is (3000, 60)."""
    count, unit = rate.split("/")
    return int(count), PERIODS[unit[0]]


class IntegrationClientThrottle(BaseThrottle):
    """Requests per integration client (all its keys together); 429 with Retry-After.

    A window of the rate's period opens with a client's first request and counts up to the
    rate: one small cache entry per client. DRF's SimpleRateThrottle keeps the time of every
    request in the period instead, and pickles that list on every request: thousands of entries
    at an integration's rates. Like DRF's, the count is shared through the cache (CACHE_URL).
    """

    def __init__(self):
        self.wait_seconds = 0.0

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        limit, period = _parsed_rate(settings.INBOUND_LIMITS["THROTTLE_RATE"])
        key = f"throttle:integration-client:{request.auth.client_id}"
        now = time.time()
        opened, count = cache.get(key) or (now, 0)
        if now - opened >= period:
            opened, count = now, 0
        if count >= limit:
            self.wait_seconds = period - (now - opened)
            return False
        cache.set(key, (opened, count + 1), timeout=max(1, round(period - (now - opened))))
        return True

    def wait(self) -> float:
        return max(self.wait_seconds, 1.0)
