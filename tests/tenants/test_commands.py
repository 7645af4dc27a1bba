from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from tenants.models import TenantMembership
from tenants.services import DISPATCHER_GROUP
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def test_creates_a_staff_dispatcher_of_the_tenant():
    tenant = TenantFactory(slug="acme")
    out = StringIO()

    call_command(
        "create_dispatcher", "dana", "--tenant", "acme", "--password", "s3cret!", stdout=out
    )

    user = get_user_model().objects.get(username="dana")
    assert user.is_staff
    assert not user.is_superuser
    assert user.check_password("s3cret!")
    assert user.groups.filter(name=DISPATCHER_GROUP).exists()
    assert list(TenantMembership.objects.filter(user=user).values_list("tenant", flat=True)) == [
        tenant.pk
    ]
    assert "Created dispatcher 'dana'; tenants: acme" in out.getvalue()


def test_second_call_adds_the_tenant_to_the_users_tenants():
    TenantFactory(slug="acme")
    TenantFactory(slug="globex")
    call_command(
        "create_dispatcher", "dana", "--tenant", "acme", "--password", "pw1", stdout=StringIO()
    )
    out = StringIO()

    call_command("create_dispatcher", "dana", "--tenant", "globex", "--password", "pw2", stdout=out)

    user = get_user_model().objects.get(username="dana")
    slugs = set(user.tenant_memberships.values_list("tenant__slug", flat=True))
    assert slugs == {"acme", "globex"}
    assert get_user_model().objects.filter(username="dana").count() == 1
    assert "tenants: acme, globex" in out.getvalue()


def test_unknown_tenant_fails_and_creates_no_user():
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("create_dispatcher", "dana", "--tenant", "nope", "--password", "pw")

    assert not get_user_model().objects.filter(username="dana").exists()


def test_missing_tenant_argument_fails():
    with pytest.raises(CommandError, match="--tenant"):
        call_command("create_dispatcher", "dana", "--password", "pw", stderr=StringIO())
