"""The processes: `make run` serves the app and one worker together (Procfile.dev under honcho,
both stopped by Ctrl-C), `make worker` runs a worker alone, and the production Procfile lists
web, worker and importer."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from django.db import connection
from honcho.environ import parse_procfile
from procrastinate.contrib.django import app as procrastinate_app

from bench.async_import import IMPORTER_OPTIONS
from inbound.async_imports import IMPORT_QUEUE

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 90


def _procfile(name: str) -> dict[str, str]:
    return dict(parse_procfile((ROOT / name).read_text()).processes)


def _queues(command: str) -> set[str]:
    return set(command.split("--queues ", 1)[1].split()[0].split(","))


def test_the_production_procfile_lists_web_worker_and_importer():
    processes = _procfile("Procfile")

    assert list(processes) == ["web", "worker", "importer"]
    assert ".venv/bin/gunicorn ordinavo.wsgi" in processes["web"]
    for name in ("worker", "importer"):
        assert "manage.py procrastinate worker" in processes[name]
        # manage.py defaults to the local settings; a production worker must not.
        assert "ordinavo.settings.production" in processes[name]
    # Import chunks one at a time per process, on importers only.
    assert _queues(processes["importer"]) == {IMPORT_QUEUE}
    # As bench/async_import.py runs the importers.
    assert " ".join(IMPORTER_OPTIONS) in processes["importer"]
    assert IMPORT_QUEUE not in _queues(processes["worker"])


def test_the_production_workers_listen_to_every_queue_a_task_is_on():
    processes = _procfile("Procfile")
    task_queues = {task.queue for task in procrastinate_app.tasks.values()}

    assert task_queues <= _queues(processes["worker"]) | _queues(processes["importer"])


def test_make_run_and_make_worker_go_through_devdb():
    dry_run = subprocess.run(
        ["make", "-n", "run", "worker"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    run_line = next(line for line in dry_run.splitlines() if "honcho" in line)
    worker_line = next(line for line in dry_run.splitlines() if "procrastinate worker" in line)
    assert "-m ordinavo.devdb" in run_line
    assert "-f Procfile.dev start" in run_line
    assert "-m ordinavo.devdb" in worker_line
    assert list(_procfile("Procfile.dev")) == ["web", "worker"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _workers_after(worker_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM procrastinate_workers WHERE id > %s", [worker_id])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_procfile_dev_serves_the_app_and_a_worker_and_ctrl_c_stops_both(tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        (last_worker,) = cursor.fetchone()
    port = _free_port()
    log = (tmp_path / "honcho.log").open("w")
    honcho = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/honcho"), "-f", "Procfile.dev", "start", "--port", str(port)],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": _database_url(),  # the test database: both processes on it
            "DJANGO_SETTINGS_MODULE": "ordinavo.settings.test",
            "HOST": "127.0.0.1",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (_healthy(port) and _workers_after(last_worker)):
            assert honcho.poll() is None, (tmp_path / "honcho.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "honcho.log").read_text()
            time.sleep(0.5)
        started = psutil.Process(honcho.pid).children(recursive=True)
        commands = [" ".join(p.cmdline()) for p in started]
        assert any("runserver" in c for c in commands)
        assert any("procrastinate worker" in c for c in commands)

        os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
        honcho.wait(timeout=30)
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
        log.close()

    _gone, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []  # no orphan: web, its autoreloader child and the worker all ended
    assert not _healthy(port)
    assert _workers_after(last_worker) == []  # the worker left the pool cleanly
