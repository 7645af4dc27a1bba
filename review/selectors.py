"""Reads of the review queue, always narrowed to the signed-in dispatcher's tenants."""

from django.db.models import Count, Q, QuerySet

from customers.models import Contact, Customer, Location
from customers.normalization import normalize_name
from inbound.choices import ReviewState
from inbound.models import ImportItem, IntegrationClient, Target, item_search_text
from mapping.choices import ExternalType, MappingWarning
from mapping.models import ExternalReference
from tenants.selectors import tenant_ids_of_user, tenants_of_user

from .models import CustomerMerge, ReviewAuditEntry
from .reasons import candidate_reasons

SEARCH_LIMIT = 20
# Customers whose name matches a queue search are looked up first, at most this many.
QUEUE_SEARCH_CUSTOMER_LIMIT = 500


def review_items_of_user(*, user) -> QuerySet[ImportItem]:
    # Tenant ids as values: PostgreSQL reads the open-queue index in order and stops after one
    # page (with a subquery it sorts every open item of the tenant on every page).
    return ImportItem.objects.for_tenants(tenant_ids_of_user(user=user))


# What a row of the queue shows: the candidates, decisions and target stay in the database.
QUEUE_ROW_FIELDS = (
    "tenant_id",
    "external_id",
    "payload",
    "mapping_status",
    "warnings",
    "created_at",
    "job__client__name",
)


def tenant_names_of_user(*, user) -> dict[int, str]:
    """The dispatcher's tenants by id: a queue row names its tenant without a join."""
    return dict(tenants_of_user(user=user).values_list("id", "name"))


def clients_of_tenant(*, tenant_id: int) -> list[IntegrationClient]:
    return list(IntegrationClient.objects.for_tenant(tenant_id).order_by("name"))


def review_queue(*, user) -> QuerySet[ImportItem]:
    """Open items that need a person, oldest first, with what a row of the queue shows."""
    return (
        review_items_of_user(user=user)
        .filter(review_state=ReviewState.OPEN)
        .select_related("job__client")
        .only(*QUEUE_ROW_FIELDS)
        .order_by("created_at", "id")
    )


def items_matching_text(
    queryset: QuerySet[ImportItem], text: str, *, customers: QuerySet[Customer]
) -> QuerySet[ImportItem]:
    """Items whose external ID, incoming customer name or incoming external IDs contain `text`,
    or whose linked customer (one of `customers`) has it in its name; case-insensitive, and for
    the customer's name also insensitive to accents, punctuation and legal forms."""
    name = normalize_name(text)
    customer_ids = (
        list(
            # normalized_name has the tenant-leading trigram index customers_customer_name_trgm
            customers.filter(normalized_name__contains=name)
            .order_by()
            .values_list("id", flat=True)[:QUEUE_SEARCH_CUSTOMER_LIMIT]
        )
        if name
        else []
    )
    return queryset.alias(search_text=item_search_text()).filter(
        Q(search_text__icontains=text) | Q(customer_id__in=customer_ids)
    )


def review_counts(*, queryset: QuerySet[ImportItem]) -> dict[str, int]:
    # COUNT(*), not COUNT(id): the counts index holds no id, and the count stays index-only.
    rows = queryset.order_by().values("mapping_status").annotate(n=Count("*"))
    return {row["mapping_status"]: row["n"] for row in rows}


def review_item_get(*, user, item_id: int) -> ImportItem | None:
    return (
        review_items_of_user(user=user)
        .select_related("job__client", "tenant", "target")
        .filter(pk=item_id)
        .first()
    )


def review_next_item(*, user, item: ImportItem) -> ImportItem | None:
    return (
        review_queue(user=user)
        .exclude(pk=item.pk)
        .filter(Q(created_at__gt=item.created_at) | Q(created_at=item.created_at, id__gt=item.pk))
        .first()
    ) or review_queue(user=user).exclude(pk=item.pk).first()


def review_previous_item(*, user, item: ImportItem) -> ImportItem | None:
    return (
        review_queue(user=user)
        .exclude(pk=item.pk)
        .filter(Q(created_at__lt=item.created_at) | Q(created_at=item.created_at, id__lt=item.pk))
        .order_by("-created_at", "-id")
        .first()
    )


def review_items_by_ids(*, user, ids: list[int]) -> list[ImportItem]:
    """Open items of the dispatcher's tenants among `ids`, oldest first."""
    return list(
        review_items_of_user(user=user)
        .filter(pk__in=ids, review_state=ReviewState.OPEN)
        .select_related("job__client", "tenant", "target")
        .order_by("created_at", "id")
    )


def customers_of_user(*, user, ids: list[int]) -> list[Customer]:
    """Customers among `ids` in the dispatcher's tenants, with the facts of a merge page."""
    return list(
        Customer.objects.for_tenants(tenant_ids_of_user(user=user))
        .filter(pk__in=ids)
        .order_by("created_at", "id")
    )


def merge_counts(*, tenant_id: int, customer_ids: list[int]) -> dict[int, dict[str, int]]:
    """What a merge would move, per customer: locations, contacts, targets, external IDs."""
    counts = {
        pk: {"locations": 0, "contacts": 0, "targets": 0, "references": 0} for pk in customer_ids
    }
    for key, model in (
        ("locations", Location),
        ("contacts", Contact),
        ("targets", Target),
        ("references", ExternalReference),
    ):
        for customer_id, n in _count_per_customer(model, tenant_id, customer_ids).items():
            counts[customer_id][key] = n
    return counts


def _count_per_customer(model, tenant_id: int, customer_ids: list[int]) -> dict[int, int]:
    rows = (
        model.objects.for_tenant(tenant_id)
        .filter(customer__in=customer_ids)
        .order_by()
        .values_list("customer_id")
        .annotate(n=Count("*"))
    )
    return dict(rows)


def merge_get(*, user, merge_id: int) -> CustomerMerge | None:
    return (
        CustomerMerge.objects.for_tenants(tenant_ids_of_user(user=user))
        .select_related("survivor", "user")
        .filter(pk=merge_id)
        .first()
    )


def records_search(*, tenant_id: int, text: str) -> dict[str, list]:
    """Customers, locations and contacts of one tenant matching free text."""
    text = text.strip()
    if not text:
        return {"customers": [], "locations": [], "contacts": []}
    customers = (
        Customer.objects.for_tenant(tenant_id)
        .filter(
            Q(name__icontains=text)
            | Q(customer_number__iexact=text)
            | Q(email__iexact=text)
            | Q(external_references__external_id__iexact=text)
        )
        .distinct()[:SEARCH_LIMIT]
    )
    locations = (
        Location.objects.for_tenant(tenant_id)
        .select_related("customer")
        .filter(
            Q(name__icontains=text)
            | Q(street__icontains=text)
            | Q(postal_code__iexact=text)
            | Q(city__iexact=text)
            | Q(customer__name__icontains=text)
        )[:SEARCH_LIMIT]
    )
    contacts = (
        Contact.objects.for_tenant(tenant_id)
        .select_related("customer")
        .filter(
            Q(display_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(email__iexact=text)
            | Q(customer__name__icontains=text)
        )[:SEARCH_LIMIT]
    )
    return {"customers": list(customers), "locations": list(locations), "contacts": list(contacts)}


def customer_facts(*, tenant_id: int, customer_ids: list[int]) -> dict[int, dict]:
    """What tells look-alike customers apart, for each of `customer_ids`: external IDs per
    source system, number of targets and the most recent one; three queries for any number."""
    facts: dict[int, dict] = {
        pk: {"references": {}, "target_count": 0, "latest_target": None} for pk in customer_ids
    }
    if not customer_ids:
        return facts
    references = (
        ExternalReference.objects.for_tenant(tenant_id)
        .filter(customer__in=customer_ids)
        .order_by("source_system", "external_id")
        .values_list("customer_id", "source_system", "external_id")
    )
    for customer_id, source_system, external_id in references:
        facts[customer_id]["references"].setdefault(source_system, []).append(external_id)
    for customer_id, n in _count_per_customer(Target, tenant_id, customer_ids).items():
        facts[customer_id]["target_count"] = n
    latest = (
        Target.objects.for_tenant(tenant_id)
        .filter(customer__in=customer_ids)
        .order_by("customer_id", "-created_at", "-id")
        .distinct("customer_id")
        .only("customer_id", "title", "external_id", "created_at")
    )
    for target in latest:
        facts[target.customer_id]["latest_target"] = target
    return facts


def _conflicts(item: ImportItem) -> list[dict]:
    """Records a Failed or Warning reason names, each with the link that resolves it:
    the holder of a conflicting customer number; a location or contact known by its external ID
    that belongs to another customer than the item's, with that customer."""
    payload = item.payload or {}
    decisions = item.decisions or {}
    warnings = set(item.warnings or [])
    found: list[dict] = []
    if MappingWarning.CUSTOMER_NUMBER_CONFLICT in warnings:
        number = (payload.get("customer") or {}).get("customer_number")
        holder_id = (decisions.get("customer") or {}).get("otherCustomerId")
        holders = Customer.objects.for_tenant(item.tenant_id)
        holder = (
            holders.filter(pk=holder_id).first()
            if holder_id
            else holders.filter(customer_number=number).first()
            if number
            else None
        )
        if holder is not None:
            found.append(
                {
                    "customer": holder,
                    "conflict": MappingWarning.CUSTOMER_NUMBER_CONFLICT,
                    "number": holder.customer_number,
                }
            )
    source_system = item.job.client.source_system
    for record, external_type, warning in (
        ("location", ExternalType.LOCATION, MappingWarning.LOCATION_CUSTOMER_MISMATCH),
        ("contact", ExternalType.CONTACT, MappingWarning.CONTACT_CUSTOMER_MISMATCH),
    ):
        external_id = (payload.get(record) or {}).get("external_id")
        if warning not in warnings or not external_id:
            continue
        reference = (
            ExternalReference.objects.of_source(item.tenant_id, source_system, external_type)
            .filter(external_id=external_id)
            .select_related(f"{record}__customer")
            .first()
        )
        if reference is None:
            continue
        instance = getattr(reference, record)
        found.append(
            {
                "customer": instance.customer,
                "conflict": warning,
                record: instance,
                "current_customer": item.customer,
            }
        )
    return found


def candidate_customers(*, item: ImportItem) -> list[dict]:
    """The item's kept candidates and the records its warnings name, best first, each with its
    customer, locations, reasons in words and the facts that tell look-alikes apart."""
    ids = [c["recordId"] for c in item.candidates or [] if c.get("recordId")]
    customers = Customer.objects.for_tenant(item.tenant_id).in_bulk(ids)
    incoming = (item.payload or {}).get("customer") or {}
    listed = [
        {
            **candidate,
            "customer": customers[candidate["recordId"]],
            "reasons": candidate_reasons(
                signals=candidate.get("signals") or {},
                incoming=incoming,
                existing_email=customers[candidate["recordId"]].email,
                existing_name=customers[candidate["recordId"]].name,
            ),
        }
        for candidate in item.candidates or []
        if candidate.get("recordId") in customers
    ]
    listed = _conflicts(item) + listed
    all_ids = list({c["customer"].pk for c in listed})
    locations: dict[int, list[Location]] = {}
    for location in Location.objects.for_tenant(item.tenant_id).filter(customer__in=all_ids):
        locations.setdefault(location.customer_id, []).append(location)
    facts = customer_facts(tenant_id=item.tenant_id, customer_ids=all_ids)
    for candidate in listed:
        pk = candidate["customer"].pk
        candidate["locations"] = locations.get(pk, [])[:5]
        candidate["facts"] = facts[pk]
    return listed


def customer_history(*, customer: Customer) -> dict[str, list]:
    """How a customer came to be and was linked: its references and the decisions about it."""
    references = (
        ExternalReference.objects.for_tenant(customer.tenant_id)
        .filter(
            Q(customer=customer) | Q(location__customer=customer) | Q(contact__customer=customer)
        )
        .select_related("created_by")
        .order_by("created_at")
    )
    created_by_import = (
        ImportItem.objects.for_tenant(customer.tenant_id)
        .filter(customer=customer, decisions__customer__action="Created")
        .select_related("job__client")[:20]
    )
    reviews = (
        ReviewAuditEntry.objects.for_tenant(customer.tenant_id)
        .filter(Q(after__customerId=customer.pk) | Q(before__customerId=customer.pk))
        .select_related("user", "item")[:50]
    )
    return {
        "references": list(references),
        "imports": list(created_by_import),
        "reviews": list(reviews),
    }
