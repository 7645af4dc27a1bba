"""The review queue inside the Django admin: thin views over review selectors and services."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from customers.models import Contact, Customer, Location
from inbound.choices import ReviewState
from mapping.fields import CONTACT_FIELDS, CUSTOMER_FIELDS, LOCATION_FIELDS

from . import selectors, services
from .filters import ReviewItemFilter

PAGE_SIZE = 50
PERMISSION = "review.work_queue"


def _dispatcher(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied("Only dispatchers work the review queue.")


def _context(request: HttpRequest, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    _dispatcher(request)
    open_items = selectors.review_queue(user=request.user)
    filterset = ReviewItemFilter(request.GET or None, queryset=open_items, request=request)
    filtered = (
        filterset.is_bound
        and filterset.is_valid()
        and any(value not in (None, "") for value in filterset.form.cleaned_data.values())
    )
    items = filterset.qs if filtered else open_items
    counts = selectors.review_counts(queryset=open_items)
    paginator = Paginator(items, PAGE_SIZE)
    if not filtered:
        # The total is the sum of the counts: no second pass over every open item.
        paginator.count = sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "review/queue.html",
        _context(
            request,
            title="Review queue",
            filter=filterset,
            page=page,
            query=query.urlencode(),
            counts=counts,
        ),
    )


def _rows(fields, incoming: dict, record) -> list[dict]:
    rows = []
    for name in fields:
        theirs = incoming.get(name)
        ours = getattr(record, name, None) if record is not None else None
        if theirs in (None, "") and ours in (None, ""):
            continue
        rows.append(
            {
                "field": name.replace("_", " "),
                "incoming": theirs,
                "existing": ours,
                "differs": record is not None and str(theirs or "") != str(ours or ""),
            }
        )
    return rows


@require_GET
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    _dispatcher(request)
    item = selectors.review_item_get(user=request.user, item_id=item_id)
    if item is None:
        raise Http404("No such review item.")
    text = request.GET.get("q", "")
    results = selectors.records_search(tenant_id=item.tenant_id, text=text)
    if request.htmx and "q" in request.GET:
        return render(
            request,
            "review/item.html#search-results",
            {"item": item, "results": results, "q": text},
        )
    payload = item.payload or {}
    candidates = selectors.candidate_customers(item=item)
    for candidate in candidates:
        candidate["rows"] = _rows(
            CUSTOMER_FIELDS, payload.get("customer") or {}, candidate["customer"]
        )
    return render(
        request,
        "review/item.html",
        _context(
            request,
            title=f"Review {item.external_id or 'item'}",
            item=item,
            incoming={
                "customer": _rows(CUSTOMER_FIELDS, payload.get("customer") or {}, None),
                "location": _rows(LOCATION_FIELDS, payload.get("location") or {}, None),
                "contact": _rows(CONTACT_FIELDS, payload.get("contact") or {}, None),
            },
            incoming_ids={k: (payload.get(k) or {}).get("external_id") for k in payload},
            candidates=candidates,
            results=results,
            q=text,
            history=item.review_entries.select_related("user").order_by("-created_at")[:20],
            next_item=selectors.review_next_item(user=request.user, item=item),
            is_open=item.review_state == ReviewState.OPEN,
            payload_retention_days=settings.IMPORT_PAYLOAD_RETENTION_DAYS,
        ),
    )


def _record(model, tenant_id: int, value: str | None):
    if not value:
        return None
    if not str(value).isdigit():
        raise services.ReviewError("Choose records from the list.")
    record = model.objects.for_tenant(tenant_id).filter(pk=int(value)).first()
    if record is None:
        raise Http404("No such record.")
    return record


@require_POST
def item_action(request: HttpRequest, item_id: int, action: str) -> HttpResponse:
    _dispatcher(request)
    item = selectors.review_item_get(user=request.user, item_id=item_id)
    if item is None:
        raise Http404("No such review item.")
    next_item = selectors.review_next_item(user=request.user, item=item)
    try:
        if action == "link":
            customer = _record(Customer, item.tenant_id, request.POST.get("customer"))
            location = _record(Location, item.tenant_id, request.POST.get("location"))
            contact = _record(Contact, item.tenant_id, request.POST.get("contact"))
            if customer is None and location is not None:
                customer = location.customer
            if customer is None and contact is not None:
                customer = contact.customer
            if customer is None:
                raise services.ReviewError("Choose a customer to link.")
            services.import_item_link(
                item=item, user=request.user, customer=customer, location=location, contact=contact
            )
            messages.success(request, f"Linked {item.external_id} to {customer}.")
        elif action == "create":
            entry = services.import_item_create(item=item, user=request.user)
            messages.success(request, f"Created a customer for {entry.item.external_id}.")
        elif action == "dismiss":
            services.import_item_dismiss(item=item, user=request.user)
            messages.success(
                request, f"Dismissed {item.external_id}; the target keeps no customer context."
            )
        elif action == "undo":
            services.import_item_undo(item=item, user=request.user)
            messages.success(request, f"Undid the last decision on {item.external_id}.")
            return redirect("review:item", item_id=item.pk)
        else:
            raise Http404("No such action.")
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("review:item", item_id=item.pk)
    if next_item is not None and request.POST.get("then") != "stay":
        return redirect("review:item", item_id=next_item.pk)
    return redirect(reverse("review:queue"))
