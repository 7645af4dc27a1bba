from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from mapping.choices import MappingWarning
from tenants.admin import TenantScopedAdmin
from tenants.selectors import tenants_of_user

from .choices import ImportJobKind, ReviewState, Scope
from .models import ApiKey, ImportItem, ImportJob, IntegrationClient, Target
from .services import DEFAULT_SCOPES, api_key_revoke

# The library's own key model is unused: our ApiKey extends it with a client and scopes.
admin.site.unregister(LibraryAPIKey)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=list(DEFAULT_SCOPES)
    )

    class Meta:
        model = ApiKey
        fields = ["client", "name", "scopes", "expiry_date", "revoked"]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["prefix", "name", "scopes", "created", "expiry_date", "last_used_at", "revoked"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are issued on the API key page, which shows the plaintext once


@admin.register(IntegrationClient)
class IntegrationClientAdmin(TenantScopedAdmin):
    list_display = ["name", "source_system", "strategy", "is_active", "tenant", "created_at"]
    list_filter = (*TenantScopedAdmin.list_filter, "strategy", "is_active")
    search_fields = ["name", "source_system", "tenant__slug"]
    inlines = [ApiKeyInline]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "source_system", "is_active"]}),
        ("Matching", {"fields": ["strategy", "name_match_threshold", "name_match_margin"]}),
        (
            "Policies (they only narrow what a key's scopes allow)",
            {
                "fields": [
                    "allow_customer_create",
                    "allow_customer_update",
                    "allow_location_create",
                    "allow_contact_create",
                    "customer_number_fallback",
                ]
            },
        ),
    ]


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    form = ApiKeyForm
    list_display = [
        "prefix",
        "name",
        "client",
        "created",
        "expiry_date",
        "last_used_at",
        "_has_expired",
        "revoked",
    ]
    list_filter = ["revoked", "created", ("client__tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "prefix", "client__name", "client__source_system"]
    list_select_related = ["client", "client__tenant"]
    actions = ["revoke_keys"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(client__tenant__in=tenants_of_user(user=request.user))
        )

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "last_used_at")
        return (*fields, "client", "scopes") if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "client":
            kwargs["queryset"] = IntegrationClient.objects.for_tenants(
                tenants_of_user(user=request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description="Revoke selected API keys (cannot be undone)")
    def revoke_keys(self, request, queryset):
        keys = list(queryset.filter(revoked=False))
        for api_key in keys:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {len(keys)} API key(s).", messages.SUCCESS)


class ReadOnlyAdmin(TenantScopedAdmin):
    """Targets, import jobs and import items are written by the API and changed only by the
    review queue's services, which keep item and target in step, check tenants and write the
    audit. Here they are read-only for everyone, superusers included: no add, change or delete
    (deleting would take decisions and their audit with it)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "external_id",
        "client",
        "customer",
        "location",
        "priority",
        "due_date",
        "tenant",
        "created_at",
    ]
    list_filter = (
        *TenantScopedAdmin.list_filter,
        "priority",
        ("client", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ["title", "external_id", "customer__name"]
    list_select_related = ["client", "customer", "location", "tenant"]
    readonly_fields = ["created_at", "updated_at"]


class ImportItemInline(admin.TabularInline):
    model = ImportItem
    extra = 0
    fields = [
        "position",
        "external_id",
        "import_status",
        "mapping_status",
        "review_state",
        "target",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "client", "kind", "status", "item_count", "tenant", "created_at"]
    list_filter = (
        *TenantScopedAdmin.list_filter,
        "status",
        "kind",
        ("client", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ["=id", "client__name", "items__external_id"]
    list_select_related = ["client", "tenant"]
    readonly_fields = [
        "tenant",
        "client",
        "api_key",
        "kind",
        "status",
        "item_count",
        "processed_count",
        "scopes",
        "created_at",
        "started_at",
        "finished_at",
    ]
    inlines = [ImportItemInline]

    def get_inlines(self, request, obj):
        # An asynchronous job has up to 100,000 items: too many for one page (the import items
        # list filters by job instead).
        if obj is not None and obj.kind == ImportJobKind.ASYNC:
            return []
        return super().get_inlines(request, obj)


class WarningCodeFilter(admin.SimpleListFilter):
    title = "warning code"
    parameter_name = "warning"

    def lookups(self, request, model_admin):
        return MappingWarning.choices

    def queryset(self, request, queryset):
        return queryset.with_warning(self.value()) if self.value() else queryset


@admin.register(ImportItem)
class ImportItemAdmin(ReadOnlyAdmin):
    list_display = [
        "review_link",
        "external_id",
        "job",
        "import_status",
        "mapping_status",
        "review_state",
        "tenant",
        "created_at",
    ]
    list_filter = (
        *TenantScopedAdmin.list_filter,
        WarningCodeFilter,
        "mapping_status",
        "review_state",
        "import_status",
        ("job__client", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ["external_id", "job__id"]
    list_select_related = ["job", "tenant"]
    raw_id_fields = ["job", "target"]
    readonly_fields = ["created_at", "resolved_by", "resolved_at"]

    @admin.display(description="Review")
    def review_link(self, obj: ImportItem) -> str:
        label = "Review" if obj.review_state == ReviewState.OPEN else "Decisions"
        return format_html('<a href="{}">{}</a>', reverse("review:item", args=[obj.pk]), label)
