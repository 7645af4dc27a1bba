"""CI smoke run of the matching-speed benchmark's two measures (`bench.matching_speed`): the
mapping stage and the batch request, under both strategies, leave the tables as they were (each
run is rolled back, so every round sees the same data)."""

import pytest

from bench import app
from bench.data.persons import SEED, PersonGenerator, PersonIncoming
from bench.matching_quality import seed
from bench.matching_speed import BatchRequest, _stage

pytestmark = pytest.mark.django_db

STRATEGIES = (
    app.MatchingStrategy.EXTERNAL_ID_FIRST,
    app.MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
)


def _counts() -> tuple[int, int, int]:
    return (app.Customer.objects.count(), app.Target.objects.count(), app.ImportJob.objects.count())


def test_both_measures_run_the_batch_under_each_strategy_and_roll_it_back():
    generator = PersonGenerator(SEED)
    entities = generator.population(300)
    records = PersonIncoming(generator, entities).build(20)
    seeded = seed(entities, "speed-smoke")
    request = BatchRequest(seeded, [records[:10], records[10:]])
    before = _counts()

    for strategy in STRATEGIES:
        took = _stage(seeded, records, strategy)
        assert took.seconds > 0
        assert took.cpu > 0
        for batch in (0, 1):
            assert request.took(strategy, batch).seconds > 0  # raises unless it answered 200

    assert _counts() == before
    assert before[0] == len(entities)
