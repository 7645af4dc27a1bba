"""The review app's part of other apps' admin pages (it sits above them, so it extends them)."""

from django.contrib import admin
from django.template.loader import render_to_string

from customers.admin import CustomerAdmin
from customers.models import Customer

from .selectors import customer_history


class CustomerWithHistoryAdmin(CustomerAdmin):
    """The customer admin with how the customer came to be: imports, references and reviews."""

    readonly_fields = [*CustomerAdmin.readonly_fields, "history"]

    @admin.display(description="History")
    def history(self, obj: Customer) -> str:
        if obj.pk is None:
            return "—"
        return render_to_string(
            "review/customer_history.html", {"history": customer_history(customer=obj)}
        )


admin.site.unregister(Customer)
admin.site.register(Customer, CustomerWithHistoryAdmin)
