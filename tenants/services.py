"""Writes of tenants and dispatcher membership."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction

from .models import Tenant, TenantMembership

DISPATCHER_GROUP = "Dispatcher"

# What a dispatcher may do in the admin; everything else (clients, keys) stays with admins.
DISPATCHER_PERMISSIONS = (
    ("customers", "view_customer"),
    ("customers", "view_location"),
    ("customers", "view_contact"),
    ("inbound", "view_target"),
    ("inbound", "view_importjob"),
    ("inbound", "view_importitem"),
    ("inbound", "change_importitem"),
    ("mapping", "view_externalreference"),
)


def tenant_get_or_create(*, slug: str, name: str | None = None) -> Tenant:
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": name or slug})
    return tenant


def dispatcher_group_ensure() -> Group:
    group, _ = Group.objects.get_or_create(name=DISPATCHER_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in DISPATCHER_PERMISSIONS},
        codename__in={codename for _, codename in DISPATCHER_PERMISSIONS},
    )
    group.permissions.add(*permissions)
    return group


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
