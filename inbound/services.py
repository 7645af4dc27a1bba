"""Writes of the inbound app: integration clients, API keys, idempotency and the import itself."""

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.lookups import LessThan
from django.utils import timezone

from mapping.choices import MappingStatus, MatchingStrategy
from mapping.engine import IncomingContext, MappingOutcome
from mapping.selectors import referenced_records
from mapping.services import context_external_ids, customer_contexts_map
from ordinavo.db import bulk_insert, bulk_update, fetch, new_instance
from ordinavo.events import DomainEvent, EventType, publish
from tenants.models import Tenant

from .choices import (
    ImportJobKind,
    ImportJobStatus,
    ImportStatus,
    ReviewState,
    Scope,
)
from .models import (
    PAYLOAD_KEPT_SINCE,
    PAYLOAD_PURGEABLE,
    ApiKey,
    IdempotencyRecord,
    ImportItem,
    ImportJob,
    IntegrationClient,
    Target,
)
from .policy import mapping_policy
from .selectors import targets_of_client_by_external_id, unrevoked_api_key_get
from .sql import (
    IDEMPOTENCY_RESERVE_SQL,
    LOCK_TIMEOUT_SET_SQL,
    SYNC_IMPORT_LOCK,
    SYNC_IMPORT_MARK_SQL,
    TALLIES_ADD_SQL,
    THROTTLE_COUNT_SQL,
)

# What a key gets when nobody says otherwise: everything but the legacy alias.
DEFAULT_SCOPES = (
    Scope.TARGETS_WRITE,
    Scope.TARGETS_BATCH_WRITE,
    Scope.CUSTOMERS_MAP,
    Scope.CUSTOMERS_WRITE,
    Scope.CUSTOMERS_READ,
)


class IntegrationClientExists(Exception):
    pass


def integration_client_create(
    *,
    tenant: Tenant,
    name: str,
    source_system: str,
    strategy: MatchingStrategy = MatchingStrategy.EXTERNAL_ID_FIRST,
    allow_contact_create: bool = False,
    customer_number_fallback: bool = False,
) -> IntegrationClient:
    try:
        with transaction.atomic():
            return IntegrationClient.objects.create(
                tenant=tenant,
                name=name,
                source_system=source_system,
                strategy=strategy,
                allow_contact_create=allow_contact_create,
                customer_number_fallback=customer_number_fallback,
            )
    except IntegrityError as exc:
        raise IntegrationClientExists(
            f"Tenant {tenant.slug!r} already has a client named {name!r} "
            f"or one for source system {source_system!r}."
        ) from exc


def api_key_issue(
    *,
    client: IntegrationClient,
    name: str,
    scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES,
    expiry_date: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key; returns the stored key and the plaintext, which is never stored."""
    unknown = ApiKey.unknown_scopes(scopes)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(unknown)}")
    return ApiKey.objects.create_key(
        client=client, name=name[:50], scopes=sorted(set(scopes)), expiry_date=expiry_date
    )


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    return api_key


# --- authentication ----------------------------------------------------------------------------

LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The usable key for this plaintext, or None (unknown, revoked, expired, inactive client).

    The hash comparison is constant-time; `last_used_at` is written at most once a minute.
    """
    prefix, dot, secret = key.partition(".")
    if not dot or not prefix or not secret or len(prefix) > 8 or len(key) > 150:
        return None
    api_key = unrevoked_api_key_get(prefix=prefix)
    if api_key is None or not api_key.is_valid(key) or api_key.has_expired:
        return None
    if not api_key.client.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


# --- throttling --------------------------------------------------------------------------------


def throttle_count(*, client: IntegrationClient, now: float, period: float) -> tuple[float, int]:
    """Count one request of `client` in its throttle window: (when the window opened, requests in
    it with this one). A window opens with the first request after the last one closed.

    One statement, outside any transaction: the count is shared by every worker and server, and
    concurrent requests queue on the client's row for that statement only.
    """
    closed_before = now - period
    [(opened_at, count)] = fetch(
        THROTTLE_COUNT_SQL, [client.tenant_id, client.pk, now, closed_before, closed_before]
    )
    return opened_at, count


# --- idempotency -------------------------------------------------------------------------------


class IdempotencyKeyReused(Exception):
    """The key was used before with a different request body (422)."""


class IdempotencyKeyBusy(Exception):
    """A request with the key is still running and did not finish in time (409)."""


@dataclass(frozen=True)
class IdempotencyRequest:
    """The Idempotency-Key of a request: where it applies and what body it was sent with."""

    endpoint: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class IdempotentAnswer:
    """The answer of an import with an Idempotency-Key, as stored: new, or replayed."""

    status: int
    body: Any
    replayed: bool


def request_fingerprint(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


LOCK_NOT_AVAILABLE = "55P03"


def _idempotency_reserve(
    *, client: IntegrationClient, idempotency: IdempotencyRequest
) -> int | IdempotentAnswer:
    """Insert the key's record in the current transaction: its id, or the answer to replay."""
    limits = settings.INBOUND_LIMITS
    now = timezone.now()
    expired_before = now - timedelta(hours=limits["IDEMPOTENCY_RETENTION_HOURS"])
    [(lock_timeout, _)] = fetch(LOCK_TIMEOUT_SET_SQL, [str(limits["IDEMPOTENCY_WAIT_MS"])])
    lookup = [client.tenant_id, client.pk, idempotency.endpoint, idempotency.key]
    try:
        rows = fetch(
            IDEMPOTENCY_RESERVE_SQL,
            [*lookup, idempotency.fingerprint, now, expired_before, lock_timeout],
        )
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise IdempotencyKeyBusy("A request with this key is still running.") from exc
        raise
    if rows:
        return rows[0][0]
    record = IdempotencyRecord.objects.for_tenant(client.tenant_id).get(
        client=client, endpoint=idempotency.endpoint, key=idempotency.key
    )
    if record.request_hash != idempotency.fingerprint:
        raise IdempotencyKeyReused("This key was used with a different request body.")
    return IdempotentAnswer(status=record.response_status, body=record.response_body, replayed=True)


def idempotency_records_purge(*, older_than: timedelta | None = None) -> int:
    hours = settings.INBOUND_LIMITS["IDEMPOTENCY_RETENTION_HOURS"]
    cutoff = timezone.now() - (older_than if older_than is not None else timedelta(hours=hours))
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- retention -----------------------------------------------------------------------------------

PAYLOAD_PURGE_BATCH_SIZE = 1000


def import_payloads_purge(
    *,
    older_than: timedelta | None = None,
    batch_size: int = PAYLOAD_PURGE_BATCH_SIZE,
    dry_run: bool = False,
) -> int:
    """Clear the incoming payloads (personal data) that retention no longer keeps (SPEC §9):
    of items nobody has to review (any more) whose resolution, or import when never reviewed,
    is older than `older_than` (IMPORT_PAYLOAD_RETENTION_DAYS). Open items keep theirs. The
    statuses, warnings, decisions, candidates and links stay; `payload_purged_at` tells why
    the payload is empty. Returns how many were cleared (with `dry_run`, would be).

    One UPDATE of at most `batch_size` rows at a time, each committed on its own when called
    outside a transaction: row locks are held for milliseconds however many rows are due.
    The rows are found through the partial index `inbound_item_payload_kept`, which holds only
    items still due, so a run that finds nothing reads next to nothing. Safe to run again.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if older_than is None:
        older_than = timedelta(days=settings.IMPORT_PAYLOAD_RETENTION_DAYS)
    now = timezone.now()
    due = ImportItem.objects.filter(
        PAYLOAD_PURGEABLE, LessThan(PAYLOAD_KEPT_SINCE, now - older_than)
    )
    if dry_run:
        return due.count()
    cleared = 0
    while True:
        # Oldest first, in the order of the partial index: each batch reads only its own rows
        # there (the model's ordering would sort every due row; a scan of the table without
        # one would pass over the rows cleared by the batches before).
        batch = due.order_by(PAYLOAD_KEPT_SINCE.asc()).values("pk")[:batch_size]
        # The conditions again on the updated rows: an item reopened meanwhile (an undo) is
        # checked anew once its lock is released, and kept.
        updated = due.filter(pk__in=batch).update(payload={}, payload_purged_at=now)
        cleared += updated
        if not updated:
            return cleared


# --- import --------------------------------------------------------------------------------------

TARGET_PLANNING_FIELDS = (
    "priority",
    "estimated_work_minutes",
    "due_date",
    "preferred_time_window_start",
    "preferred_time_window_end",
)
TARGET_UPDATE_FIELDS = (
    "title",
    "description",
    *TARGET_PLANNING_FIELDS,
    "custom_fields",
    "customer",
    "location",
    "contact",
    "updated_at",
)
_TARGET_COMPARED = tuple(
    Target._meta.get_field(name).attname for name in TARGET_UPDATE_FIELDS if name != "updated_at"
)
_TARGET_CONTEXT = ("customer_id", "location_id", "contact_id")
IMPORT_ATTEMPTS = 3
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


class ImportConflict(Exception):
    """Concurrent requests kept conflicting; the client should retry."""


class ImportRejected(Exception):
    """A single import that cannot be written as sent (its field errors, JSON pointers); nothing
    of it was written. A batch reports such an item as Failed instead."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("The target cannot be imported as sent.")
        self.errors = errors


@dataclass(frozen=True)
class ItemInput:
    """One item of a request: its validated data, or the errors that make it fail alone."""

    position: int
    external_id: str | None
    data: dict[str, Any] | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def _needs_review(status: str, strategy: str) -> bool:
    return status in (MappingStatus.WARNING, MappingStatus.FAILED) or (
        status == MappingStatus.SKIPPED and strategy == MatchingStrategy.MANUAL_ONLY
    )


def _merged_target_errors(target: Target, data: dict[str, Any], pointer: str) -> list[dict]:
    """What the stored target with the sent values over it would violate (the checks of the
    validator see the sent fields only): a time window sent half must fit the stored other half.

    Of the check constraints an import writes, only `inbound_target_time_window_ordered` spans
    two fields; every other one (latitude and longitude ranges, a customer number absent or not
    empty, non-empty external IDs, positive integers) is about one field, which the validator
    checks when it is sent and which stays as stored when it is not.
    """
    planning = data.get("planning") or {}
    start_sent = "preferred_time_window_start" in planning
    end_sent = "preferred_time_window_end" in planning
    if not (start_sent or end_sent):
        return []
    start = planning.get("preferred_time_window_start", target.preferred_time_window_start)
    end = planning.get("preferred_time_window_end", target.preferred_time_window_end)
    if start is None or end is None or start < end:
        return []
    if end_sent:
        name, message = "preferredTimeWindowEnd", "The time window must end after its stored start"
        other = start
    else:
        name, message = (
            "preferredTimeWindowStart",
            "The time window must start before its stored end",
        )
        other = end
    return [
        {
            "field": f"{pointer}/planning/{name}",
            "code": "time_window_order",
            "message": f"{message} ({other.isoformat()}); send both ends to move the window.",
        }
    ]


def _target_apply(target: Target, data: dict[str, Any], outcome: MappingOutcome) -> None:
    """Set what the payload sent; location defaults fill planning values it left out."""
    target.title = data["title"]
    if "description" in data:
        target.description = data["description"]
    planning = data.get("planning") or {}
    for name in TARGET_PLANNING_FIELDS:
        if name in planning:
            setattr(target, name, planning[name])
    if "custom_fields" in data:
        target.custom_fields = data["custom_fields"]
    if outcome.customer is not None:  # saved by now: the mapping wrote its records
        target.customer_id, target.location_id, target.contact_id = (
            outcome.customer.pk,
            outcome.location and outcome.location.pk,
            outcome.contact and outcome.contact.pk,
        )
    location = outcome.location
    if location is not None:
        if "priority" not in planning and not target.priority and location.default_priority:
            target.priority = location.default_priority
        if (
            "estimated_work_minutes" not in planning
            and target.estimated_work_minutes is None
            and location.default_estimated_work_minutes is not None
        ):
            target.estimated_work_minutes = location.default_estimated_work_minutes


def _import_events(
    *,
    client: IntegrationClient,
    items: list[ItemInput],
    results: dict[int, tuple[str, Target, MappingOutcome]],
    changed: set[str],
    context_changed: set[str],
) -> list[DomainEvent]:
    """The domain events of an import, in item order: target.imported for a new target,
    target.updated for a stored one whose values changed (one sent again as it is: none), then
    target.customer_context_changed when its customer, location or contact changed."""
    published = []
    for item in items:
        if item.position not in results:  # failed
            continue
        status, target, _ = results[item.position]
        if status == ImportStatus.IMPORTED:
            types = [EventType.TARGET_IMPORTED]
        elif item.external_id in changed:
            types = [EventType.TARGET_UPDATED]
            if item.external_id in context_changed:
                types.append(EventType.TARGET_CUSTOMER_CONTEXT_CHANGED)
        else:
            continue
        published.extend(
            DomainEvent(
                type=event_type,
                tenant_id=client.tenant_id,
                client_id=client.pk,
                target_id=target.pk,
            )
            for event_type in types
        )
    return published


@dataclass
class _TargetsWritten:
    """What `_targets_write` did: the failed items with their errors, and per imported item
    (by position) its import status, target and mapping outcome."""

    failures: dict[int, list[dict[str, str]]]
    results: dict[int, tuple[str, Target, MappingOutcome]]
    changed: set[str]  # external IDs of stored targets whose values changed
    context_changed: set[str]  # ... and of those whose customer context changed


def _targets_write(
    *, client: IntegrationClient, scopes: list[str], kind: str, items: list[ItemInput]
) -> _TargetsWritten:
    """The import of items: validate against each other and the stored targets, map their
    customer contexts, create or update their targets. A fixed number of queries for any
    number of items."""
    tenant = client.tenant
    failures: dict[int, list[dict[str, str]]] = {}
    valid: list[ItemInput] = []
    seen: set[str] = set()
    for item in items:
        if item.errors:
            failures[item.position] = item.errors
        elif item.external_id in seen:
            pointer = (
                "/externalId"
                if kind == ImportJobKind.SINGLE
                else (f"/items/{item.position}/externalId")
            )
            failures[item.position] = [
                {
                    "field": pointer,
                    "code": "duplicate",
                    "message": "An earlier item of this batch has the same externalId.",
                }
            ]
        else:
            seen.add(item.external_id)
            valid.append(item)

    policy = mapping_policy(client=client, scopes=scopes)
    contexts = [
        IncomingContext(
            customer=item.data.get("customer"),
            location=item.data.get("location"),
            contact=item.data.get("contact"),
        )
        for item in valid
    ]
    # The client's targets with these external IDs (its own table, unique per client), then the
    # references the mapping reads, where it can share them (one statement for all types).
    existing = targets_of_client_by_external_id(
        client=client, external_ids=[item.external_id for item in valid]
    )
    shared = context_external_ids(policy=policy, contexts=contexts)
    referenced = (
        referenced_records(tenant=tenant, source_system=client.source_system, external_ids=shared)
        if shared
        else {}
    )
    # An update valid field by field may still not fit the stored target: such an item fails
    # before its customer context is mapped, so nothing of it is written.
    kept = []
    for item, context in zip(valid, contexts, strict=True):
        target = existing.get(item.external_id)
        pointer = "" if kind == ImportJobKind.SINGLE else f"/items/{item.position}"
        errors = _merged_target_errors(target, item.data, pointer) if target is not None else []
        if errors and kind == ImportJobKind.SINGLE:
            raise ImportRejected(errors)
        if errors:
            failures[item.position] = errors
        else:
            kept.append((item, context))
    valid, contexts = [item for item, _ in kept], [context for _, context in kept]
    outcomes = customer_contexts_map(
        tenant=tenant, policy=policy, contexts=contexts, referenced=referenced if shared else None
    )
    new_targets: dict[str, Target] = {}
    changed_targets: list[Target] = []
    changed: set[str] = set()
    context_changed: set[str] = set()
    results: dict[int, tuple[str, Target, MappingOutcome]] = {}
    for item, outcome in zip(valid, outcomes, strict=True):
        target = existing.get(item.external_id)
        if target is None:
            target = new_instance(
                Target,
                {"tenant_id": tenant.pk, "client_id": client.pk, "external_id": item.external_id},
            )
            new_targets[item.external_id] = target
            _target_apply(target, item.data, outcome)
            results[item.position] = (ImportStatus.IMPORTED, target, outcome)
            continue
        # Updated, as the seed says, but written only when a value changed: a target sent again
        # as it is keeps its row (and updated_at).
        before = [getattr(target, name) for name in _TARGET_COMPARED]
        context_before = [getattr(target, name) for name in _TARGET_CONTEXT]
        _target_apply(target, item.data, outcome)
        if [getattr(target, name) for name in _TARGET_COMPARED] != before:
            changed_targets.append(target)
            changed.add(item.external_id)
            if [getattr(target, name) for name in _TARGET_CONTEXT] != context_before:
                context_changed.add(item.external_id)
        results[item.position] = (ImportStatus.UPDATED, target, outcome)
    bulk_insert(Target, [new_targets[k] for k in sorted(new_targets)])
    bulk_update(Target, sorted(changed_targets, key=lambda t: t.pk), TARGET_UPDATE_FIELDS)
    return _TargetsWritten(
        failures=failures, results=results, changed=changed, context_changed=context_changed
    )


type ItemState = tuple[str, str, str]  # import status, mapping status, review state


def _tallies_add(*, tenant_id: int, job_id: int, counts: Counter[ItemState]) -> None:
    """Count items into (or, negative, out of) their job's tallies, in this transaction."""
    states = sorted(state for state, count in counts.items() if count)
    if states:
        columns = [list(column) for column in zip(*states, strict=True)]
        fetch(TALLIES_ADD_SQL, [tenant_id, job_id, *columns, [counts[s] for s in states]])


def import_item_tally_move(
    *, item: ImportItem, mapping_status_before: str, review_state_before: str
) -> None:
    """Count a changed item (a dispatcher's decision, or its undo) out of the tally of its state
    before and into its current one; call in the transaction that saves it."""
    counts: Counter[ItemState] = Counter()
    counts[item.import_status, mapping_status_before, review_state_before] -= 1
    counts[item.import_status, item.mapping_status, item.review_state] += 1
    _tallies_add(tenant_id=item.tenant_id, job_id=item.job_id, counts=counts)


def _import_items_write(
    *, job: ImportJob, client: IntegrationClient, items: list[ItemInput], written: _TargetsWritten
) -> list[ImportItem]:
    """The items of `job` for what `_targets_write` did, and the domain events of it."""
    tenant_id = client.tenant_id
    failures, results = written.failures, written.results
    import_items = []
    for item in items:
        # One constructor call with every value: setting related objects one by one afterwards
        # was a third of the CPU of building a batch's items.
        values = {
            "tenant_id": tenant_id,
            "job_id": job.pk,
            "position": item.position,
            "external_id": (item.external_id or "")[:100],
        }
        if item.position in failures:
            values.update(
                import_status=ImportStatus.FAILED,
                mapping_status=MappingStatus.SKIPPED,
                errors=failures[item.position],
            )
        else:
            status, target, outcome = results[item.position]
            values.update(
                import_status=status,
                mapping_status=outcome.status,
                target_id=target.pk,
                customer_id=outcome.customer and outcome.customer.pk,
                location_id=outcome.location and outcome.location.pk,
                contact_id=outcome.contact and outcome.contact.pk,
                warnings=outcome.warnings,
                decisions=outcome.decisions_as_json(),
                candidates=outcome.candidates,
                payload={
                    name: item.data[name]
                    for name in ("customer", "location", "contact")
                    if item.data.get(name)
                },
            )
            if _needs_review(outcome.status, client.strategy):
                values["review_state"] = ReviewState.OPEN
        import_items.append(new_instance(ImportItem, values))
    bulk_insert(ImportItem, import_items)
    _tallies_add(
        tenant_id=tenant_id,
        job_id=job.pk,
        counts=Counter(
            (item.import_status, item.mapping_status, item.review_state) for item in import_items
        ),
    )
    # In the import's transaction, once per batch: the outbox records in bulk (webhooks).
    publish(
        _import_events(
            client=client,
            items=items,
            results=results,
            changed=written.changed,
            context_changed=written.context_changed,
        )
    )
    return import_items


def _import_once(
    *, api_key: ApiKey, kind: str, items: list[ItemInput]
) -> tuple[ImportJob, list[ImportItem]]:
    client = api_key.client
    started_at = timezone.now()
    # Workers importing asynchronous jobs give way while this is held (async_imports).
    fetch(SYNC_IMPORT_MARK_SQL, SYNC_IMPORT_LOCK)
    written = _targets_write(client=client, scopes=api_key.scopes, kind=kind, items=items)
    # Written once, complete: the request is the processing, so nobody sees it half done.
    job = ImportJob(
        tenant=client.tenant,
        client=client,
        api_key=api_key,
        kind=kind,
        status=(
            ImportJobStatus.COMPLETED_WITH_ERRORS if written.failures else ImportJobStatus.COMPLETED
        ),
        item_count=len(items),
        processed_count=len(items),
        started_at=started_at,
        finished_at=timezone.now(),
    )
    bulk_insert(ImportJob, [job])
    return job, _import_items_write(job=job, client=client, items=items, written=written)


def _import_retrying[T](attempt_once: Callable[[], T]) -> T:
    """Run `attempt_once` in a transaction; again when a concurrent request created the same
    records first (the unique constraints make this one fail) or a deadlock ended it."""
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return attempt_once()
        except (IntegrityError, OperationalError) as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None)
            # Only a unique violation means "someone else created it first"; NOT NULL, FK and
            # CHECK violations are bugs and must not hide behind a 503.
            retryable = sqlstate in RETRYABLE_SQLSTATES or (
                isinstance(exc, IntegrityError) and sqlstate in (None, "23505")
            )
            if not retryable:
                raise
            if attempt == IMPORT_ATTEMPTS:
                raise ImportConflict("Concurrent imports kept conflicting; retry.") from exc
    raise AssertionError("unreachable")


def targets_import(
    *, api_key: ApiKey, kind: str, items: list[ItemInput]
) -> tuple[ImportJob, list[ImportItem]]:
    """Import the items of one request as one job: each valid item creates or updates its target
    and gets its customer context mapped; invalid ones fail alone.

    Runs in one transaction with a fixed number of queries for any batch size. When a
    concurrent request creates the same records first, the unique constraints make this one fail
    and it runs again, now finding those records.
    """
    return _import_retrying(lambda: _import_once(api_key=api_key, kind=kind, items=items))


def targets_import_idempotent(
    *,
    api_key: ApiKey,
    kind: str,
    items: list[ItemInput],
    idempotency: IdempotencyRequest,
    answer: Callable[[ImportJob, list[ImportItem]], Any],
) -> IdempotentAnswer:
    """`targets_import` under an Idempotency-Key: the first request with the key imports and
    stores `answer(job, items)` (the complete answer, as for customers.read); later ones with
    the same body get that stored answer, with another body `IdempotencyKeyReused`.

    The key's record is the first row the import's transaction writes, so both commit together
    or not at all: a request that dies (connection lost, backend killed) leaves nothing, and its
    retry simply runs. A concurrent request with the key waits for the running one (at most
    IDEMPOTENCY_WAIT_MS, else `IdempotencyKeyBusy`) and then replays its answer, or runs itself
    if the first one failed.
    """

    def attempt_once() -> IdempotentAnswer:
        reserved = _idempotency_reserve(client=api_key.client, idempotency=idempotency)
        if isinstance(reserved, IdempotentAnswer):
            return reserved
        job, import_items = _import_once(api_key=api_key, kind=kind, items=items)
        body = answer(job, import_items)
        status = HTTPStatus.OK
        IdempotencyRecord.objects.for_tenant(api_key.client.tenant_id).filter(pk=reserved).update(
            response_status=status, response_body=body
        )
        return IdempotentAnswer(status=status, body=body, replayed=False)

    return _import_retrying(attempt_once)
