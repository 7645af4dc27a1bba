from django.contrib import admin
from django.http import Http404

from .models import Tenant, TenantMembership
from .selectors import tenants_of_user


class TenantScopedAdmin(admin.ModelAdmin):
    """Admin base for business data: rows, filter choices and foreign-key choices are narrowed
    to the tenants of the signed-in user (all tenants for superusers)."""

    list_filter: tuple = (("tenant", admin.RelatedOnlyFieldListFilter),)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(tenant__in=tenants_of_user(user=request.user))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another tenant's row is not there at all: 404, never a hint that it exists.
        raise Http404(f"No {opts.verbose_name} with ID {object_id!r}.")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_model = db_field.remote_field.model
        if related_model is Tenant:
            kwargs["queryset"] = tenants_of_user(user=request.user)
        elif any(f.name == "tenant" for f in related_model._meta.fields):
            kwargs["queryset"] = related_model._default_manager.filter(
                tenant__in=tenants_of_user(user=request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantMembershipInline(admin.TabularInline):
    model = TenantMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TenantMembershipInline]

    def get_queryset(self, request):
        return tenants_of_user(user=request.user)


@admin.register(TenantMembership)
class TenantMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "created_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "tenant__slug", "tenant__name"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(tenant__in=tenants_of_user(user=request.user))
