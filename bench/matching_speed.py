"""Matching speed: a batch of 500 new parties under ExternalIdThenNameAndAddress against the same
batch under ExternalIdFirst, in the same run, against 100,000 customers.

    .venv/bin/python -m bench.matching_speed                 # what `make bench-persons` runs too
    .venv/bin/python -m bench.matching_speed --customers 20000 --rounds 5

Creates its own database (`ordinavo_matching_bench`, the matching benchmarks' name and run lock;
dropped at the end), seeds one tenant with private customers (bench.data.persons: households,
flats, namesakes), counts its name frequencies as the periodic task would, and maps batches of
500 incoming records with new external IDs (half describe existing customers, half are new) in
process through `customer_contexts_map`, alternately under each strategy (ExternalIdFirst,
NameAndAddress, NameAndAddress, ExternalIdFirst, ...: a trend weighs on both alike), each run in a
transaction that is rolled back, so every run sees the same tables. Each round maps a batch of
its own (both strategies the same one): a process keeps what it compared (name pairs, per
counting of the tenant's names), which helps with names that come again, as in production, but
must not be measured on the very records it compared a round before. Prints items/s per strategy
(median of the rounds; with the CPU this process spent on a batch, steadier on a noisy machine)
and their ratio (issue #16's target: name-and-address >= 50%), and where
the name-and-address time goes (cProfile of one run, top functions).

It measures the pair twice: the mapping stage alone (`customer_contexts_map`, the strictest
ratio: nothing else of an import dilutes the matcher's cost), and the whole import as an
integrator sees it, the same batches as one request each to the batch API (the records as each
item's customer and location, with a target each; Django's test client in this process, the
request's transaction rolled back in the same way), which is how issue #16 measured its figures.

`--instructions` counts instead of timing: the instructions per batch of both measures under each
strategy, run under valgrind's callgrind (only the batches counted; PYTHONHASHSEED fixed), the
same on any day. What it leaves out is PostgreSQL's work and all waiting, so it is no
throughput; it tells whether a change made the Python side cheaper, where timings on these
machines vary by a tenth between runs.
"""

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from bench import app
from bench import matching_quality as mq
from bench.data.imports import target_item
from bench.data.persons import SEED, PersonGenerator, PersonIncoming
from bench.db import database_create, database_drop, django_setup
from bench.import_throughput import BATCH_PATH

TARGET_RATIO = 0.5


class _Rollback(Exception):
    pass


class Took(NamedTuple):
    """A run's seconds, and the CPU seconds this process spent in it (PostgreSQL's not
    counted): steadier than the seconds on a machine whose speed varies, and what the
    matcher's own work costs."""

    seconds: float
    cpu: float


def _rolled_back[T](run: Callable[[], T]) -> tuple[Took, T]:
    """`run()` in a transaction that is then rolled back (so every run sees the same tables):
    what it took, up to the rollback, and its result."""
    from django.db import transaction

    started, cpu = time.perf_counter(), time.process_time()
    try:
        with transaction.atomic():
            result = run()
            took = Took(time.perf_counter() - started, time.process_time() - cpu)
            raise _Rollback
    except _Rollback:
        pass
    return took, result


def _stage(
    seeded: mq.Seeded, records, strategy: str, profile: cProfile.Profile | None = None
) -> Took:
    """The mapping stage of the batch under `strategy`, rolled back."""
    seeded.client.strategy = strategy
    policy = app.mapping_policy(
        client=seeded.client, scopes=[app.Scope.CUSTOMERS_MAP, app.Scope.CUSTOMERS_WRITE]
    )
    contexts = [
        app.IncomingContext(customer=dict(r.customer), location=dict(r.location)) for r in records
    ]

    def run() -> None:
        if profile:
            profile.enable()
        app.customer_contexts_map(tenant=seeded.tenant, policy=policy, contexts=contexts)
        if profile:
            profile.disable()

    return _rolled_back(run)[0]


def _camel(block: dict) -> dict:
    """A record block under the API's field names (external_id -> externalId)."""
    return {
        word[0] + "".join(w.title() for w in word[1:]): value
        for key, value in block.items()
        for word in [key.split("_")]
    }


class BatchRequest:
    """A batch as one request to the batch API, through Django's test client with a key of
    the bench's client (all scopes); each request in a transaction that is rolled back."""

    def __init__(self, seeded: mq.Seeded, batches):
        import orjson
        from django.test import Client

        # WhiteNoise's note that the bench never collected static files: nothing to do with it.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

        _, key = app.api_key_issue(client=seeded.client, name="matching speed")
        self.seeded = seeded
        self.http = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
        self.bodies = [
            orjson.dumps(
                {
                    "items": [
                        target_item(
                            f"SPEED-{n:05d}",
                            n,
                            context={
                                "customer": _camel(r.customer),
                                "location": _camel(r.location),
                            },
                        )
                        for n, r in enumerate(records)
                    ]
                }
            )
            for records in batches
        ]

    def took(self, strategy: str, batch: int) -> Took:
        self.seeded.client.strategy = strategy
        self.seeded.client.save(update_fields=["strategy"])
        took, response = _rolled_back(
            lambda: self.http.post(BATCH_PATH, self.bodies[batch], content_type="application/json")
        )
        if response.status_code != 200:
            raise RuntimeError(f"batch request failed: {response.content[:500]!r}")
        return took


def _pair(measure, first: str, names: str, batches: list[int]) -> dict[str, list[Took]]:
    """`measure(strategy, batch)` alternately under both (first, names, names, first, ...), a
    round per batch: a trend weighs on both alike; one warm-up run of each first, on batch 0
    (caches, prepared plans)."""
    measure(names, 0)
    measure(first, 0)
    times: dict[str, list[Took]] = {first: [], names: []}
    for n, batch in enumerate(batches):
        for strategy in (first, names) if n % 2 == 0 else (names, first):
            times[strategy].append(measure(strategy, batch))
    return times


def _report(title: str, times: dict[str, list[Took]], batch: int, first: str, names: str):
    rate = {s: batch / statistics.median(t.seconds for t in took) for s, took in times.items()}
    ratio = rate[names] / rate[first]
    print(title)
    for strategy in (first, names):
        per = ", ".join(f"{batch / t.seconds:.0f}" for t in times[strategy])
        cpu = statistics.median(t.cpu for t in times[strategy])
        print(f"  {strategy:30s} {rate[strategy]:7.0f} items/s (rounds: {per}); "
              f"CPU {cpu * 1000:.0f} ms a batch")  # fmt: skip
    verdict = "ok" if ratio >= TARGET_RATIO else "MISSED"
    print(f"  ratio name-and-address / external-ID-first: {ratio:.0%}"
          f"   target >= {TARGET_RATIO:.0%} {verdict}")  # fmt: skip


# --- instructions (--instructions): the CPU work, counted by callgrind ------------------------

# Set in the environment of the process that valgrind runs (`_under_callgrind`).
UNDER_CALLGRIND = "ORDINAVO_BENCH_UNDER_CALLGRIND"


def _under_callgrind(argv: list[str]) -> int:
    """This benchmark again, run by valgrind's callgrind with nothing counted until the batches
    (`_instructions`); its exit code. PYTHONHASHSEED fixed: the same run counts the same."""
    with tempfile.TemporaryDirectory(prefix="ordinavo-callgrind-") as directory:
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", "--quiet",
            f"--callgrind-out-file={directory}/callgrind.out",
            sys.executable, "-m", "bench.matching_speed", *argv,
        ]  # fmt: skip
        env = {**os.environ, UNDER_CALLGRIND: directory, "PYTHONHASHSEED": "0"}
        try:
            return subprocess.run(command, env=env, check=False).returncode
        except FileNotFoundError:
            print("--instructions needs valgrind (Debian: apt-get install valgrind)")
            return 2


def _callgrind(*options: str) -> None:
    subprocess.run(["callgrind_control", *options, str(os.getpid())], check=True,
                   capture_output=True)  # fmt: skip


def _counted(directory: str, run: Callable[[], object]) -> int:
    """The instructions this process executed in `run()` (callgrind's count, from the dump it
    writes right after)."""
    before = set(Path(directory).glob("callgrind.out*"))
    _callgrind("--instr=on")
    _callgrind("--zero")
    run()
    _callgrind("--dump")
    _callgrind("--instr=off")
    (dump,) = set(Path(directory).glob("callgrind.out*")) - before
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction count in {dump}")


def _instructions(measure, title: str, batches: list[int], first: str, names: str) -> None:
    """The instructions per batch of `measure(strategy, batch)` under each strategy (the same
    batches, after a warm-up of each on batch 0): what the speed ratio is made of on the Python
    side, the same on any machine and day (PostgreSQL's work and all waiting not counted).
    Name-and-address first: the process caches it fills (normalized names) can only help
    external-ID-first."""
    directory = os.environ[UNDER_CALLGRIND]
    measure(names, 0)
    measure(first, 0)
    counted = {}
    for strategy in (names, first):
        counted[strategy] = _counted(
            directory, lambda s=strategy: [measure(s, n) for n in batches]
        ) / len(batches)
    print(f"{title} (callgrind, {len(batches)} batches each):")
    for strategy in (first, names):
        print(f"  {strategy:30s} {counted[strategy] / 1e6:9.1f} million instructions a batch")
    print(f"  ratio external-ID-first / name-and-address: {counted[first] / counted[names]:.1%}")


def run(args: argparse.Namespace) -> int:
    gen = PersonGenerator(SEED)
    entities = gen.population(args.customers)
    # A batch for the warm-ups, one per round of each measure, one for the profile.
    rounds = args.rounds
    records = PersonIncoming(gen, entities).build(args.batch * (2 * rounds + 2))
    batches = [records[n : n + args.batch] for n in range(0, len(records), args.batch)]
    database_create(mq.DB_NAME)
    try:
        django_setup(mq.DB_NAME, migrate=True)
        seeded = mq.seed(entities, "speed-bench")
        mq.vacuum()
        app.name_frequencies_refresh(tenant=seeded.tenant)
        # The collector tuned as the web and import workers run (gunicorn.conf.py,
        # inbound.tasks): with Python's defaults its full walks of this process's heap (the
        # 100,000 generated customers) were a quarter of the name-and-address batch's time.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*app.GC_THRESHOLDS)
        first, names = (
            app.MatchingStrategy.EXTERNAL_ID_FIRST,
            app.MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
        )
        if args.instructions:
            _instructions(
                lambda s, n: _stage(seeded, batches[n], s),
                f"Instructions: batches of {args.batch} new parties, {args.customers} customers; "
                "the mapping stage",
                list(range(1, rounds + 1)),
                first,
                names,
            )
            _instructions(
                BatchRequest(seeded, batches).took,
                "\nInstructions: the same records as one request to the batch API",
                list(range(rounds + 1, 2 * rounds + 1)),
                first,
                names,
            )
            return 0
        times = _pair(
            lambda s, n: _stage(seeded, batches[n], s), first, names, list(range(1, rounds + 1))
        )
        _report(
            f"Matching speed: batches of {args.batch} new parties, {args.customers} customers; "
            "the mapping stage (customer_contexts_map)",
            times,
            args.batch,
            first,
            names,
        )
        request = BatchRequest(seeded, batches)
        times = _pair(request.took, first, names, list(range(rounds + 1, 2 * rounds + 1)))
        _report(
            "\nA batch as one request to the batch API (a target each; whole import)",
            times,
            args.batch,
            first,
            names,
        )
        profile = cProfile.Profile()
        _stage(seeded, batches[-1], names, profile)
        print("\nwhere the name-and-address batch's time goes (cProfile, cumulative):")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(args.lines)
    finally:
        from django.db import connections

        connections.close_all()
        database_drop(mq.DB_NAME)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, default=25)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count both measures' instructions per batch under valgrind's callgrind "
        "instead of timing it (a few minutes: everything runs under valgrind)",
    )
    args = parser.parse_args()
    if args.instructions and UNDER_CALLGRIND not in os.environ:
        return _under_callgrind(sys.argv[1:])
    return mq.run_locked(run, args)


if __name__ == "__main__":
    sys.exit(main())
