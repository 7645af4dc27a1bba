"""Matching quality benchmark: name-and-address customer matching on realistic, messy data.

    .venv/bin/python -m bench.matching_quality                  # what `make bench-matching` runs
    .venv/bin/python -m bench.matching_quality --seed 7         # another realistic data set
    .venv/bin/python -m bench.matching_quality --shipped-index  # index as shipped, see run_engine

It creates its own PostgreSQL database (`ordinavo_matching_bench` on 127.0.0.1:5432, dropped again
at the end; a server-wide advisory lock keeps a second run from dropping it under the first),
migrates it (the migrations add the pg_trgm GIN index the candidate search uses) and seeds
one tenant with 5,000 customers: German and international, business and private, 1..n locations,
ten chains with 20-100 branches, and the hard cases real master data has: the same name in other
cities, near-identical names of different companies in one postal code (Schmidt / Schmitt),
several customers in one building, property managers whose owners' associations (WEG) share
their e-mail. Then 2,000 incoming customer contexts with NEW external IDs (so the external-ID path
misses) go through `mapping.services.customer_contexts_map` under ExternalIdThenNameAndAddress
with create allowed, in batches of 500, each in its own transaction:

- 1,000 *matchable* records describe an existing customer the way other systems write it:
  legal form dropped / spelled differently / changed, "Str." for "Straße", case and umlauts, a
  typo, swapped tokens, a salutation, missing fields, punctuation, a company that moved (linking
  it is right, review acceptable, creating it a duplicate), a new or existing branch of a chain;
- 1,000 *new* records are pairwise distinct new customers, many of them traps: the same name as
  an existing customer in another city, another company at the same address, a neighbour with
  the same surname, a near-identical name in the same postal code, a sister company ("... Holding
  GmbH") at the same address, a new WEG of the same property manager (same e-mail).

A link is *wrong* when it goes to any customer other than the true original, or when a new
record is linked at all (also to a customer another record created in this run). It prints wrong
links, duplicates, review rate and automatic-link recall against their targets, a breakdown per
variant, why records were not linked (from the engine's own candidate scores), how often a link
overwrote master data, every wrong link, and examples per variant and outcome.

Exits 0 unless the script itself fails (or another run holds the lock): a missed target is a
measurement. The generator uses a fixed seed and never looks at the matcher. Between batches the
trigram index's GIN pending list is merged, as a vacuum would (same results, stable plan; see
`run_engine`), which keeps a run well under two minutes. Only the standard library, psycopg and
the project's venv are used.
"""

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from bench import app
from bench.data.matching import (
    EXISTING_CUSTOMERS,
    INCOMING,
    SEED,
    Entity,
    Generator,
    Incoming,
    IncomingBuilder,
)
from bench.db import PG_HOST, PG_PORT, database_create, database_drop, django_setup, run_lock

DB_NAME = "ordinavo_matching_bench"
BATCH_SIZE = 500
TARGET_WRONG_LINKS = 0
TARGET_DUPLICATE_RATE = 0.02
TARGET_RECALL = 0.95
EXAMPLES_PER_GROUP = 3

# --- database, Django ------------------------------------------------------------------------


# One matching benchmark per server at a time: a second run would drop this run's database under
# it (the database name is fixed).
RUN_LOCK = 0x4F52_4D51  # "ORMQ"


@dataclass
class Seeded:
    tenant: Any
    client: Any
    pk_by_key: dict[int, int]  # Entity.key -> customer pk
    key_by_pk: dict[int, int]
    locations: int


def seed(entities: list[Entity], slug: str) -> Seeded:
    """One tenant with its integration client, customers and locations."""
    tenant = app.Tenant.objects.create(slug=slug, name=f"Matching bench ({slug})")
    client = app.IntegrationClient.objects.create(
        tenant=tenant,
        name="Bench ERP",
        source_system="bench-erp",
        strategy=app.MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
    )
    customers = []
    for n, e in enumerate(entities):
        customer = app.Customer(
            tenant=tenant,
            customer_number=f"K-{10000 + n}",
            name=e.name,
            type=e.kind,
            industry=e.industry,
            email=e.email,
            phone=e.phone,
        )
        app.customer_prepare(customer=customer)
        customers.append(customer)
    app.Customer.objects.bulk_create(customers, batch_size=1000)
    locations = []
    for e, customer in zip(entities, customers, strict=True):
        for address in e.addresses:
            location = app.Location(
                tenant=tenant,
                customer=customer,
                name=address.name,
                street=address.street,
                postal_code=address.postal_code,
                city=address.city,
                country=address.country,
                latitude=address.lat,
                longitude=address.lon,
            )
            app.location_prepare(location=location)
            locations.append(location)
    app.Location.objects.bulk_create(locations, batch_size=2000)
    pk_by_key = {e.key: c.pk for e, c in zip(entities, customers, strict=True)}
    return Seeded(tenant, client, pk_by_key, {v: k for k, v in pk_by_key.items()}, len(locations))


def vacuum() -> None:
    """Steady state, as autovacuum leaves it: statistics, and the GIN pending list merged.

    Right after a bulk load neither is there: the planner then scans every customer and computes
    trigrams per row (~20 ms per name, ~10 s per batch of 500) until autovacuum has run.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_customer, customers_location")


# --- running the engine and judging the outcome ------------------------------------------------


@dataclass
class Result:
    record: Incoming
    outcome: str  # correct, wrong, review, created, dup_link, not_linked
    linked_pk: int | None
    truth_pk: int | None
    decision: dict[str, Any]


def run_engine(
    seeded: Seeded, records: list[Incoming], *, clean_index: bool = True
) -> tuple[list[Result], list[float]]:
    """All records through the engine, in batches of BATCH_SIZE, one transaction each; the
    results and the seconds per batch.

    `clean_index` merges the trigram index's GIN pending list after each batch, as a vacuum
    would. It changes no result (the candidate query orders deterministically), only the plan:
    with the shipped index, customers created by a batch wait in the pending list and after a
    batch or two the planner gives up the index for ~30 ms per name (see --shipped-index).
    """
    from django.db import connection, transaction

    policy = app.mapping_policy(
        client=seeded.client, scopes=[app.Scope.CUSTOMERS_MAP, app.Scope.CUSTOMERS_WRITE]
    )
    created_by: dict[int, Incoming] = {}  # pk of a customer created in this run -> its record
    results, seconds = [], []
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        contexts = [
            app.IncomingContext(
                customer=dict(r.customer), location=dict(r.location) if r.location else None
            )
            for r in batch
        ]
        t0 = time.perf_counter()
        with transaction.atomic():
            outcomes = app.customer_contexts_map(
                tenant=seeded.tenant, policy=policy, contexts=contexts
            )
        seconds.append(time.perf_counter() - t0)
        if clean_index:
            with connection.cursor() as cursor:
                cursor.execute("SELECT gin_clean_pending_list('customers_customer_name_trgm')")
        decisions = [out.decisions_as_json().get("customer", {}) for out in outcomes]
        for record, out, decision in zip(batch, outcomes, decisions, strict=True):
            if decision.get("action") == "Created":
                created_by[out.customer.pk] = record
        for record, out, decision in zip(batch, outcomes, decisions, strict=True):
            pk = out.customer.pk if out.customer is not None else None
            truth_pk = seeded.pk_by_key.get(record.truth) if record.matchable else None
            if out.ambiguous:
                outcome = "review"
            elif decision.get("action") == "Created":
                outcome = "created"
            elif pk is None:
                outcome = "not_linked"
            elif pk in seeded.key_by_pk:
                outcome = "correct" if record.matchable and pk == truth_pk else "wrong"
            else:
                creator = created_by.get(pk)
                same = (
                    record.matchable and creator is not None and creator.matchable
                    and creator.truth == record.truth
                )  # fmt: skip
                outcome = "dup_link" if same else "wrong"
            results.append(Result(record, outcome, pk, truth_pk, decision))
    return results, seconds


# --- report -----------------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "   - "


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def summary(results: list[Result]) -> dict[str, float]:
    matchable = [r for r in results if r.record.matchable]
    unmatchable = [r for r in results if not r.record.matchable]
    duplicates = sum(r.outcome == "created" for r in matchable)
    review = sum(r.outcome == "review" for r in results)
    correct = sum(r.outcome == "correct" for r in matchable)
    return {
        "wrong": sum(r.outcome == "wrong" for r in results),
        "duplicates": duplicates,
        "duplicate_rate": duplicates / len(matchable),
        "review": review,
        "review_rate": review / len(results),
        "review_matchable": sum(r.outcome == "review" for r in matchable),
        "review_new": sum(r.outcome == "review" for r in unmatchable),
        "correct": correct,
        "recall": correct / len(matchable),
        "created_new": sum(r.outcome == "created" for r in unmatchable),
        "dup_links": sum(r.outcome == "dup_link" for r in results),
        "matchable": len(matchable),
        "unmatchable": len(unmatchable),
        "total": len(results),
    }


def print_summary(
    label: str,
    results: list[Result],
    thresholds: str,
    seconds: list[float],
    *,
    target_recall: float = TARGET_RECALL,
    target_review: float | None = None,
) -> None:
    s = summary(results)
    print(f"\n=== {label} ===")
    print(f"thresholds: {thresholds}")
    print(
        f"  wrong links            {s['wrong']:5d}{'':23s}target {TARGET_WRONG_LINKS}"
        f"       {verdict(s['wrong'] <= TARGET_WRONG_LINKS)}"
    )
    print(
        f"  duplicates created     {s['duplicates']:5d} {pct(s['duplicates'], s['matchable'])}"
        f" of matchable   target <= {TARGET_DUPLICATE_RATE:.0%}  "
        f"{verdict(s['duplicate_rate'] <= TARGET_DUPLICATE_RATE)}"
    )
    review_target = (
        f"target <= {target_review:.0%} {verdict(s['review_rate'] <= target_review)}"
        if target_review is not None
        else ""
    )
    print(
        f"  review rate            {s['review']:5d} {pct(s['review'], s['total'])} of all"
        f"         ({s['review_matchable']} matchable, {s['review_new']} new) {review_target}"
    )
    print(
        f"  automatic-link recall  {s['correct']:5d} {pct(s['correct'], s['matchable'])}"
        f" of matchable   target >= {target_recall:.0%} {verdict(s['recall'] >= target_recall)}"
    )
    print(f"  linked to a duplicate created earlier in the run: {s['dup_links']}")
    overwritten: Counter = Counter()
    for r in results:
        if r.decision.get("method") == "NameAndAddress" and r.decision.get("action") == "Updated":
            overwritten.update(r.decision.get("updatedFields", []))
    if overwritten:
        fields = ", ".join(f"{f} {n}" for f, n in overwritten.most_common())
        print(f"  master data overwritten by name-and-address links: {fields}")
    print(
        f"  new customers created as new: {s['created_new']} of {s['unmatchable']}"
        f" ({pct(s['created_new'], s['unmatchable']).strip()})"
    )
    per_batch = ", ".join(f"{x:.1f}" for x in seconds)
    print(f"  elapsed: {sum(seconds):.1f}s for {s['total']} records (per batch: {per_batch})")

    columns = ("correct", "wrong", "review", "created", "dup_link", "not_linked")
    print(f"\n  {'variant':34s} {'n':>5s} " + " ".join(f"{c:>10s}" for c in columns))
    for matchable in (True, False):
        by_variant: dict[str, Counter] = defaultdict(Counter)
        for r in results:
            if r.record.matchable == matchable:
                by_variant[r.record.variant][r.outcome] += 1
        print(f"  {'-- matchable' if matchable else '-- new (must not be linked)'}")
        for variant, counts in sorted(by_variant.items()):
            n = sum(counts.values())
            print(f"  {variant:34s} {n:5d} " + " ".join(f"{counts[c]:10d}" for c in columns))


# --- analysis ---------------------------------------------------------------------------------


def describe_record(r: Incoming) -> str:
    c, loc = r.customer, r.location or {}
    address = ", ".join(str(loc[k]) for k in ("street", "postal_code", "city") if loc.get(k))
    extra = " ".join(f"{k}={c[k]}" for k in ("type", "email", "phone") if c.get(k))
    return f"{c['name']!r} | {address or '(no address)'} {extra}".rstrip()


def describe_entity(e: Entity, pk: int | None) -> str:
    a = e.addresses[0]
    more = f" (+{len(e.addresses) - 1} locations)" if len(e.addresses) > 1 else ""
    extra = " ".join(f"{k}={v}" for k, v in (("email", e.email), ("phone", e.phone)) if v)
    return f"#{pk} {e.name!r} | {a.street}, {a.postal_code}, {a.city}{more} {extra}".rstrip()


def describe_candidates(
    decision: dict[str, Any], truth_pk: int | None, limit: int = 3
) -> list[str]:
    details = decision.get("nameAndAddress", decision)
    lines = []
    for c in (details.get("candidates") or [])[:limit]:
        marker = "TRUE " if truth_pk is not None and c["recordId"] == truth_pk else "     "
        s = c["signals"]
        rid = c["recordId"] if c["recordId"] is not None else "new-in-batch"
        lines.append(
            f"      {marker}#{rid} {c.get('name', '')!r} score={c['score']:.3f} "
            f"corroborated={c['corroborated']} name={s['name']:.2f} street={s['street']:.2f} "
            f"no={s['houseNumber']:.0f} plz={s['postalCode']:.0f} city={s['city']:.0f} "
            f"email={s['email']:.0f} phone={s['phone']:.0f}"
        )
        if "evidence" in c:  # a person: the bits behind the score
            e = c["evidence"]
            parts = " ".join(
                f"{k}={e[k]['level']}:{e[k]['bits']:+.1f}"
                for k in ("familyName", "givenName", "address", "email", "phone")
            )
            lines.append(
                f"             log2 odds {e['logOdds']:+.1f} (prior {e['prior']:+.1f}) {parts}"
            )
    return lines or ["      (no plausible candidate recorded)"]


def miss_reason(r: Result, margin: float) -> str:
    """Why a matchable record was not linked to its original, from the engine's own decision."""
    details = r.decision.get("nameAndAddress", r.decision)
    candidates = details.get("candidates") or []
    if r.outcome == "created" or not candidates:
        return "original not retrieved, or below plausibility"
    ids = [c["recordId"] for c in candidates]
    if r.truth_pk not in ids:
        return "original not among the candidates"
    rank = ids.index(r.truth_pk)
    truth = candidates[rank]
    if rank > 0:
        runner = candidates[0]
        blind = runner["signals"]["postalCode"] == 0 and runner["signals"]["street"] == 0
        return "another candidate ranked above the original" + (
            " (it has no address the engine compared: name-only score)" if blind else ""
        )
    s = truth["signals"]
    if not truth["corroborated"]:
        if s["name"] < 0.85:
            return "original first, not corroborated: name similarity < 0.85"
        if not (s["postalCode"] and s["houseNumber"]):
            return "original first, not corroborated: address differs or is incomplete"
        return "original first, not corroborated (other rule)"
    if truth["score"] < details.get("threshold", 0):
        if s["email"] == 0 and s["phone"] == 0 and s["name"] >= 0.99 and s["postalCode"]:
            return "original first, corroborated, below threshold: e-mail/phone differ"
        return "original first, corroborated, below threshold"
    runner = candidates[1]
    blind = runner["signals"]["postalCode"] == 0 and runner["signals"]["street"] == 0
    kind = "runner-up has no address the engine compared" if blind else "runner-up close"
    return f"original first, corroborated, margin < {margin} ({kind})"


def analyse(results: list[Result], margin: float, examples: int, pk_by_key: dict[int, int]) -> None:
    print("\n--- why matchable records were not linked automatically (engine's own scores) ---")
    reasons: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        if r.record.matchable and r.outcome != "correct":
            reasons[f"{r.outcome}: {miss_reason(r, margin)}"][r.record.variant] += 1
    for reason, counts in sorted(reasons.items(), key=lambda kv: -sum(kv[1].values())):
        detail = ", ".join(f"{v} {n}" for v, n in counts.most_common())
        print(f"  {sum(counts.values()):4d}  {reason}\n        ({detail})")

    print("\n--- why new customers went to review ---")
    new_reasons: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        if r.record.matchable or r.outcome != "review":
            continue
        top = (r.decision.get("candidates") or [{}])[0]
        s = top.get("signals", {})
        if not s:
            reason = "?"
        elif s["postalCode"] == 0 and s["street"] == 0:
            reason = "top candidate: name-only score (no address compared)"
        elif s["name"] >= 0.99:
            reason = "top candidate: same name, other address"
        elif s["name"] >= 0.85:
            reason = "top candidate: similar name (>= 0.85)"
        else:
            reason = "top candidate: same/near address, other name"
        new_reasons[reason][r.record.variant] += 1
    for reason, counts in sorted(new_reasons.items(), key=lambda kv: -sum(kv[1].values())):
        detail = ", ".join(f"{v} {n}" for v, n in counts.most_common())
        print(f"  {sum(counts.values()):4d}  {reason}\n        ({detail})")

    print("\n--- wrong links (all) ---")
    wrong = [r for r in results if r.outcome == "wrong"]
    for r in wrong:
        print_example(r, pk_by_key)
    if not wrong:
        print("  none")

    print(f"\n--- examples per variant and outcome (up to {examples} each) ---")
    seen: Counter = Counter()
    for r in results:
        key = (r.record.variant, r.outcome)
        if r.outcome in ("correct", "wrong") or (not r.record.matchable and r.outcome == "created"):
            continue
        if seen[key] >= examples:
            continue
        seen[key] += 1
        print_example(r, pk_by_key)


def print_example(r: Result, pk_by_key: dict[int, int]) -> None:
    rec = r.record
    kind = "matchable" if rec.matchable else "new"
    note = re.sub(r"@(\d+)", lambda m: f"#{pk_by_key.get(int(m[1]), '?')}", rec.note)
    print(f"  [{rec.variant} / {r.outcome}] ({kind}) {note}")
    print(f"    incoming: {describe_record(rec)}")
    if rec.matchable:
        print(f"    original: {describe_entity(rec.entity, r.truth_pk)}")
    if r.outcome == "wrong" and r.linked_pk is not None:
        print(f"    linked to #{r.linked_pk}")
    for line in describe_candidates(r.decision, r.truth_pk):
        print(line)


# --- main -------------------------------------------------------------------------------------


def thresholds_text(client) -> str:
    # What a link and a review mean is mapping.matching's docstring; here only the settings.
    text = (
        f"matcher {app.MATCHER_VERSION}; link threshold {client.name_match_threshold}, "
        f"margin {client.name_match_margin}; candidates (top {app.CANDIDATES_PER_NAME} "
        f"each): same name, trigram >= {app.TRIGRAM_THRESHOLD} at the postal code, "
        f"without a postal code trigram >= {app.TENANT_WIDE_THRESHOLD} anywhere, "
        f"same address, same e-mail"
    )
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=EXAMPLES_PER_GROUP)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--shipped-index",
        action="store_true",
        help="leave the trigram index's pending list alone between batches (slow: shows the plan "
        "change after inserts; results are the same)",
    )
    return run_locked(run, parser.parse_args())


def run_locked(run_benchmark, args: argparse.Namespace) -> int:
    """Run a matching benchmark under the server-wide lock its fixed database name needs."""
    lock = run_lock(RUN_LOCK)
    if lock is None:
        print(f"another matching benchmark is running on {PG_HOST}:{PG_PORT} ({DB_NAME})")
        return 1
    try:
        return run_benchmark(args)
    finally:
        lock.close()


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    gen = Generator(args.seed)
    entities = gen.population(EXISTING_CUSTOMERS)
    records = IncomingBuilder(gen, entities).build(INCOMING)
    generated = time.perf_counter()

    database_create(DB_NAME)
    try:
        django_setup(DB_NAME, migrate=True)
        migrated = time.perf_counter()
        current = seed(entities, "matching-bench")
        vacuum()
        # What the periodic task (mapping.tasks) keeps: the rarity of names, per tenant.
        app.name_frequencies_refresh(tenant=current.tenant)
        seeded = time.perf_counter()

        groups = Counter(e.group for e in entities)
        kinds = Counter((e.kind.lower(), "DE" if e.country == "DE" else "intl") for e in entities)
        matchable = sum(r.matchable for r in records)
        print("Matching quality benchmark (ExternalIdThenNameAndAddress, create allowed)")
        print(
            f"seed {args.seed}: {len(entities)} existing customers with {current.locations} "
            f"locations: " + ", ".join(f"{k} {c} {n}" for (k, c), n in sorted(kinds.items()))
        )
        print("  groups: " + ", ".join(f"{g} {n}" for g, n in groups.most_common()))
        print(
            f"incoming: {len(records)} records with new external IDs, {matchable} matchable, "
            f"{len(records) - matchable} new; batches of {BATCH_SIZE}, one transaction each"
        )

        results, seconds = run_engine(current, records, clean_index=not args.shipped_index)
        engine_s = sum(seconds)
        margin = current.client.name_match_margin
        print_summary("current engine (mapping/*.py)", results, thresholds_text(current.client),
                      seconds)  # fmt: skip
        analyse(results, margin, args.examples, current.pk_by_key)

        print(
            f"\ntimings: generate {generated - started:.1f}s, create+migrate "
            f"{migrated - generated:.1f}s, seed {seeded - migrated:.1f}s, engine {engine_s:.1f}s"
            + f", total {time.perf_counter() - started:.1f}s"
        )
    finally:
        if "django" in sys.modules and sys.modules["django"].apps.apps.ready:
            from django.db import connections

            connections.close_all()
        database_drop(DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
