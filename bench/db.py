"""What the benchmarks share around the database: a PostgreSQL database of their own, Django
set up on it, a server-wide run lock, percentiles, the machine's load and a CPU reference.
"""

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def database_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def production_env(name: str, **overrides: str) -> dict[str, str]:
    """The environment of a benchmark's child process (gunicorn, a worker, manage.py): the
    production settings on database `name`, plus `overrides`."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="ordinavo.settings.production",
        DEBUG="false",
        SECRET_KEY="bench",  # noqa: S106 - a throw-away key for a throw-away database
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url(name),
        PYTHONUNBUFFERED="1",
        **overrides,
    )
    return env


def connect(dbname: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, **kwargs)


def admin_connection() -> psycopg.Connection:
    return connect("postgres", autocommit=True)


def database_drop(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def database_create(name: str) -> str:
    """A fresh, empty database (an old one of that name is dropped); returns the server version."""
    database_drop(name)
    with admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return conn.execute("SHOW server_version").fetchone()[0]


def django_setup(name: str, *, migrate: bool = False) -> None:
    """Django with the test settings on database `name` (call once, before anything of the apps
    is imported; `bench.app` resolves its names lazily for that reason); migrated if asked."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "ordinavo.settings.test"
    os.environ["DATABASE_URL"] = database_url(name)
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def run_lock(key: int) -> psycopg.Connection | None:
    """A session-level advisory lock on the server, held while the returned connection is open;
    None when another run holds it (a second run would drop the first one's database)."""
    conn = admin_connection()
    if conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:
        return conn
    conn.close()
    return None


def percentile(values, p: float) -> float:
    """The p-th percentile, interpolated between the two nearest ranks."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_reference_ms() -> float:
    """The best of five timings of a fixed single-threaded Python workload (JSON and dicts, like a
    request's), in ms. It makes figures from different machines, or different days of the same
    virtual machine, comparable: the same code measured here varied threefold between sessions."""
    document = [{"externalId": f"T-{n}", "fields": {"a": n, "b": [n] * 5}} for n in range(2000)]
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(10):
            decoded = json.loads(json.dumps(document))
            sorted(decoded, key=lambda item: item["externalId"])
        best = min(best, time.perf_counter() - started)
    return best * 1000


@dataclass(frozen=True)
class CpuTimes:
    """The machine's CPU time counters (/proc/stat, in clock ticks), to tell afterwards how much
    of the run the hypervisor gave to other guests (steal)."""

    total: int
    steal: int
    # user, nice, system, irq and softirq: what every process of the machine ran
    busy: int = 0

    @classmethod
    def now(cls) -> "CpuTimes | None":
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path("/proc/stat").read_text().splitlines()[0].split()
            # cpu user nice system idle iowait irq softirq steal guest guest_nice
            ticks = [int(value) for value in fields[1:9]]
            busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
            return cls(total=sum(ticks), steal=ticks[7], busy=busy)
        return None

    def busy_seconds_since(self, earlier: "CpuTimes") -> float:
        """CPU seconds the machine's processes ran since `earlier` (all of them: server,
        workers, PostgreSQL and the load generator alike)."""
        return (self.busy - earlier.busy) / os.sysconf("SC_CLK_TCK")

    def busy_percent_since(self, earlier: "CpuTimes") -> float:
        elapsed = self.total - earlier.total
        return 100 * (self.busy - earlier.busy) / elapsed if elapsed else 0.0

    def steal_percent_since(self, earlier: "CpuTimes") -> float:
        elapsed = self.total - earlier.total
        return 100 * (self.steal - earlier.steal) / elapsed if elapsed else 0.0


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"
