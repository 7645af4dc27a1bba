"""Asynchronous imports (SPEC §8): a request stages its items and answers at once; workers import
them in chunks through the same import service as a batch (`inbound.services`).

Accepting: the job, its staged items (streamed with COPY, never held whole), the key's
idempotency record and one worker job per chunk are written in one transaction: either the job
exists with all its items and chunks queued, or nothing does.

Processing: each chunk is one transaction that locks its staged items, imports them, deletes
them and counts them into the job's progress. A chunk whose staged items are gone is done, so a
chunk run again (its worker was killed, and `jobs.stalled_retry` retried it) imports nothing
twice; one that was killed rolled back and is still all there. The chunk that counts the last
items completes the job and publishes `import_job.completed`, in that same transaction.

Chunks of one job run in parallel (up to ASYNC_CHUNK_LANES at once, each lane a chain of chunks
that defer their successor as they commit), on any worker: what an
item does does not depend on the chunks before it, except through the records they create (two
chunks creating the same new customer: the unique constraints make the later one run again and
find it, as for concurrent batches) and an externalId sent twice (the request validates the
items of such externalIds once staged and marks those a batch would fail as duplicates, so the
same items fail as in a batch, wherever their chunks run).
"""

import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from procrastinate.contrib.django import app as procrastinate_app

from ordinavo.api.parsers import json_loads_strict
from ordinavo.db import bulk_insert, fetch
from ordinavo.events import DomainEvent, EventType, publish

from .choices import ImportJobKind, ImportJobStatus, ImportStatus
from .models import ApiKey, IdempotencyRecord, ImportItem, ImportJob, StagedImportItem
from .services import (
    IdempotencyRequest,
    IdempotentAnswer,
    ItemInput,
    _idempotency_reserve,
    _import_items_write,
    _import_retrying,
    _targets_write,
    _TargetsWritten,
)
from .sql import SYNC_IMPORT_LOCK, SYNC_IMPORTS_RUNNING_SQL

logger = logging.getLogger(__name__)

IMPORT_QUEUE = "imports"
IMPORT_CHUNK_TASK = "inbound.import_chunk"


class AsyncImportEmpty(Exception):
    """The body holds no item (422: an import has 1 to INBOUND_MAX_ASYNC_ITEMS items)."""


class _Replayed(Exception):
    """Leaves the accepting transaction (and what it staged) when the key's answer is stored."""

    def __init__(self, answer: IdempotentAnswer):
        super().__init__("replayed")
        self.answer = answer


def chunk_size() -> int:
    return settings.INBOUND_LIMITS["ASYNC_CHUNK_ITEMS"]


def _duplicate_key(raw: Any) -> str | None:
    """The externalId an item will be imported under as far as the raw item says (the
    serializer takes a string or a number as its text, trimmed); None when it has none."""
    if isinstance(raw, dict):
        external_id = raw.get("externalId")
        if isinstance(external_id, str | int | float) and not isinstance(external_id, bool):
            return str(external_id).strip() or None
    return None


_STAGED_READ_SQL = (
    "SELECT position, raw FROM inbound_stagedimportitem WHERE tenant_id = %s AND job_id = %s "
    "AND position = ANY(%s) ORDER BY position"
)
_STAGED_DUPLICATES_SQL = (
    "UPDATE inbound_stagedimportitem SET duplicate = true WHERE tenant_id = %s AND job_id = %s "
    "AND position = ANY(%s)"
)


# COPY's text format: a backslash, and the tab and carriage return a JSON line may hold as
# whitespace, escaped (a line holds no newline; JSON text holds no other control character).
_COPY_ESCAPES = ((b"\\", b"\\\\"), (b"\t", b"\\t"), (b"\r", b"\\r"))
_COPY_BLOCK_ROWS = 1000


def _copy_text(text: bytes) -> bytes:
    for char, escaped in _COPY_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    return text


def _items_stage(
    *,
    job: ImportJob,
    items: Iterable[tuple[bytes, Any]],
    item_from: Callable[[int, Any], ItemInput],
) -> int:
    """COPY the items (JSON text in UTF-8, parsed value) into the job's staged items, as they
    come, as COPY text written in blocks (psycopg's row by row formatting took a third of the
    request's CPU); returns how many. Only the externalIds seen so far are kept in memory."""
    first: dict[str, int] = {}  # position of the first item with each externalId
    repeated: dict[str, list[int]] = {}  # positions of the items of externalIds sent again
    count = 0
    table = StagedImportItem._meta.db_table
    row_start = b"%d\t%d\t" % (job.tenant_id, job.pk)
    with connection.cursor() as cursor:
        copy_sql = f"COPY {table} (tenant_id, job_id, position, raw, duplicate) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            block = []
            for position, (text, raw) in enumerate(items):
                key = _duplicate_key(raw)
                if key is not None:
                    if key in first:
                        repeated.setdefault(key, [first[key]]).append(position)
                    else:
                        first[key] = position
                block.append(b"%s%d\t%s\tf\n" % (row_start, position, _copy_text(text)))
                if len(block) == _COPY_BLOCK_ROWS:
                    copy.write(b"".join(block))
                    block.clear()
                count = position + 1
            copy.write(b"".join(block))
    if repeated:
        _duplicates_mark(job=job, positions=repeated.values(), item_from=item_from)
    return count


def _duplicates_mark(
    *,
    job: ImportJob,
    positions: Iterable[list[int]],
    item_from: Callable[[int, Any], ItemInput],
) -> None:
    """Mark the staged items that a batch of all the items would fail as duplicates, among the
    items of each externalId sent more than once (`positions`): as `_targets_write` does, the
    first valid item of an externalId is imported and every later valid one is a duplicate;
    invalid ones fail with their own errors and take no externalId."""
    wanted = sorted(position for group in positions for position in group)
    seen: set[str] = set()
    duplicates = []
    for position, raw in fetch(_STAGED_READ_SQL, [job.tenant_id, job.pk, wanted]):
        item = item_from(position, json_loads_strict(raw.encode()))
        if item.errors:
            continue
        if item.external_id in seen:
            duplicates.append(position)
        else:
            seen.add(item.external_id)
    if duplicates:
        with connection.cursor() as cursor:
            cursor.execute(_STAGED_DUPLICATES_SQL, [job.tenant_id, job.pk, duplicates])


def _chunk_task():
    return procrastinate_app.configure_task(name=IMPORT_CHUNK_TASK, queue=IMPORT_QUEUE)


def _chunks_defer(*, job: ImportJob) -> None:
    """The first chunk of each of ASYNC_CHUNK_LANES lanes, on the current connection (in the
    accepting transaction): each chunk defers the next one of its lane when it commits
    (`_next_chunk_defer`), so at most that many chunks of one job run at once, each lane in
    chunk order, and a worker is woken for the next chunk at once (NOTIFY at commit). Chunks
    queued behind a procrastinate lock instead were found only by polling, up to a second
    after the chunk before them ended."""
    chunks = (job.item_count + chunk_size() - 1) // chunk_size()
    lanes = min(settings.INBOUND_LIMITS["ASYNC_CHUNK_LANES"], chunks)
    _chunk_task().batch_defer(
        *(
            {"tenant_id": job.tenant_id, "job_id": job.pk, "chunk": chunk, "lanes": lanes}
            for chunk in range(lanes)
        )
    )


def _next_chunk_defer(*, job: ImportJob, chunk: int, lanes: int) -> None:
    """The next chunk of this one's lane, in its transaction: queued exactly when this one
    commits (a chunk that rolls back, killed or failed, is run again and defers it then)."""
    following = chunk + lanes
    if lanes and following * chunk_size() < job.item_count:
        _chunk_task().defer(tenant_id=job.tenant_id, job_id=job.pk, chunk=following, lanes=lanes)


def async_import_answer(job: ImportJob) -> dict[str, Any]:
    return {
        "importJobId": job.pk,
        "status": ImportJobStatus.ACCEPTED.value,
        "itemCount": job.item_count,
    }


def async_import_accept(
    *,
    api_key: ApiKey,
    items: Iterable[tuple[bytes, Any]],
    item_from: Callable[[int, Any], ItemInput],
    endpoint: str,
    idempotency_key: str | None = None,
    fingerprint: Callable[[], str] | None = None,
) -> IdempotentAnswer:
    """Accept an asynchronous import of `items` (each its JSON text and parsed value, read from
    the request as it streams in; whatever the iterable raises refuses the whole request and
    leaves nothing; `item_from` validates one, as the chunks will). Returns the answer (202,
    naming the new job); under an `idempotency_key` whose answer is stored, no new job but that
    answer (`fingerprint()`, called once the items are read, must match the stored one, else
    `IdempotencyKeyReused`)."""
    client = api_key.client
    try:
        with transaction.atomic():
            job = ImportJob(
                tenant=client.tenant,
                client=client,
                api_key=api_key,
                kind=ImportJobKind.ASYNC,
                status=ImportJobStatus.ACCEPTED,
                scopes=list(api_key.scopes),
            )
            bulk_insert(ImportJob, [job])
            job.item_count = _items_stage(job=job, items=items, item_from=item_from)
            if not job.item_count:
                raise AsyncImportEmpty("The import holds no item.")
            ImportJob.objects.for_tenant(client.tenant_id).filter(pk=job.pk).update(
                item_count=job.item_count
            )
            answer = IdempotentAnswer(
                status=HTTPStatus.ACCEPTED, body=async_import_answer(job), replayed=False
            )
            if idempotency_key is not None:
                reserved = _idempotency_reserve(
                    client=client,
                    idempotency=IdempotencyRequest(
                        endpoint=endpoint, key=idempotency_key, fingerprint=fingerprint()
                    ),
                )
                if isinstance(reserved, IdempotentAnswer):
                    raise _Replayed(reserved)
                IdempotencyRecord.objects.for_tenant(client.tenant_id).filter(pk=reserved).update(
                    response_status=answer.status, response_body=answer.body
                )
            _chunks_defer(job=job)
    except _Replayed as replayed:
        return replayed.answer
    return answer


# --- processing ----------------------------------------------------------------------------------

# How often a waiting chunk looks for synchronous imports, and how long none must have been seen
# before it starts: two clients sending batches back to back leave gaps of a few tens of ms
# between their transactions (parsing, answering), never this long.
SYNC_IMPORTS_CHECK_SECONDS = 0.05
SYNC_IMPORTS_QUIET_SECONDS = 0.25


def sync_imports_running() -> bool:
    """Whether a synchronous import (POST inbound/targets, targets/batch) of any tenant is in its
    transaction on this database right now (the advisory lock it holds; asking never waits)."""
    [(running,)] = fetch(SYNC_IMPORTS_RUNNING_SQL, SYNC_IMPORT_LOCK * 2)
    return running


def sync_imports_yield(*, most: float) -> float:
    """Wait while synchronous imports run, until none has been seen for
    SYNC_IMPORTS_QUIET_SECONDS, but `most` seconds at most (a job is never starved by a steady
    stream of requests); returns the seconds waited (0 when none was running). Outside any
    transaction: it holds nothing while it waits."""
    if most <= 0 or not sync_imports_running():
        return 0.0
    started = time.monotonic()
    deadline = started + most
    quiet_since = None
    while (now := time.monotonic()) < deadline:
        if quiet_since is not None and now - quiet_since >= SYNC_IMPORTS_QUIET_SECONDS:
            break
        time.sleep(min(SYNC_IMPORTS_CHECK_SECONDS, deadline - now))
        if sync_imports_running():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
    return time.monotonic() - started


_JOB_STARTED_SQL = (
    "UPDATE inbound_importjob SET status = %s, started_at = %s "
    "WHERE tenant_id = %s AND id = %s AND status = %s RETURNING id"
)
_STAGED_TAKE_SQL = (
    "DELETE FROM inbound_stagedimportitem WHERE tenant_id = %s AND job_id = %s "
    "AND position >= %s AND position < %s RETURNING position, raw, duplicate"
)
_JOB_PROGRESS_SQL = (
    "UPDATE inbound_importjob SET processed_count = processed_count + %s "
    "WHERE tenant_id = %s AND id = %s RETURNING processed_count, item_count"
)


def _duplicate_error(position: int) -> list[dict[str, str]]:
    return [
        {
            "field": f"/items/{position}/externalId",
            "code": "duplicate",
            "message": "An earlier item of this import has the same externalId.",
        }
    ]


def _staged_item(
    row: tuple[int, str, bool], *, item_from: Callable[[int, Any], ItemInput]
) -> ItemInput:
    """The item of a staged row, validated; one the request marked a repeated externalId fails
    as such (when it is valid otherwise)."""
    position, raw, duplicate = row
    item = item_from(position, json_loads_strict(raw.encode()))
    if duplicate and not item.errors:
        return ItemInput(
            position=position, external_id=item.external_id, errors=_duplicate_error(position)
        )
    return item


def _items_import(*, job: ImportJob, items: list[ItemInput]) -> None:
    written = _targets_write(
        client=job.client, scopes=job.scopes, kind=ImportJobKind.ASYNC, items=items
    )
    _import_items_write(job=job, client=job.client, items=items, written=written)


def _processing_failed_error(position: int) -> list[dict[str, str]]:
    return [
        {
            "field": f"/items/{position}",
            "code": "processing_failed",
            "message": "The item could not be processed; send it again, or contact support.",
        }
    ]


def _staged_import_one_by_one(
    *,
    job: ImportJob,
    staged: list[tuple[int, str, bool]],
    item_from: Callable[[int, Any], ItemInput],
) -> None:
    """The items of a chunk that failed whole, each in a savepoint of its own: those that fail
    again become Failed items (`processing_failed`), so the job still completes."""
    failed = []
    for row in staged:
        position = row[0]
        try:
            with transaction.atomic():
                item = _staged_item(row, item_from=item_from)
                _items_import(job=job, items=[item])
        except Exception:
            logger.exception("Item %s of import job %s failed to be processed", position, job.pk)
            failed.append(
                ItemInput(
                    position=position,
                    external_id=_duplicate_key(json_loads_strict(row[1].encode())),
                    errors=_processing_failed_error(position),
                )
            )
    if failed:  # written without the import that failed on them
        failures = {item.position: item.errors for item in failed}
        written = _TargetsWritten(
            failures=failures, results={}, changed=set(), context_changed=set()
        )
        _import_items_write(job=job, client=job.client, items=failed, written=written)


def async_import_chunk_process(
    *,
    tenant_id: int,
    job_id: int,
    chunk: int,
    item_from: Callable[[int, Any], ItemInput],
    lanes: int = 0,
    one_by_one: bool = False,
) -> int:
    """Import chunk `chunk` of an asynchronous job (its items validated by `item_from`): one
    transaction that imports them, deletes them from the staged items and counts them into the
    job's progress; the last one completes the job. Returns how many items it imported (0 when
    the chunk was done already, by this job's earlier run or another worker). It defers the
    next chunk of its lane (`lanes` apart; 0: every chunk was queued at acceptance).

    `one_by_one`: for a chunk that failed whole and will not be retried; each item is imported
    alone, and one that fails again is recorded Failed (`processing_failed`) instead of
    failing the chunk (and leaving the job unfinished for ever)."""
    size = chunk_size()
    # Processing, on its own and at once, so a poll shows it while the first chunk runs.
    fetch(
        _JOB_STARTED_SQL,
        [
            ImportJobStatus.PROCESSING,
            timezone.now(),
            tenant_id,
            job_id,
            ImportJobStatus.ACCEPTED,
        ],
    )

    def attempt_once() -> int:
        # Taken out of the staged items at once: a second run of the chunk waits here for the
        # rows' locks, then finds them gone (or, when this one rolls back, still there).
        staged = sorted(
            fetch(_STAGED_TAKE_SQL, [tenant_id, job_id, chunk * size, (chunk + 1) * size])
        )
        if not staged:
            return 0
        job = (
            ImportJob.objects.for_tenant(tenant_id).select_related("client__tenant").get(pk=job_id)
        )
        if one_by_one:
            _staged_import_one_by_one(job=job, staged=staged, item_from=item_from)
        else:
            _items_import(job=job, items=[_staged_item(row, item_from=item_from) for row in staged])
        _next_chunk_defer(job=job, chunk=chunk, lanes=lanes)
        # Last: the job's row stays locked only until this transaction commits.
        [(processed, total)] = fetch(_JOB_PROGRESS_SQL, [len(staged), tenant_id, job_id])
        if processed >= total:
            _job_complete(job=job)
        return len(staged)

    return _import_retrying(attempt_once)


def _job_complete(*, job: ImportJob) -> None:
    """Every chunk has committed (their progress is counted in): the job's final status, and its
    event, in the transaction of the last chunk."""
    failed = (
        ImportItem.objects.for_tenant(job.tenant_id)
        .filter(job_id=job.pk, import_status=ImportStatus.FAILED)
        .exists()
    )
    status = ImportJobStatus.COMPLETED_WITH_ERRORS if failed else ImportJobStatus.COMPLETED
    ImportJob.objects.for_tenant(job.tenant_id).filter(pk=job.pk).update(
        status=status, finished_at=timezone.now()
    )
    publish(
        [
            DomainEvent(
                type=EventType.IMPORT_JOB_COMPLETED,
                tenant_id=job.tenant_id,
                client_id=job.client_id,
                subject_id=job.pk,
            )
        ]
    )
