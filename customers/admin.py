from django.contrib import admin

from tenants.admin import TenantScopedAdmin

from .models import Contact, Customer, Location


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
    readonly_fields = ["created_at", "updated_at"]
    inlines = [LocationInline, ContactInline]


@admin.register(Location)
class LocationAdmin(TenantScopedAdmin):
    list_display = ["__str__", "customer", "street", "postal_code", "city", "country", "tenant"]
    list_filter = (*TenantScopedAdmin.list_filter, "country")
    search_fields = ["name", "street", "postal_code", "city", "customer__name"]
    list_select_related = ["customer", "tenant"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Contact)
class ContactAdmin(TenantScopedAdmin):
    list_display = ["__str__", "customer", "role", "email", "phone", "tenant"]
    search_fields = ["display_name", "first_name", "last_name", "email", "customer__name"]
    list_select_related = ["customer", "tenant"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]
