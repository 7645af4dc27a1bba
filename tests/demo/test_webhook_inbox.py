"""The local webhook inbox (DEBUG only): it keeps what an endpoint pointing at it signed."""

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from demo.views import INBOX_SIZE
from tests.factories import IntegrationClientFactory, UserFactory
from webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_secret_rotate,
    webhook_secret_generate,
)

pytestmark = pytest.mark.django_db

INBOX_URL = "http://127.0.0.1:8000/dev/webhook-inbox/"


@pytest.fixture(autouse=True)
def debug_and_an_empty_inbox(settings):
    settings.DEBUG = True
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def endpoint():
    return webhook_endpoint_create(client=IntegrationClientFactory(), url=INBOX_URL)[0]


@pytest.fixture
def secret(endpoint) -> str:
    return endpoint.secret


def _post(client, secret: str, *, webhook_id: str = "msg_1", type: str = "webhook.test"):
    body = json.dumps({"type": type, "timestamp": "2026-12-05T12:00:00Z", "data": {"n": 1}})
    now = timezone.now()
    return client.post(
        reverse("demo:webhook_inbox"),
        body,
        content_type="application/json",
        headers={
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
        },
    )


def _staff_page(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client.get(reverse("demo:webhook_inbox"))


def test_a_signed_delivery_is_kept_and_shown(client, secret):
    response = _post(client, secret, webhook_id="msg_abc", type="target.imported")

    page = _staff_page(client)

    assert response.status_code == 204
    assert page.status_code == 200
    content = page.content.decode()
    assert "msg_abc" in content
    assert "target.imported" in content
    assert "&quot;n&quot;: 1" in content


def test_a_wrong_signature_is_refused_and_not_kept(client, secret):
    response = _post(client, webhook_secret_generate(), webhook_id="msg_forged")

    page = _staff_page(client)

    assert response.status_code == 401
    assert "msg_forged" not in page.content.decode()


def test_the_previous_secret_verifies_during_its_grace_period(client, endpoint, secret):
    webhook_endpoint_secret_rotate(endpoint=endpoint)

    assert _post(client, secret, webhook_id="msg_old_secret").status_code == 204
    endpoint.refresh_from_db()
    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    endpoint.save()
    assert _post(client, secret, webhook_id="msg_expired").status_code == 401


def test_the_inbox_keeps_the_latest_deliveries_only(client, secret):
    for n in range(INBOX_SIZE + 2):
        _post(client, secret, webhook_id=f"msg_{n:03d}")

    content = _staff_page(client).content.decode()

    assert f"msg_{INBOX_SIZE + 1:03d}" in content
    assert "msg_000" not in content
    assert "msg_001" not in content


def test_the_page_is_for_signed_in_staff(client, secret):
    response = client.get(reverse("demo:webhook_inbox"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_without_debug_there_is_no_inbox(client, secret, settings):
    settings.DEBUG = False

    post = _post(client, secret)
    page = _staff_page(client)

    assert (post.status_code, page.status_code) == (404, 404)
