"""A webhook inbox for local development (DEBUG only): the demo endpoint points here, so a
developer running `make run` sees what the worker delivers, each signature verified with the
`standardwebhooks` package as a receiver would. Not a product feature: without DEBUG it is 404.

Kept in the default cache (per process: runserver's), the last INBOX_SIZE deliveries.
"""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from standardwebhooks import Webhook, WebhookVerificationError

from webhooks.models import WebhookEndpoint

INBOX_CACHE_KEY = "demo:webhook-inbox"
INBOX_SIZE = 50


def inbox_entries() -> list[dict]:
    return cache.get(INBOX_CACHE_KEY) or []


def _secrets_of(endpoint: WebhookEndpoint) -> list[str]:
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > datetime.now(UTC):
        secrets.append(endpoint.previous_secret)
    return secrets


def _verified_by(request: HttpRequest) -> WebhookEndpoint | None:
    """The endpoint (one pointing at this inbox) whose secret signed the request, if any."""
    body = request.body.decode("utf-8", errors="replace")
    headers = {name.lower(): value for name, value in request.headers.items()}
    # Any tenant's endpoint may point here: a developer's machine, not a tenant's page.
    for endpoint in WebhookEndpoint.objects.filter(url__endswith=request.path):
        for secret in _secrets_of(endpoint):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return endpoint
    return None


def _receive(request: HttpRequest) -> HttpResponse:
    endpoint = _verified_by(request)
    if endpoint is None:
        return HttpResponse(
            "No signature of an endpoint pointing here verifies.\n",
            status=401,
            content_type="text/plain",
        )
    try:
        envelope = json.loads(request.body)
    except ValueError:
        envelope = {}
    entry = {
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "webhook_id": request.headers.get("webhook-id", ""),
        "type": envelope.get("type", "") if isinstance(envelope, dict) else "",
        "endpoint_id": endpoint.pk,
        "signatures": len(request.headers.get("webhook-signature", "").split()),
        "body": json.dumps(envelope, indent=2, ensure_ascii=False),
    }
    cache.set(INBOX_CACHE_KEY, [entry, *inbox_entries()][:INBOX_SIZE], timeout=None)
    return HttpResponse(status=204)


@csrf_exempt  # signed by the sender instead; there is no session to protect
def webhook_inbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404("The webhook inbox exists only with DEBUG on.")
    if request.method == "POST":
        return _receive(request)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    if not (request.user.is_active and request.user.is_staff):
        return redirect_to_login(request.get_full_path())
    context = {
        **admin.site.each_context(request),
        "title": "Webhook inbox (development)",
        "entries": inbox_entries(),
        "size": INBOX_SIZE,
    }
    return TemplateResponse(request, "demo/webhook_inbox.html", context)
