"""The bulk reads of a batch: the records its external IDs are known to be, customers by
number, name-and-address candidates, and (once the customers are decided) the locations and
contacts a fallback compares with. A fixed number of queries whatever the batch size. A stored
record is one object across all of them (`Batch.one`), so an item's planned change is what a
later item sees and what is written."""

from collections import defaultdict
from collections.abc import Callable

from customers.models import Customer

from ..choices import ExternalType
from ..models import ExternalReference
from ..policy import CONFIRMED_ORIGINS
from ..selectors import (
    CandidateSet,
    customer_candidates,
    name_frequencies,
    name_locks_take,
    records_of_customers,
    referenced_records,
)
from .children import CHILD_KINDS
from .customer import incoming_party
from .outcome import IncomingContext, MappingOutcome
from .state import Batch


def external_ids_of(contexts: list[IncomingContext]) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = defaultdict(set)
    for ctx in contexts:
        for external_type, block in (
            (ExternalType.CUSTOMER, ctx.customer),
            (ExternalType.LOCATION, ctx.location),
            (ExternalType.CONTACT, ctx.contact),
        ):
            if block and block.get("external_id"):
                ids[external_type].add(block["external_id"])
    return ids


def batch_load(batch: Batch, decide_before: Callable[[int], None]) -> None:
    """Everything the customer decisions read. The name-and-address candidates come last, and
    as they are read the items before each party's are decided (`decide_before(index)`)."""
    policy = batch.policy
    if batch.referenced is None:
        batch.referenced = referenced_records(
            tenant=batch.tenant,
            source_system=policy.source_system,
            external_ids=external_ids_of(batch.contexts),
            origins=CONFIRMED_ORIGINS if policy.manual_only else (),
        )
    # Several references may point at one record.
    one = batch.one
    batch.referenced = {key: one(record) for key, record in batch.referenced.items()}
    if batch.referenced:
        _parent_customers_attach(batch)
    # Customer numbers to look up: for the number fallback, and for conflicts. A known
    # customer sent with the number it has needs neither.
    numbers = set()
    for ctx in batch.contexts:
        number = ctx.customer.get("customer_number") if ctx.customer else None
        if number:
            known = batch.referenced_record(ExternalType.CUSTOMER, ctx.customer)
            if known is None or known.customer_number != number:
                numbers.add(number)
    if numbers:
        batch.customers_by_number = {
            c.customer_number: one(c)
            for c in Customer.objects.for_tenant(batch.tenant).filter(customer_number__in=numbers)
        }
    if policy.match_by_customer_number and batch.customers_by_number:
        batch.numbers_taken_by_reference = set(
            ExternalReference.objects.of_source(
                batch.tenant, policy.source_system, ExternalType.CUSTOMER
            )
            .filter(customer__in=[c.pk for c in batch.customers_by_number.values()])
            .values_list("customer_id", flat=True)
        )
    if policy.match_by_name_and_address:
        _candidates_load(batch, decide_before)


def _parent_customers_attach(batch: Batch) -> None:
    """The customers of the known locations and contacts of items that send no customer
    block (they establish its customer), in one query; only those: loading every record's
    customer would cost a model instance per reference in a large batch."""
    children = [
        record
        for ctx in batch.contexts
        if not ctx.customer
        for record in (
            batch.referenced_record(ExternalType.LOCATION, ctx.location),
            batch.referenced_record(ExternalType.CONTACT, ctx.contact),
        )
        if record is not None
    ]
    if not children:
        return
    customers = batch.records_of(Customer)  # those read already, and then these
    unread = {child.customer_id for child in children} - customers.keys()
    if unread:
        for customer in Customer.objects.for_tenant(batch.tenant).filter(pk__in=unread):
            batch.one(customer)
    for child in children:
        child.customer = customers[child.customer_id]


def _candidates_load(batch: Batch, decide_before: Callable[[int], None]) -> None:
    """Name-and-address candidates for every customer not known by its external ID, and the
    counts that weigh them (read first: the items are decided as their candidates arrive)."""
    wanted = {}
    for index, ctx in enumerate(batch.contexts):
        block = ctx.customer
        if (
            block
            and block.get("name")
            and batch.referenced_record(ExternalType.CUSTOMER, block) is None
        ):
            wanted[index] = incoming_party(block, ctx.location)
    batch.incoming_parties.update(wanted)
    if not wanted:
        return
    # Requests that might create the same customer wait for each other here, so the later
    # one finds the earlier one's customer among its candidates.
    name_locks_take(tenant=batch.tenant, names=[p.name for p in wanted.values()])
    batch.name_frequencies = name_frequencies(tenant=batch.tenant)

    def read(found: CandidateSet, index: int) -> None:
        batch.candidate_customers = found.customers
        batch.candidates = found.parties_by_index
        decide_before(index)

    found = customer_candidates(
        tenant=batch.tenant,
        parties=wanted,
        instances=batch.records_of(Customer),
        read=read,
        frequencies=batch.name_frequencies,
    )
    # The items after the last party with candidates are decided by the caller.
    batch.candidate_customers = found.customers
    batch.candidates = found.parties_by_index


def children_load(batch: Batch, outcomes: list[MappingOutcome]) -> None:
    """Locations and contacts of resolved customers, only where a fallback needs them: one
    query per kind. A record also known by its external ID is the batch's object of it."""
    wanted = {kind.record: set() for kind in CHILD_KINDS}
    for out, ctx in zip(outcomes, batch.contexts, strict=True):
        if out.customer is None or not out.customer.pk:
            continue
        for kind in CHILD_KINDS:
            block = kind.block(ctx)
            if (
                block
                and kind.fallback(batch.policy)
                and batch.referenced_record(kind.external_type, block) is None
            ):
                wanted[kind.record].add(out.customer.pk)
    for kind in CHILD_KINDS:
        if customers := wanted[kind.record]:
            by_customer, one = batch.children[kind.record], batch.one
            for record in records_of_customers(
                tenant=batch.tenant, model=kind.model, customer_ids=customers
            ):
                by_customer[record.customer_id].append(one(record))
