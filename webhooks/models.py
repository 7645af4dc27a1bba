"""Outbound webhooks (SPEC §7): endpoints of an integration client, the events recorded for them
(the outbox, written in the transaction of the change) and each delivery with its attempts."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from inbound.models import IntegrationClient
from ordinavo.events import EventType
from tenants.models import TenantScopedModel

from .choices import DeliveryStatus, DisabledReason


class WebhookEndpoint(TenantScopedModel):
    """Where an integration client's events go. Its signing secret (`whsec_…`) is kept to sign
    with and shown once; after a rotation the previous one signs too until its grace ends."""

    client = models.ForeignKey(
        IntegrationClient, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = ArrayField(
        models.CharField(max_length=64, choices=EventType.choices),
        default=list,
        blank=True,
        help_text="Event types sent here; empty: all.",
    )
    is_enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(
        max_length=16, choices=DisabledReason.choices, blank=True, default=DisabledReason.NONE
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    include_contact_details = models.BooleanField(
        default=True, help_text="Off: a contact is sent as its id and externalId only."
    )
    include_summary_preview = models.BooleanField(
        default=False, help_text="Send a visit report's summaryPreview."
    )
    include_billing_details = models.BooleanField(
        default=False,
        help_text="Send billing.created (also needs the tenant's billing feature and "
        "subscription).",
    )
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Start of the current run of failed attempts (None after a success): 5 days disable it.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "webhook endpoint"
        ordering = ["tenant_id", "client_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "client", "url"],
                name="webhooks_endpoint_unique_url_per_client",
                violation_error_message="This client already has an endpoint with this URL.",
            ),
            models.CheckConstraint(
                condition=Q(secret__startswith="whsec_"),  # noqa: S106 (a prefix, not a secret)
                name="webhooks_endpoint_secret_whsec",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    @property
    def receives_billing(self) -> bool:
        """billing.created is for this endpoint: it opted in to billing details and its tenant
        has the billing feature with a subscription (SPEC §7). Reads `tenant`."""
        return self.include_billing_details and self.tenant.billing_configured


class WebhookEvent(TenantScopedModel):
    """One event of an integration client, with its payload as it was when it happened (all
    details; an endpoint's payload options are applied when it is sent). `webhook_id` is the
    `webhook-id` header: the same on every attempt, redelivery and replay."""

    # The outbox writes events (and deliveries) in every import's transaction: their references
    # to the tenant, the client and the endpoint are not checked by foreign-key constraints,
    # whose check of each new row locks the one row they all point to (FOR KEY SHARE, at
    # commit) and made concurrent imports of a client share it row by row. The outbox takes
    # them from rows it read in the same transaction; deleting a tenant, client or endpoint
    # deletes its events and deliveries with it (on_delete, Django's collector).
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    webhook_id = models.UUIDField(default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        IntegrationClient,
        on_delete=models.CASCADE,
        related_name="webhook_events",
        db_index=False,  # webhooks_event_client_created serves it (with the tenant)
        db_constraint=False,
    )
    type = models.CharField(max_length=64, choices=EventType.choices)
    # Plain ids, not foreign keys: the event log outlives and does not lock what it reports on.
    target_id = models.BigIntegerField(null=True, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    sequence = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per-target counter (data.sequence) of target events."
    )
    payload = models.JSONField(help_text="The event's `data`.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "webhook event"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["webhook_id"], name="webhooks_event_unique_webhook_id"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "client", "created_at"], name="webhooks_event_client_created"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.webhook_id.hex}"


class TargetEventSequence(models.Model):
    """The last `data.sequence` given to a target's events; bumped with an upsert, so the row
    lock orders concurrent events of one target."""

    target_id = models.BigIntegerField(primary_key=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,  # as WebhookEvent's
    )
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "target event sequence"
        indexes = [models.Index(fields=["tenant"], name="webhooks_sequence_tenant")]

    def __str__(self) -> str:
        return f"Target {self.target_id}: {self.last}"


def delivery_lane(*, target_id: int | None, event_id: int) -> int:
    """The lane of an endpoint a delivery goes through: all of a target's events take the same
    one (their order holds within it), events about no target spread by their id."""
    return (event_id if target_id is None else target_id) % settings.WEBHOOK_LANES_PER_ENDPOINT


class WebhookDelivery(TenantScopedModel):
    """One event for one endpoint: what a send run (webhooks.sending) sends and retries.

    `target_id` and `lane` repeat the event's target and the lane it maps to, so that a run
    finds its lane's due deliveries, oldest first per target, through the partial indexes of
    pending deliveries alone."""

    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,  # as WebhookEvent's
    )
    event = models.ForeignKey(
        WebhookEvent,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # webhooks_delivery_unique_event_endpoint serves it
        db_constraint=False,  # as WebhookEvent's: written with its event, in one statement
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_constraint=False,  # as WebhookEvent's
    )
    target_id = models.BigIntegerField(null=True, blank=True, editable=False)
    lane = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint", "tenant"],
                name="webhooks_delivery_unique_event_endpoint",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "endpoint", "status", "-created_at"],
                name="webhooks_delivery_endpoint",
            ),
            # A send run's next deliveries: its lane's pending ones in order.
            models.Index(
                fields=["endpoint", "lane", "event"],
                name="webhooks_delivery_lane_pending",
                condition=Q(status=DeliveryStatus.PENDING),
            ),
            # Whether an earlier delivery of the same target still waits.
            models.Index(
                fields=["endpoint", "target_id", "event"],
                name="webhooks_delivery_target_wait",
                condition=Q(status=DeliveryStatus.PENDING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.target_id = self.event.target_id
            self.lane = delivery_lane(target_id=self.target_id, event_id=self.event_id)
        super().save(*args, **kwargs)


class WebhookSendRequest(models.Model):
    """A send run of one lane of an endpoint is asked for (its job is deferred). While the row
    exists, later deliveries of the lane need no job of their own: the run, which deletes the row
    when it starts, sends them too (webhooks.outbox.lanes_request)."""

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    lane = models.PositiveSmallIntegerField()
    requested_at = models.DateTimeField()

    class Meta:
        verbose_name = "webhook send request"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "lane"], name="webhooks_send_request_unique_lane"
            ),
        ]

    def __str__(self) -> str:
        return f"Endpoint {self.endpoint_id} lane {self.lane}"


class WebhookAttempt(TenantScopedModel):
    """One HTTP attempt of a delivery: its answer's status, time, error and first 2 KB."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    response_body = models.TextField(
        blank=True, help_text="The first 2 KB of the answer; purged after 30 days."
    )

    class Meta:
        verbose_name = "webhook attempt"
        ordering = ["-attempted_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "delivery"], name="webhooks_attempt_delivery"),
            models.Index(
                fields=["attempted_at"],
                name="webhooks_attempt_body_purge",
                condition=~Q(response_body=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.pk} ({self.status_code or self.error})"
