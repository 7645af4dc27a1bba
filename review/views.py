"""The review queue inside the Django admin: thin views over review selectors and services."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.models import Contact, Customer, Location
from inbound.choices import ReviewState
from mapping.fields import CONTACT_FIELDS, CUSTOMER_FIELDS, LOCATION_FIELDS

from . import charts, merging, selectors, services
from . import health as review_health
from .filters import ReviewItemFilter
from .labels import FIELD_LABELS, RECORD_LABELS, VALUE_LABELS

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
    tenants = selectors.tenant_names_of_user(user=request.user)
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
            title=_("Review queue"),
            filter=filterset,
            page=page,
            query=query.urlencode(),
            counts=counts,
            tenants=tenants,
            multi_tenant=len(tenants) > 1,
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
                "field": name,
                "label": FIELD_LABELS.get(name, name.replace("_", " ")),
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
            title=_("Review %(item)s") % {"item": item.external_id or _("item")},
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
            previous_item=selectors.review_previous_item(user=request.user, item=item),
            record_names=RECORD_LABELS,
            is_open=item.review_state == ReviewState.OPEN,
            payload_retention_days=settings.IMPORT_PAYLOAD_RETENTION_DAYS,
        ),
    )


def _record(model, tenant_id: int, value: str | None):
    if not value:
        return None
    if not str(value).isdigit():
        raise services.ReviewError(_("Choose records from the list."))
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
                raise services.ReviewError(_("Choose a customer to link."))
            services.import_item_link(
                item=item, user=request.user, customer=customer, location=location, contact=contact
            )
            messages.success(
                request,
                _("Linked %(item)s to %(customer)s.")
                % {"item": item.external_id, "customer": customer},
            )
        elif action == "create":
            entry = services.import_item_create(item=item, user=request.user)
            messages.success(
                request, _("Created a customer for %(item)s.") % {"item": entry.item.external_id}
            )
        elif action == "dismiss":
            services.import_item_dismiss(item=item, user=request.user)
            messages.success(
                request,
                _("Dismissed %(item)s; the target keeps no customer context.")
                % {"item": item.external_id},
            )
        elif action == "undo":
            services.import_item_undo(item=item, user=request.user)
            messages.success(
                request, _("Undid the last decision on %(item)s.") % {"item": item.external_id}
            )
            return redirect("review:item", item_id=item.pk)
        else:
            raise Http404("No such action.")
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect("review:item", item_id=item.pk)
    if next_item is not None and request.POST.get("then") != "stay":
        return redirect("review:item", item_id=next_item.pk)
    return redirect(reverse("review:queue"))


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@require_GET
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """Several selected items that share the same incoming customer data, decided together."""
    _dispatcher(request)
    items = selectors.review_items_by_ids(user=request.user, ids=_ids(request.GET.getlist("items")))
    if not items:
        messages.error(request, _("Choose the items to decide together."))
        return redirect("review:queue")
    first = items[0]
    candidates = selectors.candidate_customers(item=first)
    payload = first.payload or {}
    return render(
        request,
        "review/bulk.html",
        _context(
            request,
            title=_("Decide %(n)d items together") % {"n": len(items)},
            items=items,
            incoming=_rows(CUSTOMER_FIELDS, payload.get("customer") or {}, None),
            candidates=candidates,
            same_data=len({services._incoming_customer_key(i) for i in items}) == 1,
        ),
    )


@require_POST
def queue_bulk_action(request: HttpRequest) -> HttpResponse:
    _dispatcher(request)
    items = selectors.review_items_by_ids(
        user=request.user, ids=_ids(request.POST.getlist("items"))
    )
    action = request.POST.get("action")
    if action not in ("Link", "Create", "Dismiss") or not items:
        raise Http404("No such action.")
    tenant_ids = {item.tenant_id for item in items}
    try:
        if len(tenant_ids) > 1:
            raise services.ReviewError(_("Items of several tenants cannot be decided together."))
        customer = (
            _record(Customer, items[0].tenant_id, request.POST.get("customer"))
            if action == "Link"
            else None
        )
        decided = services.import_items_decide_together(
            items=items, user=request.user, action=action, customer=customer
        )
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('review:bulk')}?{request.POST.urlencode()}")
    messages.success(request, _("Decided %(n)d items together.") % {"n": decided})
    return redirect("review:queue")


def _merge_fields(customers: list[Customer]) -> list[dict]:
    """Per customer field: each customer's value, and whether they differ."""
    rows = []
    for name in CUSTOMER_FIELDS:
        values = [(c.pk, getattr(c, name)) for c in customers]
        if all(v in (None, "") for _, v in values):
            continue
        rows.append(
            {
                "field": name,
                "label": FIELD_LABELS.get(name, name),
                "values": values,
                "differs": len({str(v or "") for _, v in values}) > 1,
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest) -> HttpResponse:
    """Merge duplicate customers: choose the survivor and its field values (GET shows the
    choice, POST merges)."""
    _dispatcher(request)
    source = request.POST if request.method == "POST" else request.GET
    customers = selectors.customers_of_user(
        user=request.user, ids=_ids(source.getlist("customers"))
    )
    item_id = source.get("item") if str(source.get("item", "")).isdigit() else None
    if len(customers) < 2 or len({c.tenant_id for c in customers}) > 1:
        messages.error(request, _("Choose two or more customers of one tenant to merge."))
        if item_id:
            return redirect("review:item", item_id=int(item_id))
        return redirect("review:queue")
    tenant_id = customers[0].tenant_id
    if request.method == "POST":
        by_id = {c.pk: c for c in customers}
        survivor_id = int(source.get("survivor", 0)) if source.get("survivor", "").isdigit() else 0
        survivor = by_id.get(survivor_id)
        if survivor is None:
            messages.error(request, _("Choose the customer that stays."))
        else:
            values = {}
            for row in _merge_fields(customers):
                chosen = source.get(f"value_{row['field']}", "")
                if chosen.isdigit() and int(chosen) in by_id:
                    values[row["field"]] = getattr(by_id[int(chosen)], row["field"])
            try:
                entry = merging.customer_merge(
                    tenant_id=tenant_id,
                    survivor=survivor,
                    duplicates=[c for c in customers if c.pk != survivor.pk],
                    values=values,
                    user=request.user,
                )
            except merging.MergeError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Merged %(n)d duplicates into %(customer)s.")
                    % {"n": len(customers) - 1, "customer": entry.survivor},
                )
                url = reverse("review:merge_done", args=[entry.pk])
                return redirect(f"{url}?item={item_id}" if item_id else url)
    counts = selectors.merge_counts(tenant_id=tenant_id, customer_ids=[c.pk for c in customers])
    facts = selectors.customer_facts(tenant_id=tenant_id, customer_ids=[c.pk for c in customers])
    return render(
        request,
        "review/merge.html",
        _context(
            request,
            title=_("Merge duplicate customers"),
            customers=[
                {"customer": c, "counts": counts[c.pk], "facts": facts[c.pk]} for c in customers
            ],
            fields=_merge_fields(customers),
            survivor_id=customers[0].pk,
            item_id=item_id,
        ),
    )


@require_http_methods(["GET", "POST"])
def merge_done(request: HttpRequest, merge_id: int) -> HttpResponse:
    """A merge's result, with its undo (POST)."""
    _dispatcher(request)
    entry = selectors.merge_get(user=request.user, merge_id=merge_id)
    if entry is None:
        raise Http404("No such merge.")
    if request.method == "POST":
        try:
            merging.customer_merge_undo(merge=entry, user=request.user)
        except merging.MergeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The merge was undone."))
        return redirect("review:merge_done", merge_id=entry.pk)
    item_id = request.GET.get("item")
    return render(
        request,
        "review/merge_done.html",
        _context(
            request,
            title=_("Merge of duplicate customers"),
            merge=entry,
            item_id=int(item_id) if str(item_id or "").isdigit() else None,
        ),
    )


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Mapping health of one tenant of the dispatcher, or of one of its integration clients."""
    _dispatcher(request)
    tenants = selectors.tenant_names_of_user(user=request.user)
    if not tenants:
        raise PermissionDenied("No tenant to show.")
    chosen = request.GET.get("tenant", "")
    tenant_id = int(chosen) if chosen.isdigit() and int(chosen) in tenants else min(tenants)
    clients = selectors.clients_of_tenant(tenant_id=tenant_id)
    chosen = request.GET.get("client", "")
    client = next((c for c in clients if chosen.isdigit() and c.pk == int(chosen)), None)
    figures = review_health.mapping_health(
        tenant_id=tenant_id, client_id=client.pk if client else None
    )
    statuses = {
        str(VALUE_LABELS.get(code, code)): counts
        for code, counts in sorted(figures.statuses.items(), key=lambda kv: -sum(kv[1]))
    }
    warnings = dict(sorted(figures.warnings.items(), key=lambda kv: -sum(kv[1])))
    scope = client.name if client else tenants[tenant_id]
    share = figures.needed_person_share
    return render(
        request,
        "review/health.html",
        _context(
            request,
            title=_("Mapping health: %(scope)s") % {"scope": scope},
            health=figures,
            tenants=tenants,
            tenant_id=tenant_id,
            clients=clients,
            client=client,
            status_chart=charts.stacked_bars(
                days=figures.days,
                series=statuses,
                title=_("Items per day by mapping status, last 30 days"),
            ),
            status_colours=charts.colours(list(statuses)),
            warning_chart=charts.stacked_bars(
                days=figures.days,
                series=warnings,
                title=_("Warnings per day by code, last 30 days"),
            ),
            warning_colours=charts.colours(list(warnings)),
            share_percent=None if share is None else round(share * 100, 1),
            open_age=(timezone.now() - figures.oldest_open) if figures.oldest_open else None,
            rows=list(zip(figures.days, figures.per_day, figures.needed_person, strict=True)),
        ),
    )
