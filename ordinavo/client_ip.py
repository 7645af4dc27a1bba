"""The client's address for login protection, from X-Forwarded-For only behind trusted proxies."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    """The address that sent the request.

    Without trusted proxies (`TRUSTED_PROXY_COUNT` 0) it is the connection's own address: a client
    can write any X-Forwarded-For it likes, so the header is ignored. Behind N trusted proxies each
    appends the address it was connected from, so the N-th entry from the right is the client's;
    entries further left were sent by the client and are never believed.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote_addr
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        # Not through every proxy (a direct connection): the connection is the client.
        return remote_addr
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote_addr
