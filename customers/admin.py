from django.contrib import admin

from tenants.admin import TenantScopedAdmin

from .models import Contact, Customer, Location
from .services import (
    contact_create,
    contact_update,
    customer_create,
    customer_update,
    location_create,
    location_update,
)


class LocationInline(admin.TabularInline):
    model = Location
    extra = 0
    fields = ["name", "street", "postal_code", "city", "country", "latitude", "longitude"]
    show_change_link = True


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["display_name", "first_name", "last_name", "role", "email", "phone"]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    list_display = ["name", "customer_number", "type", "email", "tenant", "updated_at"]
    list_filter = (*TenantScopedAdmin.list_filter, "type")
    search_fields = ["name", "customer_number", "email", "external_references__external_id"]
    readonly_fields = ["created_at", "updated_at"]  # review.admin adds the history
    inlines = [LocationInline, ContactInline]

    def save_model(self, request, obj, form, change):
        if change:
            customer_update(customer=obj)
        else:
            customer_create(customer=obj)

    def save_formset(self, request, form, formset, change):
        records = formset.save(commit=False)
        for record in formset.deleted_objects:
            record.delete()
        for record in records:
            record.tenant_id = form.instance.tenant_id  # a customer's records share its tenant
            new = record.pk is None
            if isinstance(record, Location) and new:
                location_create(location=record)
            elif isinstance(record, Location):
                location_update(location=record)
            elif new:
                contact_create(contact=record)
            else:
                contact_update(contact=record)
        formset.save_m2m()


@admin.register(Location)
class LocationAdmin(TenantScopedAdmin):
    list_display = ["__str__", "customer", "street", "postal_code", "city", "country", "tenant"]
    list_filter = (*TenantScopedAdmin.list_filter, "country")
    search_fields = ["name", "street", "postal_code", "city", "customer__name"]
    list_select_related = ["customer", "tenant"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]

    exclude = ["tenant"]
    tenant_from = "customer"  # a new location takes its customer's tenant

    def save_model(self, request, obj, form, change):
        if change:
            location_update(location=obj)
        else:
            location_create(location=obj)


@admin.register(Contact)
class ContactAdmin(TenantScopedAdmin):
    list_display = ["__str__", "customer", "role", "email", "phone", "tenant"]
    search_fields = ["display_name", "first_name", "last_name", "email", "customer__name"]
    list_select_related = ["customer", "tenant"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]
    exclude = ["tenant"]
    tenant_from = "customer"  # a new contact takes its customer's tenant

    def save_model(self, request, obj, form, change):
        if change:
            contact_update(contact=obj)
        else:
            contact_create(contact=obj)
