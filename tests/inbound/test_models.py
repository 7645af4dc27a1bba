import pytest
from django.urls import reverse

from inbound.choices import ImportJobKind, ImportStatus
from inbound.models import ImportItem, ImportJob
from mapping.choices import MappingStatus
from tests.factories import IntegrationClientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def items():
    client = IntegrationClientFactory()
    job = ImportJob.objects.create(tenant=client.tenant, client=client, kind=ImportJobKind.BATCH)
    warnings = [["CustomerNotFound"], ["AmbiguousCustomerMatch", "CustomerNotFound"], []]
    return [
        ImportItem.objects.create(
            tenant=client.tenant,
            job=job,
            position=position,
            external_id=f"JOB-{position}",
            import_status=ImportStatus.IMPORTED,
            mapping_status=MappingStatus.WARNING,
            warnings=codes,
        )
        for position, codes in enumerate(warnings)
    ]


def test_items_with_a_warning_are_those_whose_warnings_include_it(items):
    found = ImportItem.objects.with_warning("CustomerNotFound").order_by("position")
    ambiguous = ImportItem.objects.for_tenant(items[0].tenant_id).with_warning(
        "AmbiguousCustomerMatch"
    )

    assert list(found) == items[:2]
    assert list(ambiguous) == [items[1]]


def test_the_import_item_admin_filters_by_warning_code(client, items):
    client.force_login(UserFactory(username="root", is_superuser=True))

    page = client.get(
        reverse("admin:inbound_importitem_changelist"), {"warning": "AmbiguousCustomerMatch"}
    )

    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
