from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from inbound.models import ImportItem, IntegrationClient
from mapping.choices import MappingStatus, MappingWarning
from tenants.models import Tenant
from tenants.selectors import tenant_ids_of_user, tenants_of_user

from .selectors import items_matching_text

QUEUE_STATUSES = [
    (s.value, s.label) for s in (MappingStatus.WARNING, MappingStatus.FAILED, MappingStatus.SKIPPED)
]


def _clients(request):
    if request is None:
        return IntegrationClient.objects.none()
    return IntegrationClient.objects.for_tenants(tenants_of_user(user=request.user))


def _tenants(request):
    if request is None:
        return Tenant.objects.none()
    return tenants_of_user(user=request.user)


def _day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the current time zone: `created_at__date` compared with
    a day, written as a range the open-queue index can use."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class ReviewItemFilter(django_filters.FilterSet):
    """The queue's filters; also used by the ImportItem changelist link."""

    tenant = django_filters.ModelChoiceFilter(
        field_name="tenant", queryset=_tenants, label=_("Tenant")
    )
    status = django_filters.ChoiceFilter(
        field_name="mapping_status", choices=QUEUE_STATUSES, label=_("Mapping status")
    )
    warning = django_filters.ChoiceFilter(
        choices=MappingWarning.choices, method="filter_warning", label=_("Warning code")
    )
    client = django_filters.ModelChoiceFilter(
        field_name="job__client", queryset=_clients, label=_("Integration client")
    )
    created_after = django_filters.DateFilter(
        method="filter_created_after",
        label=_("Imported from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        method="filter_created_before",
        label=_("Imported until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))

    class Meta:
        model = ImportItem
        fields = []

    def filter_warning(self, queryset, name, value):
        return queryset.with_warning(value)

    def filter_created_after(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_created_before(self, queryset, name, value):
        if value == date.max:
            return queryset  # until the last day of the calendar: no bound (the next day is none)
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        customers = Customer.objects.all()  # the queryset keeps the items within their tenants
        if self.request is not None:
            customers = Customer.objects.for_tenants(tenant_ids_of_user(user=self.request.user))
        return items_matching_text(queryset, value, customers=customers)
