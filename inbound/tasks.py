"""Worker tasks of the inbound app: the chunks of asynchronous imports (procrastinate discovers
`tasks` modules; every worker runs every queue unless told otherwise)."""

import gc
from typing import Any

from django.db import InterfaceError, OperationalError
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from .api.serializers import item_input, target_validator
from .async_imports import IMPORT_CHUNK_TASK, IMPORT_QUEUE, async_import_chunk_process
from .services import ImportConflict, ItemInput

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


def _item_from(position: int, raw: Any) -> ItemInput:
    """An item of an asynchronous import validated as a batch's item is."""
    return item_input(target_validator(), position, raw, f"/items/{position}")


@app.task(name=IMPORT_CHUNK_TASK, queue=IMPORT_QUEUE, retry=CHUNK_RETRY)
def import_chunk(tenant_id: int, job_id: int, chunk: int) -> None:
    """Import one chunk of an asynchronous import job (done already: nothing happens)."""
    _collector_tune()
    async_import_chunk_process(
        tenant_id=tenant_id, job_id=job_id, chunk=chunk, item_from=_item_from
    )
