"""Reads of the review queue, always narrowed to the signed-in dispatcher's tenants."""

from django.db.models import Count, Q, QuerySet

from customers.models import Contact, Customer, Location
from customers.normalization import normalize_name
from inbound.choices import ReviewState
from inbound.models import ImportItem, item_search_text
from mapping.models import ExternalReference
from tenants.selectors import tenant_ids_of_user

from .models import ReviewAuditEntry

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


def candidate_customers(*, item: ImportItem) -> list[dict]:
    """The item's kept candidates with their customer and locations, best first."""
    ids = [c["recordId"] for c in item.candidates or [] if c.get("recordId")]
    customers = Customer.objects.for_tenant(item.tenant_id).in_bulk(ids)
    locations: dict[int, list[Location]] = {}
    for location in Location.objects.for_tenant(item.tenant_id).filter(customer__in=ids):
        locations.setdefault(location.customer_id, []).append(location)
    return [
        {
            **candidate,
            "customer": customers[candidate["recordId"]],
            "locations": locations.get(candidate["recordId"], [])[:5],
        }
        for candidate in item.candidates or []
        if candidate.get("recordId") in customers
    ]


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
