"""External references: which Ordinavo record an external system's ID stands for."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenants.models import TenantScopedModel, TenantScopedQuerySet

from .choices import ExternalType, FrequencyKind, ReferenceOrigin

# The one foreign key each external type uses; the check constraint below keeps them consistent.
RECORD_FIELD_BY_TYPE = {
    ExternalType.CUSTOMER: "customer",
    ExternalType.LOCATION: "location",
    ExternalType.CONTACT: "contact",
}


def _exactly_this_record_set(external_type: ExternalType) -> Q:
    field = RECORD_FIELD_BY_TYPE[external_type]
    condition = Q(external_type=external_type, **{f"{field}__isnull": False})
    for other in RECORD_FIELD_BY_TYPE.values():
        if other != field:
            condition &= Q(**{f"{other}__isnull": True})
    return condition


class ExternalReferenceQuerySet(TenantScopedQuerySet):
    def of_source(
        self, tenant, source_system: str, external_type: str
    ) -> "ExternalReferenceQuerySet":
        return self.filter(tenant=tenant, source_system=source_system, external_type=external_type)


class ExternalReference(TenantScopedModel):
    """(tenant, source system, external type, external ID) → exactly one Ordinavo record.

    One record may carry references from many source systems; the same external ID in another
    tenant or another source system is another reference. A target keeps its own external ID
    (inbound.Target.external_id): inbound sits above mapping, so nothing here points at it.
    """

    source_system = models.CharField(max_length=100)
    external_type = models.CharField(max_length=16, choices=ExternalType.choices)
    external_id = models.CharField(max_length=100)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="external_references",
        db_index=False,  # partial indexes below: a reference points at one record type only
    )
    location = models.ForeignKey(
        "customers.Location",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="external_references",
        db_index=False,  # partial indexes below: a reference points at one record type only
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="external_references",
        db_index=False,  # partial indexes below: a reference points at one record type only
    )
    origin = models.CharField(max_length=16, choices=ReferenceOrigin.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below: imports set no user
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ExternalReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = "external reference"
        ordering = ["source_system", "external_type", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_system", "external_type", "external_id"],
                name="mapping_extref_unique_per_source",
                violation_error_message=(
                    "This external ID of this source system already points at a record."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    _exactly_this_record_set(ExternalType.CUSTOMER)
                    | _exactly_this_record_set(ExternalType.LOCATION)
                    | _exactly_this_record_set(ExternalType.CONTACT)
                ),
                name="mapping_extref_points_at_its_type",
                violation_error_message="A reference points at exactly one record of its type.",
            ),
            models.CheckConstraint(
                condition=~Q(external_id="") & ~Q(source_system=""),
                name="mapping_extref_ids_not_empty",
            ),
        ]
        # Each reference sets one of its three record columns: an index per column holds only
        # the rows that set it (a reference used to go into twelve indexes, seven of them for
        # NULLs). They serve reads of a record's references (a record is in one tenant) and the
        # deletes that cascade from a record, and from a user for created_by.
        indexes = [
            models.Index(
                fields=[record],
                name=f"mapping_extref_{record}",
                condition=Q(**{f"{record}__isnull": False}),
            )
            for record in ("customer", "location", "contact", "created_by")
        ]

    def __str__(self) -> str:
        return f"{self.source_system}:{self.external_type}:{self.external_id}"

    @property
    def record(self):
        return getattr(self, RECORD_FIELD_BY_TYPE[ExternalType(self.external_type)])


class NameFrequency(TenantScopedModel):
    """How many of a tenant's private customers bear a name word, a phonetic key, or live in a
    postal code: the rarity the person matcher weighs evidence by (mapping.matching.evidence).
    Recounted by `services.name_frequencies_refresh` (a periodic task, mapping.tasks); between
    runs the counts lag behind the customers, which changes weights only a little."""

    kind = models.CharField(max_length=8, choices=FrequencyKind.choices)
    value = models.CharField(max_length=100, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        verbose_name = "name frequency"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "value"], name="mapping_namefreq_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}={self.count}"
