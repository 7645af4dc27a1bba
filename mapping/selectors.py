"""Reads of the mapping engine: external references and name-and-address candidates, for a
whole batch at once."""

import contextlib
import functools
import zlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import orjson
from django.db import connection, models

from customers.choices import CustomerType
from customers.models import Customer
from customers.normalization import fold
from ordinavo.db import (
    column_count,
    fetch,
    in_values,
    instance_from_row,
    quoted_column,
    quoted_table,
    select_columns,
    stream,
)
from tenants.models import Tenant

from .choices import ExternalType, FrequencyKind
from .matching import Party
from .matching.evidence import NO_FREQUENCIES, NameFrequencies, given_initials
from .matching.party import StoredCustomer
from .models import RECORD_FIELD_BY_TYPE, ExternalReference, NameFrequency
from .search_keys import (
    family_keys,
    namesakes_beyond_review,
    postal_code_spellings,
    site_bases,
    street_key,
    word_orders,
)
from .sql import (
    ADVISORY_LOCKS_SQL,
    CANDIDATE_PARAMETERS,
    TRIGRAM_THRESHOLD_SET_SQL,
    candidate_records_sql,
    record_join,
    references_column,
    references_sql,
)


def referenced_records(
    *,
    tenant: Tenant | int,
    source_system: str,
    external_ids: Mapping[str, Collection[str]],
    origins: Collection[str] = (),
) -> dict[tuple[str, str], models.Model]:
    """The records one source system's references point at, for these external IDs (per
    external type), keyed by (type, ID); only references of `origins` when given.

    One hand-written statement that reads the records alone, not the references: every import
    reads them, and compiling the ORM's five-table select_related, and an instance per
    reference, cost more CPU than the query (bench/import_throughput.py).
    """
    wanted = [(ExternalType(t), list(ids)) for t, ids in sorted(external_ids.items()) if ids]
    if not wanted:
        return {}
    select = ["r.external_type", "r.external_id"]
    joins, records = [], []
    offset = len(select)
    for external_type, _ in wanted:
        field = ExternalReference._meta.get_field(RECORD_FIELD_BY_TYPE[external_type])
        model = field.related_model
        alias = f"r_{field.name}"
        select.append(select_columns(model, alias))
        joins.append(record_join(field, alias))
        records.append((external_type.value, model, offset))
        offset += column_count(model)
    tenant_id = getattr(tenant, "pk", tenant)
    # references_sql: a statement that can be prepared (see there).
    pairs = [(external_type.value, i) for external_type, ids in wanted for i in ids]
    sql = references_sql(select, joins)
    params = [[t for t, _ in pairs], [i for _, i in pairs], tenant_id, source_system]
    if origins:
        origins_in, origins_params = in_values(references_column("origin"), origins)
        sql += f" AND {origins_in}"
        params += origins_params
    start_by_type = {external_type: (model, start) for external_type, model, start in records}
    referenced = {}
    for row in fetch(sql, params):
        model, start = start_by_type[row[0]]
        referenced[(row[0], row[1])] = instance_from_row(model, row, start)
    return referenced


def records_of_customers(
    *, tenant: Tenant | int, model: type[models.Model], customer_ids: Collection[int]
) -> list[models.Model]:
    """The tenant's records of `model` (locations, contacts) of these customers, in the model's
    order: one prepared statement with the ids as one array, its rows made instances
    (`instance_from_row`). The ORM spliced an IN list of hundreds of ids into the text, and its
    instances cost more."""
    order = [f"x.{quoted_column(model, name)}" for name in model._meta.ordering]
    sql = (
        f"SELECT {select_columns(model, 'x')} FROM {quoted_table(model)} x "  # noqa: S608
        f"WHERE x.{quoted_column(model, 'tenant')} = %s "
        f"AND x.{quoted_column(model, 'customer')} = ANY(%s) ORDER BY {', '.join(order)}"
    )
    rows = fetch(sql, [getattr(tenant, "pk", tenant), sorted(customer_ids)])
    return [instance_from_row(model, row) for row in rows]


CANDIDATES_PER_NAME = 10
# pg_trgm similarity a name needs to be fetched among the customers at the party's postal code;
# scoring decides the rest.
TRIGRAM_THRESHOLD = 0.35
# The same, for a party without a postal code: a similar name anywhere in the tenant (the pg_trgm
# GIN). Cheaper than 0.35 at a million customers (fewer rows to recheck), nearly the same recall
# (bench/candidate_lookup.py, threshold sweep).
TENANT_WIDE_THRESHOLD = 0.5
ADVISORY_LOCK_NAMESPACE = 0x4F52  # "OR": keeps these locks apart from anyone else's


@dataclass
class CandidateSet:
    customers: "RowRecords" = field(default_factory=lambda: RowRecords(Customer, {}))
    # item index -> customer id -> the customer as comparable parties (one per address)
    parties_by_index: dict[int, dict[int, list[Party]]] = field(default_factory=dict)


# Rows per chunk of the streamed candidates: small enough that building the first ones overlaps
# the search for the next parties, large enough that a chunk costs little more than its rows
# (bench/matching_speed.py: 20 to 50 alike, 1,000 a fifth slower).
CANDIDATE_ROWS_PER_CHUNK = 50


def _candidate_rows(
    tenant: Tenant, parties: dict[int, Party], frequencies: NameFrequencies
) -> Iterator[tuple]:
    """(item index, the customer's columns..., one location's address) per candidate and
    location, a party's candidates together, streamed: see mapping.sql.candidate_records_sql."""
    indexes = list(parties)
    if not indexes:
        return (row for row in ())  # a generator, closed as the stream is
    wanted = [parties[i] for i in indexes]
    items = []
    for index, p in zip(indexes, wanted, strict=True):
        spelling_1, spelling_2, spelling_3 = postal_code_spellings(p.postal_code)
        initials = given_initials(p) if p.person else ("", "")
        items.append(
            {
                "idx": index,
                "name": p.name,
                "word_orders": word_orders(p.name),
                "postal_code": p.postal_code,
                "spelling_1": spelling_1,
                "spelling_2": spelling_2,
                "spelling_3": spelling_3,
                "street_key": street_key(p),
                "house_number": p.house_number,
                "email": p.email,
                "phone": p.phone,
                "site_bases": site_bases(p),
                "person": p.person,
                "family_keys": "|".join(family_keys(p)),
                "namesake_words": namesakes_beyond_review(p, frequencies),
                "initials_written": initials[0],
                "initials_swapped": initials[1],
            }
        )
    values = {
        "items": orjson.dumps(items).decode(),
        "tenant": tenant.pk,
        "limit": CANDIDATES_PER_NAME,
        "threshold": TRIGRAM_THRESHOLD,
        "tenant_wide_threshold": TENANT_WIDE_THRESHOLD,
    }
    params = [values[name] for name in CANDIDATE_PARAMETERS]
    with connection.cursor() as cursor:
        # `%` (both trigram lookups) takes its threshold from the setting: the lower of the two
        # in use (each lookup then compares the similarity with its own), set for each
        # statement, as an earlier one in the transaction may have set another.
        if any(p.name and p.postal_code and not p.person for p in wanted):
            cursor.execute(TRIGRAM_THRESHOLD_SET_SQL, [TRIGRAM_THRESHOLD])
        elif any(p.name and not p.postal_code for p in wanted):
            cursor.execute(TRIGRAM_THRESHOLD_SET_SQL, [TENANT_WIDE_THRESHOLD])
    return stream(candidate_records_sql(), params, size=CANDIDATE_ROWS_PER_CHUNK)


class RowRecords(Mapping[int, models.Model]):
    """Records read as rows (`select_columns`, from column `start` on), made model instances
    only when one is asked for: a batch reads thousands of candidates to compare them and links
    or shows a few. `datetimes_as_text`: as the rows were selected. `instances`: the instances
    made of the model's records, by id, to take a record's from and add those made to (a
    caller's one object per record); else its own."""

    def __init__(
        self,
        model: type[models.Model],
        rows: dict[int, Sequence],
        *,
        start: int = 0,
        datetimes_as_text=False,
        instances: dict[int, models.Model] | None = None,
    ):
        self._model, self._rows = model, rows
        self._made = {} if instances is None else instances
        self._start, self._datetimes_as_text = start, datetimes_as_text

    def __getitem__(self, pk: int) -> models.Model:
        row = self._rows[pk]
        instance = self._made.get(pk)
        if instance is None:
            instance = self._made[pk] = instance_from_row(
                self._model, row, self._start, datetimes_as_text=self._datetimes_as_text
            )
        return instance

    def value(self, pk: int, attname: str):
        """One field of a record, without making its instance: the instance's once made (a
        change the batch planned on it shows), else the row's."""
        instance = self._made.get(pk)
        if instance is not None:
            return getattr(instance, attname)
        return self._rows[pk][self._start + _column_index(self._model, attname)]

    def __contains__(self, pk) -> bool:  # Mapping's would make the instance
        return pk in self._rows

    def __iter__(self):
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@functools.cache
def _column_index(model: type[models.Model], attname: str) -> int:
    """Where a field stands among the model's columns (`select_columns`)."""
    return [f.attname for f in model._meta.concrete_fields].index(attname)


def _customer_column(name: str) -> int:
    """Where a customer field stands in a candidate row (after its item indexes)."""
    return 1 + _column_index(Customer, name)


def customer_candidates(
    *,
    tenant: Tenant,
    parties: dict[int, Party],
    instances: dict[int, Customer] | None = None,
    read: Callable[[CandidateSet, int], None] | None = None,
    frequencies: NameFrequencies = NO_FREQUENCIES,
) -> CandidateSet:
    """Customers that might be the incoming ones (see mapping.sql.CANDIDATES_SQL): the same or
    (companies) a similar name, (persons) a family name that sounds the same in the postal code,
    the same normalized address and house number, e-mail or phone; with every location of each
    (one known only in Munich must be scored as being in Munich, not on its name alone, which
    ties it with the real match in Essen and blocks the link). One statement for any batch (two
    with a trigram lookup), streamed: each candidate is made comparable from its stored keys
    (`Party.stored`), once per batch, while PostgreSQL searches for the next parties'.
    `instances`: see `RowRecords`. `read(found, index)`: called, while the statement still
    runs, as the first candidate of the party of item `index` arrives: the candidates of every
    party before it are then all in `found` (the parties' rows come in item order), so a caller
    can decide those items while PostgreSQL searches on; it must not use the connection."""
    result = CandidateSet()
    columns = ("name", "normalized_name", "email", "phone", "phone_key", "type", "person_words")
    name, normalized, email, phone, phone_key, kind, person_words = map(_customer_column, columns)
    width = column_count(Customer)
    records: dict[int, tuple] = {}
    result.customers = RowRecords(
        Customer, records, start=1, datetimes_as_text=True, instances=instances
    )
    comparable: dict[int, list[Party]] = {}  # each candidate normalized once per batch
    places: dict[tuple[str, str, str], tuple[str, str]] = {}  # for this batch only
    by_index, stored, building = result.parties_by_index, None, None
    # A row per (party, candidate, location), a party's candidates together, and a candidate's
    # locations (see candidate_records_sql): the item index, the customer's columns, the
    # location's address (then its name and id). A customer found again for a later party is
    # not built again.
    rows = _candidate_rows(tenant, parties, frequencies)
    with contextlib.closing(rows):  # an error here cancels the statement: see ordinavo.db.stream
        for row in rows:
            index, customer_id = row[0], row[1]
            candidates = by_index.get(index)
            if candidates is None:
                if by_index and index < next(reversed(by_index)):
                    # An item decided as complete would have missed candidates (`read`).
                    raise RuntimeError(f"candidate rows out of item order at item {index}")
                if read is not None:
                    read(result, index)
                candidates = by_index[index] = {}
            if customer_id not in candidates:
                if customer_id in comparable:  # built for an earlier party
                    candidates[customer_id], building = comparable[customer_id], None
                    continue
                records[customer_id] = row
                stored = StoredCustomer(  # by position: faster than by keyword, per candidate
                    row[name],
                    row[normalized],
                    tuple(fold(row[name]).split()),
                    row[email],
                    row[phone],
                    row[phone_key],
                    row[kind] == CustomerType.PRIVATE,
                    tuple(row[person_words].split()),
                )
                building = candidates[customer_id] = comparable[customer_id] = []
            elif building is not candidates[customer_id]:
                continue  # another location of a customer built for an earlier party
            # No location: its columns are NULL (a location's are never).
            address = row[width + 1 : width + 8] if row[width + 1] is not None else None
            building.append(Party.stored(stored, address, places))
    return result


def name_locks_take(*, tenant: Tenant, names: list[str]) -> None:
    """Transaction-level advisory locks on (tenant, normalized name), in a stable order.

    Two requests that may create the same customer by name and address (without a shared
    external ID, so no unique constraint can tell) take the same lock; the later one waits and
    then finds the earlier one's customer.
    """
    if not names:
        return
    keys = sorted({zlib.crc32(f"{tenant.pk}:{name}".encode()) - 2**31 for name in names if name})
    with connection.cursor() as cursor:
        cursor.execute(ADVISORY_LOCKS_SQL, [ADVISORY_LOCK_NAMESPACE, keys])


# A tenant's counts change only when they are recounted (hourly, `services.name_frequencies_refresh`
# writes them anew): a process keeps the countings it read last, of a few tenants, and a batch
# only checks that its tenant's is still the current one. So the counts are known before the
# candidates arrive, and each item is decided as soon as its candidates are read (`engine`).
# Memory: a dict entry (some 100 bytes) per distinct name word, phonetic key and postal code of
# the tenant's private customers: 2,503 for bench.matching_speed's 100,000 generated persons,
# more for real names.
COUNTINGS_KEPT = 8


def name_frequencies(*, tenant: Tenant | int) -> NameFrequencies:
    """The tenant's counts of name words, phonetic keys and postal codes among its private
    customers (NameFrequency): all of them, read once per counting; empty when never counted."""
    tenant_id = getattr(tenant, "pk", tenant)
    counting = (
        NameFrequency.objects.for_tenant(tenant_id)
        .filter(kind=FrequencyKind.PERSONS)
        .values_list("pk", flat=True)
    )
    # The persons row is written anew by every recount: its id names the counting.
    counting_id = next(iter(counting), None)
    return NO_FREQUENCIES if counting_id is None else _counting(tenant_id, counting_id)


@functools.lru_cache(maxsize=COUNTINGS_KEPT)
def _counting(tenant_id: int, counting_id: int) -> NameFrequencies:
    found: dict[str, dict[str, int]] = defaultdict(dict)
    rows = NameFrequency.objects.for_tenant(tenant_id).values_list("kind", "value", "count")
    for kind, value, count in rows.iterator(chunk_size=10_000):
        found[kind][value] = count
    return NameFrequencies(
        persons=found[FrequencyKind.PERSONS].get("", 0),
        words=found[FrequencyKind.WORD],
        keys=found[FrequencyKind.KEY],
        postal_codes=found[FrequencyKind.POSTAL_CODE],
    )
