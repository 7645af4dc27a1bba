"""Tenants and who may work for them. Every row of business data belongs to exactly one tenant."""

from django.conf import settings
from django.db import models


class TenantScopedQuerySet(models.QuerySet):
    """The one way business data is read: always narrowed to a tenant first."""

    def for_tenant(self, tenant: "Tenant | int") -> "TenantScopedQuerySet":
        return self.filter(tenant=tenant)

    def for_tenants(self, tenants) -> "TenantScopedQuerySet":
        return self.filter(tenant__in=tenants)


class TenantScopedModel(models.Model):
    """Base of every business model: a tenant foreign key and a tenant-scoped manager."""

    # No index of its own: every model has a constraint or index that leads with the tenant
    # (tests/tenants/test_models.py), which serves the tenant's reads and its deletion; one more
    # index on each table cost every import's inserts.
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    objects = TenantScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Tenant(models.Model):
    """One Ordinavo customer company (an account); nothing is ever visible across tenants."""

    slug = models.SlugField(max_length=63, unique=True)
    name = models.CharField(max_length=200)
    # Billing details leave Ordinavo (billing.created webhooks) only when the tenant has the
    # billing feature and a subscription configured, and the endpoint opted in (SPEC §7).
    billing_enabled = models.BooleanField(
        default=False, help_text="The tenant uses Ordinavo's billing feature."
    )
    billing_subscription = models.CharField(
        max_length=100,
        blank=True,
        help_text="The tenant's billing subscription (plan or contract ID); empty: none.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tenant"
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def billing_configured(self) -> bool:
        return self.billing_enabled and bool(self.billing_subscription.strip())


class TenantMembership(models.Model):
    """A staff user who dispatches for a tenant; a user may work for several tenants."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tenant membership"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user"],
                name="tenants_membership_unique_user_per_tenant",
                violation_error_message="This user is already a member of this tenant.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"
