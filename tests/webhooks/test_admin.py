"""Webhooks in the admin: endpoints (secret once, rotate, test, enable/disable, replay), the
delivery log (filters, attempts, redeliver) and tenant isolation of all of it."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from tenants.services import dispatcher_create_or_add_tenant
from tests.factories import IntegrationClientFactory, TenantMembershipFactory, UserFactory
from tests.webhooks.records import (
    URL,
    attempt_make,
    delivery_make,
    endpoint_make,
    event_make,
    queued_delivery_ids,
    send_jobs,
)
from webhooks import services
from webhooks.choices import DeliveryStatus, DisabledReason
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSendRequest
from webhooks.outbox import lane_lock
from webhooks.services import webhook_endpoint_disable
from webhooks.ssrf import WebhookUrlRefused

pytestmark = pytest.mark.django_db

CHANGE_FORM_ACTION = "CHANGE_FORM-action"


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


def _endpoint_form(client_id: int, **changes) -> dict:
    data = {
        "client": client_id,
        "url": URL,
        "description": "ERP receiver",
        "event_types": ["target.imported", "visit_report.submitted"],
        "include_contact_details": "on",
    }
    return {**data, **changes}


def _secret_shown(response) -> str:
    (secret,) = re.findall(r'value="(whsec_[^"]+)"', response.content.decode())
    return secret


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _sent_lanes() -> list[tuple[int, int, str]]:
    """(endpoint id, lane, lock) of the send jobs deferred so far, oldest first."""
    return [(j.args["endpoint_id"], j.args["lane"], j.lock) for j in send_jobs()]


def _lane_of(delivery: WebhookDelivery) -> tuple[int, int, str]:
    """What `_sent_lanes` shows for the send run of `delivery`'s lane."""
    return (
        delivery.endpoint_id,
        delivery.lane,
        lane_lock(endpoint_id=delivery.endpoint_id, lane=delivery.lane),
    )


def _change_form_action(admin_client, model: str, obj, action: str, follow=True):
    return admin_client.post(
        reverse(f"admin:webhooks_{model}_change", args=[obj.pk]),
        {CHANGE_FORM_ACTION: action, "_selected_action": [obj.pk]},
        follow=follow,
    )


# --- endpoints --------------------------------------------------------------------------------


def test_an_endpoint_added_in_the_admin_shows_its_secret_once(superuser_client):
    client = IntegrationClientFactory()

    response = superuser_client.post(
        reverse("admin:webhooks_webhookendpoint_add"), _endpoint_form(client.pk)
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200  # the secret page, the answer to this POST
    secret = _secret_shown(response)
    assert secret == endpoint.secret
    assert "no-store" in response["Cache-Control"]
    Webhook(secret)  # a valid Standard Webhooks secret
    assert endpoint.tenant_id == client.tenant_id
    assert endpoint.event_types == ["target.imported", "visit_report.submitted"]
    assert (endpoint.include_summary_preview, endpoint.include_billing_details) == (False, False)
    page = superuser_client.get(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    )
    listing = superuser_client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    for later in (page, listing):
        assert later.status_code == 200
        assert secret.removeprefix("whsec_") not in later.content.decode()


def test_an_endpoint_url_refused_by_the_ssrf_guard_is_a_form_error(superuser_client, monkeypatch):
    def url_check(url):
        raise WebhookUrlRefused("127.0.0.1 is a loopback address.")

    monkeypatch.setattr(services, "url_check", url_check)

    response = superuser_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        _endpoint_form(IntegrationClientFactory().pk),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"] == ["127.0.0.1 is a loopback address."]
    assert not WebhookEndpoint.objects.exists()


def test_the_same_url_twice_for_a_client_is_a_form_error(superuser_client):
    client = IntegrationClientFactory()
    endpoint_make(client)

    response = superuser_client.post(
        reverse("admin:webhooks_webhookendpoint_add"), _endpoint_form(client.pk)
    )

    assert "already has an endpoint" in response.context["adminform"].form.errors["url"][0]
    assert WebhookEndpoint.objects.count() == 1


def test_an_endpoint_edited_in_the_admin_keeps_its_client_and_secret(superuser_client):
    endpoint = endpoint_make(IntegrationClientFactory())
    secret = endpoint.secret

    response = superuser_client.post(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]),
        _endpoint_form(
            IntegrationClientFactory().pk,  # read-only on change: ignored
            url=URL + "/v2",
            event_types=[],
            include_contact_details="",
            include_billing_details="on",
        ),
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.url == URL + "/v2"
    assert endpoint.event_types == []
    assert (endpoint.include_contact_details, endpoint.include_billing_details) == (False, True)
    assert endpoint.secret == secret


def test_rotate_secret_shows_the_new_secret_once_and_keeps_the_old_one_signing(superuser_client):
    endpoint = endpoint_make(IntegrationClientFactory())
    old = endpoint.secret

    response = _change_form_action(superuser_client, "webhookendpoint", endpoint, "rotate_secret")

    endpoint.refresh_from_db()
    assert response.status_code == 200
    assert _secret_shown(response) == endpoint.secret != old
    assert endpoint.previous_secret == old
    assert "the previous secret too" in response.content.decode()
    page = superuser_client.get(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    )
    assert endpoint.secret.removeprefix("whsec_") not in page.content.decode()
    assert "the previous secret signs too until" in page.content.decode()


def test_send_test_event_from_the_change_page(superuser_client):
    endpoint = endpoint_make(IntegrationClientFactory())

    response = _change_form_action(superuser_client, "webhookendpoint", endpoint, "send_test_event")

    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint_id, delivery.event.type) == (endpoint.pk, "webhook.test")
    assert queued_delivery_ids() == [delivery.pk]
    assert _sent_lanes() == [_lane_of(delivery)]
    assert "Queued a test event to 1 endpoint" in _messages(response)[0]


def test_disable_and_enable_from_the_list_show_the_state(superuser_client):
    endpoint = endpoint_make(IntegrationClientFactory())
    changelist = reverse("admin:webhooks_webhookendpoint_changelist")

    superuser_client.post(changelist, {"action": "disable", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    listing = superuser_client.get(changelist).content.decode()
    assert (endpoint.is_enabled, endpoint.disabled_reason) == (False, DisabledReason.MANUAL)
    assert "Disabled</strong>: Disabled by an admin (since " in listing

    superuser_client.post(changelist, {"action": "enable", "_selected_action": [endpoint.pk]})
    endpoint.refresh_from_db()
    assert (endpoint.is_enabled, endpoint.disabled_reason, endpoint.disabled_at) == (True, "", None)


def test_an_endpoint_disabled_for_failing_shows_why_and_since_when(superuser_client):
    endpoint = endpoint_make(IntegrationClientFactory())
    failing_since = timezone.now() - timedelta(days=5)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_enabled=False,
        disabled_reason=DisabledReason.FAILING,
        disabled_at=timezone.now(),
        failing_since=failing_since,
    )

    listing = superuser_client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    page = superuser_client.get(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    )

    assert "Failed continuously for 5 days" in listing.content.decode()
    assert "Failed continuously for 5 days" in page.content.decode()
    shown = listing.context["cl"].result_list[0]
    assert shown.failing_since == failing_since


def test_replay_page_queues_the_range(superuser_client):
    client = IntegrationClientFactory()
    endpoint = endpoint_make(client)
    now = timezone.now()
    inside = event_make(client, at=now - timedelta(hours=2))
    delivery_make(inside, endpoint, status=DeliveryStatus.FAILED)
    event_make(client, at=now - timedelta(days=3))  # outside the range
    url = reverse("admin:webhooks_webhookendpoint_replay", args=[endpoint.pk])
    fmt = "%Y-%m-%dT%H:%M"

    form_page = superuser_client.get(url)
    bad = superuser_client.post(url, {"since": now.strftime(fmt), "until": now.strftime(fmt)})
    response = superuser_client.post(
        url,
        {
            "since": (now - timedelta(days=1)).strftime(fmt),
            "until": (now + timedelta(minutes=1)).strftime(fmt),
        },
        follow=True,
    )

    assert form_page.status_code == 200
    assert 'type="datetime-local"' in form_page.content.decode()
    assert bad.context["form"].errors["until"] == ["The end must be after the start."]
    assert "Queued 1 delivery" in _messages(response)[0]
    delivery = inside.deliveries.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert queued_delivery_ids() == [delivery.pk]
    assert _sent_lanes() == [_lane_of(delivery)]


def test_a_replay_too_large_is_explained_on_the_page(superuser_client, monkeypatch):
    client = IntegrationClientFactory()
    endpoint = endpoint_make(client)
    for _ in range(3):
        event_make(client, at=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr(services, "REPLAY_MAX_EVENTS", 2)
    fmt = "%Y-%m-%dT%H:%M"

    response = superuser_client.post(
        reverse("admin:webhooks_webhookendpoint_replay", args=[endpoint.pk]),
        {
            "since": (timezone.now() - timedelta(days=1)).strftime(fmt),
            "until": (timezone.now() + timedelta(minutes=1)).strftime(fmt),
        },
    )

    assert response.status_code == 200
    assert "a replay sends at most 2" in str(response.context["form"].non_field_errors())
    assert not WebhookDelivery.objects.exists()


# --- the delivery log -------------------------------------------------------------------------


@pytest.fixture
def log():
    """Two endpoints of a client with events of two types; one delivery failed with a long
    answer."""
    client = IntegrationClientFactory()
    one = endpoint_make(client, url=URL + "/theirs-one")
    two = endpoint_make(client, url=URL + "/theirs-two")
    imported = event_make(client, type="target.imported", target_id=5)
    changed = event_make(client, type="target.customer_context_changed", target_id=5)
    failed = delivery_make(imported, one, status=DeliveryStatus.FAILED)
    attempt_make(failed, status_code=500, body="E" * 2000 + "TAIL" * 300, error="HTTP 500")
    delivered = delivery_make(changed, two)
    attempt_make(delivered, body="thanks")
    return {"one": one, "two": two, "failed": failed, "delivered": delivered}


def _listed(response) -> set[int]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_deliveries_filter_by_endpoint_status_and_event_type(superuser_client, log):
    url = reverse("admin:webhooks_webhookdelivery_changelist")

    assert _listed(superuser_client.get(url, {"endpoint": log["one"].pk})) == {log["failed"].pk}
    assert _listed(superuser_client.get(url, {"status__exact": "Delivered"})) == {
        log["delivered"].pk
    }
    assert _listed(
        superuser_client.get(url, {"event__type__exact": "target.customer_context_changed"})
    ) == {log["delivered"].pk}


def test_events_filter_by_type_client_and_endpoint_and_search_by_webhook_id(superuser_client, log):
    url = reverse("admin:webhooks_webhookevent_changelist")
    imported = log["failed"].event

    assert _listed(superuser_client.get(url, {"type__exact": "target.imported"})) == {imported.pk}
    assert _listed(superuser_client.get(url, {"endpoint": log["one"].pk})) == {imported.pk}
    assert len(_listed(superuser_client.get(url, {"client": imported.client_id}))) == 2
    assert _listed(superuser_client.get(url, {"q": imported.message_id})) == {imported.pk}
    assert _listed(superuser_client.get(url, {"q": str(imported.webhook_id)})) == {imported.pk}
    assert _listed(superuser_client.get(url, {"q": "no such id"})) == set()


def test_a_delivery_shows_its_attempts_with_the_first_2_kb_of_the_answer(superuser_client, log):
    page = superuser_client.get(
        reverse("admin:webhooks_webhookdelivery_change", args=[log["failed"].pk])
    ).content.decode()

    assert "HTTP 500" in page
    assert "E" * 2000 + "TAIL" * 12 in page  # 2,048 characters of the answer
    assert "TAIL" * 13 not in page


def test_an_event_shows_its_payload_and_deliveries(superuser_client, log):
    event = log["failed"].event

    page = superuser_client.get(reverse("admin:webhooks_webhookevent_change", args=[event.pk]))

    content = page.content.decode()
    assert event.message_id in content
    assert "&quot;target&quot;" in content  # the payload, pretty-printed and escaped
    assert log["one"].url in content


def test_redeliver_a_delivery_from_the_list_and_from_its_page(superuser_client, log):
    changelist = reverse("admin:webhooks_webhookdelivery_changelist")

    response = superuser_client.post(
        changelist,
        {"action": "redeliver", "_selected_action": [log["failed"].pk, log["delivered"].pk]},
        follow=True,
    )
    assert "Queued 2 deliveries again." in _messages(response)
    again = _change_form_action(superuser_client, "webhookdelivery", log["failed"], "redeliver")

    assert "pending already" in _messages(again)[0]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"Pending"}
    # Their two endpoints' lanes asked for, once each: the second try deferred nothing.
    assert queued_delivery_ids() == [log["failed"].pk, log["delivered"].pk]
    assert _sent_lanes() == [_lane_of(log["failed"]), _lane_of(log["delivered"])]


def test_redeliver_an_event_to_its_endpoints(superuser_client, log):
    event = log["failed"].event

    response = _change_form_action(superuser_client, "webhookevent", event, "redeliver")

    assert "Queued 1 delivery again." in _messages(response)
    assert queued_delivery_ids() == [log["failed"].pk]
    assert _sent_lanes() == [_lane_of(log["failed"])]


@pytest.mark.parametrize("model", ["webhookevent", "webhookdelivery"])
def test_the_delivery_log_is_read_only_for_superusers_too(superuser_client, log, model):
    obj = log["failed"] if model == "webhookdelivery" else log["failed"].event

    add = superuser_client.get(reverse(f"admin:webhooks_{model}_add"))
    change = superuser_client.post(reverse(f"admin:webhooks_{model}_change", args=[obj.pk]), {})
    delete = superuser_client.post(
        reverse(f"admin:webhooks_{model}_delete", args=[obj.pk]), {"post": "yes"}
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.parametrize("model", ["webhookendpoint", "webhookevent", "webhookdelivery"])
def test_every_webhooks_changelist_is_searchable(superuser_client, log, model):
    response = superuser_client.get(reverse(f"admin:webhooks_{model}_changelist"), {"q": "x"})

    assert response.status_code == 200


# --- tenants ----------------------------------------------------------------------------------


WEBHOOK_PERMISSIONS = [
    f"{verb}_{model}"
    for model in ("webhookendpoint", "webhookevent", "webhookdelivery")
    for verb in ("view", "add", "change", "delete")
]


@pytest.fixture
def two_tenants(client, log):
    """`log` is tenant B's; an admin of tenant A only, with every webhooks permission."""
    mine = IntegrationClientFactory()
    membership = TenantMembershipFactory(tenant=mine.tenant)
    membership.user.user_permissions.add(
        *Permission.objects.filter(codename__in=WEBHOOK_PERMISSIONS)
    )
    client.force_login(membership.user)
    own = endpoint_make(mine, url=URL + "/mine")
    own_delivery = delivery_make(event_make(mine), own, status=DeliveryStatus.FAILED)
    attempt_make(own_delivery, body="our answer")
    return client, mine, own, own_delivery


def test_an_admin_of_one_tenant_never_sees_another_tenants_delivery_log(two_tenants, log):
    client, _mine, own, own_delivery = two_tenants
    theirs = log["failed"]

    pages = [
        client.get(reverse("admin:webhooks_webhookdelivery_changelist")),
        client.get(reverse("admin:webhooks_webhookevent_changelist")),
        client.get(reverse("admin:webhooks_webhookendpoint_changelist")),
        client.get(reverse("admin:webhooks_webhookdelivery_change", args=[own_delivery.pk])),
    ]
    hidden = [
        client.get(reverse("admin:webhooks_webhookdelivery_change", args=[theirs.pk])),
        client.get(reverse("admin:webhooks_webhookevent_change", args=[theirs.event_id])),
        client.get(reverse("admin:webhooks_webhookendpoint_change", args=[log["one"].pk])),
        client.get(reverse("admin:webhooks_webhookendpoint_replay", args=[log["one"].pk])),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    assert [page.status_code for page in hidden] == [404, 404, 404, 404]
    assert _listed(pages[0]) == {own_delivery.pk}
    assert _listed(pages[2]) == {own.pk}
    content = "".join(page.content.decode() for page in pages)
    assert "our answer" in content
    assert "EEEE" not in content  # their answers
    assert "thanks" not in content
    assert log["one"].url not in content  # not even in the endpoint filter's choices
    assert log["one"].tenant.name not in content


def test_an_admin_of_one_tenant_cannot_act_on_another_tenants_rows(two_tenants, log):
    client, _mine, _own, _own_delivery = two_tenants

    client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [log["failed"].pk]},
    )
    client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "disable", "_selected_action": [log["one"].pk]},
    )
    rotate = _change_form_action(client, "webhookendpoint", log["one"], "rotate_secret")
    replay = client.post(
        reverse("admin:webhooks_webhookendpoint_replay", args=[log["one"].pk]),
        {"since": "2020-01-01T00:00", "until": "2030-01-01T00:00"},
    )

    assert (rotate.status_code, replay.status_code) == (404, 404)
    log["failed"].refresh_from_db()
    log["one"].refresh_from_db()
    assert log["failed"].status == DeliveryStatus.FAILED
    assert log["one"].is_enabled is True
    assert log["one"].previous_secret == ""
    assert send_jobs() == []
    assert not WebhookSendRequest.objects.exists()


def test_an_endpoint_cannot_be_added_for_another_tenants_client(two_tenants, log):
    client, _mine, _own, _own_delivery = two_tenants
    theirs = log["one"].client

    response = client.post(
        reverse("admin:webhooks_webhookendpoint_add"), _endpoint_form(theirs.pk, url=URL + "/x")
    )

    assert "client" in response.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.filter(url=URL + "/x").exists()


def test_dispatchers_have_no_webhooks_pages(client, log):
    user, _ = dispatcher_create_or_add_tenant(
        username="dana", password="pw-for-tests", tenant=log["one"].tenant
    )
    client.force_login(user)

    statuses = [
        client.get(reverse(f"admin:webhooks_{model}_changelist")).status_code
        for model in ("webhookendpoint", "webhookevent", "webhookdelivery")
    ]

    assert statuses == [403, 403, 403]


def test_a_viewer_of_the_log_cannot_redeliver(client, log):
    membership = TenantMembershipFactory(tenant=log["one"].tenant)
    membership.user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_webhookdelivery", "view_webhookevent"])
    )
    client.force_login(membership.user)

    page = client.get(reverse("admin:webhooks_webhookdelivery_changelist"))
    client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [log["failed"].pk]},
    )

    assert page.status_code == 200
    assert 'value="redeliver"' not in page.content.decode()
    log["failed"].refresh_from_db()
    assert log["failed"].status == DeliveryStatus.FAILED
    assert send_jobs() == []


def test_send_test_event_skips_a_disabled_endpoint(superuser_client):
    endpoint = webhook_endpoint_disable(endpoint=endpoint_make(IntegrationClientFactory()))

    response = _change_form_action(superuser_client, "webhookendpoint", endpoint, "send_test_event")

    assert any("skipped" in m for m in _messages(response))
    assert not WebhookEvent.objects.exists()
    assert send_jobs() == []


# --- the tenant's billing settings ------------------------------------------------------------


def test_an_admin_sets_a_tenants_billing_feature_and_subscription(superuser_client):
    tenant = IntegrationClientFactory().tenant

    response = superuser_client.post(
        reverse("admin:tenants_tenant_change", args=[tenant.pk]),
        {
            "slug": tenant.slug,
            "name": tenant.name,
            "billing_enabled": "on",
            "billing_subscription": "plan-2027",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.billing_enabled, tenant.billing_subscription) == (True, "plan-2027")
    assert tenant.billing_configured
    listing = superuser_client.get(reverse("admin:tenants_tenant_changelist"))
    assert "plan-2027" in listing.content.decode()
