from django import forms
from django.contrib import admin
from django.http import Http404

from .models import Tenant, TenantMembership, TenantScopedModel
from .selectors import tenants_of_user
from .services import tenant_mismatches


class TenantScopedForm(forms.ModelForm):
    """Every related record chosen in the form belongs to the object's tenant.

    The choices only narrow to the *user's* tenants; a user of two tenants could otherwise link
    one tenant's object to the other's records. The object's tenant is the stored one (it cannot
    change), on creation the chosen tenant, or the tenant of the `tenant_from` record (a
    location's customer). Services check the same before they save.
    """

    tenant_from: str | None = None

    def _object_tenant_id(self, cleaned_data: dict) -> int | None:
        if self.instance.tenant_id is not None:
            return self.instance.tenant_id
        tenant = cleaned_data.get("tenant")
        if tenant is not None:
            return tenant.pk
        owner = cleaned_data.get(self.tenant_from) if self.tenant_from else None
        return owner.tenant_id if owner is not None else None

    def clean(self):
        cleaned_data = super().clean()
        tenant_id = self._object_tenant_id(cleaned_data)
        if tenant_id is None:
            return cleaned_data  # no tenant to compare with: the field's own error says so
        errors = tenant_mismatches(
            tenant_id=tenant_id, records=cleaned_data, owner=self._meta.model._meta.verbose_name
        )
        for name, message in errors.items():
            self.add_error(name, message)
        return cleaned_data


class TenantScopedAdmin(admin.ModelAdmin):
    """Admin base for business data: rows, filter choices and foreign-key choices are narrowed
    to the tenants of the signed-in user (all tenants for superusers); a saved row keeps its
    tenant, and the form refuses related records of another tenant (TenantScopedForm)."""

    list_filter: tuple = (("tenant", admin.RelatedOnlyFieldListFilter),)
    form = TenantScopedForm
    # The related record whose tenant a new object takes when the form has no tenant field.
    tenant_from: str | None = None

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and "tenant" not in fields:
            fields = (*fields, "tenant")  # moving a row would strand its records in the old one
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.tenant_from = self.tenant_from
        if obj is not None:
            # A saved object's choices are its own tenant's records only.
            for field in form.base_fields.values():
                queryset = getattr(field, "queryset", None)
                if queryset is not None and issubclass(queryset.model, TenantScopedModel):
                    field.queryset = queryset.filter(tenant_id=obj.tenant_id)
        return form

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
    """Tenants, their dispatchers and their billing feature (admins only: dispatchers hold no
    tenant permission). The billing settings decide whether billing.created leaves at all."""

    list_display = ["slug", "name", "billing_enabled", "billing_subscription", "created_at"]
    list_filter = ["billing_enabled"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TenantMembershipInline]
    fieldsets = [
        (None, {"fields": ["slug", "name"]}),
        (
            "Billing",
            {
                "fields": ["billing_enabled", "billing_subscription"],
                "description": "billing.created webhooks are sent only when the billing feature "
                "is enabled with a subscription, and only to endpoints that opted in to billing "
                "details.",
            },
        ),
    ]

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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tenant":
            kwargs["queryset"] = tenants_of_user(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
