"""Worker tasks of the inbound app: the chunks of asynchronous imports (procrastinate discovers
`tasks` modules; every worker runs every queue unless told otherwise)."""

import contextlib
import gc
import logging
import os
import threading
from collections.abc import Iterator

from django.conf import settings
from django.db import InterfaceError, OperationalError
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from .api.serializers import async_item_input
from .async_imports import (
    IMPORT_CHUNK_TASK,
    IMPORT_QUEUE,
    async_import_chunk_process,
    sync_imports_yield,
)
from .services import ImportConflict

logger = logging.getLogger(__name__)

# A chunk that conflicted with concurrent imports three times in a row, or lost its database
# connection, runs again a little later; anything else is a bug a retry would only repeat.
CHUNK_RETRY = RetryStrategy(
    max_attempts=10,
    exponential_wait=2,
    retry_exceptions={ImportConflict, OperationalError, InterfaceError},
)


# gunicorn.conf.py's tuning of the cyclic collector, for the same work in a worker: a chunk
# allocates as many objects as a batch request, and with Python's default thresholds the
# collector walked the worker's whole heap every few chunks.
GC_THRESHOLDS = (50_000, 20, 100)


def _collector_tune() -> None:
    """Once per worker process, at its first chunk (what it loaded so far is frozen out of the
    collector's walks)."""
    if gc.get_threshold() != GC_THRESHOLDS:
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)


@contextlib.contextmanager
def _thread_niced(nice: int) -> Iterator[None]:
    """The current thread (only: Linux schedules threads, and a nice value is a thread's) at
    nice value `nice` at least, for the block; back to its own after it where permitted."""
    thread = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, thread)
    if nice <= before:
        yield
        return
    os.setpriority(os.PRIO_PROCESS, thread, nice)
    try:
        yield
    finally:
        with contextlib.suppress(PermissionError):  # not permitted to raise priorities
            os.setpriority(os.PRIO_PROCESS, thread, before)


def _retried(exc: Exception, attempts: int) -> bool:
    """Whether procrastinate runs the chunk again after `exc` (`attempts` before this one)."""
    return isinstance(exc, tuple(CHUNK_RETRY.retry_exceptions or ())) and attempts < (
        CHUNK_RETRY.max_attempts or 0
    )


def chunk_import(
    tenant_id: int, job_id: int, chunk: int, lanes: int = 0, *, attempts: int = 0
) -> None:
    """Import one chunk of an asynchronous import job (done already: nothing happens), in its
    attempt `attempts` + 1. When it fails for good (a bug, or conflicts past its retries), its
    items are imported one by one, and only those that fail again are Failed items: a job never
    stays unfinished for one bad item. It first gives way to synchronous imports (at most
    ASYNC_YIELD_SECONDS), then the thread runs it at ASYNC_CHUNK_NICE."""
    _collector_tune()
    sync_imports_yield(most=settings.INBOUND_LIMITS["ASYNC_YIELD_SECONDS"])
    with _thread_niced(settings.INBOUND_LIMITS["ASYNC_CHUNK_NICE"]):
        _chunk_import(tenant_id, job_id, chunk, lanes, attempts=attempts)


def _chunk_import(tenant_id: int, job_id: int, chunk: int, lanes: int, *, attempts: int) -> None:
    arguments = {
        "tenant_id": tenant_id,
        "job_id": job_id,
        "chunk": chunk,
        "lanes": lanes,
        "item_from": async_item_input,
    }
    try:
        async_import_chunk_process(**arguments)
    except Exception as exc:
        if _retried(exc, attempts):
            raise
        logger.exception("Chunk %s of import job %s failed; its items one by one", chunk, job_id)
        async_import_chunk_process(**arguments, one_by_one=True)


@app.task(name=IMPORT_CHUNK_TASK, queue=IMPORT_QUEUE, retry=CHUNK_RETRY, pass_context=True)
def import_chunk(
    context: JobContext, tenant_id: int, job_id: int, chunk: int, lanes: int = 0
) -> None:
    """The worker's task of `chunk_import` (the context tells the attempt). Jobs queued before
    lanes were chained have no `lanes`: all their chunks are queued."""
    chunk_import(tenant_id, job_id, chunk, lanes, attempts=context.job.attempts)
