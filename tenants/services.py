"""Writes of tenants and dispatcher membership; the rule that related records share a tenant."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from .models import Tenant, TenantMembership, TenantScopedModel

DISPATCHER_GROUP = "Dispatcher"

# What a dispatcher may do in the admin; everything else (clients, keys) stays with admins.
# Import items, jobs and targets are read-only in the admin for everyone: a dispatcher changes
# an item only through the review queue (review.work_queue), whose services write the audit.
DISPATCHER_PERMISSIONS = (
    ("customers", "view_customer"),
    ("customers", "view_location"),
    ("customers", "view_contact"),
    ("inbound", "view_target"),
    ("inbound", "view_importjob"),
    ("inbound", "view_importitem"),
    ("mapping", "view_externalreference"),
    ("review", "work_queue"),
)


def tenant_get_or_create(*, slug: str, name: str | None = None) -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": name or slug})
    return tenant


def tenant_mismatches(*, tenant_id: int, records: Mapping[str, Any], owner: str) -> dict[str, str]:
    """Which of `records` (field name -> related record) belong to another tenant than
    `tenant_id`, each with a message naming the field; `owner` names the object's kind."""
    errors = {}
    for name, record in records.items():
        if isinstance(record, TenantScopedModel) and record.tenant_id != tenant_id:
            label = record._meta.verbose_name
            errors[name] = f"This {label} belongs to another tenant than this {owner}."
    return errors


def tenant_consistency_check(*, instance: TenantScopedModel) -> None:
    """Refuse (ValidationError per field) a record whose related records are of another tenant:
    nothing is ever linked across tenants, whoever writes it. Reads each set foreign key."""
    if instance.tenant_id is None:
        raise ValidationError({"tenant": "Choose the tenant."})
    records = {
        field.name: getattr(instance, field.name)
        for field in instance._meta.concrete_fields
        if field.many_to_one
        and field.name != "tenant"
        and issubclass(field.related_model, TenantScopedModel)
        and getattr(instance, field.attname) is not None
    }
    errors = tenant_mismatches(
        tenant_id=instance.tenant_id, records=records, owner=instance._meta.verbose_name
    )
    if errors:
        raise ValidationError(errors)


def _dispatcher_permissions():
    condition = Q()
    for app_label, codename in DISPATCHER_PERMISSIONS:
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def dispatcher_group_ensure() -> Group:
    """The Dispatcher group with exactly the dispatcher permissions (safe to run again)."""
    group, _ = Group.objects.get_or_create(name=DISPATCHER_GROUP)
    group.permissions.set(_dispatcher_permissions())
    return group


def dispatcher_group_sync() -> None:
    """After every migrate: an existing Dispatcher group gets exactly today's permissions, so
    dispatchers keep the queue when its permission changes and lose what they no longer need."""
    if Group.objects.filter(name=DISPATCHER_GROUP).exists():
        dispatcher_group_ensure()


def dispatcher_password_validate(*, username: str, password: str) -> None:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS) for a dispatcher's password,
    compared with the existing user's attributes, or the username of a new one."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
    validate_password(password, user=user)


@transaction.atomic
def dispatcher_create_or_add_tenant(
    *, username: str, password: str, tenant: Tenant
) -> tuple[AbstractBaseUser, bool]:
    """Create a staff dispatcher, or add a tenant to an existing user; returns (user, created)."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    user.is_staff = True
    user.set_password(password)
    user.save()
    user.groups.add(dispatcher_group_ensure())
    TenantMembership.objects.get_or_create(tenant=tenant, user=user)
    return user, created
