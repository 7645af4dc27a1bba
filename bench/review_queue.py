"""Review queue latency: GET /admin/review/ against 100,000 open import items of one tenant.

    .venv/bin/python -m bench.review_queue              # what `make bench-review` runs
    .venv/bin/python -m bench.review_queue --keep-db    # leave the database for psql
    .venv/bin/python -m bench.review_queue --reuse-db   # measure a kept database again

It creates its own database (`ordinavo_review_bench`, dropped again at the end unless --keep-db),
migrates it with the test settings and loads with COPY, then VACUUM ANALYZE:

* tenant `bench-review`: two integration clients (one ManualOnly), most of ~1,350 import jobs
  over 30 days and 200,000 import items with their targets: 100,000 Open (mapping status
  Warning / Failed / Skipped as `_needs_review` leaves them, with the warnings, candidates,
  decisions and payload the mapping engine writes) and 100,000 NotNeeded / Resolved / Dismissed,
  interleaved in time; 20,000 customers the items link to;
* tenant `bench-review-other`: 50,000 items (20,000 open) drawn from the same names and IDs, so a
  leak would show.

Two dispatchers are made with `dispatcher_create_or_add_tenant` (one of `bench-review`, one of
both tenants) and signed in with django.test.Client. Every case (first page, page 50, the status,
warning, text and date filters, the first page across both tenants) is requested up to 50 times
after 3 warm-up requests, at most --case-budget seconds per case: p50/p95/max and the process'
CPU time per request next to the target (p95 <= 200 ms), the SQL of one request with durations
(CaptureQueriesContext), the slowest statement per case, and EXPLAIN (ANALYZE, BUFFERS) of the
first page's two slowest statements, of the slowest statement of all and of the text search count.

A summary prints the p95 of every case next to the target.

Only the standard library, psycopg and the project's own venv are used (no new dependencies).
A missed target is a measurement, not a failure; the exit code is non-zero only when the
benchmark itself is wrong (an error response, an item of another tenant on a page). Timings are
wall-clock on a shared machine: the load average is printed next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import psycopg
from django.core.management import call_command
from django.db import connection
from django.db.models import NOT_PROVIDED, JSONField
from django.test import Client
from django.test.utils import CaptureQueriesContext
from psycopg import sql

from bench import app
from bench.data.review import Data, generate
from bench.db import connect, database_create, database_drop, django_setup, percentile

DB_NAME = "ordinavo_review_bench"
MAIN_TENANT, OTHER_TENANT = "bench-review", "bench-review-other"
REQUESTS, WARMUP = 50, 3
TARGET_P95_MS = 200.0
QUEUE_PATH = "/admin/review/"

# --- database --------------------------------------------------------------------------------


def pg_connect(dbname: str = DB_NAME, **kwargs) -> psycopg.Connection:
    return connect(dbname, **kwargs)


def drop_database() -> None:
    connection.close()
    database_drop(DB_NAME)


def defaults_for(model, provided: Sequence[str]) -> tuple[list[str], list]:
    """Columns (and their values) someone may have added to `model` since: NOT NULL, no default
    in the database; filled with the model field's default, as the ORM would."""
    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in provided or f.null or f.primary_key or f.db_default is not NOT_PROVIDED:
            continue
        value = f.get_default()
        columns.append(f.column)
        values.append(json.dumps(value) if isinstance(f, JSONField) else value)
    return columns, values


def copy_rows(conn: psycopg.Connection, model, columns: list[str], rows) -> int:
    extra, values = defaults_for(model, columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(map(sql.Identifier, columns + extra)),
    )
    n = 0
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row, *values))
            n += 1
    conn.execute(
        sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
            sql.Literal(model._meta.db_table), sql.Identifier(model._meta.db_table)
        )
    )
    return n


@dataclass
class Setup:
    tenants: list[app.Tenant]
    clients: list[list[app.IntegrationClient]]


def setup_tenants() -> Setup:
    tenants = [
        app.Tenant.objects.create(slug=MAIN_TENANT, name="Bench Review GmbH"),
        app.Tenant.objects.create(slug=OTHER_TENANT, name="Other Tenant AG"),
    ]
    clients = [
        [
            app.IntegrationClient.objects.create(tenant=t, name="SAP ERP", source_system="sap-erp"),
            app.IntegrationClient.objects.create(
                tenant=t, name="Service Portal", source_system="portal", strategy="ManualOnly"
            ),
        ]
        for t in tenants
    ]
    return Setup(tenants, clients)


def load(data: Data, setup: Setup) -> None:
    tenant_ids = [t.pk for t in setup.tenants]
    client_ids = [[c.pk for c in cs] for cs in setup.clients]
    with pg_connect(autocommit=False) as conn:
        conn.execute("SET synchronous_commit = off")
        t0 = time.perf_counter()
        customer_ids: list[list[int]] = []
        next_id = 1
        rows = []
        for t, customers in enumerate(data.customers):
            customer_ids.append(list(range(next_id, next_id + len(customers))))
            for c, id_ in zip(customers, customer_ids[-1], strict=True):
                at = data.jobs[0].created_at - timedelta(days=365)
                rows.append(
                    (id_, tenant_ids[t], c.number, c.name, "Business", "", c.email, "", "",
                     app.customer_name_key(c.name), at, at)
                )  # fmt: skip
            next_id += len(customers)
        columns = ["id", "tenant_id", "customer_number", "name", "type", "industry", "email"]
        columns += ["phone", "website", "normalized_name", "created_at", "updated_at"]
        copy_rows(conn, app.Customer, columns, rows)
        columns = ["id", "tenant_id", "client_id", "kind", "status", "item_count", "created_at"]
        columns += ["started_at", "finished_at"]
        copy_rows(
            conn,
            app.ImportJob,
            columns,
            (
                (
                    j.id, tenant_ids[j.tenant], client_ids[j.tenant][j.client],
                    "Single" if j.size == 1 else "Batch", "Completed", j.size, j.created_at,
                    j.created_at, j.created_at + timedelta(seconds=1 + j.size // 200),
                )
                for j in data.jobs
            ),
        )  # fmt: skip

        # One target per imported item (what the queue's select_related joins), none for items
        # that failed validation.
        target_of: list[int | None] = []
        targets = []
        for it in data.items:
            if it[4] == "Failed":
                target_of.append(None)
                continue
            target_of.append(len(targets) + 1)
            job = data.jobs[it[1]]
            targets.append(
                (
                    len(targets) + 1, tenant_ids[it[0]], client_ids[job.tenant][job.client],
                    f"Wartung {it[3]}", it[13], it[13], f"{it[3]}#{len(targets) + 1}",
                )
            )  # fmt: skip
        # Target.external_id is unique per client: the item's ID plus the row number.
        columns = ["id", "tenant_id", "client_id", "title", "created_at", "updated_at"]
        columns += ["external_id"]
        copy_rows(conn, app.Target, columns, targets)

        def item_rows():
            for n, it in enumerate(data.items, start=1):
                (t, j, pos, ext, imp, status, warnings, errors, cands, decisions, payload, c,
                 review, created) = it  # fmt: skip
                ids = customer_ids[t]
                for cand in cands:
                    if isinstance(cand.get("recordId"), int):
                        cand["recordId"] = ids[cand["recordId"]]
                decision = decisions.get("customer", {})
                if isinstance(decision.get("recordId"), int):
                    decision["recordId"] = ids[decision["recordId"]]
                resolved = review in ("Resolved", "Dismissed")
                yield (
                    n, tenant_ids[t], data.jobs[j].id, pos, ext, imp, status, json.dumps(warnings),
                    json.dumps(errors), json.dumps(cands), json.dumps(decisions),
                    json.dumps(payload), None if c is None else ids[c], review,
                    created + timedelta(hours=5) if resolved else None, created,
                    target_of[n - 1],
                )  # fmt: skip

        columns = ["id", "tenant_id", "job_id", "position", "external_id", "import_status"]
        columns += ["mapping_status", "warnings", "errors", "candidates", "decisions", "payload"]
        columns += ["customer_id", "review_state", "resolved_at", "created_at", "target_id"]
        n = copy_rows(conn, app.ImportItem, columns, item_rows())
        conn.commit()
        print(
            f"  COPY {len(rows):,} customers, {len(data.jobs):,} jobs, {len(targets):,} targets,"
            f" {n:,} items:",
            end=" ",
        )
        print(f"{time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with pg_connect(autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    print(f"  VACUUM ANALYZE: {time.perf_counter() - t0:.1f} s")


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    params: dict[str, str]
    both_tenants: bool = False  # as a dispatcher of both tenants

    @property
    def url(self) -> str:
        return QUEUE_PATH + (f"?{urlencode(self.params)}" if self.params else "")


@dataclass
class Result:
    case: Case
    ms: list[float]
    cpu_ms: list[float]  # CPU time of this process (Django, templates, psycopg) per request
    queries: list[tuple[str, float]]  # (sql, ms) of one request
    rows: int
    total: str

    @property
    def p95(self) -> float:
        return percentile(self.ms, 95)


def page_facts(html: str) -> tuple[int, str]:
    rows = html.count('<td><a href="/admin/review/')
    marker = "All open <strong>"
    at = html.find(marker)
    total = html[at + len(marker) : html.find("<", at + len(marker))] if at >= 0 else "?"
    pages = html.find("Page ")
    of = html[pages : html.find("\n", pages)].strip() if pages >= 0 else ""
    return rows, f"{total} open; {of}"


def measure(client: Client, case: Case, budget_s: float) -> Result:
    for _ in range(WARMUP):
        client.get(case.url)
    ms: list[float] = []
    cpu_ms: list[float] = []
    started = time.perf_counter()
    while len(ms) < REQUESTS and time.perf_counter() - started < budget_s:
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(case.url)
        ms.append((time.perf_counter() - t0) * 1000)
        cpu_ms.append((time.process_time() - c0) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{case.url}: HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(case.url)
    html = response.content.decode()
    if not case.both_tenants and "OTH-2026-" in html:
        raise SystemExit(f"{case.url}: an item of the other tenant is on the page")
    rows, total = page_facts(html)
    queries = [(q["sql"], float(q["time"]) * 1000) for q in captured.captured_queries]
    return Result(case, ms, cpu_ms, queries, rows, total)


def line(result: Result) -> str:
    ms = result.ms
    p95 = result.p95
    verdict = "met" if p95 <= TARGET_P95_MS else "MISSED"
    slowest = max(t for _, t in result.queries)
    in_sql = sum(t for _, t in result.queries)
    return (
        f"  {result.case.label:<36} n={len(ms):2d}  p50 {percentile(ms, 50):7.1f}  p95 {p95:7.1f}"
        f"  max {max(ms):7.1f} ms  {verdict:<6} | cpu p50 {percentile(result.cpu_ms, 50):4.0f} ms"
        f" | {len(result.queries):2d} queries, {in_sql:4.0f} ms in SQL, slowest {slowest:4.0f} ms"
        f" | {result.rows} rows, {result.total}"
    )


def short(statement: str, width: int = 160) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def explain(statement: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
        return [row[0] for row in cursor.fetchall()]


def run_cases(clients: dict[bool, Client], cases: list[Case], budget_s: float) -> list[Result]:
    print(
        f"  (up to {REQUESTS} requests per case after {WARMUP} warm-up, at most {budget_s:.0f} s"
        f" per case; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    results = []
    for case in cases:
        result = measure(clients[case.both_tenants], case, budget_s)
        print(line(result), flush=True)
        results.append(result)
    return results


def report_queries(results: list[Result]) -> None:
    first = results[0]
    print(f"\n  SQL of one request, {first.case.label} ({first.case.url}):")
    for statement, ms in first.queries:
        print(f"    {ms:5.0f} ms  {short(statement)}")
    print("\n  slowest statement per case:")
    for r in results:
        statement, ms = max(r.queries, key=lambda q: q[1])
        print(f"    {r.case.label:<36} {ms:5.0f} ms  {short(statement, 110)}")
    # The page and count statements of the first page, and the slowest statement of all.
    chosen = sorted(first.queries, key=lambda q: -q[1])[:2]
    worst = max(results, key=lambda r: max(t for _, t in r.queries))
    chosen.append(max(worst.queries, key=lambda q: q[1]))
    # and the count of the first text search (what a search index has to make cheap).
    search = next(r for r in results if r.case.label.startswith("q="))
    chosen += [q for q in search.queries if q[0].startswith('SELECT COUNT(*) AS "__count"')]
    labels = {statement: r.case.label for r in reversed(results) for statement, _ in r.queries}
    seen: set[str] = set()
    for statement, ms in chosen:
        if statement in seen or ms < 2:
            continue
        seen.add(statement)
        label = labels[statement]
        print(f"\n  EXPLAIN (ANALYZE, BUFFERS), {label}, {ms:.0f} ms in the request:")
        print(f"    {short(statement, 600)}")
        for row in explain(statement):
            print(f"      {row}")


def build_cases(data: Data) -> list[Case]:
    main_open = [it for it in data.items if it[0] == 0 and it[12] == "Open"]
    names = Counter(it[10]["customer"]["name"] for it in main_open if it[10])
    # A full company name on a few dozen open items, and a surname on thousands.
    name = next(n for n, k in names.most_common() if k <= 40 and " " in n and "GmbH" in n)
    after = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    return [
        Case("first page", {}),
        Case("page 50", {"page": "50"}),
        Case("status=Failed", {"status": "Failed"}),
        Case("status=Failed, page 50", {"status": "Failed", "page": "50"}),
        Case("warning=AmbiguousCustomerMatch", {"warning": "AmbiguousCustomerMatch"}),
        Case(f"q={name} ({names[name]} open)", {"q": name}),
        Case("q=Schulz (a surname)", {"q": "Schulz"}),
        Case(f"created_after={after}", {"created_after": after}),
        Case("both tenants: first page", {}, both_tenants=True),
    ]


def main() -> int:
    global REQUESTS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--reuse-db", action="store_true", help="measure a kept database")
    parser.add_argument(
        "--case-budget", type=float, default=45.0, help="seconds per case at most (default 45)"
    )
    parser.add_argument("--requests", type=int, default=REQUESTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    REQUESTS = args.requests
    django_setup(DB_NAME)

    started, created = time.perf_counter(), False
    try:
        t0 = time.perf_counter()
        data = generate()
        print(f"generated {len(data.items):,} items in {len(data.jobs):,} jobs:", end=" ")
        print(f"{time.perf_counter() - t0:.1f} s")
        if args.reuse_db:
            print(f"reusing {DB_NAME}")
        else:
            database_create(DB_NAME)
            created = True
            call_command("migrate", verbosity=0, interactive=False)
            load(data, setup_tenants())
        tenants = [
            app.Tenant.objects.get(slug=MAIN_TENANT),
            app.Tenant.objects.get(slug=OTHER_TENANT),
        ]
        one, _ = app.dispatcher_create_or_add_tenant(
            username="bench-dispatcher", password=secrets.token_urlsafe(16), tenant=tenants[0]
        )
        for tenant in tenants:
            both, _ = app.dispatcher_create_or_add_tenant(
                username="bench-dispatcher-both", password=secrets.token_urlsafe(16), tenant=tenant
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.slug, i.review_state, count(*) FROM inbound_importitem i"
                " JOIN tenants_tenant t ON t.id = i.tenant_id GROUP BY 1, 2 ORDER BY 1, 2"
            )
            for slug, state, n in cursor.fetchall():
                print(f"  {slug:<20} {state:<10} {n:>8,}")
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('inbound_importitem'))")
            print(f"  inbound_importitem: {cursor.fetchone()[0]} with its indexes and TOAST")

        clients = {False: Client(), True: Client()}
        clients[False].force_login(one)
        clients[True].force_login(both)
        cases = build_cases(data)
        print(
            f"\nGET {QUEUE_PATH} as a dispatcher of {MAIN_TENANT} (last case: of both tenants),"
            f" target p95 <= {TARGET_P95_MS:.0f} ms"
        )
        results = run_cases(clients, cases, args.case_budget)
        report_queries(results)

        print(f"\nsummary, p95 in ms (target <= {TARGET_P95_MS:.0f} ms):")
        for result in results:
            verdict = "met" if result.p95 <= TARGET_P95_MS else "MISSED"
            print(f"  {result.case.label:<36} {result.p95:9.1f}  {verdict}")
    finally:
        if not args.keep_db and (created or args.reuse_db):
            drop_database()
    print(f"\nbench total: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
