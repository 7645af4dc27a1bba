"""Management of webhook endpoints and operations on the delivery log (SPEC §7): endpoints with
their secrets, test events, redelivery, replay over a time range and the purge of old answers.

Recording events and sending them are the outbox's (webhooks.outbox) and the worker's
(webhooks.tasks); everything here that queues a delivery asks for the send run of its lane
(`lanes_request`) in the transaction that changed the delivery, so nothing is sent that did not
commit.
"""

import base64
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from inbound.models import IntegrationClient
from ordinavo.events import EventType
from tenants.services import tenant_consistency_check

from .choices import DeliveryStatus, DisabledReason
from .models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    delivery_lane,
)
from .outbox import lanes_request, webhook_test_record
from .ssrf import WebhookUrlRefused, url_check

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32
# A replay is one admin request (or command) that writes up to one delivery per event.
REPLAY_MAX_EVENTS = 100_000
# Rows per statement when deliveries are reset, created or queued in bulk.
BULK_BATCH_SIZE = 1000
ANSWER_PURGE_BATCH_SIZE = 1000


class WebhookEndpointExists(Exception):
    """The client already has an endpoint with this URL."""


class WebhookEndpointDisabled(Exception):
    """The endpoint is disabled: nothing is sent to it until it is enabled again."""


class WebhookDeliveryQueued(Exception):
    """The delivery is pending already: its lane's send run sends it (or retries it) anyway."""


class WebhookReplayTooLarge(Exception):
    """The time range holds more events than one replay may queue."""


def webhook_secret_generate() -> str:
    """A Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_event_types_clean(event_types: Iterable[str] | None) -> list[str]:
    """The subscribed types in EventType's order, each once; empty means all. Refuses an
    unknown type (ValueError naming it and the known ones)."""
    wanted = set(event_types or ())
    unknown = sorted(wanted - set(EventType.values))
    if unknown:
        raise ValueError(
            f"Unknown event types: {', '.join(unknown)}. Known: {', '.join(EventType.values)}."
        )
    return [value for value in EventType.values if value in wanted]


def webhook_url_check(url: str) -> str:
    """A well-formed http(s) URL that the SSRF guard lets through (WebhookUrlRefused if not).
    The guard resolves the host; it runs again before every attempt."""
    url = url.strip()
    max_length = WebhookEndpoint._meta.get_field("url").max_length
    if len(url) > max_length:
        raise WebhookUrlRefused(f"The URL is longer than {max_length} characters.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise WebhookUrlRefused("Not a valid http(s) URL.") from exc
    url_check(url)
    return url


def _endpoint_save(endpoint: WebhookEndpoint, **save_kwargs) -> WebhookEndpoint:
    tenant_consistency_check(instance=endpoint)
    try:
        with transaction.atomic():
            endpoint.save(**save_kwargs)
    except IntegrityError as exc:
        if _is_duplicate_url(exc):
            raise WebhookEndpointExists(
                f"Client {endpoint.client.name!r} already has an endpoint with the URL "
                f"{endpoint.url}."
            ) from exc
        raise
    return endpoint


def _is_duplicate_url(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == "webhooks_endpoint_unique_url_per_client"


def webhook_endpoint_create(
    *,
    client: IntegrationClient,
    url: str,
    event_types: Sequence[str] | None = None,
    include_contact_details: bool = True,
    include_summary_preview: bool = False,
    include_billing_details: bool = False,
    description: str = "",
) -> tuple[WebhookEndpoint, str]:
    """Create an enabled endpoint of `client` (in the client's tenant); returns it with its
    signing secret, which is shown once. Raises WebhookUrlRefused, ValueError (event types)
    or WebhookEndpointExists."""
    secret = webhook_secret_generate()
    endpoint = WebhookEndpoint(
        tenant_id=client.tenant_id,
        client=client,
        url=webhook_url_check(url),
        description=description.strip(),
        event_types=webhook_event_types_clean(event_types),
        include_contact_details=include_contact_details,
        include_summary_preview=include_summary_preview,
        include_billing_details=include_billing_details,
        secret=secret,
    )
    return _endpoint_save(endpoint), secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    include_contact_details: bool | None = None,
    include_summary_preview: bool | None = None,
    include_billing_details: bool | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change what is given (None leaves a field as it is; `event_types=[]` means all types).
    The client, the secret and the enabled state change only through their own services."""
    if url is not None:
        endpoint.url = webhook_url_check(url)
    if event_types is not None:
        endpoint.event_types = webhook_event_types_clean(event_types)
    if include_contact_details is not None:
        endpoint.include_contact_details = include_contact_details
    if include_summary_preview is not None:
        endpoint.include_summary_preview = include_summary_preview
    if include_billing_details is not None:
        endpoint.include_billing_details = include_billing_details
    if description is not None:
        endpoint.description = description.strip()
    return _endpoint_save(endpoint)


def webhook_endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> str:
    """A new signing secret, returned once. The current one becomes the previous secret and
    signs too (a second signature) for WEBHOOK_SECRET_GRACE_HOURS, so receivers can switch
    without losing events. A rotation within the grace period drops the older previous one."""
    now = timezone.now()
    secret = webhook_secret_generate()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(hours=settings.WEBHOOK_SECRET_GRACE_HOURS)
    endpoint.secret = secret
    endpoint.secret_rotated_at = now
    endpoint.save(
        update_fields=[
            "secret",
            "previous_secret",
            "previous_secret_expires_at",
            "secret_rotated_at",
            "updated_at",
        ]
    )
    return secret


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to the endpoint (an admin's decision: reason Manual)."""
    endpoint.is_enabled = False
    endpoint.disabled_reason = DisabledReason.MANUAL
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["is_enabled", "disabled_reason", "disabled_at", "updated_at"])
    return endpoint


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Send to the endpoint again, whatever disabled it; its run of failures starts afresh.
    The URL is checked again (its host may resolve elsewhere by now). Events that were not
    sent while it was disabled stay so; a replay sends them."""
    webhook_url_check(endpoint.url)
    endpoint.is_enabled = True
    endpoint.disabled_reason = DisabledReason.NONE
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.save(
        update_fields=[
            "is_enabled",
            "disabled_reason",
            "disabled_at",
            "failing_since",
            "updated_at",
        ]
    )
    return endpoint


def _enabled_check(endpoint: WebhookEndpoint) -> None:
    if not endpoint.is_enabled:
        raise WebhookEndpointDisabled(
            f"The endpoint {endpoint.url} is disabled ({endpoint.get_disabled_reason_display()}); "
            "enable it first."
        )


@transaction.atomic
def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event of the endpoint's client, delivered to this endpoint only
    (whatever types it subscribes to)."""
    _enabled_check(endpoint)
    delivery = webhook_test_record(endpoint=endpoint)
    return delivery


def _pending_reset_values() -> dict:
    # A fresh run of attempts; the attempts made so far stay in the log.
    return {
        "status": DeliveryStatus.PENDING,
        "attempt_count": 0,
        "next_attempt_at": None,
        "delivered_at": None,
    }


@transaction.atomic
def webhook_deliveries_redeliver(*, deliveries: QuerySet[WebhookDelivery]) -> int:
    """Send `deliveries` again (the same event, so the same `webhook-id`): each one that is
    not pending and whose endpoint is enabled goes back to Pending, and is sent in the order
    of its target's events. Returns how many were queued; the others are left as they are."""
    due = (
        deliveries.filter(endpoint__is_enabled=True)
        .exclude(status=DeliveryStatus.PENDING)
        .select_for_update(of=("self",))
        .order_by("event_id")
        .values_list("pk", "tenant_id", "endpoint_id", "lane")
    )
    rows = list(due)
    for start in range(0, len(rows), BULK_BATCH_SIZE):
        ids = [row[0] for row in rows[start : start + BULK_BATCH_SIZE]]
        WebhookDelivery.objects.filter(pk__in=ids).update(**_pending_reset_values())
    lanes_request(lanes={(tenant, endpoint, lane) for _, tenant, endpoint, lane in rows})
    return len(rows)


def webhook_redeliver(*, delivery: WebhookDelivery) -> None:
    """Send one delivery again. Raises WebhookEndpointDisabled or WebhookDeliveryQueued
    (pending already) rather than queue it twice."""
    tenant_consistency_check(instance=delivery)
    _enabled_check(delivery.endpoint)
    queued = webhook_deliveries_redeliver(
        deliveries=WebhookDelivery.objects.for_tenant(delivery.tenant_id).filter(pk=delivery.pk)
    )
    if not queued:
        raise WebhookDeliveryQueued("This delivery is pending already: it is sent anyway.")
    delivery.refresh_from_db()


def _replay_condition(*, endpoint: WebhookEndpoint, since: datetime, until: datetime) -> Q:
    """The events a replay sends, as a condition on WebhookEvent."""
    condition = Q(client_id=endpoint.client_id, created_at__gte=since, created_at__lt=until)
    excluded = [EventType.WEBHOOK_TEST]  # each was meant for the endpoint it tested
    # As when it is recorded: billing only with the tenant's billing and the endpoint's opt-in.
    if not endpoint.receives_billing:
        excluded.append(EventType.BILLING_CREATED)
    condition &= ~Q(type__in=excluded)
    if endpoint.event_types:
        condition &= Q(type__in=endpoint.event_types)
    return condition


@transaction.atomic
def webhook_endpoint_replay(*, endpoint: WebhookEndpoint, since: datetime, until: datetime) -> int:
    """Send again the events of the endpoint's client created in [since, until) that the
    endpoint subscribes to, oldest first (so each target's order holds): a delivery sent,
    failed or cancelled before goes back to Pending, an event the endpoint never had gets its
    delivery; a pending one is left to its lane's run. Returns how many deliveries were queued.
    At most REPLAY_MAX_EVENTS events (WebhookReplayTooLarge names a shorter range).

    A fixed number of statements per 1,000 events."""
    if since >= until:
        raise ValueError("The start of the range must be before its end.")
    # One replay of an endpoint at a time: a second one waits and then finds the deliveries.
    endpoint = (
        WebhookEndpoint.objects.for_tenant(endpoint.tenant_id)
        .select_related("tenant", "client")
        .select_for_update(of=("self",))
        .get(pk=endpoint.pk)
    )
    _enabled_check(endpoint)
    condition = _replay_condition(endpoint=endpoint, since=since, until=until)
    events = list(
        WebhookEvent.objects.for_tenant(endpoint.tenant_id)
        .filter(condition)
        .order_by("created_at", "pk")
        .values_list("pk", "target_id")[: REPLAY_MAX_EVENTS + 1]
    )
    if len(events) > REPLAY_MAX_EVENTS:
        raise WebhookReplayTooLarge(
            f"More than {REPLAY_MAX_EVENTS:,} events in that range; a replay sends at most "
            f"{REPLAY_MAX_EVENTS:,}. Replay shorter ranges one after the other."
        )
    own_deliveries = WebhookDelivery.objects.for_tenant(endpoint.tenant_id).filter(
        endpoint_id=endpoint.pk
    )
    # The endpoint's deliveries of these events, 1,000 events at a time (each statement probes
    # the event index, or at worst reads this endpoint's deliveries once, whatever the
    # statistics say). Locked, so that no worker finishes one of them meanwhile: a pending
    # delivery (a run sends it) must not turn into a finished one left unqueued here.
    delivery_of, pending_events, reset = {}, set(), []
    for start in range(0, len(events), BULK_BATCH_SIZE):
        chunk = [event_id for event_id, _target_id in events[start : start + BULK_BATCH_SIZE]]
        for pk, event_id, status in (
            own_deliveries.filter(event_id__in=chunk)
            .order_by()
            .select_for_update()
            .values_list("pk", "event_id", "status")
        ):
            delivery_of[event_id] = pk
            if status == DeliveryStatus.PENDING:
                pending_events.add(event_id)
            else:
                reset.append(pk)
    for start in range(0, len(reset), BULK_BATCH_SIZE):
        own_deliveries.filter(pk__in=reset[start : start + BULK_BATCH_SIZE]).update(
            **_pending_reset_values()
        )
    # Events the endpoint never had get a delivery (Pending). The outbox writes an event and
    # its deliveries in one transaction, so every event read above has its deliveries already.
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                tenant_id=endpoint.tenant_id,
                event_id=event_id,
                endpoint=endpoint,
                target_id=target_id,
                lane=delivery_lane(target_id=target_id, event_id=event_id),
            )
            for event_id, target_id in events
            if event_id not in delivery_of
        ],
        batch_size=BULK_BATCH_SIZE,
    )
    queued = [
        (event_id, target_id) for event_id, target_id in events if event_id not in pending_events
    ]
    lanes_request(
        lanes={
            (endpoint.tenant_id, endpoint.pk, delivery_lane(target_id=target_id, event_id=event_id))
            for event_id, target_id in queued
        }
    )
    return len(queued)


def webhook_attempt_answers_purge(
    *, older_than: timedelta | None = None, batch_size: int = ANSWER_PURGE_BATCH_SIZE
) -> int:
    """Clear the answer bodies of attempts older than `older_than`
    (WEBHOOK_RESPONSE_RETENTION_DAYS): the attempt keeps its time, status code, duration and
    error. Batches of `batch_size` rows, oldest first, found through the partial index
    `webhooks_attempt_body_purge` (only attempts that still have a body), each committed on its
    own outside a transaction. Returns how many were cleared; safe to run again."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if older_than is None:
        older_than = timedelta(days=settings.WEBHOOK_RESPONSE_RETENTION_DAYS)
    due = WebhookAttempt.objects.filter(attempted_at__lt=timezone.now() - older_than).exclude(
        response_body=""
    )
    cleared = 0
    while True:
        batch = due.order_by("attempted_at").values("pk")[:batch_size]
        updated = WebhookAttempt.objects.filter(pk__in=batch).update(response_body="")
        cleared += updated
        if not updated:
            return cleared
