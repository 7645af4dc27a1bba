"""Worker tasks of the webhooks app (procrastinate discovers `tasks` modules)."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from procrastinate import RetryDecision
from procrastinate.contrib.django import app
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from .delivery import DeliveryRetry, delivery_attempt, retry_delay, retry_schedule
from .outbox import DELIVERY_QUEUE, DELIVERY_TASK

logger = logging.getLogger(__name__)


class _FailedAttemptTracebackFilter(logging.Filter):
    """procrastinate logs every job that will be retried ("Error, to retry") with the traceback
    of its exception: for a failed delivery attempt, kilobytes of the same frames each time (and
    their formatting's CPU). The line stays; the traceback of a DeliveryRetry goes (the attempt
    itself is logged by webhooks.delivery and recorded in the delivery log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], DeliveryRetry):
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("procrastinate.worker").addFilter(_FailedAttemptTracebackFilter())


class DeliveryRetryStrategy(BaseRetryStrategy):
    """SPEC §7's schedule (WEBHOOK_RETRY_SCHEDULE, ±10% jitter; a receiver's Retry-After instead
    when it sent one), read when deciding. A retry is the same job run again, so it keeps its
    place under its endpoint-and-target lock and the later events of that target wait for it.
    Only a failed attempt (DeliveryRetry) and a lost database connection are retried: any other
    exception is a bug that a retry would only repeat."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, DeliveryRetry):
            # delivery_attempt decided (and recorded as next_attempt_at) when; it gives up on
            # the final attempt by itself, so this is a retry the schedule still allows.
            return RetryDecision(retry_at=exception.retry_at)
        if isinstance(exception, OperationalError | InterfaceError):
            delay = retry_delay(retries_done=job.attempts)
            if delay is not None:
                return RetryDecision(retry_in={"seconds": delay})
        return None


@app.task(
    name=DELIVERY_TASK, queue=DELIVERY_QUEUE, pass_context=True, retry=DeliveryRetryStrategy()
)
def deliver(context, delivery_id: int) -> None:
    """Send one delivery (an attempt); raise to have it retried on the schedule."""
    runs_before = context.job.attempts  # failed runs of this job, killed workers' ones included
    delivery_attempt(
        delivery_id=delivery_id,
        attempt=runs_before + 1,
        final=runs_before >= len(retry_schedule()),
    )


def _stalled_check_seconds() -> int:
    """How often to look for the jobs of dead workers: about as often as a worker's heartbeat
    may be missed before it counts as dead, in whole seconds that divide a minute (cron)."""
    timeout = settings.PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]
    return max(s for s in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if s <= max(timeout, 1))


STALLED_WORKER_SECONDS = settings.PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]


@app.periodic(cron=f"* * * * * */{_stalled_check_seconds()}")  # 6th field: seconds
@app.task(
    name="jobs.stalled_retry",
    queueing_lock="jobs.stalled_retry",
    pass_context=True,
)
async def stalled_jobs_retry(context, timestamp: int) -> None:
    """Run again the jobs of workers that died (SIGKILL, lost machine) while running them: a
    worker whose heartbeat is older than `stalled_worker_timeout` is dead, and its jobs, still
    `doing`, would otherwise never run again. Every job of every queue (a delivery, an import
    chunk): at least once. A retried job keeps its lock and its place in front of later jobs."""
    job_manager = context.app.job_manager
    stalled = await job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_WORKER_SECONDS)
    for job in stalled:
        try:
            await job_manager.retry_job(job)
        except Exception:  # finished meanwhile, or retried by another worker: nothing to do
            logger.warning("stalled job %s could not be retried", job.id, exc_info=True)
            continue
        logger.warning("retried job %s (%s) of a dead worker", job.id, job.task_name)
