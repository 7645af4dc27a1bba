from django.contrib import admin

from tenants.admin import TenantScopedAdmin

from .choices import ReferenceOrigin
from .models import ExternalReference
from .services import external_reference_save


@admin.register(ExternalReference)
class ExternalReferenceAdmin(TenantScopedAdmin):
    list_display = [
        "external_id",
        "external_type",
        "source_system",
        "record",
        "origin",
        "tenant",
        "created_at",
    ]
    list_filter = (*TenantScopedAdmin.list_filter, "external_type", "origin", "source_system")
    search_fields = ["external_id", "source_system"]
    list_select_related = ["tenant", "customer", "location", "contact"]
    autocomplete_fields = ["customer", "location", "contact"]
    readonly_fields = ["origin", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        # A reference an admin sets by hand is a person's decision, like one from review.
        if not change:
            obj.origin = ReferenceOrigin.ADMIN
            obj.created_by = request.user
        external_reference_save(reference=obj)
