"""Webhook delivery benchmark (SPEC §7; the figures of issue #14), on PostgreSQL with a real
worker process and a receiver process on loopback.

    .venv/bin/python -m bench.webhooks                  # what `make bench-webhooks` runs
    .venv/bin/python -m bench.webhooks --rate-events 1000 --faulty-targets 400   # a short run

It creates its own database (`ordinavo_webhooks_bench`, dropped again at the end), migrates it
with the production settings, starts a receiver (an asyncio HTTP/1.1 server with keep-alive, in a
process of its own) and ONE worker process (`manage.py procrastinate worker`, the production
settings, default concurrency; plain HTTP and loopback allowed), and measures:

a. delivery rate: --rate-events events (each of its own target) committed while the worker is
   stopped, then delivered by the worker; the rate from the receiver's first to its last
   request. The reference is a plain loop in this process that POSTs the same signed payloads
   (same bytes and headers) to the same receiver with the same HTTP client (urllib3, one kept
   connection), run before and after the worker; the target is worker >= 50% of the reference.
b. commit-to-first-attempt latency when idle: --latency-events single events, each committed on
   its own (0.2 s apart); the time from COMMIT to the receiver reading the request (same clock);
   target p95 <= 1 s (procrastinate's LISTEN/NOTIFY wakes the worker).
c. at-least-once under failures: --faulty-targets targets x --events-per-target events (10,000 by
   default), committed in one transaction, to a receiver that fails 30% of the attempts at random
   (HTTP 500); the receiver counts the webhook-ids it answered 2xx. Every event must be delivered
   exactly once successfully, unless it was given up after 8 failed attempts (expected:
   events x 0.3^8, about 0.66 of 10,000: the retry schedule's length is the product's), and no
   attempt of an event may reach the receiver before the target's earlier events were delivered
   or given up. The worker runs with a SHORTENED retry schedule (--retry-schedule, 0.5, 1, 2, 4,
   8, 8, 8 s: the product's 7 retries, in seconds instead of up to 10 hours); retries come due
   through webhooks.retries_due, every second, which asks for their lanes' send runs (phases a
   and b do not depend on either: nothing fails there, and new jobs wake the worker by
   LISTEN/NOTIFY).

After committing the events of a and c, it runs ANALYZE procrastinate_jobs, as autovacuum does
within a minute in production (--no-analyze: not; see jobs_analyze for why it matters).

It exits non-zero when an event is lost, delivered twice successfully, or out of order; a missed
figure is a measurement, not a failure. Only the standard library, psycopg, urllib3 and orjson of
the project's venv are used.
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.db import (
    CpuTimes,
    cpu_reference_ms,
    database_create,
    database_drop,
    django_setup,
    load_average,
    percentile,
    production_env,
    run_lock,
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DB_NAME = "ordinavo_webhooks_bench"
RUN_LOCK_KEY = 0x0B0E_0014  # one run at a time on the server: a second one would drop our database
PRODUCT_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
BENCH_SCHEDULE = "0.5,1,2,4,8,8,8"
POLLING_SECONDS = 0.5  # procrastinate's default: 5 s, as long as the product's first retry
FAIL_RATE = 0.3

TARGET_RATIO = 0.5
TARGET_LATENCY_P95_S = 1.0


# --- the receiver (a process of its own) ---------------------------------------------------------


class ReceiverServer:
    """Answers POST /hook with 200, or with 500 for a `fail_rate` share of the attempts (seeded);
    POST /ref always 200. Logs every request of /hook: (time, webhook-id, status, target,
    sequence). /control/reset and /control/log manage the log."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, int, int | None, int | None]] = []
        self.fail_rate = 0.0
        self.rng = random.Random(0)
        self.ref_count = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import orjson

        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                method, path, _ = lines[0].split(b" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(b":")
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get(b"content-length", b"0"))
                body = await reader.readexactly(length) if length else b""
                now = time.time()
                status, answer = 200, b""
                if path == b"/hook":
                    if self.fail_rate and self.rng.random() < self.fail_rate:
                        status = 500
                    data = orjson.loads(body)["data"]
                    target = (data.get("target") or {}).get("id")
                    webhook_id = headers.get(b"webhook-id", b"").decode()
                    self.log.append((now, webhook_id, status, target, data.get("sequence")))
                elif path == b"/ref":
                    self.ref_count += 1
                elif path == b"/control/reset":
                    options = orjson.loads(body or b"{}")
                    self.log, self.ref_count = [], 0
                    self.fail_rate = float(options.get("fail_rate", 0.0))
                    self.rng = random.Random(options.get("seed", 0))
                elif path == b"/control/count":
                    answer = orjson.dumps({"hook": len(self.log), "ref": self.ref_count})
                elif path == b"/control/log":
                    answer = orjson.dumps(self.log)
                else:
                    status = 404
                reason = b"OK" if status == 200 else b"Error"
                writer.write(
                    b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\nContent-Type: application/json\r\n"
                    b"\r\n%s" % (status, reason, len(answer), answer)
                )
                if writer.transport.get_write_buffer_size() > 65536:
                    await writer.drain()
                del method
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def serve(self) -> None:
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        print(f"ready {port}", flush=True)
        async with server:
            await server.serve_forever()


def receiver_main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(ReceiverServer().serve())


# --- the worker (a process of its own) -----------------------------------------------------------


def worker_main(schedule: str, polling: str) -> None:
    """`manage.py procrastinate worker`, with the retry schedule set first (settings are read
    when deciding a retry) and a shorter polling interval (how soon a due retry, or the next
    event of a target, is seen when no new job wakes the worker): all that differs from
    production's worker."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import execute_from_command_line

    settings.WEBHOOK_RETRY_SCHEDULE = [float(s) for s in schedule.split(",")]
    execute_from_command_line(
        ["manage.py", "procrastinate", "worker", "--fetch-job-polling-interval", polling]
    )


# --- processes -----------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    return production_env(
        DB_NAME, WEBHOOK_ALLOW_HTTP="true", WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8"
    )


def manage(*args: str) -> None:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def receiver_process() -> Iterator[int]:
    process = subprocess.Popen(
        [PYTHON, "-m", "bench.webhooks", "receiver"],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError("the receiver did not start")
        yield int(line[1])
    finally:
        stop(process)


class Worker:
    def __init__(self, log_path: Path, schedule: str) -> None:
        self.log_path = log_path
        self.schedule = schedule
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM procrastinate_workers")
            before = cursor.fetchone()[0]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "bench.webhooks",
                    "worker",
                    "--retry-schedule",
                    self.schedule,
                    "--fetch-job-polling-interval",
                    str(POLLING_SECONDS),
                ],
                cwd=ROOT,
                env=child_env(),  # LOG_LEVEL as in production: INFO unless set
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM procrastinate_workers")
                if cursor.fetchone()[0] > before:
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


# --- the receiver's control API and the reference loop -------------------------------------------


class ReceiverClient:
    def __init__(self, port: int) -> None:
        import urllib3

        self.pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False)

    def call(self, path: str, payload: dict | None = None):
        response = self.pool.urlopen(
            "POST", path, body=json.dumps(payload or {}).encode(), redirect=False
        )
        return json.loads(response.data) if response.data else None

    def reset(self, *, fail_rate: float = 0.0, seed: int = 1) -> None:
        self.call("/control/reset", {"fail_rate": fail_rate, "seed": seed})

    def count(self) -> dict:
        return self.call("/control/count")

    def log(self) -> list:
        return self.call("/control/log")

    def wait_for(self, n: int, worker: Worker, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count()["hook"] < n:
            worker.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the receiver got {self.count()['hook']} of {n} in {timeout} s")
            time.sleep(0.05)


def reference_loop(port: int, payloads: list[tuple[bytes, dict]]) -> float:
    """A plain loop POSTing the signed payloads with urllib3 over one kept connection; per s."""
    import urllib3

    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False)
    started = time.perf_counter()
    for body, headers in payloads:
        response = pool.urlopen(
            "POST", "/ref", body=body, headers=headers, redirect=False, preload_content=False
        )
        response.read()
        response.release_conn()
        if response.status != 200:
            raise RuntimeError(f"reference POST answered {response.status}")
    return len(payloads) / (time.perf_counter() - started)


# --- data ----------------------------------------------------------------------------------------


@dataclass
class Fixture:
    tenant: object
    client: object
    endpoint: object


def fixture_create(port: int) -> Fixture:
    import base64
    import secrets

    from inbound.models import IntegrationClient
    from tenants.models import Tenant
    from webhooks.models import WebhookEndpoint

    tenant = Tenant.objects.create(slug="bench-webhooks", name="Bench Webhooks")
    client = IntegrationClient.objects.create(
        tenant=tenant, name="Bench", source_system="bench-erp"
    )
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        client=client,
        url=f"http://127.0.0.1:{port}/hook",
        secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
    )
    return Fixture(tenant, client, endpoint)


def events_commit(
    fixture: Fixture, targets_and_sequences: list[tuple[int, int]], *, status: str = "Pending"
) -> list:
    """Events of target.updated with their deliveries and the send runs of their lanes asked
    for, in one transaction (as the outbox writes them); the deliveries, with their events."""
    from django.db import transaction

    from webhooks.models import WebhookDelivery, WebhookEvent, delivery_lane
    from webhooks.outbox import deliveries_queue

    with transaction.atomic():
        events = WebhookEvent.objects.bulk_create(
            [
                WebhookEvent(
                    tenant=fixture.tenant,
                    client=fixture.client,
                    type="target.updated",
                    target_id=target,
                    sequence=sequence,
                    payload={
                        "target": {"id": target, "externalId": f"JOB-{target}", "title": "Visit"},
                        "sequence": sequence,
                        "customerContext": {"customer": {"id": 1, "name": "Bench GmbH"}},
                    },
                )
                for target, sequence in targets_and_sequences
            ],
            batch_size=2000,
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    tenant=fixture.tenant,
                    event=event,
                    endpoint=fixture.endpoint,
                    status=status,
                    target_id=event.target_id,
                    lane=delivery_lane(target_id=event.target_id, event_id=event.pk),
                )
                for event in events
            ],
            batch_size=2000,
        )
        deliveries_queue(deliveries=deliveries)
    return deliveries


def signed_payloads(fixture: Fixture, deliveries: list) -> list[tuple[bytes, dict]]:
    """What the worker sends for these deliveries: the same envelope and signature code."""
    from django.utils import timezone

    from webhooks.payloads import endpoint_view
    from webhooks.signing import envelope_body, signature_headers

    now = timezone.now()
    payloads = []
    for delivery in deliveries:
        event = delivery.event
        data = endpoint_view(event.payload, event_type=event.type, endpoint=fixture.endpoint)
        body = envelope_body(event=event, data=data)
        headers = signature_headers(event=event, endpoint=fixture.endpoint, body=body, sent_at=now)
        payloads.append((body, {**headers, "Content-Type": "application/json"}))
    return payloads


def jobs_analyze() -> None:
    """Statistics of procrastinate_jobs after a burst, as autovacuum gathers them within a
    minute in production. On a table never analyzed, PostgreSQL plans procrastinate's fetch
    (procrastinate_fetch_job_v2) as a sort of every job to do, each checked for its lock: ~300 ms
    per fetch with 10,000 jobs queued here, instead of ~1 ms."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE procrastinate_jobs")


def pending_count() -> int:
    from webhooks.models import WebhookDelivery

    return WebhookDelivery.objects.filter(status="Pending").count()


# --- phases --------------------------------------------------------------------------------------


def phase_rate(args, fixture: Fixture, port: int, receiver: ReceiverClient, worker: Worker) -> dict:
    print(f"\n[a] delivery rate: {args.rate_events:,} events, each of its own target")
    deliveries = events_commit(fixture, [(1_000_000 + n, 1) for n in range(args.rate_events)])
    if args.analyze:
        jobs_analyze()
    payloads = signed_payloads(fixture, deliveries)
    reference_loop(port, payloads[:200])  # warm-up
    before = reference_loop(port, payloads)
    receiver.reset()
    started = time.perf_counter()
    worker.start()
    receiver.wait_for(args.rate_events, worker, timeout=600)
    done = time.perf_counter() - started
    log = receiver.log()
    times = sorted(entry[0] for entry in log)
    rate = (len(times) - 1) / (times[-1] - times[0])
    while pending_count():  # the last records committed
        time.sleep(0.05)
    after = reference_loop(port, payloads)
    reference = (before + after) / 2
    ratio = rate / reference
    print(
        f"  plain loop (urllib3, one connection, same signed payloads): {before:,.0f} events/s "
        f"before, {after:,.0f} after the worker -> reference {reference:,.0f} events/s"
    )
    print(
        f"  one worker process (concurrency {args.concurrency}): {rate:,.0f} events/s from "
        f"the first to the last request ({done:.1f} s from the worker's start, start-up included)"
    )
    verdict = "MET" if ratio >= TARGET_RATIO else "MISSED"
    print(f"  ratio worker / plain loop: {ratio:.0%}   (target >= {TARGET_RATIO:.0%}: {verdict})")
    return {"worker": rate, "reference": reference, "ratio": ratio}


def phase_latency(args, fixture: Fixture, receiver: ReceiverClient, worker: Worker) -> dict:
    print(f"\n[b] commit-to-first-attempt latency, idle: {args.latency_events} events one by one")
    receiver.reset()
    committed: dict[str, float] = {}
    for n in range(args.latency_events):
        (delivery,) = events_commit(fixture, [(2_000_000 + n, 1)])
        committed[delivery.event.message_id] = time.time()
        time.sleep(0.2)
    receiver.wait_for(args.latency_events, worker, timeout=60)
    first_seen: dict[str, float] = {}
    for at, webhook_id, *_ in receiver.log():
        first_seen.setdefault(webhook_id, at)
    latencies = [(first_seen[m] - t) * 1000 for m, t in committed.items()]
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    verdict = "MET" if p95 <= TARGET_LATENCY_P95_S * 1000 else "MISSED"
    print(
        f"  p50 {p50:,.0f} ms, p95 {p95:,.0f} ms, max {max(latencies):,.0f} ms   "
        f"(target p95 <= {TARGET_LATENCY_P95_S * 1000:,.0f} ms: {verdict})"
    )
    return {"p50_ms": p50, "p95_ms": p95}


def phase_faulty(args, fixture: Fixture, receiver: ReceiverClient, worker: Worker) -> dict:
    from webhooks.models import WebhookDelivery

    targets, per_target = args.faulty_targets, args.events_per_target
    total = targets * per_target
    print(
        f"\n[c] {total:,} events ({targets:,} targets x {per_target}) to a receiver failing "
        f"{FAIL_RATE:.0%} of attempts at random; retry schedule {args.retry_schedule} s"
    )
    receiver.reset(fail_rate=FAIL_RATE, seed=args.seed)
    started = time.perf_counter()
    # Sequence by sequence, as successive imports would publish them.
    deliveries = events_commit(
        fixture,
        [(3_000_000 + t, s) for s in range(1, per_target + 1) for t in range(targets)],
    )
    committed = time.perf_counter() - started
    if args.analyze:
        jobs_analyze()
    ids = {d.pk: d.event.message_id for d in deliveries}
    deadline = time.monotonic() + args.faulty_timeout
    while (left := pending_count()) and time.monotonic() < deadline:
        worker.check_alive()
        time.sleep(0.5)
    wall = time.perf_counter() - started
    log = receiver.log()

    failed = {
        ids[pk]
        for pk in WebhookDelivery.objects.filter(pk__in=ids, status="Failed").values_list(
            "pk", flat=True
        )
    }
    successes: dict[str, int] = defaultdict(int)
    attempts: dict[str, int] = defaultdict(int)
    for _at, webhook_id, status, _target, _sequence in log:
        attempts[webhook_id] += 1
        if 200 <= status < 300:
            successes[webhook_id] += 1
    delivered = {m for m, n in successes.items() if n}
    duplicates = {m for m, n in successes.items() if n > 1}
    missing = set(ids.values()) - delivered - failed
    bad_give_ups = {m for m in failed if attempts[m] != 8 or successes[m]}
    expected_give_ups = total * FAIL_RATE**8

    # Order: no attempt of (target, n) reaches the receiver before every earlier event of the
    # target was delivered (its 2xx answered) or given up (its 8th failure answered). The log is
    # in the order the receiver (one asyncio loop) read the requests.
    settled: dict[int, set[int]] = defaultdict(set)  # target -> sequences settled
    failures_so_far: dict[str, int] = defaultdict(int)
    out_of_order = 0
    for _at, webhook_id, status, target, sequence in log:
        if any(s not in settled[target] for s in range(1, sequence)):
            out_of_order += 1
        if 200 <= status < 300:
            settled[target].add(sequence)
        else:
            failures_so_far[webhook_id] += 1
            if webhook_id in failed and failures_so_far[webhook_id] >= 8:
                settled[target].add(sequence)

    print(
        f"  committed in {committed:.1f} s; all settled {wall:.1f} s after the commit started"
        + ("" if not left else f"  ! {left} still pending after {args.faulty_timeout:.0f} s")
    )
    print(
        f"  {len(log):,} attempts ({len(log) / total:.2f} per event), "
        f"{total / wall:,.0f} events/s overall"
    )
    print(
        f"  receiver: {len(delivered):,} unique webhook-ids answered 2xx, "
        f"{len(duplicates)} of them more than once; given up after 8 failed attempts: "
        f"{len(failed)} (expected {expected_give_ups:.2f} on average); lost: {len(missing)}"
    )
    print(f"  attempts before an earlier event of the target was settled: {out_of_order}")
    ok = not (duplicates or missing or bad_give_ups or out_of_order or left)
    print(
        "  -> OK: every event delivered exactly once successfully or given up, in order per target"
        if ok
        else "  -> FAILED"
    )
    return {"ok": ok, "attempts": len(log), "wall": wall, "given_up": len(failed)}


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "receiver":
        receiver_main()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker_main(
            sys.argv[sys.argv.index("--retry-schedule") + 1],
            sys.argv[sys.argv.index("--fetch-job-polling-interval") + 1],
        )
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate-events", type=int, default=3000)
    parser.add_argument("--latency-events", type=int, default=50)
    parser.add_argument("--faulty-targets", type=int, default=2000)
    parser.add_argument("--events-per-target", type=int, default=5)
    parser.add_argument("--faulty-timeout", type=float, default=600)
    parser.add_argument("--retry-schedule", default=BENCH_SCHEDULE)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="leave procrastinate_jobs' statistics to autovacuum (see jobs_analyze)",
    )
    args = parser.parse_args()

    lock = run_lock(RUN_LOCK_KEY)
    if lock is None:
        print("another bench.webhooks run is going on (advisory lock held); try later")
        return 2
    print("Ordinavo Connect - webhook delivery benchmark")
    print(
        f"  machine: nproc {os.cpu_count()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
    print(f"  before the run: {load_average()}")
    print(f"  CPU reference: {cpu_reference_ms():.0f} ms for a fixed Python workload")
    cpu_before = CpuTimes.now()
    server_version = database_create(DB_NAME)
    ok = True
    try:
        manage("migrate", "--noinput")
        django_setup(DB_NAME)
        from django.conf import settings

        args.concurrency = settings.PROCRASTINATE_WORKER_DEFAULTS["concurrency"]
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            autovacuum = cursor.fetchone()[0]
        print(
            f"  autovacuum {autovacuum}; "
            + (
                "procrastinate_jobs analyzed by the benchmark after each burst"
                if args.analyze
                else "procrastinate_jobs NOT analyzed by the benchmark (--no-analyze)"
            )
        )
        print(
            f"  PostgreSQL {server_version}, database {DB_NAME} (created now, dropped at the "
            "end); worker: manage.py procrastinate worker, ordinavo.settings.production, "
            f"concurrency {args.concurrency}, WEBHOOK_ALLOW_HTTP and 127.0.0.0/8 allowed"
        )
        with (
            tempfile.TemporaryDirectory(prefix="ordinavo-bench-webhooks-") as tmp,
            receiver_process() as port,
        ):
            receiver = ReceiverClient(port)
            fixture = fixture_create(port)
            worker = Worker(Path(tmp) / "worker.log", args.retry_schedule)
            try:
                phase_rate(args, fixture, port, receiver, worker)
                phase_latency(args, fixture, receiver, worker)
                ok = phase_faulty(args, fixture, receiver, worker)["ok"]
            finally:
                worker.stop()
    finally:
        from django.db import connection

        connection.close()
        database_drop(DB_NAME)
        lock.close()
    cpu_after = CpuTimes.now()
    if cpu_before and cpu_after:
        print(f"\n  CPU steal during the run: {cpu_after.steal_percent_since(cpu_before):.1f}%")
    print(f"  after the run: {load_average()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
