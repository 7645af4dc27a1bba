"""Person matching benchmark: private households, name and address typed at a call centre.

    .venv/bin/python -m bench.person_matching              # what `make bench-persons` runs
    .venv/bin/python -m bench.person_matching --seed 7     # another realistic data set

Like `bench.matching_quality` (whose database, seeding, engine run and report it uses; the two
share its run lock and database name, so they run one after the other): one tenant of a
field-service company serving households, 5,000 private customers, German (70%) and
English-speaking (UK, US): family names by a phone book's frequencies (Müller common, Eichhorst
rare), households of two or three (spouses, parent and child: one family name, one landline,
Jan and Jana under one roof), blocks of flats with several families, namesakes in one city.

2,000 incoming records with new external IDs go through `customer_contexts_map` under
ExternalIdThenNameAndAddress with create allowed, in batches of 500:

- 1,000 *matchable* records describe an existing person: the same, a typo in the family or given
  name (insertion, deletion, substitution, transposition), a phonetic spelling (Meier / Mayer,
  Schmidt / Schmitt, Stephen / Steven), an OCR confusion (rn / m, ü / ii), given and family name
  swapped ("Müller, Hans"), a short form (Johann / Hans, Katharina / Kathrin, Robert / Bob,
  William / Bill), an initial ("H. Müller"), a missing postal code, city, street or contact, a
  street abbreviated or mistyped, the house number written differently, umlauts as "ue", a person
  that moved (same name, the same e-mail or phone, a new address), and combinations;
- 1,000 *new* records, most of them hard negatives: a relative at the same address (same family
  name, another given name, often the household's landline), Jan next to Jana, a namesake in the
  same city or elsewhere, another flat in the same building, another family of the same name in
  the building, a near-identical name (Meier / Mayer) in the same postal code.

A wrong link is any link of a new record, or of a matchable record to another customer. Targets
(issue #16): 0 wrong links, duplicates <= 2% of the matchable records, automatic-link recall >= 85%,
review <= 25% of all incoming. A missed target is a measurement: the script exits 0.
"""

import argparse
import sys
import time
from collections import Counter

from bench import app
from bench import matching_quality as mq
from bench.data.persons import EXISTING_PERSONS, INCOMING, SEED, PersonGenerator, PersonIncoming
from bench.db import database_create, database_drop, django_setup

TARGET_RECALL = 0.85
TARGET_REVIEW = 0.25


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    gen = PersonGenerator(args.seed)
    entities = gen.population(EXISTING_PERSONS)
    records = PersonIncoming(gen, entities).build(INCOMING)
    database_create(mq.DB_NAME)
    try:
        django_setup(mq.DB_NAME, migrate=True)
        seeded = mq.seed(entities, "person-bench")
        mq.vacuum()
        # What the periodic task (mapping.tasks) keeps: the rarity of names, per tenant.
        app.name_frequencies_refresh(tenant=seeded.tenant)
        groups = Counter(e.group for e in entities)
        countries = Counter(e.country for e in entities)
        matchable = sum(r.matchable for r in records)
        print("Person matching benchmark (ExternalIdThenNameAndAddress, create allowed)")
        print(
            f"seed {args.seed}: {len(entities)} private customers at {seeded.locations} "
            f"addresses; " + ", ".join(f"{c} {n}" for c, n in countries.most_common())
        )
        print("  groups: " + ", ".join(f"{g} {n}" for g, n in groups.most_common()))
        print(
            f"incoming: {len(records)} records with new external IDs, {matchable} matchable, "
            f"{len(records) - matchable} new; batches of {mq.BATCH_SIZE}"
        )
        results, seconds = mq.run_engine(seeded, records)
        mq.print_summary(
            "current engine (mapping/*.py), persons",
            results,
            mq.thresholds_text(seeded.client),
            seconds,
            target_recall=TARGET_RECALL,
            target_review=TARGET_REVIEW,
        )
        mq.analyse(results, seeded.client.name_match_margin, args.examples, seeded.pk_by_key)
        print(f"\ntotal {time.perf_counter() - started:.1f}s")
    finally:
        if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
            from django.db import connections

            connections.close_all()
        database_drop(mq.DB_NAME)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=mq.EXAMPLES_PER_GROUP)
    parser.add_argument("--seed", type=int, default=SEED)
    return mq.run_locked(run, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
