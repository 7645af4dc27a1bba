"""Integration clients, their API keys, imported targets and the import jobs that brought them."""

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex, GinIndex, OpClass
from django.db import models
from django.db.models import F, Q, TextField, Value
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Coalesce, Concat, Upper
from rest_framework_api_key.models import AbstractAPIKey

from customers.choices import Priority
from mapping.choices import MappingStatus, MatchingStrategy
from tenants.models import TenantScopedModel, TenantScopedQuerySet

from .choices import (
    ImportJobKind,
    ImportJobStatus,
    ImportStatus,
    ReviewState,
    Scope,
)


class IntegrationClient(TenantScopedModel):
    """One connected external system of a tenant: its source system name, strategy and policies.

    Policies only ever narrow what an API key's scopes allow.
    """

    name = models.CharField(max_length=100)
    source_system = models.CharField(
        max_length=100, help_text="Name of the external system, e.g. sap-erp. Unique per tenant."
    )
    strategy = models.CharField(
        max_length=32, choices=MatchingStrategy.choices, default=MatchingStrategy.EXTERNAL_ID_FIRST
    )
    allow_customer_create = models.BooleanField(default=True)
    allow_customer_update = models.BooleanField(default=True)
    allow_location_create = models.BooleanField(default=True)
    allow_contact_create = models.BooleanField(
        default=False, help_text="Off: unknown contacts are reported as ContactAutoCreateDisabled."
    )
    customer_number_fallback = models.BooleanField(
        default=False,
        help_text="ExternalIdFirst only: fall back to an exact customer number, unique in tenant.",
    )
    name_match_threshold = models.FloatField(
        default=0.92,
        help_text="Score (0..1) a name-and-address candidate needs to link on its own.",
    )
    name_match_margin = models.FloatField(
        default=0.08, help_text="Lead (0..1) the best candidate needs over the runner-up."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "integration client"
        ordering = ["tenant_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_system"],
                name="inbound_client_unique_source_per_tenant",
                violation_error_message="This tenant already has a client for this source system.",
            ),
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="inbound_client_unique_name_per_tenant",
                violation_error_message="This tenant already has a client with this name.",
            ),
            models.CheckConstraint(
                condition=Q(name_match_threshold__gte=0, name_match_threshold__lte=1)
                & Q(name_match_margin__gte=0, name_match_margin__lte=1),
                name="inbound_client_thresholds_in_unit_range",
                violation_error_message="Threshold and margin are between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=~Q(source_system=""), name="inbound_client_source_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.source_system})"


class ApiKey(AbstractAPIKey):
    """An API key of one integration client. Only a SHA-512 hash and an 8-character prefix are
    stored; the plaintext is shown once, when the key is issued."""

    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE, related_name="api_keys")
    scopes = models.JSONField(default=list, help_text="Scopes this key grants (SPEC §3).")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        indexes = [models.Index(fields=["client"], name="inbound_apikey_client")]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @staticmethod
    def unknown_scopes(scopes) -> list[str]:
        return sorted(set(scopes) - set(Scope.values))


class Target(TenantScopedModel):
    """An imported job, under the external ID its client's system gave it (unique per client;
    the target's own reference, not an ExternalReference of mapping). The customer number never
    lives here."""

    client = models.ForeignKey(
        IntegrationClient,
        on_delete=models.PROTECT,
        related_name="targets",
        help_text="The integration client that imported this target and may read it back.",
    )
    external_id = models.CharField(
        max_length=100,
        help_text="The target's ID in its client's system (externalId); unique per client.",
    )
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=4000, blank=True)
    priority = models.CharField(max_length=16, choices=Priority.choices, blank=True)
    estimated_work_minutes = models.PositiveIntegerField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    preferred_time_window_start = models.DateTimeField(null=True, blank=True)
    preferred_time_window_end = models.DateTimeField(null=True, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="targets",
    )
    location = models.ForeignKey(
        "customers.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="targets",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="targets",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "target"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(preferred_time_window_start__isnull=True)
                | Q(preferred_time_window_end__isnull=True)
                | Q(preferred_time_window_start__lt=models.F("preferred_time_window_end")),
                name="inbound_target_time_window_ordered",
                violation_error_message="The time window starts before it ends.",
            ),
            # An import finds its targets by (client, externalId) through this index, and two
            # concurrent imports of a new externalId create one target: the second one fails
            # here and runs again (inbound.services._import_retrying). It serves the client's
            # targets too (its first two columns).
            models.UniqueConstraint(
                fields=["tenant", "client", "external_id"],
                name="inbound_target_unique_external_id_per_client",
                violation_error_message="This client already has a target with this external ID.",
            ),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="inbound_target_external_id_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer"], name="inbound_target_tenant_customer"),
        ]

    def __str__(self) -> str:
        return self.title


class ImportJob(TenantScopedModel):
    """One accepted API request (single, batch or asynchronous). Summary counts are its items'
    current states (`ImportJobTally`), so a dispatcher's later resolution shows in them. A
    single or batch job is written complete; an asynchronous one is written when accepted, with
    its items staged (`StagedImportItem`), and workers count up `processed_count` chunk by
    chunk."""

    client = models.ForeignKey(IntegrationClient, on_delete=models.PROTECT, related_name="jobs")
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    kind = models.CharField(max_length=16, choices=ImportJobKind.choices)
    status = models.CharField(
        max_length=32, choices=ImportJobStatus.choices, default=ImportJobStatus.ACCEPTED
    )
    item_count = models.PositiveIntegerField(default=0)
    processed_count = models.PositiveIntegerField(
        default=0, help_text="Items processed so far (all of them once the job is finished)."
    )
    scopes = models.JSONField(
        default=list,
        blank=True,
        help_text="Asynchronous jobs: the scopes of the sending key when the job was accepted, "
        "which its workers import with (a key revoked meanwhile does not stop an accepted job).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "import job"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["tenant", "client", "-created_at"], name="inbound_job_tenant_client_new"
            ),
        ]

    def __str__(self) -> str:
        return f"Import job {self.pk} ({self.kind}, {self.status})"


class ImportJobTally(TenantScopedModel):
    """How many items of a job are in one state (import, mapping and review status): a job's
    summary and progress are read from its few tallies, never by counting its items (100,000
    for an asynchronous job). Written in the transaction that writes or changes the items: the
    import service (`inbound.services`) and the review actions (`import_item_tally_move`)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="tallies")
    import_status = models.CharField(max_length=16, choices=ImportStatus.choices)
    mapping_status = models.CharField(max_length=16, choices=MappingStatus.choices)
    review_state = models.CharField(max_length=16, choices=ReviewState.choices)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = "import job tally"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "job", "import_status", "mapping_status", "review_state"],
                name="inbound_tally_unique_state_per_job",
                violation_error_message="A job has one tally per item state.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Job {self.job_id}: {self.count} {self.import_status}/{self.mapping_status}/"
            f"{self.review_state}"
        )


# Since when an item's payload is no longer needed for review: its resolution, or its import
# when it never waited for review; and which items are due for the retention purge at all.
PAYLOAD_KEPT_SINCE = Coalesce("resolved_at", "created_at")
PAYLOAD_PURGEABLE = ~Q(review_state=ReviewState.OPEN) & ~Q(payload={})
# What the review queue's free-text search looks in (review.selectors), besides the name of the
# linked customer.
SEARCHED_FIELDS = (
    "external_id",
    "payload__customer__name",
    "payload__customer__external_id",
    "payload__location__external_id",
    "payload__contact__external_id",
)


def item_search_text() -> Concat:
    """The searched fields of an item as one text, one per line. The trigram index
    `inbound_item_open_search` is built on exactly this expression, so the planner recognises
    it in the queue's search: change the expression and rename the index together."""
    parts = []
    for name in SEARCHED_FIELDS:
        if parts:
            parts.append(Value("\n"))
        parts.append(KT(name) if "__" in name else F(name))
    return Concat(*parts, output_field=TextField())


class ImportItemQuerySet(TenantScopedQuerySet):
    def with_warning(self, code: str) -> "ImportItemQuerySet":
        """Items whose warnings include `code` (a JSON array containment)."""
        return self.filter(warnings__contains=[code])


class ImportItem(TenantScopedModel):
    """One target of an import job: what happened to it, and whether a person must look at it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(help_text="Index of the item in the request, from 0.")
    external_id = models.CharField(max_length=100, blank=True)
    import_status = models.CharField(max_length=16, choices=ImportStatus.choices)
    mapping_status = models.CharField(max_length=16, choices=MappingStatus.choices)
    warnings = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    decisions = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per record (customer, location, contact): how it was decided.",
    )
    payload = models.JSONField(
        default=dict,
        blank=True,
        help_text="The incoming customer, location and contact, kept for the reviewer while the "
        "item is open and IMPORT_PAYLOAD_RETENTION_DAYS after (SPEC §9).",
    )
    payload_purged_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the retention purge cleared the payload (personal data).",
    )
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_items"
    )
    # The customer context this item currently maps to; a dispatcher's resolution changes it.
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.ForeignKey(
        "customers.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_state = models.CharField(
        max_length=16, choices=ReviewState.choices, default=ReviewState.NOT_NEEDED
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImportItemQuerySet.as_manager()

    class Meta:
        verbose_name = "import item"
        ordering = ["job_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "job", "position"],
                name="inbound_item_unique_position_per_job",
                violation_error_message="Each position of a job holds one item.",
            ),
        ]
        indexes = [
            # The review queue: a tenant's open items oldest first, read in index order and
            # stopped after a page; mapping status and warnings are in the index (as key
            # columns) so the counts and the status and warning filters are index-only. Only
            # open items are in it, so imports that need nobody skip it.
            models.Index(
                fields=["tenant", "created_at", "id", "mapping_status", "warnings"],
                condition=Q(review_state=ReviewState.OPEN),
                name="inbound_item_open_queue",
            ),
            # The same order across tenants, for dispatchers of several tenants.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(review_state=ReviewState.OPEN),
                name="inbound_item_open_age",
            ),
            # The queue's counts per status: a narrow index reads a tenant's open items about
            # three times faster than the wide queue index (bench/review_queue.py).
            models.Index(
                fields=["tenant", "mapping_status"],
                condition=Q(review_state=ReviewState.OPEN),
                name="inbound_item_open_counts",
            ),
            # A review decision carries over to the other open items of the same external
            # record (review.services): found by the incoming external IDs, not by a scan.
            *(
                models.Index(
                    F("tenant"),
                    # payload__<record>__external_id, as review.services filters it
                    KeyTransform("external_id", KeyTransform(record, "payload")),
                    condition=Q(review_state=ReviewState.OPEN),
                    name=f"inbound_open_{record[:4]}_extid",
                )
                for record in ("customer", "location", "contact")
            ),
            models.Index(fields=["tenant", "external_id"], name="inbound_item_tenant_extid"),
            # Mapping health's rollup (review.health) reads the items imported in a time window.
            # BRIN: items are written in created_at order, so a few pages of summaries find the
            # window, and an import's inserts barely pay for it (a btree would grow each one).
            BrinIndex(fields=["created_at"], name="inbound_item_created_brin"),
            # The retention purge (inbound.services.import_payloads_purge): only items that
            # still hold a payload and wait for nobody are in it, by the time their retention
            # runs from, so it stays about as large as one retention period of imports.
            models.Index(
                PAYLOAD_KEPT_SINCE,
                condition=PAYLOAD_PURGEABLE,
                name="inbound_item_payload_kept",
            ),
            # The review queue's free-text search (review.selectors.items_matching_text):
            # `icontains` on the search text, tenant first (btree_gin), open items only.
            GinIndex(
                F("tenant"),
                OpClass(Upper(item_search_text()), name="gin_trgm_ops"),
                condition=Q(review_state=ReviewState.OPEN),
                name="inbound_item_open_search",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id or '(no id)'} in job {self.job_id}"


class StagedImportItem(TenantScopedModel):
    """One item of an asynchronous import job as it was sent, waiting for a worker.

    Written by the request (COPY, streamed), deleted by the worker in the transaction that
    imports its chunk: a staged item is exactly an item not yet processed, so a chunk whose
    staged items are gone is done, and one whose worker died is still all here.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="staged_items")
    position = models.PositiveIntegerField(help_text="Index of the item in the request, from 0.")
    raw = models.TextField(help_text="The item as sent: JSON text.")
    duplicate = models.BooleanField(
        default=False, help_text="An earlier item of the job has the same externalId."
    )

    class Meta:
        verbose_name = "staged import item"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "job", "position"],
                name="inbound_staged_unique_position_per_job",
                violation_error_message="Each position of a job holds one staged item.",
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.position} of job {self.job_id} (staged)"


class IdempotencyRecord(TenantScopedModel):
    """An Idempotency-Key seen from a client on an endpoint, with the answer to replay.

    Written in the import's own transaction (`inbound.services.targets_import_idempotent`): its
    row is inserted first, so a concurrent request with the same key waits on the unique index
    entry, and it commits (with the answer) or vanishes with the import. No state outlives its
    request. The answer is stored complete, as a key with `customers.read` sees it, and shown to
    each asking key for its own scopes.
    """

    client = models.ForeignKey(
        IntegrationClient, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    endpoint = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON body")
    # Empty only inside the transaction that reserves the key: nobody else ever sees them so.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "idempotency record"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "client", "endpoint", "key"],
                name="inbound_idempotency_unique_key",
                violation_error_message="This Idempotency-Key was already used on this endpoint.",
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="inbound_idempotency_created")]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class ThrottleWindow(TenantScopedModel):
    """The requests an integration client made in its current throttle window.

    One row per client, counted up by a single UPSERT (`inbound.services.throttle_count`), so
    every worker and every web server shares the count and concurrent requests cannot lose one.
    """

    client = models.ForeignKey(IntegrationClient, on_delete=models.CASCADE, related_name="+")
    opened_at = models.FloatField(help_text="When the window opened, in Unix seconds.")
    count = models.PositiveIntegerField(help_text="Requests since then, refused ones included.")

    class Meta:
        verbose_name = "throttle window"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "client"],
                name="inbound_throttle_one_window_per_client",
                violation_error_message="A client has one throttle window.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} request(s) of client {self.client_id} since {self.opened_at:.0f}"
