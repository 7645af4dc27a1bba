"""The Dispatcher group's permissions, kept in step on every migrate; the same-tenant rule."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management.sql import emit_post_migrate_signal

from tenants.services import (
    DISPATCHER_GROUP,
    dispatcher_create_or_add_tenant,
    tenant_consistency_check,
)
from tests.factories import CustomerFactory, LocationFactory, TenantFactory

pytestmark = pytest.mark.django_db


def _codenames(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_dispatchers_work_the_queue_and_cannot_change_import_items():
    user, _ = dispatcher_create_or_add_tenant(
        username="dana", password="pw-for-tests", tenant=TenantFactory()
    )

    assert user.has_perm("review.work_queue")
    assert user.has_perm("inbound.view_importitem")
    assert not user.has_perm("inbound.change_importitem")


def test_migrate_gives_an_existing_dispatcher_group_todays_permissions():
    # A group as it was before the queue had its own permission.
    group = Group.objects.create(name=DISPATCHER_GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="inbound", codename__in=["view_importitem", "change_importitem"]
        )
    )

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    codenames = _codenames(group)
    assert "review.work_queue" in codenames
    assert "inbound.view_importitem" in codenames
    assert "inbound.change_importitem" not in codenames
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert _codenames(group) == codenames  # idempotent


def test_migrate_creates_no_dispatcher_group_of_its_own():
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert not Group.objects.filter(name=DISPATCHER_GROUP).exists()


def test_the_consistency_check_names_each_field_of_another_tenant():
    location = LocationFactory()
    location.customer = CustomerFactory()  # another tenant's customer

    with pytest.raises(ValidationError) as refused:
        tenant_consistency_check(instance=location)

    assert set(refused.value.message_dict) == {"customer"}
    assert "another tenant" in refused.value.message_dict["customer"][0]


def test_the_consistency_check_accepts_records_of_the_same_tenant():
    location = LocationFactory()

    tenant_consistency_check(instance=location)  # raises nothing

    assert location.customer.tenant_id == location.tenant_id
