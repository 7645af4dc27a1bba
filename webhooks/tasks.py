"""Worker tasks of the webhooks app (procrastinate discovers `tasks` modules)."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from procrastinate import RetryDecision
from procrastinate.contrib.django import app
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from .delivery import lane_send, lanes_with_due_deliveries
from .outbox import SEND_QUEUE, SEND_TASK, lanes_request

logger = logging.getLogger(__name__)


class SendRetryStrategy(BaseRetryStrategy):
    """A send run that lost its database connection runs again (a few seconds later, a few
    times); any other exception is a bug that a retry would only repeat. Failed attempts are no
    exceptions: they are recorded on their deliveries, and `retries_due` asks for the runs that
    send them again."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, OperationalError | InterfaceError) and job.attempts < 10:
            return RetryDecision(retry_in={"seconds": 5})
        return None


@app.task(name=SEND_TASK, queue=SEND_QUEUE, retry=SendRetryStrategy())
def send(tenant_id: int, endpoint_id: int, lane: int) -> None:
    """A send run of one lane of an endpoint (webhooks.delivery.lane_send); when it hands on
    before its lane is empty, the next run is asked for."""
    if not lane_send(tenant_id=tenant_id, endpoint_id=endpoint_id, lane=lane):
        with transaction.atomic():
            lanes_request(lanes=[(tenant_id, endpoint_id, lane)])


@app.periodic(cron="* * * * * *")  # every second (6th field: seconds)
@app.task(name="webhooks.retries_due", queue=SEND_QUEUE, queueing_lock="webhooks.retries_due")
def retries_due(timestamp: int) -> int:
    """Ask for the send runs of the lanes that have deliveries due but perhaps no run coming:
    retries whose time has come, and deliveries left by a run that ended early (an unreachable
    endpoint) or failed. A lane whose run is asked for already costs a shared lock. Returns how
    many lanes it looked at."""
    lanes = lanes_with_due_deliveries()
    if lanes:
        with transaction.atomic():
            lanes_request(lanes=lanes)
    return len(lanes)


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
