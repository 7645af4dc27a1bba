"""Import throughput benchmark: the inbound API under gunicorn on PostgreSQL, end to end.

    .venv/bin/python -m bench.import_throughput            # what `make bench` runs
    .venv/bin/python -m bench.import_throughput --profile  # then profile the same work in-process
    .venv/bin/python -m bench.import_throughput --webhooks compare  # with and without an endpoint

It creates its own database (`ordinavo_bench`, dropped again at the end), migrates it with the
production settings, creates an integration client and key with `create_integration_client`,
starts `gunicorn ordinavo.wsgi --workers 4` (the README's production command) on a free port
and measures, over HTTP, with 4 batch clients and 8 single-import clients at once:

1. new batches     - batches of 500 items, each with a new customer, location and contact
                     (every item must come back Imported / customerMapping Created);
2. known batches   - the same customers, locations and contacts with NEW target externalIds
                     (Imported / Mapped, and mapped to the very records phase 1 created);
3. re-sent batches - phase 1's bodies again, same target externalIds (Updated / Mapped);
4. single imports  - POST inbound/targets with a small known customer context (Imported / Mapped).

`--webhooks on` runs them with one webhook endpoint of the client subscribed to every event type
(the outbox records each event and defers its delivery in the import's transaction; no worker
runs, so nothing is sent). `--webhooks compare` runs the four phases in rounds, alternately
without and with that endpoint (off, on, on, off, ...: a trend in the machine's speed or the
tables' growth weighs on both alike), each round with records of its own, and prints both
figures per phase and their ratio (the target: with webhooks >= 80% of without). Every phase
also reports the server's CPU time per item (gunicorn's workers and their PostgreSQL backends,
from /proc): on a machine shared with other work the rates vary from round to round, the CPU
per item much less, and its ratio is the rate a CPU-bound server would keep.

It prints items/s (batches) or requests/s and latency percentiles next to the targets. A phase
starts no new request after --phase-budget seconds (default 25), so a slow server cannot make the
run take much longer than ~2 minutes; the rate is then over the requests sent.
It exits non-zero when any request or item did not come back as expected; a missed target is a
measurement, not a failure. gunicorn is always stopped and the database always dropped.

Only the standard library, psycopg and the project's own venv are used (no new dependencies).
"""

import argparse
import contextlib
import cProfile
import http.client
import io
import json
import logging
import os
import platform
import pstats
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from bench.data.imports import context_blocks, small_context, target_item
from bench.db import (
    PG_HOST,
    PG_PORT,
    CpuTimes,
    connect,
    cpu_reference_ms,
    database_create,
    database_drop,
    load_average,
    percentile,
    production_env,
)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
DB_NAME = "ordinavo_bench"
TENANT, CLIENT_NAME, SOURCE_SYSTEM = "bench", "Bench", "bench-erp"
BATCH_PATH = "/api/connect/v1/inbound/targets/batch"
SINGLE_PATH = "/api/connect/v1/inbound/targets"

# What we want to see on this (2-core) machine.
TARGET_NEW_ITEMS_PER_S = 2000
TARGET_KNOWN_ITEMS_PER_S = 3000
TARGET_SINGLE_PER_S = 200

REQUEST_TIMEOUT_S = 120
MAX_ERRORS_SHOWN = 10
RECORDS = ("customer", "location", "contact")


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int  # 0: no HTTP response at all
    body: bytes
    seconds: float
    error: str = ""


class Api:
    """Bearer-authenticated POSTs; one connection per thread (reopened when the server closes)."""

    def __init__(self, port: int, key: str, *, idempotency_keys: bool = False):
        self.port = port
        self.idempotency_keys = idempotency_keys
        self.headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
            self.local.conn = conn
        return conn

    def post(self, path: str, body: bytes) -> Reply:
        start = time.perf_counter()
        try:
            conn = self._connection()
            headers = self.headers
            if self.idempotency_keys:  # a new key per request, as a careful client sends
                headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return Reply(response.status, data, time.perf_counter() - start)
        except (OSError, http.client.HTTPException) as exc:
            self.local.conn = None
            return Reply(0, b"", time.perf_counter() - start, error=repr(exc))

    def get(self, path: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            return conn.getresponse().status
        finally:
            conn.close()


def run_concurrently(
    api: Api, path: str, bodies: list[bytes], concurrency: int, budget: float | None = None
) -> tuple[list[Reply | None], float]:
    """POST the bodies, `concurrency` at a time; the replies in order and the wall time.

    No request is started once `budget` seconds have passed (its reply is None), so a slow
    server cannot stretch the run; requests already running are waited for.
    """
    start = time.perf_counter()
    deadline = start + budget if budget else float("inf")

    def send(body: bytes) -> Reply | None:
        if time.perf_counter() > deadline:
            return None
        return api.post(path, body)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        replies = list(pool.map(send, bodies))
    return replies, time.perf_counter() - start


# --- verification --------------------------------------------------------------------------------


@dataclass
class Expectation:
    item_status: str
    mapping_status: str
    action: str  # of customer, location and contact alike


@dataclass
class Check:
    errors: list[str] = field(default_factory=list)
    # target externalId -> (customerId, customerLocationId, customerContactId)
    ids: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict)

    def fail(self, message: str) -> None:
        self.errors.append(message)


def check_reply(check: Check, label: str, reply: Reply, sent: list[str], exp: Expectation) -> bool:
    """The reply is 200 and every item came back as expected, with all three records."""
    if reply.status != 200:
        detail = reply.error or reply.body[:300].decode("utf-8", "replace")
        check.fail(f"{label}: HTTP {reply.status}: {detail}")
        return False
    try:
        items = json.loads(reply.body)["items"]
    except (ValueError, KeyError, TypeError) as exc:
        check.fail(f"{label}: unreadable response ({exc!r})")
        return False
    ok = True
    if [i.get("externalId") for i in items] != sent:
        check.fail(f"{label}: response items do not match the request's externalIds")
        ok = False
    for item in items:
        mapping = item.get("customerMapping") or {}
        ids = (
            mapping.get("customerId"),
            mapping.get("customerLocationId"),
            mapping.get("customerContactId"),
        )
        check.ids[item.get("externalId")] = ids
        details = mapping.get("details") or {}
        actions = {record: (details.get(record) or {}).get("action") for record in RECORDS}
        problems = []
        if item.get("status") != exp.item_status:
            problems.append(f"status {item.get('status')!r}, expected {exp.item_status!r}")
        if mapping.get("status") != exp.mapping_status:
            problems.append(
                f"customerMapping.status {mapping.get('status')!r}, expected {exp.mapping_status!r}"
            )
        if mapping.get("warnings"):
            problems.append(f"warnings {mapping['warnings']}")
        if None in ids:
            problems.append(f"ids {ids}")
        if set(actions.values()) != {exp.action}:
            problems.append(f"actions {actions}, expected {exp.action}")
        if item.get("errors"):
            problems.append(f"errors {item['errors']}")
        if problems:
            check.fail(f"{label} item {item.get('externalId')}: {'; '.join(problems)}")
            ok = False
    return ok


def same_records(
    check: Check, name: str, created: dict[str, tuple], prefix: str, new_prefix: str = "JOB-NEW"
) -> None:
    """Known records must map to the very records the new-records phase created for them."""
    wrong = [
        external_id
        for external_id, ids in check.ids.items()
        if created.get(external_id.replace(prefix, new_prefix, 1)) != ids
    ]
    if wrong:
        check.fail(f"{name}: {len(wrong)} items mapped to other records than 'new' created")


# --- results -------------------------------------------------------------------------------------


def verdict(measured: float, target: float) -> str:
    return "MET" if measured >= target else f"MISSED ({measured / target:.0%} of target)"


@dataclass
class Phase:
    name: str
    unit: str  # what one request carries: "batch" or "request"
    planned: int  # requests planned
    replies: list[Reply]  # requests sent (the time budget may stop a phase early)
    items: int  # items in the requests sent
    wall: float
    check: Check
    ok: list[bool]  # per planned request: sent, 200 and every item as expected
    # CPU seconds the server (gunicorn's workers and their PostgreSQL backends) spent on it.
    server_cpu: float | None = None

    @property
    def items_per_s(self) -> float:
        return self.items / self.wall

    @property
    def requests_per_s(self) -> float:
        return len(self.replies) / self.wall

    def latency(self) -> str:
        ms = [r.seconds * 1000 for r in self.replies]
        return (
            f"latency per {self.unit}: p50 {percentile(ms, 50):,.1f} ms, "
            f"p95 {percentile(ms, 95):,.1f} ms, max {max(ms):,.1f} ms"
        )

    def print(self, note: str, *, target: float, per_request: bool = False) -> None:
        print(f"\n[{self.name}] {note}")
        if len(self.replies) < self.planned:
            kind = "batches" if self.unit == "batch" else "requests"
            print(
                f"  ! time budget reached: sent {len(self.replies)} of {self.planned} {kind}; "
                "the rate is over those sent"
            )
        if per_request:
            rate = self.requests_per_s
            print(
                f"  {len(self.replies)} requests in {self.wall:.2f} s -> {rate:,.0f} requests/s"
                f"   (target >= {target:,} /s: {verdict(rate, target)})"
            )
        else:
            rate = self.items_per_s
            print(
                f"  {len(self.replies)} batches, {self.items} items in {self.wall:.2f} s -> "
                f"{rate:,.0f} items/s   (target >= {target:,} items/s: {verdict(rate, target)})"
            )
        print(f"  {self.latency()}")
        if self.server_cpu is not None:
            per = "request" if per_request else "item"
            count = len(self.replies) if per_request else self.items
            print(
                f"  server CPU (gunicorn workers and their PostgreSQL backends): "
                f"{self.server_cpu * 1000 / count:,.3f} ms per {per}"
            )


def run_phase(
    name: str,
    unit: str,
    api: Api,
    path: str,
    requests: list[list[dict[str, Any]]],
    *,
    concurrency: int,
    expect: Expectation,
    budget: float,
    cpu: "ServerCpu | None" = None,
) -> Phase:
    """POST each request (a batch `{"items": [...]}`, or one target when `unit` is "request")
    and check every reply once the clock has stopped; with `cpu`, also measure the server's
    CPU time."""
    if unit == "batch":
        bodies = [json.dumps({"items": items}).encode() for items in requests]
    else:
        bodies = [json.dumps(items[0]).encode() for items in requests]
    cpu_before = cpu.snapshot() if cpu else None
    replies, wall = run_concurrently(api, path, bodies, concurrency, budget)
    server_cpu = cpu.since(cpu_before) if cpu and cpu_before is not None else None
    check = Check()
    ok = []
    for n, (items, reply) in enumerate(zip(requests, replies, strict=True)):
        sent = [item["externalId"] for item in items]
        ok.append(
            reply is not None and check_reply(check, f"{name} {unit} {n}", reply, sent, expect)
        )
    done = [(items, r) for items, r in zip(requests, replies, strict=True) if r is not None]
    return Phase(
        name=name,
        unit=unit,
        planned=len(requests),
        replies=[r for _, r in done],
        items=sum(len(items) for items, _ in done),
        wall=wall,
        check=check,
        ok=ok,
        server_cpu=server_cpu,
    )


class ServerCpu:
    """CPU time of the server under test: gunicorn's workers and the PostgreSQL backends
    connected to the benchmark's database (read from /proc: the server runs on this machine).
    Unlike rates, it hardly depends on what else the machine runs at the time."""

    def __init__(self, gunicorn_pid: int):
        self.gunicorn_pid = gunicorn_pid

    def _pids(self) -> list[int]:
        workers = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.gunicorn_pid:
                    workers.append(int(stat.parent.name))
        with connect(DB_NAME, autocommit=True) as conn:
            backends = [
                pid
                for (pid,) in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    [DB_NAME],
                )
            ]
        return workers + backends

    def snapshot(self) -> dict[int, float] | None:
        """CPU seconds per process; None when the server's processes cannot be read (PostgreSQL
        on another machine)."""
        cpu = {}
        for pid in self._pids():
            with contextlib.suppress(OSError):  # ended meanwhile
                cpu[pid] = _process_cpu_s(pid)
        return cpu or None

    def since(self, before: dict[int, float]) -> float | None:
        after = self.snapshot()
        if after is None:
            return None
        # A process that ended meanwhile is not counted; one that started, from zero.
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- environment: database, commands, gunicorn ---------------------------------------------------


def set_database(name: str) -> None:
    global DB_NAME  # one setting of the whole run, from its arguments
    DB_NAME = name


def django_env() -> dict[str, str]:
    return production_env(
        DB_NAME,
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        INBOUND_THROTTLE_RATE="1000000/min",
    )


def database_counts() -> dict[str, int]:
    tables = {
        "customers": "customers_customer",
        "locations": "customers_location",
        "contacts": "customers_contact",
        "targets": "inbound_target",
        "external references": "mapping_externalreference",
        "import items": "inbound_importitem",
        "webhook events": "webhooks_webhookevent",
        "webhook deliveries": "webhooks_webhookdelivery",
        "send-run jobs": "procrastinate_jobs",
    }
    with connect(DB_NAME) as conn:
        return {
            label: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for label, table in tables.items()
        }


def manage(*args: str) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=django_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(port: int, workers: int, log_path: Path) -> Iterator[subprocess.Popen]:
    """gunicorn for the duration of the block; stopped by its pid (SIGTERM, then SIGKILL)."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "ordinavo.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                # Leave the shared default control socket (~/.gunicorn) to other gunicorns.
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=django_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def wait_healthy(api: Api, process: subprocess.Popen, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if api.get("/healthz") == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer 200 within {timeout} s:\n{log_path.read_text()}")


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


# --- optional in-process profile -----------------------------------------------------------------


def profile_in_process(key: str, batch_size: int, lines: int) -> None:
    """One request of each kind through Django's test client in this process: first timed (with
    the CPU of this process and of its PostgreSQL backend measured apart), then again, with new
    IDs, under cProfile."""
    os.environ.update(django_env())
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    sys.path.insert(0, str(ROOT))
    import django  # only now that the environment is set

    django.setup()
    logging.disable(logging.WARNING)
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    def post(path: str, body: dict) -> None:
        response = client.post(path, body, "application/json")
        if response.status_code != 200:
            raise RuntimeError(f"profile request failed: {response.content[:500]!r}")

    def cases(base: int, tag: str) -> list[tuple[str, int, Callable[[], None]]]:
        # Record sets from `base` on are used by nobody else.
        new = [
            target_item(f"JOB-NEW-{tag}-{n:06d}", n, context=context_blocks(n))
            for n in range(base, base + batch_size)
        ]
        known = [{**i, "externalId": i["externalId"].replace("NEW", "KNOWN")} for i in new]
        singles = [
            target_item(f"JOB-SINGLE-{tag}-{n:06d}", n, context=small_context(base + n % 20))
            for n in range(100)
        ]
        return [
            ("new batch", len(new), lambda: post(BATCH_PATH, {"items": new})),
            ("known batch", len(known), lambda: post(BATCH_PATH, {"items": known})),
            ("re-sent batch", len(new), lambda: post(BATCH_PATH, {"items": new})),
            ("100 single imports", 100, lambda: [post(SINGLE_PATH, s) for s in singles]),
        ]

    post(SINGLE_PATH, target_item("JOB-WARM-PROFILE", 0, context={}))  # imports, connection
    print("\nIn-process profile (Django test client, no HTTP server; same settings and database)")
    print("  CPU of this process (Python) and of its PostgreSQL backend, read from /proc:")
    for name, items, run in cases(900_000, "T"):
        backend = _backend_pid(connection)
        python_before, backend_before = time.process_time(), _process_cpu_s(backend)
        start = time.perf_counter()
        run()
        total = time.perf_counter() - start
        python_cpu = time.process_time() - python_before
        backend_cpu = (
            _process_cpu_s(backend) - backend_before
            if _backend_pid(connection) == backend
            else None
        )
        postgres = (
            f"PostgreSQL {backend_cpu / items * 1e6:5.0f} us/item"
            if backend_cpu is not None
            else "PostgreSQL n/a (the connection was replaced)"
        )
        print(
            f"  {name:<19} {total * 1000:5.0f} ms wall = {total / items * 1e6:5.0f} us/item; "
            f"CPU: Python {python_cpu / items * 1e6:5.0f} us/item, {postgres}"
        )
    for name, _, run in cases(950_000, "P"):
        profiler = cProfile.Profile()
        profiler.runcall(run)
        stats = pstats.Stats(profiler)
        by_package: dict[str, float] = {}
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
            package = _package_of(filename)
            by_package[package] = by_package.get(package, 0.0) + tottime
        total = sum(by_package.values())
        shares = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
        print(f"\n=== cProfile: {name} ({total * 1000:.0f} ms under the profiler) ===")
        print("  own time by package: " + ", ".join(f"{p} {t / total:.0%}" for p, t in shares))
        for sort in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(lines)
            text = out.getvalue().replace(str(ROOT / ".venv") + "/", "").replace(f"{ROOT}/", "")
            rows = text.splitlines()
            header = next(i for i, line in enumerate(rows) if "ncalls" in line)
            print(f"  --- top {lines} by {sort} ---")
            print("\n".join(rows[header : header + lines + 1]))


def _backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (the benchmark's database server
    runs here), from /proc/<pid>/stat: fields 14 and 15, counted after the command name."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _package_of(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith(str(ROOT)):
        return filename[len(str(ROOT)) + 1 :].split("/", 1)[0]
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    return "stdlib"


# --- rounds, with and without a webhook endpoint ------------------------------------------------

PARKED_SOURCE_SYSTEM = "bench-parked"
PHASES = (  # name, target, per request
    ("new", TARGET_NEW_ITEMS_PER_S, False),
    ("known", TARGET_KNOWN_ITEMS_PER_S, False),
    ("re-sent", TARGET_KNOWN_ITEMS_PER_S, False),
    ("single", TARGET_SINGLE_PER_S, True),
)
# With one endpoint subscribed to everything, imports keep at least this share of their rate.
TARGET_WEBHOOKS_RATIO = 0.8


def round_plan(webhooks: str, pairs: int) -> list[bool]:
    """Per round, whether the endpoint is attached: one round for off and on; for compare,
    `pairs` pairs in ABBA order (off, on, on, off, ...), so a drift over the run (tables
    growing, other load) weighs on both sides alike."""
    if webhooks != "compare":
        return [webhooks == "on"]
    return [
        on for pair in range(pairs) for on in ((False, True) if pair % 2 == 0 else (True, False))
    ]


def endpoint_create(key: str) -> None:
    """One webhook endpoint, subscribed to every event type (none named), parked on a second
    client of the tenant until `endpoint_attach` moves it to the bench client."""
    manage(
        "create_integration_client",
        *("--tenant", TENANT, "--name", "Bench parked", "--source-system", PARKED_SOURCE_SYSTEM),
    )
    manage(
        "shell",
        "-c",
        "from inbound.models import IntegrationClient\n"
        "from webhooks.models import WebhookEndpoint\n"
        f"client = IntegrationClient.objects.get(source_system={PARKED_SOURCE_SYSTEM!r})\n"
        "WebhookEndpoint.objects.create(tenant=client.tenant, client=client, "
        "url='https://127.0.0.1:9/bench', secret='whsec_bench-not-a-secret')",
    )


def endpoint_attach(*, on: bool) -> None:
    """The endpoint on the bench client (on) or on the parked one (off): without it, the
    bench client has no endpoint, and the tables stay as large as they are."""
    source = SOURCE_SYSTEM if on else PARKED_SOURCE_SYSTEM
    with connect(DB_NAME, autocommit=True) as conn:
        conn.execute(
            "UPDATE webhooks_webhookendpoint SET client_id = "
            "(SELECT id FROM inbound_integrationclient WHERE source_system = %s)",
            [source],
        )


def run_round(
    api: Api, args: argparse.Namespace, number: int, cpu: ServerCpu | None = None
) -> dict[str, Phase]:
    """The four phases, on record sets and target externalIds of this round alone."""
    tag = f"-R{number}" if number else ""  # the first round's IDs as they always were
    base = number * args.batches * args.batch_size
    new_prefix, known_prefix = f"JOB-NEW{tag}", f"JOB-KNOWN{tag}"

    def bodies(prefix: str) -> list[list[dict[str, Any]]]:
        return [
            [
                target_item(f"{prefix}-{n:06d}", n, context=context_blocks(n))
                for n in range(base + b * args.batch_size, base + (b + 1) * args.batch_size)
            ]
            for b in range(args.batches)
        ]

    new_batches, known_batches = bodies(new_prefix), bodies(known_prefix)
    singles = [
        [
            target_item(
                f"JOB-SINGLE{tag}-{n:06d}",
                n,
                context=small_context(base + n % args.single_customers),
            )
        ]
        for n in range(args.singles)
    ]
    phases: dict[str, Phase] = {}
    budget = args.phase_budget
    new = phases["new"] = run_phase(
        "new", "batch", api, BATCH_PATH, new_batches,
        concurrency=args.batch_concurrency, budget=budget, cpu=cpu,
        expect=Expectation("Imported", "Created", "Created"),
    )  # fmt: skip
    new.print(
        "POST inbound/targets/batch; every item a new target with a new customer, "
        "location and contact -> Imported / Created",
        target=TARGET_NEW_ITEMS_PER_S,
    )
    # Only what 'new' created is known.
    created = [b for b, ok in enumerate(new.ok) if ok]
    known = phases["known"] = run_phase(
        "known", "batch", api, BATCH_PATH, [known_batches[b] for b in created],
        concurrency=args.batch_concurrency, budget=budget, cpu=cpu,
        expect=Expectation("Imported", "Mapped", "Mapped"),
    )  # fmt: skip
    same_records(known.check, "known", new.check.ids, known_prefix, new_prefix)
    known.print(
        "the same customer, location and contact blocks with NEW target externalIds "
        "-> Imported / Mapped (to the records 'new' created)",
        target=TARGET_KNOWN_ITEMS_PER_S,
    )
    resent = phases["re-sent"] = run_phase(
        "re-sent", "batch", api, BATCH_PATH, [new_batches[b] for b in created],
        concurrency=args.batch_concurrency, budget=budget, cpu=cpu,
        expect=Expectation("Updated", "Mapped", "Mapped"),
    )  # fmt: skip
    same_records(resent.check, "re-sent", new.check.ids, new_prefix, new_prefix)
    resent.print(
        "the 'new' batches again, SAME target externalIds -> Updated / Mapped",
        target=TARGET_KNOWN_ITEMS_PER_S,
    )
    if created and created[0] == 0:  # the singles' customers are in the round's first batch
        single = phases["single"] = run_phase(
            "single", "request", api, SINGLE_PATH, singles,
            concurrency=args.single_concurrency, budget=budget, cpu=cpu,
            expect=Expectation("Imported", "Mapped", "Mapped"),
        )  # fmt: skip
        single.print(
            "POST inbound/targets; a new target with a small known context "
            "(customer externalId and name, location and contact externalId; "
            f"{args.single_customers} customers) -> Imported / Mapped",
            target=TARGET_SINGLE_PER_S,
            per_request=True,
        )
    return phases


def _rate(phase: Phase, per_request: bool) -> float:
    return phase.requests_per_s if per_request else phase.items_per_s


def print_summary(phases: dict[str, Phase]) -> None:
    for name, target, per_request in PHASES:
        phase = phases.get(name)
        if phase is None:
            print(f"  {name:<8} not run")
            continue
        rate = _rate(phase, per_request)
        unit = "requests/s" if per_request else "items/s"
        print(
            f"  {name:<8} {rate:>7,.0f} {unit:<10}  target >= {target:>5,}  {verdict(rate, target)}"
        )


def pooled_rate(phases: list[Phase], per_request: bool) -> float:
    """The rate over several rounds of a phase: all their items (or requests) over all their
    time, so a round cut short by the budget weighs by what it did."""
    done = sum(len(p.replies) if per_request else p.items for p in phases)
    wall = sum(p.wall for p in phases)
    return done / wall if wall else 0.0


def pooled_cpu(phases: list[Phase], per_request: bool) -> float | None:
    """The server's CPU seconds per item (or request) over several rounds of a phase."""
    if any(p.server_cpu is None for p in phases):
        return None
    done = sum(len(p.replies) if per_request else p.items for p in phases)
    return sum(p.server_cpu for p in phases) / done if done else None


def print_comparison(rounds: list[tuple[bool, dict[str, Phase]]]) -> None:
    """Per phase, the pooled rate without and with webhooks, each round's, and their ratio; and
    the server's CPU per item on both sides, whose ratio is what the rate would be on a machine
    that ran nothing else (rates on a shared machine vary with its other load)."""
    print(
        f"  with one webhook endpoint subscribed to everything vs without "
        f"(target: >= {TARGET_WEBHOOKS_RATIO:.0%} of the rate without):"
    )
    for name, _, per_request in PHASES:
        sides = {
            on: [phases[name] for side, phases in rounds if side == on and name in phases]
            for on in (False, True)
        }
        if not sides[False] or not sides[True]:
            print(f"  {name:<8} not run on both sides")
            continue
        off, on = (pooled_rate(sides[side], per_request) for side in (False, True))
        unit = "requests/s" if per_request else "items/s"
        rounds_of = {
            side: "/".join(f"{_rate(p, per_request):,.0f}" for p in sides[side])
            for side in (False, True)
        }
        ratio = on / off if off else 0.0
        print(
            f"  {name:<8} without {off:>7,.0f}  with {on:>7,.0f} {unit:<10} -> {ratio:6.1%}  "
            f"{'MET' if ratio >= TARGET_WEBHOOKS_RATIO else 'MISSED'}   "
            f"(rounds: without {rounds_of[False]}; with {rounds_of[True]})"
        )
        cpu_off, cpu_on = (pooled_cpu(sides[side], per_request) for side in (False, True))
        if cpu_off and cpu_on:
            print(
                f"  {'':<8} server CPU per {'request' if per_request else 'item'}: without "
                f"{cpu_off * 1000:.3f} ms, with {cpu_on * 1000:.3f} ms -> the rate a CPU-bound "
                f"server keeps: {cpu_off / cpu_on:6.1%}"
            )


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--batches", type=int, default=16, help="batches per batch phase")
    parser.add_argument("--batch-size", type=int, default=500, help="items per batch")
    parser.add_argument("--batch-concurrency", type=int, default=4)
    parser.add_argument("--singles", type=int, default=2000, help="single import requests")
    parser.add_argument("--single-concurrency", type=int, default=8)
    parser.add_argument(
        "--single-customers", type=int, default=20, help="known customers the singles cycle through"
    )
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn workers (README: 4 in production)"
    )
    parser.add_argument(
        "--phase-budget",
        type=float,
        default=25,
        help="seconds after which a phase starts no more requests (keeps the run bounded)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="afterwards, profile each kind in-process"
    )
    parser.add_argument("--profile-lines", type=int, default=20)
    parser.add_argument(
        "--idempotency-keys",
        action="store_true",
        help="send every import with a new Idempotency-Key (the key's reservation and stored "
        "answer are then part of each request)",
    )
    parser.add_argument(
        "--webhooks",
        choices=("off", "on", "compare"),
        default="off",
        help="off: no webhook endpoint (the default); on: one endpoint of the client subscribed "
        "to every event type; compare: rounds without and with it, both figures and the ratio",
    )
    parser.add_argument(
        "--pairs", type=int, default=2, help="--webhooks compare: pairs of rounds (off+on)"
    )
    parser.add_argument(
        "--database",
        default=DB_NAME,
        help="the benchmark's own database (created and dropped): give another name to run "
        "beside another benchmark on the same server",
    )
    args = parser.parse_args()
    set_database(args.database)
    if not 1 <= args.single_customers <= args.batch_size:
        parser.error("--single-customers must be between 1 and --batch-size")

    print("Ordinavo Connect - import throughput benchmark")
    print(
        f"  machine: nproc {os.cpu_count()}, {cpu_model()}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    print(f"  before the run: {load_average()}")
    if os.getloadavg()[0] > 0.5:
        print("  ! the machine is busy: figures will be lower than on an idle machine")
    print(
        f"  CPU reference: {cpu_reference_ms():.0f} ms for a fixed Python workload (lower is "
        "faster; compare it before comparing figures from different machines or days)"
    )
    started = time.perf_counter()
    cpu_times_before = CpuTimes.now()
    server_version = database_create(DB_NAME)
    rounds: list[tuple[bool, dict[str, Phase]]] = []  # (webhooks on, phases) per round
    failures = 0
    try:
        manage("migrate", "--noinput")
        key = (
            manage(
                "create_integration_client",
                *("--tenant", TENANT, "--name", CLIENT_NAME, "--source-system", SOURCE_SYSTEM),
                "--allow-contact-create",
            )
            .strip()
            .splitlines()[-1]
        )
        port = free_port()
        print(
            f"  PostgreSQL {server_version} at {PG_HOST}:{PG_PORT}, database {DB_NAME} "
            "(created and migrated now, dropped at the end)"
        )
        print(
            f"  server: gunicorn ordinavo.wsgi --workers {args.workers} (sync) on "
            f"127.0.0.1:{port}; ordinavo.settings.production, DEBUG=false, "
            f"CONN_MAX_AGE={os.environ.get('CONN_MAX_AGE', '60 (default)')}, "
            "INBOUND_THROTTLE_RATE=1000000/min"
        )
        if (ROOT / ".env").exists():
            print("  ! a .env file exists: settings it holds apply unless set above")
        print(
            f"  client: tenant {TENANT!r}, source system {SOURCE_SYSTEM!r}, strategy "
            "ExternalIdFirst, --allow-contact-create, default scopes (with customers.read)"
        )
        print(
            f"  load: {args.batches} batches x {args.batch_size} items per batch phase, "
            f"{args.batch_concurrency} concurrent; {args.singles} single imports, "
            f"{args.single_concurrency} concurrent; at most {args.phase_budget:g} s of new "
            "requests per phase; the load generator shares this machine's CPUs"
            + ("; every import with a new Idempotency-Key" if args.idempotency_keys else "")
        )

        if args.webhooks != "off":
            endpoint_create(key)
        plan = round_plan(args.webhooks, args.pairs)
        if args.webhooks != "off":
            print(
                "  webhooks: one endpoint of the client, subscribed to every event type (no "
                "worker runs: deliveries are deferred, not sent); rounds: "
                + ", ".join("on" if on else "off" for on in plan)
            )

        with tempfile.TemporaryDirectory(prefix="ordinavo-bench-") as tmp:
            log_path = Path(tmp) / "gunicorn.log"
            with gunicorn(port, args.workers, log_path) as process:
                api = Api(port, key, idempotency_keys=args.idempotency_keys)
                wait_healthy(api, process, log_path)
                cpu = ServerCpu(process.pid)
                # Warm-up, not measured: every worker imports its views and opens its connection.
                warm = [
                    json.dumps(target_item(f"JOB-WARM-{n}", n, context={})).encode()
                    for n in range(4 * args.workers)
                ]
                warm_replies, _ = run_concurrently(api, SINGLE_PATH, warm, 2 * args.workers)
                if any(r is None or r.status != 200 for r in warm_replies):
                    raise RuntimeError(f"warm-up failed:\n{log_path.read_text()[-3000:]}")

                for number, webhooks_on in enumerate(plan):
                    if args.webhooks != "off":
                        endpoint_attach(on=webhooks_on)
                        print(
                            f"\n=== round {number + 1} of {len(plan)}: webhooks "
                            + ("ON (one endpoint, every event type)" if webhooks_on else "OFF")
                        )
                    rounds.append((webhooks_on, run_round(api, args, number, cpu)))
                if process.poll() is not None:
                    print(f"\n! gunicorn died during the run (exit {process.returncode})")
                    failures += 1
                errors = [
                    e
                    for _, phases in rounds
                    for phase in phases.values()
                    for e in phase.check.errors
                ]
                failures += len(errors)
                if errors:
                    print(f"\nFAILED: {len(errors)} unexpected responses or items; the first:")
                    for error in errors[:MAX_ERRORS_SHOWN]:
                        print(f"  - {error[:400]}")
                if failures:
                    print(f"\ngunicorn log (last lines):\n{log_path.read_text()[-3000:]}")

        counts = database_counts()
        print("\n  rows afterwards: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if args.webhooks != "off":
            # What the imports with the endpoint announced: a new target each (new, known,
            # single); the re-sent targets are unchanged, so nothing.
            expected = sum(
                sum(phases[name].items for name in ("new", "known", "single") if name in phases)
                for on, phases in rounds
                if on
            )
            recorded = counts["webhook events"]
            # No worker runs: each lane of the endpoint asked for its run once, and every later
            # import found that request (WEBHOOK_LANES_PER_ENDPOINT, 4 by default).
            ok = recorded == expected == counts["webhook deliveries"] and (
                1 <= counts["send-run jobs"] <= 4
            )
            print(
                f"  webhook events recorded: {recorded:,}, expected {expected:,} (a delivery "
                f"each; a send-run job per lane, at most 4): {'as expected' if ok else 'WRONG'}"
            )
            failures += not ok
        if args.profile:
            profile_in_process(key, args.batch_size, args.profile_lines)
    finally:
        database_drop(DB_NAME)

    print(
        f"\nSummary ({time.perf_counter() - started:.0f} s in all; now "
        f"{load_average()}; database {DB_NAME} dropped)"
    )
    if args.webhooks == "compare":
        print_comparison(rounds)
    else:
        print_summary(rounds[0][1] if rounds else {})
    cpu_times_after = CpuTimes.now()
    if cpu_times_before and cpu_times_after:
        steal = cpu_times_after.steal_percent_since(cpu_times_before)
        print(f"  CPU steal during the run: {steal:.1f}% (time the hypervisor gave other guests)")
    print("  responses: " + ("all as expected" if not failures else f"{failures} FAILED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
