"""CI smoke run of the matching-quality benchmark (`make bench-matching`): its generator, at the
default seed, and the real engine (`customer_contexts_map`, candidate SQL and matcher) on the test
database, for 200 incoming records against the benchmark's 5,000 existing customers."""

import pytest
from django.db import connection

from bench.data.matching import EXISTING_CUSTOMERS, SEED, Generator, IncomingBuilder
from bench.matching_quality import run_engine, seed, summary

pytestmark = pytest.mark.django_db

RECORDS = 200
# This sample gave recall 0.95 (95 of 100 matchable) and no duplicate when the test was written;
# the margins let a small shift of the matcher pass and catch a real loss.
RECALL_FLOOR = 0.9
DUPLICATES_CEILING = 2


def test_matching_quality_smoke_run_makes_no_wrong_link():
    generator = Generator(SEED)
    entities = generator.population(EXISTING_CUSTOMERS)
    records = IncomingBuilder(generator, entities).build(RECORDS)
    seeded = seed(entities, "matching-smoke")
    with connection.cursor() as cursor:  # the statistics a vacuum would leave (see vacuum())
        cursor.execute("ANALYZE customers_customer, customers_location")

    results, _ = run_engine(seeded, records)
    figures = summary(results)
    print(
        f"\nmatching smoke ({RECORDS} records): wrong {figures['wrong']}, duplicates "
        f"{figures['duplicates']}, review {figures['review']}, recall {figures['recall']:.3f}"
    )

    wrong = [(r.record.variant, r.record.customer["name"]) for r in results if r.outcome == "wrong"]
    assert figures["total"] == RECORDS
    assert wrong == []
    assert figures["duplicates"] <= DUPLICATES_CEILING
    assert figures["recall"] >= RECALL_FLOOR
