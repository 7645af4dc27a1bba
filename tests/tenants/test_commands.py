import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from tenants.models import TenantMembership
from tenants.services import DISPATCHER_GROUP
from tests.database import current_database_url
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

STRONG = "umber-Quartz-lantern-93"
STRONG_2 = "fjord-Velvet-compass-17"


def test_creates_a_staff_dispatcher_of_the_tenant():
    tenant = TenantFactory(slug="acme")
    out = StringIO()

    call_command("create_dispatcher", "dana", "--tenant", "acme", "--password", STRONG, stdout=out)

    user = get_user_model().objects.get(username="dana")
    assert user.is_staff
    assert not user.is_superuser
    assert user.check_password(STRONG)
    assert user.groups.filter(name=DISPATCHER_GROUP).exists()
    assert list(TenantMembership.objects.filter(user=user).values_list("tenant", flat=True)) == [
        tenant.pk
    ]
    assert "Created dispatcher 'dana'; tenants: acme" in out.getvalue()


def test_second_call_adds_the_tenant_to_the_users_tenants():
    TenantFactory(slug="acme")
    TenantFactory(slug="globex")
    call_command(
        "create_dispatcher", "dana", "--tenant", "acme", "--password", STRONG, stdout=StringIO()
    )
    out = StringIO()

    call_command(
        "create_dispatcher", "dana", "--tenant", "globex", "--password", STRONG_2, stdout=out
    )

    user = get_user_model().objects.get(username="dana")
    slugs = set(user.tenant_memberships.values_list("tenant__slug", flat=True))
    assert slugs == {"acme", "globex"}
    assert get_user_model().objects.filter(username="dana").count() == 1
    assert "tenants: acme, globex" in out.getvalue()
    assert user.check_password(STRONG_2)


def test_unknown_tenant_fails_and_creates_no_user():
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("create_dispatcher", "dana", "--tenant", "nope", "--password", STRONG)

    assert not get_user_model().objects.filter(username="dana").exists()


def test_missing_tenant_argument_fails():
    with pytest.raises(CommandError, match="--tenant"):
        call_command("create_dispatcher", "dana", "--password", STRONG, stderr=StringIO())


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("dana", "Xy7!", "too short"),
        ("dana", "password123", "too common"),
        ("dana", "83920174652", "entirely numeric"),
        ("dispatcher-essen", "dispatcheressen", "too similar to the username"),
    ],
)
def test_a_weak_password_exits_non_zero_and_creates_nothing(username, password, reason):
    TenantFactory(slug="acme")

    with pytest.raises(CommandError, match=reason) as refused:
        call_command("create_dispatcher", username, "--tenant", "acme", "--password", password)

    assert refused.value.returncode != 0  # manage.py exits with it
    assert not get_user_model().objects.filter(username=username).exists()
    assert not TenantMembership.objects.exists()


def test_a_weak_password_for_an_existing_dispatcher_changes_nothing():
    TenantFactory(slug="acme")
    TenantFactory(slug="globex")
    call_command(
        "create_dispatcher", "dana", "--tenant", "acme", "--password", STRONG, stdout=StringIO()
    )

    with pytest.raises(CommandError, match="too short"):
        call_command("create_dispatcher", "dana", "--tenant", "globex", "--password", "pw")

    user = get_user_model().objects.get(username="dana")
    assert user.check_password(STRONG)
    assert list(user.tenant_memberships.values_list("tenant__slug", flat=True)) == ["acme"]


def test_password_stdin_reads_the_first_line():
    TenantFactory(slug="acme")
    out = StringIO()

    call_command(
        "create_dispatcher",
        "dana",
        "--tenant",
        "acme",
        "--password-stdin",
        stdin=StringIO(STRONG + "\nignored\n"),
        stdout=out,
    )

    user = get_user_model().objects.get(username="dana")
    assert user.check_password(STRONG)
    assert "Created dispatcher 'dana'" in out.getvalue()


def test_password_stdin_is_validated_too():
    TenantFactory(slug="acme")

    with pytest.raises(CommandError, match="too common"):
        call_command(
            "create_dispatcher",
            "dana",
            "--tenant",
            "acme",
            "--password-stdin",
            stdin=StringIO("password123\n"),
        )

    assert not get_user_model().objects.filter(username="dana").exists()


def test_empty_standard_input_is_refused():
    TenantFactory(slug="acme")

    with pytest.raises(CommandError, match="standard input must not be empty"):
        call_command(
            "create_dispatcher", "dana", "--tenant", "acme", "--password-stdin", stdin=StringIO("")
        )


@pytest.mark.parametrize(
    "password_args",
    [[], ["--password", STRONG, "--password-stdin"]],
    ids=["neither", "both"],
)
def test_exactly_one_password_source_is_required(password_args):
    TenantFactory(slug="acme")

    with pytest.raises(CommandError, match="--password"):
        call_command(
            "create_dispatcher", "dana", "--tenant", "acme", *password_args, stderr=StringIO()
        )

    assert not get_user_model().objects.filter(username="dana").exists()


def _manage_py(*args: str, stdin: str) -> subprocess.CompletedProcess:
    """Run manage.py in a process of its own, on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ordinavo.settings.test",
        "DATABASE_URL": current_database_url(),
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_manage_py_reads_stdin_and_exits_non_zero_on_a_weak_password():
    TenantFactory(slug="acme")
    args = ("create_dispatcher", "dana", "--tenant", "acme", "--password-stdin")

    weak = _manage_py(*args, stdin="password123\n")
    assert weak.returncode != 0
    assert "too common" in weak.stderr
    assert not get_user_model().objects.filter(username="dana").exists()

    strong = _manage_py(*args, stdin=STRONG + "\n")
    assert strong.returncode == 0, strong.stderr
    assert get_user_model().objects.get(username="dana").check_password(STRONG)
