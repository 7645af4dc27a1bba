"""Real worker processes (`manage.py procrastinate worker`) on the test database, for tests that
need them to run, be killed (SIGKILL) and be replaced: the fixture `worker_start` (registered in
tests/conftest.py)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.database import current_database_url

ROOT = Path(__file__).resolve().parents[1]


# --- workers -------------------------------------------------------------------------------------

# A dead worker is noticed within about 2 s: heartbeat every 0.5 s, stalled after 2 s (the
# stalled-jobs task then runs every 2 s). Retried jobs are polled for every 0.5 s.
WORKER_ENV = {
    "DJANGO_SETTINGS_MODULE": "ordinavo.settings.test",
    "WORKER_HEARTBEAT_SECONDS": "0.5",
    "WORKER_STALLED_SECONDS": "2",
    "PYTHONUNBUFFERED": "1",
    "LOG_LEVEL": "INFO",
    "WORKER_LOG_LEVEL": "INFO",  # the tests read what the worker did from its log
}
WORKER_START_TIMEOUT = 60


def procrastinate_reset() -> None:
    """procrastinate's tables are not flushed between tests (unmanaged models)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_workers RESTART IDENTITY CASCADE"
        )


def last_worker_id() -> int:
    """The id of the last worker that registered (0: none). A new worker registers with a higher
    one; counting rows would not do, as a starting worker may prune a dead one's row."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        return cursor.fetchone()[0]


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no chance to finish or hand back its jobs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def worker_start(transactional_db, tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start worker processes on the test database: `worker_start()` returns once the worker
    registered itself. A worker that cannot start fails the test (never skips it)."""
    procrastinate_reset()
    started: list[Worker] = []
    env = {**os.environ, **WORKER_ENV, "DATABASE_URL": current_database_url()}

    def start(*, concurrency: int | None = None) -> Worker:
        before = last_worker_id()
        log_path = tmp_path / f"worker-{len(started)}.log"
        command = [
            sys.executable,
            "manage.py",
            "procrastinate",
            "worker",
            "--fetch-job-polling-interval",
            "0.5",
        ]
        if concurrency:
            command += ["--concurrency", str(concurrency)]
        with log_path.open("w") as log:
            process = subprocess.Popen(  # noqa: S603 (our own command line)
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        worker = Worker(process=process, log_path=log_path)
        started.append(worker)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while last_worker_id() <= before:
            if process.poll() is not None:
                pytest.fail(f"the worker exited ({process.returncode}):\n{worker.log()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the worker did not start in {WORKER_START_TIMEOUT} s:\n{worker.log()}"
                )
            time.sleep(0.1)
        return worker

    yield start
    for worker in started:
        worker.stop()
    procrastinate_reset()
