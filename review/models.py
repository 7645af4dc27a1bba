"""The audit trail of the review queue: who decided what about which item, and what it was."""

from django.conf import settings
from django.db import models

from tenants.models import TenantScopedModel

from .choices import ReviewAction


class ReviewAuditEntry(TenantScopedModel):
    """One dispatcher decision on one import item, with the state before and after.

    A decision that also resolved other items waiting on the same external record writes one
    entry per item; those point at the entry of the item the dispatcher acted on.
    """

    item = models.ForeignKey(
        "inbound.ImportItem", on_delete=models.CASCADE, related_name="review_entries"
    )
    action = models.CharField(max_length=16, choices=ReviewAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    caused_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="propagated"
    )
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    undone = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "review audit entry"
        verbose_name_plural = "review audit entries"
        ordering = ["-created_at", "-id"]
        # The review queue's own permission: an item changes only through the queue's services,
        # never through a generic change form (inbound.change_importitem grants nothing there).
        permissions = [("work_queue", "Can work the review queue")]
        indexes = [
            models.Index(fields=["tenant", "item", "-created_at"], name="review_entry_tenant_item"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on item {self.item_id} by {self.user}"


class CustomerMerge(TenantScopedModel):
    """A merge of duplicate customers into one survivor, with what it moved and the records as
    they were, so that it can be undone."""

    survivor = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    undone = models.BooleanField(default=False)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "customer merge"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="review_merge_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"merge into customer {self.survivor_id} by {self.user}"


class MappingHealthDay(TenantScopedModel):
    """How many items of one integration client were imported on one day (UTC) with a mapping
    status, with a warning code, or needing a person: mapping health's rollup (review.health),
    so the health page reads 30 days x codes rows instead of every item."""

    class Kind(models.TextChoices):
        STATUS = "status"
        WARNING = "warning"
        NEEDED_PERSON = "person"

    client = models.ForeignKey(
        "inbound.IntegrationClient", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    code = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "mapping health day"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "client", "kind", "code"],
                name="review_health_unique_day_client_code",
            )
        ]
        indexes = [
            models.Index(fields=["client"], name="review_health_client"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.code}: {self.count}"


class MappingHealthMark(TenantScopedModel):
    """Up to when a tenant's items are counted in MappingHealthDay; newer ones are counted live."""

    counted_until = models.DateTimeField()

    class Meta:
        verbose_name = "mapping health mark"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="review_health_mark_one_per_tenant")
        ]

    def __str__(self) -> str:
        return f"tenant {self.tenant_id} counted until {self.counted_until:%Y-%m-%d %H:%M}"
