"""Periodic tasks (procrastinate, in place of cron): the retention purges of SPEC §9 and the
clean-up of finished jobs. Imported by the worker through PROCRASTINATE_IMPORT_PATHS.

Every worker runs the schedule; the database defers each run once (procrastinate records the
periodic defers), so any number of workers run each purge once per tick. A queueing lock keeps
at most one run of a purge waiting: after a worker-less day, one run catches up.
Times are UTC, spread over the night's quiet hour so the purges do not all start at once:

| task                              | schedule       | what                                     |
| --------------------------------- | -------------- | ---------------------------------------- |
| maintenance.purge_idempotency_keys | hourly, :07    | Idempotency-Keys past 24 h (records are  |
|                                   |                | looked up per request: keep it short)    |
| maintenance.purge_import_payloads | daily, 03:17   | import payloads past 30 days             |
| maintenance.purge_webhook_answers | daily, 03:27   | delivery-log answers past 30 days        |
| maintenance.purge_finished_jobs   | hourly, :37    | jobs that succeeded (or were cancelled   |
|                                   |                | or aborted) over 24 h ago; failed ones   |
|                                   |                | after 30 days, to look into them first   |
"""

import logging

from django.conf import settings
from procrastinate.contrib.django import app

from inbound.services import idempotency_records_purge, import_payloads_purge

from .services import webhook_attempt_answers_purge

logger = logging.getLogger(__name__)

QUEUE = "maintenance"


@app.periodic(cron="7 * * * *")
@app.task(
    name="maintenance.purge_idempotency_keys",
    queue=QUEUE,
    queueing_lock="maintenance.purge_idempotency_keys",
)
def purge_idempotency_keys(timestamp: int) -> int:
    deleted = idempotency_records_purge()
    logger.info("Deleted %d idempotency record(s) past their retention.", deleted)
    return deleted


@app.periodic(cron="17 3 * * *")
@app.task(
    name="maintenance.purge_import_payloads",
    queue=QUEUE,
    queueing_lock="maintenance.purge_import_payloads",
)
def purge_import_payloads(timestamp: int) -> int:
    cleared = import_payloads_purge()
    logger.info("Cleared %d import item payload(s) past their retention.", cleared)
    return cleared


@app.periodic(cron="27 3 * * *")
@app.task(
    name="maintenance.purge_webhook_answers",
    queue=QUEUE,
    queueing_lock="maintenance.purge_webhook_answers",
)
def purge_webhook_answers(timestamp: int) -> int:
    cleared = webhook_attempt_answers_purge()
    logger.info("Cleared %d webhook answer(s) past their retention.", cleared)
    return cleared


@app.periodic(cron="37 * * * *")
@app.task(
    name="maintenance.purge_finished_jobs",
    queue=QUEUE,
    queueing_lock="maintenance.purge_finished_jobs",
    pass_context=True,
)
async def purge_finished_jobs(context, timestamp: int) -> None:
    """procrastinate's own clean-up (its builtin remove_old_jobs task does the same), twice:
    hourly, so the job table holds about a day of deliveries, not two, and each run deletes
    an hour's worth;
    what ended well after JOBS_RETENTION_HOURS, failed jobs after FAILED_JOBS_RETENTION_DAYS.
    The delivery log keeps every attempt in any case; a job is only the queue's entry."""
    job_manager = context.app.job_manager
    await job_manager.delete_old_jobs(
        nb_hours=settings.JOBS_RETENTION_HOURS,
        include_cancelled=True,
        include_aborted=True,
    )
    await job_manager.delete_old_jobs(
        nb_hours=settings.FAILED_JOBS_RETENTION_DAYS * 24, include_failed=True
    )
    logger.info("Deleted finished jobs past their retention.")
