"""The HTTP side of a delivery: one POST to an address the SSRF guard checked (never a second DNS
lookup), over connections kept per worker process, no retries, no redirects, and at most the
first 2 KB of the answer read."""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import urllib3
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from .ssrf import UrlTarget

ANSWER_KEPT_BYTES = 2048
# An answer this much longer is read to its end, so its connection can serve the next delivery;
# a longer (or unknown-length) one costs its connection instead.
ANSWER_DRAIN_BYTES = 64 * 1024
MAX_POOLS = 256  # endpoints' (address, host) pairs with kept connections, per process

type PoolKey = tuple[str, str, int, str]


@dataclass(frozen=True, slots=True)
class Answer:
    """What one POST came to: an HTTP status (None when there was no answer) or an error."""

    status: int | None
    body: bytes = b""  # the first ANSWER_KEPT_BYTES
    retry_after: str | None = None
    error: str = ""
    duration_ms: int = 0


class _Pools:
    """Connection pools by (scheme, address, port, host), shared by the worker's threads; the
    least recently used ones are closed beyond MAX_POOLS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: OrderedDict[PoolKey, urllib3.HTTPConnectionPool] = OrderedDict()

    def get(self, key: PoolKey) -> urllib3.HTTPConnectionPool:
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            pool = self._pools[key] = _pool_new(key)
            evicted = self._pools.popitem(last=False)[1] if len(self._pools) > MAX_POOLS else None
        if evicted is not None:
            evicted.close()
        return pool

    def clear(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()


def _pool_new(key: PoolKey) -> urllib3.HTTPConnectionPool:
    scheme, address, port, host = key
    # As many kept connections as the worker runs deliveries at once (all may go to one host).
    maxsize = int(settings.PROCRASTINATE_WORKER_DEFAULTS.get("concurrency", 8))
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            maxsize=maxsize,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=host,  # SNI and certificate checked for the URL's host name
            assert_hostname=host,
        )
    return urllib3.HTTPConnectionPool(address, port, maxsize=maxsize, retries=False)


pools = _Pools()


def post(
    *,
    target: UrlTarget,
    addresses: list[str],
    body: bytes,
    headers: dict[str, str],
    timeout: float,
) -> Answer:
    """POST `body` to the first of `addresses` that accepts a connection."""
    headers = {
        **headers,
        "Host": target.host_header,
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",  # the kept 2 KB are stored as sent: nothing to inflate
        "User-Agent": "Ordinavo-Webhooks/1",
    }
    started = time.perf_counter()
    answer = Answer(status=None, error="no address to connect to")
    for address in addresses:
        answer = _post_to(address, target=target, body=body, headers=headers, timeout=timeout)
        if answer.status is not None or not answer.error.startswith("could not connect"):
            break
    return Answer(
        status=answer.status,
        body=answer.body,
        retry_after=answer.retry_after,
        error=answer.error,
        duration_ms=round((time.perf_counter() - started) * 1000),
    )


def _post_to(
    address: str, *, target: UrlTarget, body: bytes, headers: dict[str, str], timeout: float
) -> Answer:
    pool = pools.get((target.scheme, address, target.port, target.host))
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            preload_content=False,
            decode_content=False,
            release_conn=False,
        )
    except (ConnectTimeoutError, NewConnectionError) as exc:
        return Answer(status=None, error=f"could not connect to {address}: {_reason(exc)}")
    except (HTTPError, OSError) as exc:
        return Answer(status=None, error=_reason(exc))
    try:
        kept = _head_read(response)
    except (HTTPError, OSError) as exc:
        response.close()
        response.release_conn()
        return Answer(status=response.status, error=f"reading the answer: {_reason(exc)}")
    return Answer(
        status=response.status, body=kept, retry_after=response.headers.get("Retry-After")
    )


def _head_read(response: urllib3.BaseHTTPResponse) -> bytes:
    """The first ANSWER_KEPT_BYTES of the answer; the connection is released for reuse when the
    rest is short, else closed."""
    kept = b""
    while len(kept) < ANSWER_KEPT_BYTES:
        chunk = response.read(ANSWER_KEPT_BYTES - len(kept))
        if not chunk:
            break
        kept += chunk
    remaining = getattr(response, "length_remaining", None)
    if len(kept) < ANSWER_KEPT_BYTES or remaining == 0:
        response.release_conn()
    elif remaining is not None and remaining <= ANSWER_DRAIN_BYTES:
        response.drain_conn()
        response.release_conn()
    else:
        response.close()
        response.release_conn()
    return kept


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError) and not isinstance(
        exc, NewConnectionError
    ):
        return "timed out"
    if isinstance(exc, SSLError):
        return f"TLS error: {exc}"
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    # urllib3 prefixes the connection object's repr ("<HTTPConnection(...)>: "), noise here.
    return text.split(": ", 1)[1] if text.startswith("HTTP") and ": " in text else text
