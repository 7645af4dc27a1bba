"""Webhooks in the admin (SPEC §7), for admins: endpoints (the secret shown once, rotate, test,
enable/disable, replay), and the delivery log (events, deliveries and their attempts; redeliver).

Every queryset is narrowed to the signed-in user's tenants and another tenant's row is a 404
(TenantScopedAdmin), so an answer body never reaches a user of another tenant. Dispatchers hold
no webhooks permission (tenants.services.DISPATCHER_PERMISSIONS): all of this is for superusers
and for staff given the webhooks permissions.
"""

import json

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import urlencode

from inbound.models import IntegrationClient
from tenants.admin import TenantScopedAdmin
from tenants.selectors import tenant_ids_of_user, tenants_of_user

from .forms import ReplayForm, WebhookEndpointForm
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .services import (
    WebhookEndpointDisabled,
    WebhookReplayTooLarge,
    webhook_deliveries_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_replay,
    webhook_endpoint_secret_rotate,
    webhook_endpoint_update,
    webhook_test_send,
)
from .ssrf import WebhookUrlRefused

ANSWER_SHOWN_BYTES = 2048
PAYLOAD_OPTIONS = ("include_contact_details", "include_summary_preview", "include_billing_details")
REDELIVER_PERMISSION = "webhooks.change_webhookdelivery"
BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


# --- list filters: choices from the user's tenants only, never a scan of the log -------------


class _UserScopedFilter(admin.SimpleListFilter):
    """Choices are rows of the user's tenants (a small query, however long the log is)."""

    field = ""

    def choices_for(self, tenant_ids: list[int]):
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [
            (str(pk), label)
            for pk, label in self.choices_for(tenant_ids_of_user(user=request.user))
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.field: int(value)})


class TenantFilter(_UserScopedFilter):
    title = "tenant"
    parameter_name = "tenant"
    field = "tenant_id"

    def lookups(self, request, model_admin):
        return [(str(t.pk), t.name) for t in tenants_of_user(user=request.user)]


class EndpointFilter(_UserScopedFilter):
    title = "endpoint"
    parameter_name = "endpoint"
    field = "endpoint_id"

    def choices_for(self, tenant_ids):
        endpoints = WebhookEndpoint.objects.for_tenants(tenant_ids).select_related("client")
        return [(e.pk, f"{e.url} ({e.client.name})") for e in endpoints]


class EventEndpointFilter(EndpointFilter):
    field = "deliveries__endpoint_id"  # one delivery per event and endpoint: no duplicates


class ClientFilter(_UserScopedFilter):
    title = "integration client"
    parameter_name = "client"
    field = "client_id"

    def choices_for(self, tenant_ids):
        clients = IntegrationClient.objects.for_tenants(tenant_ids).order_by("name")
        return clients.values_list("pk", "name")


class _UserTenantsAdmin(TenantScopedAdmin):
    """Rows of the user's tenants by id (`tenant_id IN (…)` reads the tenant-leading indexes in
    order; a subquery made PostgreSQL plan for every tenant's rows)."""

    list_filter: tuple = (TenantFilter,)

    def get_queryset(self, request):
        queryset = super(TenantScopedAdmin, self).get_queryset(request)
        return queryset.filter(tenant_id__in=tenant_ids_of_user(user=request.user))


class _LogAdmin(_UserTenantsAdmin):
    """The delivery log is written by the outbox and the worker: read-only here for everyone;
    "redeliver" (permission change_webhookdelivery) is the one thing done to it."""

    show_full_result_count = False  # one count of the filtered rows is enough on a long log

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm(REDELIVER_PERMISSION)

    def _redeliver_done(self, request, queued: int, selected: int) -> None:
        skipped = selected - queued
        message = f"Queued {_plural(queued, 'delivery')} again."
        if skipped:
            message += (
                f" {skipped} left as they are: pending already (sent anyway) or to a disabled "
                "endpoint."
            )
        self.message_user(request, message, messages.SUCCESS if queued else messages.WARNING)


def _answer(body: str) -> str:
    if not body:
        return "—"
    return format_html('<pre class="webhook-answer">{}</pre>', body[:ANSWER_SHOWN_BYTES])


# --- endpoints -------------------------------------------------------------------------------


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_UserTenantsAdmin):
    form = WebhookEndpointForm
    tenant_from = "client"  # an endpoint is in its client's tenant
    change_form_template = "admin/webhooks/webhookendpoint/change_form.html"
    list_display = [
        "url",
        "client",
        "state",
        "failing_since",
        "subscribed",
        "tenant",
        "created_at",
    ]
    list_filter = (
        TenantFilter,
        "is_enabled",
        "disabled_reason",
        ClientFilter,
    )
    list_select_related = ["client", "tenant"]
    search_fields = ["url", "description", "client__name", "client__source_system"]
    actions = ["send_test_event", "enable", "disable", "rotate_secret"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["client", "url", "description"]}),
            ("Events", {"fields": ["event_types"]}),
            ("Payload options", {"fields": list(PAYLOAD_OPTIONS)}),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    "State",
                    {
                        "fields": [
                            "tenant",
                            "state",
                            "failing_since",
                            "secret_state",
                            "deliveries_link",
                            "created_at",
                            "updated_at",
                        ]
                    },
                )
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "created_at", "updated_at")
        if obj is None:
            return fields
        return (
            *fields,
            "client",
            "state",
            "failing_since",
            "secret_state",
            "deliveries_link",
        )

    @admin.display(description="State", ordering="is_enabled")
    def state(self, obj: WebhookEndpoint) -> str:
        if obj.is_enabled:
            return "Enabled"
        since = (
            timezone.localtime(obj.disabled_at).strftime("%Y-%m-%d %H:%M")
            if obj.disabled_at
            else "?"
        )
        return format_html(
            '<strong class="webhook-disabled">Disabled</strong>: {} (since {})',
            obj.get_disabled_reason_display(),
            since,
        )

    @admin.display(description="Event types")
    def subscribed(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types) if obj.event_types else "all"

    @admin.display(description="Signing secret")
    def secret_state(self, obj: WebhookEndpoint) -> str:
        # Never the secret itself: it was shown once, when it was made.
        rotated = obj.secret_rotated_at
        text = (
            "Set when created"
            if rotated is None
            else f"Rotated {timezone.localtime(rotated):%Y-%m-%d %H:%M}"
        )
        expires = obj.previous_secret_expires_at
        if obj.previous_secret and expires and expires > timezone.now():
            until = timezone.localtime(expires)
            text += f"; the previous secret signs too until {until:%Y-%m-%d %H:%M}"
        return text

    @admin.display(description="Delivery log")
    def deliveries_link(self, obj: WebhookEndpoint) -> str:
        url = reverse("admin:webhooks_webhookdelivery_changelist")
        return format_html(
            '<a href="{}?{}">Deliveries to this endpoint</a>', url, urlencode({"endpoint": obj.pk})
        )

    # Create and change through the services (URL check, secret, tenant of the client).

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        options = {name: data[name] for name in PAYLOAD_OPTIONS}
        if change:
            webhook_endpoint_update(
                endpoint=obj,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
                **options,
            )
            return
        endpoint, secret = webhook_endpoint_create(
            client=data["client"],
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
            **options,
        )
        obj.pk = endpoint.pk
        obj.refresh_from_db()
        request._webhook_endpoint_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_webhook_endpoint_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, obj, secret, created=True)

    def _secret_page(self, request, obj: WebhookEndpoint, secret: str, *, created: bool):
        """The secret, once, on the answer to the POST that made it: never stored in the
        session or a message cookie, never cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": "Signing secret" + (" of the new endpoint" if created else ", rotated"),
            "secret": secret,
            "created": created,
            "grace_until": obj.previous_secret_expires_at if not created else None,
        }
        request.current_app = self.admin_site.name
        response = TemplateResponse(request, "admin/webhooks/webhookendpoint/secret.html", context)
        add_never_cache_headers(response)
        return response

    # Operations: actions of the list and of the change page (Django's change-form actions);
    # the replay has its own page (a time range to choose).

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/replay/",
                self.admin_site.admin_view(self.replay_view),
                name="{}_{}_replay".format(*info),
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description="Rotate the signing secret",
        permissions=["change"],
        location=ActionLocation.CHANGE_FORM,
    )
    def rotate_secret(self, request, queryset):
        endpoint = queryset.get()  # one: the change page's object
        secret = webhook_endpoint_secret_rotate(endpoint=endpoint)
        self.log_change(request, endpoint, "Rotated the signing secret.")
        return self._secret_page(request, endpoint, secret, created=False)

    @admin.action(
        description="Send a test event",
        description_plural="Send a test event to the selected endpoints",
        permissions=["change"],
        location=BOTH,
    )
    def send_test_event(self, request, queryset):
        endpoints = list(queryset)
        sent = [e for e in endpoints if e.is_enabled]
        for endpoint in sent:
            webhook_test_send(endpoint=endpoint)
        self.message_user(
            request,
            f"Queued a test event to {_plural(len(sent), 'endpoint')}; its attempts show in the "
            "delivery log.",
            messages.SUCCESS if sent else messages.WARNING,
        )
        if len(sent) < len(endpoints):
            self.message_user(
                request,
                f"{_plural(len(endpoints) - len(sent), 'disabled endpoint')} skipped: enable "
                "it first.",
                messages.WARNING,
            )

    @admin.action(
        description="Enable",
        description_plural="Enable the selected endpoints",
        permissions=["change"],
        location=BOTH,
    )
    def enable(self, request, queryset):
        enabled = 0
        for endpoint in queryset:
            try:
                webhook_endpoint_enable(endpoint=endpoint)
            except WebhookUrlRefused as exc:
                self.message_user(request, f"Not enabled: {endpoint.url}: {exc}", messages.ERROR)
            else:
                self.log_change(request, endpoint, "Enabled.")
                enabled += 1
        self.message_user(request, f"Enabled {_plural(enabled, 'endpoint')}.", messages.SUCCESS)

    @admin.action(
        description="Disable",
        description_plural="Disable the selected endpoints",
        permissions=["change"],
        location=BOTH,
    )
    def disable(self, request, queryset):
        endpoints = list(queryset.filter(is_enabled=True))
        for endpoint in endpoints:
            webhook_endpoint_disable(endpoint=endpoint)
            self.log_change(request, endpoint, "Disabled.")
        self.message_user(request, f"Disabled {_plural(len(endpoints), 'endpoint')}.")

    def replay_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such webhook endpoint.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        form = ReplayForm(request.POST or None, initial=ReplayForm.initial_range())
        if request.method == "POST" and form.is_valid():
            try:
                queued = webhook_endpoint_replay(
                    endpoint=obj,
                    since=form.cleaned_data["since"],
                    until=form.cleaned_data["until"],
                )
            except (WebhookReplayTooLarge, WebhookEndpointDisabled) as exc:
                form.add_error(None, str(exc))
            else:
                self.log_change(request, obj, f"Replayed {_plural(queued, 'delivery')}.")
                self.message_user(
                    request,
                    f"Queued {_plural(queued, 'delivery')} to {obj.url} (an event whose "
                    "delivery was pending already is sent anyway).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:webhooks_webhookendpoint_change", args=[obj.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": "Replay events",
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/webhooks/webhookendpoint/replay.html", context)


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


# --- the delivery log ------------------------------------------------------------------------


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ["attempted_at", "status_code", "duration_ms", "succeeded", "error", "answer"]
    readonly_fields = fields
    can_delete = False
    ordering = ["attempted_at", "id"]

    def get_queryset(self, request):
        # The delivery is of the user's tenants already; its attempts are narrowed all the same.
        return (
            super()
            .get_queryset(request)
            .filter(tenant_id__in=tenant_ids_of_user(user=request.user))
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Attempts are part of their delivery (no admin of their own): whoever may see the
        # delivery sees its attempts.
        return request.user.has_perm("webhooks.view_webhookdelivery")

    @admin.display(description="Answer (first 2 KB)")
    def answer(self, obj: WebhookAttempt) -> str:
        return _answer(obj.response_body)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_LogAdmin):
    list_display = [
        "event_type",
        "message_id",
        "endpoint",
        "status",
        "attempt_count",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "tenant",
        "created_at",
    ]
    list_filter = (TenantFilter, EndpointFilter, "status", "event__type")
    list_select_related = ["event", "endpoint", "tenant"]
    search_fields = ["endpoint__url"]
    fields = [
        "tenant",
        "event_link",
        "event_type",
        "message_id",
        "endpoint",
        "status",
        "attempt_count",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("event__payload")

    @admin.display(description="Event type", ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description="webhook-id")
    def message_id(self, obj: WebhookDelivery) -> str:
        return obj.event.message_id

    @admin.display(description="Event")
    def event_link(self, obj: WebhookDelivery) -> str:
        url = reverse("admin:webhooks_webhookevent_change", args=[obj.event_id])
        return format_html('<a href="{}">{}</a>', url, obj.event)

    @admin.action(
        description="Redeliver",
        description_plural="Redeliver the selected deliveries",
        permissions=["redeliver"],
        location=BOTH,
    )
    def redeliver(self, request, queryset):
        selected = queryset.count()
        queued = webhook_deliveries_redeliver(deliveries=queryset)
        self._redeliver_done(request, queued, selected)


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    fields = ["endpoint", "status", "attempt_count", "last_attempt_at", "delivered_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("endpoint")
        return queryset.filter(tenant_id__in=tenant_ids_of_user(user=request.user))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(_LogAdmin):
    list_display = ["type", "message_id", "client", "target_id", "sequence", "tenant", "created_at"]
    list_filter = (TenantFilter, "type", ClientFilter, EventEndpointFilter)
    list_select_related = ["client", "tenant"]
    search_fields = ["webhook_id"]  # see get_search_results: a webhook-id or a target id
    search_help_text = "A webhook-id (msg_… or a UUID) or a target id."
    fields = [
        "tenant",
        "type",
        "message_id",
        "client",
        "target_id",
        "subject_id",
        "sequence",
        "created_at",
        "data",
    ]
    readonly_fields = fields
    inlines = [WebhookDeliveryInline]
    actions = ["redeliver"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        url_name = getattr(request.resolver_match, "url_name", None) or ""
        if url_name.endswith("changelist"):
            queryset = queryset.defer("payload")  # the list shows no payload
        return queryset

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(target_id=int(term)), False
        hex_id = term.removeprefix("msg_").replace("-", "").lower()
        if len(hex_id) == 32 and all(c in "0123456789abcdef" for c in hex_id):
            return queryset.filter(webhook_id=hex_id), False
        return queryset.none(), False

    @admin.display(description="webhook-id")
    def message_id(self, obj: WebhookEvent) -> str:
        return obj.message_id

    @admin.display(description="data (as recorded, before an endpoint's payload options)")
    def data(self, obj: WebhookEvent) -> str:
        return format_html(
            '<pre class="webhook-payload">{}</pre>',
            json.dumps(obj.payload, indent=2, ensure_ascii=False, sort_keys=True),
        )

    @admin.action(
        description="Redeliver to its endpoints",
        description_plural="Redeliver the selected events to their endpoints",
        permissions=["redeliver"],
        location=BOTH,
    )
    def redeliver(self, request, queryset):
        deliveries = WebhookDelivery.objects.filter(
            tenant_id__in=tenant_ids_of_user(user=request.user), event__in=queryset
        )
        selected = deliveries.count()
        queued = webhook_deliveries_redeliver(deliveries=deliveries)
        self._redeliver_done(request, queued, selected)
