"""Benchmarks of Ordinavo Connect, run as modules from the repository root:

    .venv/bin/python -m bench.import_throughput   # make bench
    .venv/bin/python -m bench.matching_quality    # make bench-matching (with candidate_lookup)
    .venv/bin/python -m bench.candidate_lookup
    .venv/bin/python -m bench.review_queue        # make bench-review

`bench.data` generates the data (word lists in `bench.data.words`), `bench.db` creates and drops
each benchmark's own database and measures the machine, and `bench.app` is the one place that
names what the benchmarks use of the apps: the benchmarks never copy application logic.
"""
