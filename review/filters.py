import django_filters
from django import forms
from django.db.models import Q

from inbound.models import ImportItem, IntegrationClient
from mapping.choices import MappingStatus, MappingWarning
from tenants.selectors import tenants_of_user

from .selectors import items_with_warning

QUEUE_STATUSES = [
    (s.value, s.label) for s in (MappingStatus.WARNING, MappingStatus.FAILED, MappingStatus.SKIPPED)
]


def _clients(request):
    if request is None:
        return IntegrationClient.objects.none()
    return IntegrationClient.objects.for_tenants(tenants_of_user(user=request.user))


class ReviewItemFilter(django_filters.FilterSet):
    """The queue's filters; also used by the ImportItem changelist link."""

    status = django_filters.ChoiceFilter(
        field_name="mapping_status", choices=QUEUE_STATUSES, label="Mapping status"
    )
    warning = django_filters.ChoiceFilter(
        choices=MappingWarning.choices, method="filter_warning", label="Warning code"
    )
    client = django_filters.ModelChoiceFilter(
        field_name="job__client", queryset=_clients, label="Integration client"
    )
    created_after = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="Imported from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="Imported until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = ImportItem
        fields = []

    def filter_warning(self, queryset, name, value):
        return items_with_warning(queryset, value)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(external_id__icontains=value)
            | Q(payload__customer__name__icontains=value)
            | Q(payload__customer__external_id__icontains=value)
            | Q(payload__location__external_id__icontains=value)
            | Q(payload__contact__external_id__icontains=value)
            | Q(customer__name__icontains=value)
        )
