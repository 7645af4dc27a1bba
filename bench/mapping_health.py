"""Mapping health page latency: GET /admin/review/health/ over 30 days x 100,000 items a day.

    .venv/bin/python -m bench.mapping_health              # what `make bench-health` runs
    .venv/bin/python -m bench.mapping_health --keep-db    # leave the database for psql
    .venv/bin/python -m bench.mapping_health --days 3     # a quicker, smaller run

It creates its own database (`ordinavo_health_bench`, dropped at the end unless --keep-db),
migrates it with the test settings and generates inside PostgreSQL (INSERT ... SELECT
generate_series): one tenant, three integration clients, 200 jobs of 500 items a day for 30
days (3,000,000 items), created evenly over each day up to now; mapping statuses as a busy
integration has them (55 % Mapped, 15 % Created, 10 % Updated, 10 % Warning, 5 % Failed, 2 %
Skipped, 3 % NotApplicable) with their warning codes; the Warning / Failed / Skipped items of the
last six days open (about 100,000), older ones resolved. Then VACUUM ANALYZE.

Then the rollup as the periodic task runs it (review.tasks): once for 30 days (a new install, or
a worker that was down a month), and once more for the next five minutes (its steady state).
The page is requested up to 50 times after 3 warm-up requests per case (the tenant; one client),
next to the review queue's first page (the reference, measured in the same run, on the same
100,000 open items): p50/p95/max, the ratio of the p95s, and the target (p95 <= 300 ms).
A missed target is a measurement, not a failure; the exit code is non-zero only when the
benchmark itself is wrong (an error response, counts that do not add up).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client

from bench import app
from bench.db import database_create, database_drop, django_setup, load_average, percentile

DB_NAME = "ordinavo_health_bench"
JOBS_PER_DAY, ITEMS_PER_JOB = 200, 500
REQUESTS, WARMUP = 50, 3
TARGET_P95_MS = 300.0
OPEN_DAYS = 6

# Per item: (n % 100) picks the status; warnings as the engine gives them.
_GENERATE_ITEMS = """
INSERT INTO inbound_importitem (tenant_id, job_id, position, external_id, import_status,
    mapping_status, warnings, errors, candidates, decisions, payload, review_state, created_at)
SELECT j.tenant_id, j.id, p, 'JOB-' || j.id || '-' || p, 'Imported', s.status, s.warnings,
    '[]', '[]', '{}', '{}',
    CASE WHEN s.status IN ('Warning', 'Failed', 'Skipped')
         THEN CASE WHEN j.created_at >= %(open_since)s THEN 'Open' ELSE 'Resolved' END
         ELSE 'NotNeeded' END,
    j.created_at + p * interval '1 millisecond'
FROM inbound_importjob j
CROSS JOIN generate_series(0, %(per_job)s - 1) AS p
CROSS JOIN LATERAL (SELECT (j.id * 7919 + p * 104729) %% 100 AS n) AS pick
CROSS JOIN LATERAL (SELECT
    CASE WHEN n < 55 THEN 'Mapped' WHEN n < 70 THEN 'Created' WHEN n < 80 THEN 'Updated'
         WHEN n < 90 THEN 'Warning' WHEN n < 95 THEN 'Failed' WHEN n < 97 THEN 'Skipped'
         ELSE 'NotApplicable' END AS status,
    CASE WHEN n < 84 AND n >= 80 THEN '["AmbiguousCustomerMatch"]'::jsonb
         WHEN n < 87 AND n >= 84 THEN '["LocationMissingCoordinates"]'::jsonb
         WHEN n < 90 AND n >= 87 THEN '["ContactAutoCreateDisabled", "LocationMissingCoordinates"]'::jsonb
         WHEN n < 93 AND n >= 90 THEN '["CustomerNotFound"]'::jsonb
         WHEN n < 95 AND n >= 93 THEN '["CustomerNumberConflict"]'::jsonb
         WHEN n < 97 AND n >= 95 THEN '["ManualMappingRequired"]'::jsonb
         ELSE '[]'::jsonb END AS warnings) AS s
WHERE j.tenant_id = %(tenant)s
"""  # noqa: E501


def generate(tenant, clients, *, days: int, now: datetime) -> int:
    start = now - timedelta(days=days)
    jobs = days * JOBS_PER_DAY
    step = timedelta(days=days) / jobs
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            "INSERT INTO inbound_importjob (tenant_id, client_id, kind, status, item_count,"
            " processed_count, scopes, created_at, started_at, finished_at)"
            " SELECT %s, (ARRAY[%s, %s, %s])[1 + n %% 3], 'Batch', 'Completed', %s, %s, '[]',"
            " %s + n * %s, %s + n * %s, %s + n * %s FROM generate_series(0, %s - 1) AS n",
            [tenant.pk, *[c.pk for c in clients], ITEMS_PER_JOB, ITEMS_PER_JOB]
            + [start, step] * 3
            + [jobs],
        )
        cursor.execute(
            _GENERATE_ITEMS,
            {
                "tenant": tenant.pk,
                "per_job": ITEMS_PER_JOB,
                "open_since": now - timedelta(days=OPEN_DAYS),
            },
        )
        count = cursor.rowcount
        cursor.execute("VACUUM ANALYZE inbound_importitem")
        cursor.execute("VACUUM ANALYZE inbound_importjob")
    return count


def measure(client: Client, path: str, budget: float) -> list[float]:
    timings = []
    deadline = time.perf_counter() + budget
    for n in range(WARMUP + REQUESTS):
        t0 = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code}")
        if n >= WARMUP:
            timings.append(elapsed)
        if time.perf_counter() > deadline and len(timings) >= 10:
            break
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--days", type=int, default=30, help="days of items (default 30)")
    parser.add_argument("--case-budget", type=float, default=45.0, help="seconds per case")
    args = parser.parse_args()
    django_setup(DB_NAME)
    started = time.perf_counter()
    database_create(DB_NAME)
    try:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        tenant = app.Tenant.objects.create(slug="bench-health", name="Bench Health GmbH")
        clients = [
            app.IntegrationClient.objects.create(tenant=tenant, name=name, source_system=source)
            for name, source in (("SAP ERP", "sap-erp"), ("Portal", "portal"), ("CRM", "crm"))
        ]
        user, _ = app.dispatcher_create_or_add_tenant(
            username="bench-dispatcher", password=secrets.token_urlsafe(16), tenant=tenant
        )
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        items = generate(tenant, clients, days=args.days, now=now)
        print(f"generated {items:,} items over {args.days} days: {time.perf_counter() - t0:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT review_state, count(*) FROM inbound_importitem GROUP BY 1 ORDER BY 1"
            )
            for state, n in cursor.fetchall():
                print(f"  {state:<10} {n:>10,}")

        t0 = time.perf_counter()
        app.mapping_health_rollup(tenant_id=tenant.pk, now=now)
        print(
            f"rollup of {args.days} days (first run of the periodic task): "
            f"{time.perf_counter() - t0:.2f} s"
        )
        t0 = time.perf_counter()
        app.mapping_health_rollup(tenant_id=tenant.pk, now=now + timedelta(minutes=5))
        print(
            f"rollup of the next 5 minutes (its steady state): "
            f"{(time.perf_counter() - t0) * 1000:.0f} ms"
        )
        health = app.mapping_health(tenant_id=tenant.pk)
        with connection.cursor() as cursor:
            # The window starts at midnight (UTC) 29 days ago; the oldest items are before it.
            cursor.execute(
                "SELECT count(*) FROM inbound_importitem WHERE created_at >= %s",
                [datetime.combine(health.days[0], datetime.min.time(), tzinfo=UTC)],
            )
            in_window = cursor.fetchone()[0]
        if health.total != in_window:
            print(f"counts do not add up: {health.total:,} counted, {in_window:,} in the window")
            return 1
        print(
            f"  counted {health.total:,} items, {health.open_count:,} open, "
            f"{health.needed_person_share:.1%} needed a person"
        )

        http = Client()
        http.force_login(user)
        cases = [
            ("review queue, first page (reference)", "/admin/review/"),
            ("health, tenant", "/admin/review/health/"),
            (f"health, client {clients[0].name}", f"/admin/review/health/?client={clients[0].pk}"),
        ]
        print(f"\nGET as a dispatcher, load average {load_average()}")
        results = {}
        for label, path in cases:
            timings = measure(http, path, args.case_budget)
            results[label] = percentile(timings, 95)
            print(
                f"  {label:<38} n={len(timings):>3}  p50 {percentile(timings, 50):7.1f} ms"
                f"  p95 {results[label]:7.1f} ms  max {max(timings):7.1f} ms"
            )
        reference = results[cases[0][0]]
        print(f"\nsummary, p95 (target <= {TARGET_P95_MS:.0f} ms for the health page):")
        for label, p95 in results.items():
            verdict = "" if label == cases[0][0] else ("met" if p95 <= TARGET_P95_MS else "MISSED")
            print(f"  {label:<38} {p95:7.1f} ms  {p95 / reference:5.2f}x the queue  {verdict}")
    finally:
        if not args.keep_db:
            connection.close()
            database_drop(DB_NAME)
    print(f"\nbench total: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
