"""Reads of tenants: which tenants a signed-in user may see."""

from django.db.models import QuerySet

from .models import Tenant


def tenants_of_user(*, user) -> QuerySet[Tenant]:
    """Superusers see every tenant; anyone else only the tenants they are a member of."""
    if not user.is_authenticated or not user.is_active:
        return Tenant.objects.none()
    if user.is_superuser:
        return Tenant.objects.all()
    return Tenant.objects.filter(memberships__user=user)
