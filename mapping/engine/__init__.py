"""The mapping engine: incoming customer, location and contact → Ordinavo records, for a batch.

All lookups of a batch are done in bulk (a fixed number of queries whatever the batch size) and
every write happens in a stable order (sorted by key), so concurrent batches do not deadlock.
Callers (`mapping.services`) run it inside a transaction and retry it once on an IntegrityError:
a concurrent request that created the same record first is then found by its reference.

One module per stage: `load` (bulk reads), `customer` (the customer rules), `children` (one
routine for locations and contacts), `status`, `write`; `state` holds a batch's reads and
planned writes, `outcome` what the engine takes and gives per item.
"""

from django.db import models

from tenants.models import Tenant

from ..choices import MappingStatus, MappingWarning
from ..policy import MappingPolicy
from .children import CHILD_KINDS, child_decide
from .customer import customer_by_known_child, customer_decide
from .load import batch_load, children_load
from .outcome import IncomingContext, MappingOutcome
from .state import Batch
from .status import outcome_status
from .write import plan_write

__all__ = ["IncomingContext", "MappingOutcome", "batch_map"]


def batch_map(
    *,
    tenant: Tenant,
    policy: MappingPolicy,
    contexts: list[IncomingContext],
    referenced: dict[tuple[str, str], models.Model] | None = None,
) -> list[MappingOutcome]:
    """One outcome per context, in order: load, decide the customers (each item's as soon as
    its candidates are read), load what the location and contact fallbacks compare with,
    decide those and the status, write."""
    outcomes = [MappingOutcome() for _ in contexts]
    if not policy.can_map:
        for ctx, out in zip(contexts, outcomes, strict=True):
            if not ctx.is_empty:
                out.status = MappingStatus.SKIPPED
                out.warn(MappingWarning.CUSTOMER_MAPPING_SCOPE_MISSING)
        return outcomes
    batch = Batch(tenant=tenant, policy=policy, contexts=contexts, referenced=referenced)
    decided = 0

    def customers_decide_before(index: int) -> None:
        """The customers of the items before `index` not decided yet, in item order (an item
        may link a customer an earlier one planned)."""
        nonlocal decided
        for n in range(decided, index):
            if not contexts[n].is_empty:
                customer_decide(batch, n, contexts[n], outcomes[n])
        decided = max(decided, index)

    # Its last read, the name-and-address candidates, decides the items as they arrive.
    batch_load(batch, customers_decide_before)
    customers_decide_before(len(contexts))
    children_load(batch, outcomes)
    for ctx, out in zip(contexts, outcomes, strict=True):
        if ctx.is_empty:
            continue
        if not ctx.customer and out.customer is None:
            # Its location or contact may be one an earlier item just created or linked.
            customer_by_known_child(batch, ctx, out)
        for kind in CHILD_KINDS:
            child_decide(batch, kind, ctx, out)
        out.status = outcome_status(policy, ctx, out)
    plan_write(batch)
    return outcomes
