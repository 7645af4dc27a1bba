"""Visit reports and billing documents of a target: minimal records that other Ordinavo modules
produce (SPEC §7), kept here so that their webhook events can be delivered."""

from decimal import Decimal

from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q

from inbound.models import Target
from tenants.models import TenantScopedModel

from .choices import VisitOutcome


class VisitReport(TenantScopedModel):
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="visit_reports")
    submitted_at = models.DateTimeField()
    outcome = models.CharField(max_length=32, choices=VisitOutcome.choices)
    summary = models.TextField(
        max_length=4000, blank=True, help_text="Sent as summaryPreview only where enabled."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "visit report"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "target"], name="fieldwork_visit_tenant_target"),
        ]

    def __str__(self) -> str:
        return f"Visit report {self.pk} ({self.outcome})"


class BillingDocument(TenantScopedModel):
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="billing_documents")
    number = models.CharField(max_length=64, validators=[MinLengthValidator(1)])
    currency = models.CharField(
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", "An ISO 4217 code, e.g. EUR.")],
        help_text="ISO 4217, e.g. EUR.",
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    lines = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of lines: {"description", "quantity", "unitPrice", "amount"}.',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "billing document"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"],
                name="fieldwork_billing_unique_number_per_tenant",
                violation_error_message="This tenant already has a billing document with this "
                "number.",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="fieldwork_billing_currency_iso"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "target"], name="fieldwork_bill_tenant_target"),
        ]

    def __str__(self) -> str:
        return f"Billing document {self.number}"
