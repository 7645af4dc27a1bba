"""Reads of the mapping engine: name-and-address candidates for a whole batch at once."""

import zlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from customers.choices import CustomerType
from customers.models import Customer, Location
from tenants.models import Tenant

from .matching import Party

CANDIDATES_PER_NAME = 10
# pg_trgm similarity a name needs to be fetched at all; scoring decides the rest.
TRIGRAM_THRESHOLD = 0.35
ADVISORY_LOCK_NAMESPACE = 0x4F52  # "OR": keeps these locks apart from anyone else's


@dataclass
class CandidateSet:
    customers: dict[int, Customer] = field(default_factory=dict)
    # item index -> customer id -> the customer as comparable parties (one per address)
    parties_by_index: dict[int, dict[int, list[Party]]] = field(default_factory=dict)


def _ids_by_trigram(tenant: Tenant, wanted: dict[int, Party]) -> dict[int, set[int]]:
    indexes = [i for i, p in wanted.items() if p.name]
    if not indexes:
        return {}
    sql = """
        SELECT q.idx, c.id
        FROM unnest(%s::text[], %s::int[]) AS q(name, idx)
        CROSS JOIN LATERAL (
            SELECT id FROM customers_customer
            WHERE tenant_id = %s AND normalized_name %% q.name
            ORDER BY similarity(normalized_name, q.name) DESC, id
            LIMIT %s
        ) AS c
    """
    found: dict[int, set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [TRIGRAM_THRESHOLD])
        cursor.execute(
            sql, [[wanted[i].name for i in indexes], indexes, tenant.pk, CANDIDATES_PER_NAME]
        )
        for index, customer_id in cursor.fetchall():
            found[index].add(customer_id)
    return found


def _ids_by_exact_name(tenant: Tenant, wanted: dict[int, Party]) -> dict[int, set[int]]:
    """SQLite has no trigram index: the simple fallback is the exact normalized name."""
    by_name: dict[str, set[int]] = defaultdict(set)
    names = {p.name for p in wanted.values() if p.name}
    for customer_id, name in (
        Customer.objects.for_tenant(tenant)
        .filter(normalized_name__in=names)
        .values_list("id", "normalized_name")
    ):
        by_name[name].add(customer_id)
    return {i: set(by_name.get(p.name, ())) for i, p in wanted.items()}


def customer_candidates(*, tenant: Tenant, parties: dict[int, Party]) -> CandidateSet:
    """Customers that might be the incoming ones: similar name (trigram on PostgreSQL), the same
    normalized address, or the same e-mail. A fixed number of queries for any batch."""
    if connection.vendor == "postgresql":
        ids_by_index = _ids_by_trigram(tenant, parties)
    else:
        ids_by_index = _ids_by_exact_name(tenant, parties)
    ids_by_index = defaultdict(set, ids_by_index)

    # Every item at an address, not only the last one: a batch often has several jobs there.
    addresses: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, party in parties.items():
        if party.has_address:
            addresses[(party.postal_code, party.street.replace(" ", ""))].append(index)
    emails = defaultdict(list)
    for index, party in parties.items():
        if party.email:
            emails[party.email].append(index)
    condition = Q()
    for postal_code, key in addresses:
        condition |= Q(postal_code=postal_code, street_key=key)
    if addresses:
        for customer_id, postal_code, key in (
            Location.objects.for_tenant(tenant)
            .filter(condition)
            .values_list("customer_id", "postal_code", "street_key")
        ):
            for index in addresses[(postal_code, key)]:
                ids_by_index[index].add(customer_id)
    if emails:
        for customer_id, email in (
            Customer.objects.for_tenant(tenant)
            .filter(email__in=list(emails))
            .values_list("id", "email")
        ):
            for index in emails.get(email.casefold(), ()):
                ids_by_index[index].add(customer_id)

    all_ids = set().union(*ids_by_index.values()) if ids_by_index else set()
    result = CandidateSet()
    if not all_ids:
        return result
    result.customers = {c.pk: c for c in Customer.objects.for_tenant(tenant).filter(pk__in=all_ids)}
    # Every location of a candidate: one known only in Munich must be scored as being in Munich,
    # not on its name alone (which ties it with the real match in Essen and blocks the link).
    locations = defaultdict(list)
    for location in Location.objects.for_tenant(tenant).filter(customer__in=all_ids):
        locations[location.customer_id].append(location)
    comparable: dict[int, list[Party]] = {}  # each candidate normalized once per batch
    for index, ids in ids_by_index.items():
        result.parties_by_index[index] = {}
        for customer_id in ids:
            if customer_id not in result.customers:
                continue
            if customer_id not in comparable:
                comparable[customer_id] = _parties_of(
                    result.customers[customer_id], locations[customer_id]
                )
            result.parties_by_index[index][customer_id] = comparable[customer_id]
    return result


def _parties_of(customer: Customer, locations: list[Location]) -> list[Party]:
    base = {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "person": customer.type == CustomerType.PRIVATE,
    }
    if not locations:
        return [Party.of(**base)]
    return [
        Party.of(
            **base,
            street=loc.street,
            postal_code=loc.postal_code,
            city=loc.city,
            country=loc.country,
        )
        for loc in locations
    ]


def name_locks_take(*, tenant: Tenant, names: list[str]) -> None:
    """Transaction-level advisory locks on (tenant, normalized name), in a stable order.

    Two requests that may create the same customer by name and address (without a shared
    external ID, so no unique constraint can tell) take the same lock; the later one waits and
    then finds the earlier one's customer. No-op outside PostgreSQL (SQLite serializes writes).
    """
    if connection.vendor != "postgresql" or not names:
        return
    keys = sorted({zlib.crc32(f"{tenant.pk}:{name}".encode()) - 2**31 for name in names if name})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k",
            [ADVISORY_LOCK_NAMESPACE, keys],
        )
