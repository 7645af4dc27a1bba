"""The customer of each item: by external ID, via a known location or contact, by customer
number, by name and address (the matcher), or created; updated as the policy allows."""

from customers.choices import CustomerType
from customers.models import Customer
from customers.services import customer_prepare

from ..choices import ExternalType, MappingWarning, MatchMethod, RecordAction
from ..fields import CUSTOMER_FIELDS
from ..matching import Party, decide
from .outcome import IncomingContext, MappingOutcome
from .state import Batch, changed_fields

# A name-and-address link found these similar, not the same: a branch's name or a colleague's
# e-mail must not rename the master record (and so hide it from the next record's candidate
# search); they only fill empty fields. Links by ID or customer number update them as sent.
FUZZY_LINK_KEPT_FIELDS = ("name", "email", "phone")


def incoming_party(customer_block: dict | None, location_block: dict | None) -> Party:
    """The item's customer and address as the matcher compares them."""
    customer_block, location_block = customer_block or {}, location_block or {}
    return Party.of(
        name=customer_block.get("name"),
        street=location_block.get("street"),
        postal_code=location_block.get("postal_code"),
        city=location_block.get("city"),
        email=customer_block.get("email"),
        phone=customer_block.get("phone"),
        person=customer_block.get("type") == CustomerType.PRIVATE,
        country=location_block.get("country"),
    )


def _incoming(batch: Batch, index: int, ctx: IncomingContext) -> Party:
    """The item's party as the candidate search made it (`load`), else made now."""
    party = batch.incoming_parties.get(index)
    if party is None:
        party = batch.incoming_parties[index] = incoming_party(ctx.customer, ctx.location)
    return party


def customer_decide(batch: Batch, index: int, ctx: IncomingContext, out: MappingOutcome) -> None:
    block = ctx.customer
    customer = batch.known_record(ExternalType.CUSTOMER, block)
    if customer is not None:
        out.customer = customer
        _customer_update(batch, customer, block, out, method=MatchMethod.EXTERNAL_ID)
        return
    if not block:
        customer_by_known_child(batch, ctx, out)
        return
    policy = batch.policy
    if policy.manual_only:
        return
    if policy.match_by_customer_number and _link_by_number(batch, block, out):
        return
    if policy.match_by_name_and_address and _link_by_name_and_address(batch, index, ctx, out):
        return
    _customer_create(batch, index, block, ctx, out)


def customer_by_known_child(batch: Batch, ctx: IncomingContext, out: MappingOutcome) -> None:
    """An item without a customer block: its location or contact, known by its external ID
    (stored, or created or linked by an earlier item of this batch), establishes the customer.
    Tried again before the item's own location and contact are decided (`engine`): by then the
    earlier items' locations and contacts are decided too."""
    for external_type, method, sub in (
        (ExternalType.LOCATION, MatchMethod.VIA_LOCATION, ctx.location),
        (ExternalType.CONTACT, MatchMethod.VIA_CONTACT, ctx.contact),
    ):
        record = batch.known_record(external_type, sub)
        if record is not None:
            customer = batch.customer_of(record)
            out.customer = customer
            out.decide("customer", method=method, action=RecordAction.MAPPED, instance=customer)
            return


def _link_by_number(batch: Batch, block: dict, out: MappingOutcome) -> bool:
    number = block.get("customer_number")
    customer = batch.customers_by_number.get(number) if number else None
    if customer is None:
        return False
    if customer.pk in batch.numbers_taken_by_reference:
        # The number names a customer this source already knows by another external ID.
        out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
        out.decide(
            "customer",
            method=MatchMethod.CUSTOMER_NUMBER,
            action=RecordAction.NOT_LINKED,
            otherCustomerId=customer.pk,
            reason="the customer number belongs to a customer known by another external ID",
        )
        return True
    out.customer = customer
    batch.learn(ExternalType.CUSTOMER, block, customer)
    _customer_update(batch, customer, block, out, method=MatchMethod.CUSTOMER_NUMBER)
    return True


def _link_by_name_and_address(
    batch: Batch, index: int, ctx: IncomingContext, out: MappingOutcome
) -> bool:
    block = ctx.customer
    incoming = _incoming(batch, index, ctx)
    parties = dict(batch.candidates.get(index, {}))
    # Customers planned earlier in this batch are candidates too (negative keys).
    planned = {}
    for key, (customer, party) in batch.planned_candidates(incoming).items():
        planned[key] = customer
        parties[key] = [party]
    decision = decide(
        incoming,
        parties,
        threshold=batch.policy.name_match_threshold,
        margin=batch.policy.name_match_margin,
        frequencies=batch.name_frequencies,
    )
    details = decision.as_json()
    for candidate in details["candidates"]:
        record_id = candidate["recordId"]
        if record_id in batch.candidate_customers:  # shown by name: no instance needed
            candidate["name"] = batch.candidate_customers.value(record_id, "name")
        else:
            candidate["name"] = planned[record_id].name
            candidate["recordId"] = None  # created in this batch; not yet an id to show
    if decision.link is not None:
        customer = batch.candidate_customers.get(decision.link) or planned[decision.link]
        out.customer = customer
        batch.learn(ExternalType.CUSTOMER, block, customer)
        _customer_update(
            batch,
            customer,
            block,
            out,
            method=MatchMethod.NAME_AND_ADDRESS,
            keep=FUZZY_LINK_KEPT_FIELDS,
            **details,
        )
        return True
    if decision.ambiguous:
        out.ambiguous = True
        out.warn(MappingWarning.AMBIGUOUS_CUSTOMER_MATCH)
        out.candidates = details["candidates"]
        out.decide(
            "customer",
            method=MatchMethod.NAME_AND_ADDRESS,
            action=RecordAction.NOT_LINKED,
            **details,
        )
        return True
    out.decisions["customer"] = {"nameAndAddress": details}  # nothing plausible: recorded
    return False


def _customer_update(
    batch: Batch,
    customer: Customer,
    block: dict | None,
    out: MappingOutcome,
    *,
    method,
    keep: tuple[str, ...] = (),
    **extra,
) -> None:
    """Apply the sent fields the policy lets change; the `keep` fields only fill gaps. A customer
    created earlier in this batch is mapped as the item that created it sent it."""
    if not customer.pk:
        out.decide(
            "customer", method=method, action=RecordAction.MAPPED, instance=customer, **extra
        )
        return
    changes = changed_fields(customer, block or {}, CUSTOMER_FIELDS)
    for name in keep:
        if name in changes and getattr(customer, name):
            del changes[name]
    number = changes.get("customer_number")
    if number is not None:
        holder = batch.customers_by_number.get(number)
        claimed = number in batch.plan.new_customer_numbers
        if (holder is not None and holder.pk != customer.pk) or claimed:
            out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
            del changes["customer_number"]
    if changes and batch.policy.can_update_customer:
        if "customer_number" in changes:
            batch.customers_by_number.pop(customer.customer_number, None)
        for name, value in changes.items():
            setattr(customer, name, value)
        if "customer_number" in changes:
            batch.customers_by_number[customer.customer_number] = customer
        fields = set(changes)
        fields.update(customer_prepare(customer=customer, changed=changes))
        batch.plan.change(customer, fields)
        out.decide(
            "customer",
            method=method,
            action=RecordAction.UPDATED,
            instance=customer,
            updatedFields=sorted(changes),
            **extra,
        )
    else:
        out.decide(
            "customer", method=method, action=RecordAction.MAPPED, instance=customer, **extra
        )


def _customer_create(
    batch: Batch, index: int, block: dict, ctx: IncomingContext, out: MappingOutcome
) -> None:
    policy, plan = batch.policy, batch.plan
    external_id = block.get("external_id")
    # Without an external ID only name-and-address matching can find it again next time.
    rememberable = bool(external_id) or policy.match_by_name_and_address
    previous = out.decisions.get("customer", {})
    if not (policy.can_create_customer and rememberable and block.get("name")):
        out.warn(MappingWarning.CUSTOMER_NOT_FOUND)
        reason = (
            "no external ID to remember the customer by"
            if not rememberable
            else "no name to create the customer with"
            if not block.get("name")
            else "creating customers is not allowed (customers.write scope or client policy)"
        )
        out.decide(
            "customer",
            method=MatchMethod.NONE,
            action=RecordAction.NOT_LINKED,
            reason=reason,
            **previous,
        )
        return
    number = block.get("customer_number")
    if number and (number in batch.customers_by_number or number in plan.new_customer_numbers):
        out.warn(MappingWarning.CUSTOMER_NUMBER_CONFLICT)
        out.decide(
            "customer",
            method=MatchMethod.NONE,
            action=RecordAction.NOT_LINKED,
            reason="the customer number belongs to another customer",
            **previous,
        )
        return
    customer = batch.new_record(Customer, block, CUSTOMER_FIELDS)
    customer_prepare(customer=customer)
    key = external_id or f"~{len(plan.new_customers)}"
    plan.new_customers[key] = customer
    if customer.customer_number:
        plan.new_customer_numbers.add(customer.customer_number)
    if external_id:
        plan.reference(ExternalType.CUSTOMER, external_id, customer)
    if policy.match_by_name_and_address:
        batch.customer_planned(customer, _incoming(batch, index, ctx), ctx.location)
    out.customer = customer
    out.decide(
        "customer",
        method=MatchMethod.CREATED,
        action=RecordAction.CREATED,
        instance=customer,
        **previous,
    )
