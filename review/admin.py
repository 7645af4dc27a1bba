"""The review app's part of other apps' admin pages (it sits above them, so it extends them)."""

from django.contrib import admin
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.admin import CustomerAdmin
from customers.models import Customer

from .selectors import customer_history


class CustomerWithHistoryAdmin(CustomerAdmin):
    """The customer admin with how the customer came to be: imports, references and reviews."""

    readonly_fields = [*CustomerAdmin.readonly_fields, "history"]
    actions = ["merge_duplicates"]

    @admin.action(description=_("Merge the selected duplicate customers"))
    def merge_duplicates(self, request, queryset):
        # The merge page checks the dispatcher permission and the tenant of every customer.
        ids = "&".join(f"customers={pk}" for pk in queryset.values_list("pk", flat=True))
        return redirect(f"{reverse('review:merge')}?{ids}")

    @admin.display(description="History")
    def history(self, obj: Customer) -> str:
        if obj.pk is None:
            return "—"
        return render_to_string(
            "review/customer_history.html", {"history": customer_history(customer=obj)}
        )


admin.site.unregister(Customer)
admin.site.register(Customer, CustomerWithHistoryAdmin)
