"""Mapping health: the rollup and the live count add up to the items, once each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbound.models import ImportItem, ImportJob
from review.health import mapping_health, mapping_health_rollup
from review.models import MappingHealthDay
from tests.factories import IntegrationClientFactory

pytestmark = pytest.mark.django_db


def make_items(client, *, age: timedelta, rows: list[tuple[str, list[str], str]]) -> None:
    job = ImportJob.objects.create(
        tenant=client.tenant, client=client, kind="Batch", item_count=len(rows)
    )
    for position, (status, warnings, state) in enumerate(rows):
        ImportItem.objects.create(
            tenant=client.tenant,
            job=job,
            position=position,
            import_status="Imported",
            mapping_status=status,
            warnings=warnings,
            review_state=state,
        )
    ImportItem.objects.filter(job=job).update(created_at=timezone.now() - age)


@pytest.fixture
def history():
    client = IntegrationClientFactory()
    other_client = IntegrationClientFactory(tenant=client.tenant)
    make_items(
        client,
        age=timedelta(days=3),
        rows=[
            ("Mapped", [], "NotNeeded"),
            ("Mapped", [], "NotNeeded"),
            ("Warning", ["AmbiguousCustomerMatch"], "Open"),
        ],
    )
    make_items(other_client, age=timedelta(days=1), rows=[("Failed", ["CustomerNotFound"], "Open")])
    make_items(client, age=timedelta(days=40), rows=[("Mapped", [], "NotNeeded")])  # too old
    return client, other_client


def _day(health, age: timedelta) -> int:
    return health.days.index((timezone.now() - age).date())


def test_rolled_up_and_live_items_count_once_each(history):
    client, other_client = history
    tenant_id = client.tenant_id
    before = mapping_health(tenant_id=tenant_id)  # nothing rolled up: all live
    mapping_health_rollup(tenant_id=tenant_id)
    mapping_health_rollup(tenant_id=tenant_id)  # a second run counts nothing twice
    make_items(client, age=timedelta(0), rows=[("Created", [], "NotNeeded")])  # live

    health = mapping_health(tenant_id=tenant_id)

    assert MappingHealthDay.objects.filter(tenant_id=tenant_id).exists()
    three_days_ago = _day(health, timedelta(days=3))
    assert health.statuses["Mapped"][three_days_ago] == 2
    assert health.statuses["Warning"][three_days_ago] == 1
    assert health.warnings["AmbiguousCustomerMatch"][three_days_ago] == 1
    assert health.statuses["Failed"][_day(health, timedelta(days=1))] == 1
    assert health.statuses["Created"][-1] == 1
    assert health.total == 5 == before.total + 1
    assert sum(health.needed_person) == 2
    assert health.needed_person_share == pytest.approx(2 / 5)
    assert health.open_count == 2
    assert health.oldest_open is not None

    only_other = mapping_health(tenant_id=tenant_id, client_id=other_client.pk)
    assert only_other.total == 1
    assert only_other.open_count == 1


def test_another_tenants_items_are_not_counted(history):
    client, _ = history
    stranger = IntegrationClientFactory()
    make_items(stranger, age=timedelta(days=2), rows=[("Failed", [], "Open")])
    mapping_health_rollup(tenant_id=stranger.tenant_id)

    assert mapping_health(tenant_id=client.tenant_id).total == 4
    assert mapping_health(tenant_id=stranger.tenant_id).total == 1
