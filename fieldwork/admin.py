"""Visit reports and billing documents in the admin: added through fieldwork.services (which
publish their events), then read-only, as the events they caused cannot be taken back."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from tenants.admin import TenantScopedAdmin, TenantScopedForm

from .models import BillingDocument, VisitReport
from .services import billing_document_create, visit_report_submit


class _AddOnlyAdmin(TenantScopedAdmin):
    """A record takes its target's tenant; the target is chosen among the user's tenants'
    targets (TenantScopedAdmin narrows the choices and the search)."""

    tenant_from = "target"
    exclude = ["tenant"]
    autocomplete_fields = ["target"]
    list_select_related = ["target", "tenant"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "tenant", "created_at") if obj is not None else fields

    def get_exclude(self, request, obj=None):
        return None if obj is not None else self.exclude  # a saved record shows its tenant

    def _created(self, obj, record) -> None:
        # The admin goes on with the saved record (its message, its log entry, the redirect).
        obj.pk = record.pk
        obj.refresh_from_db()


class VisitReportForm(TenantScopedForm):
    class Meta:
        model = VisitReport
        fields = ["target", "submitted_at", "outcome", "summary"]


@admin.register(VisitReport)
class VisitReportAdmin(_AddOnlyAdmin):
    form = VisitReportForm
    list_display = ["__str__", "target", "outcome", "submitted_at", "tenant"]
    list_filter = (*TenantScopedAdmin.list_filter, "outcome")
    search_fields = ["target__external_id", "target__title"]
    date_hierarchy = "submitted_at"

    def get_changeform_initial_data(self, request):
        return {"submitted_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        report = visit_report_submit(
            target=data["target"],
            outcome=data["outcome"],
            summary=data["summary"],
            submitted_at=data["submitted_at"],
        )
        self._created(obj, report)


class BillingDocumentForm(TenantScopedForm):
    class Meta:
        model = BillingDocument
        fields = ["target", "number", "currency", "amount", "lines"]

    def clean_lines(self):
        lines = self.cleaned_data["lines"]
        if lines in (None, ""):
            return []
        if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
            raise forms.ValidationError("A list of lines, each an object: [{…}, {…}].")
        return lines

    def clean(self):
        cleaned_data = super().clean()
        # The unique number per tenant: its constraint leads with the tenant, which is no
        # field of this form, so the model's own validation skips it.
        target, number = cleaned_data.get("target"), cleaned_data.get("number")
        if target is not None and number:
            taken = (
                BillingDocument.objects.for_tenant(target.tenant_id).filter(number=number).exists()
            )
            if taken:
                self.add_error(
                    "number", "This tenant already has a billing document with this number."
                )
        return cleaned_data


@admin.register(BillingDocument)
class BillingDocumentAdmin(_AddOnlyAdmin):
    form = BillingDocumentForm
    list_display = ["number", "target", "currency", "amount", "tenant", "created_at"]
    list_filter = (*TenantScopedAdmin.list_filter, "currency")
    search_fields = ["number", "target__external_id", "target__title"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        document = billing_document_create(
            target=data["target"],
            number=data["number"],
            currency=data["currency"],
            amount=data["amount"],
            lines=data["lines"],
        )
        self._created(obj, document)
