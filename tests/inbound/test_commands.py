import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inbound.models import ApiKey, IntegrationClient
from mapping.choices import MatchingStrategy
from tenants.models import Tenant
from tests.factories import IntegrationClientFactory

pytestmark = pytest.mark.django_db


def _create_client(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_integration_client", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_creates_tenant_client_and_prints_a_working_key_last():
    lines = _create_client(
        "--tenant",
        "acme",
        "--name",
        "SAP",
        "--source-system",
        "sap-erp",
        "--strategy",
        "ExternalIdThenCustomerNumber",
        "--scopes",
        "inbound.targets.write",
        "customers.map",
        "--allow-contact-create",
        "--customer-number-fallback",
    )

    client = IntegrationClient.objects.get(source_system="sap-erp")
    api_key = ApiKey.objects.get_from_key(lines[-1])
    assert client.tenant.slug == "acme"
    assert client.strategy == MatchingStrategy.EXTERNAL_ID_THEN_CUSTOMER_NUMBER
    assert client.allow_contact_create is True
    assert client.customer_number_fallback is True
    assert api_key.client == client
    assert sorted(api_key.scopes) == ["customers.map", "inbound.targets.write"]


def test_defaults_are_external_id_first_no_contact_create_and_all_scopes():
    lines = _create_client("--tenant", "acme", "--name", "CRM", "--source-system", "crm")

    client = IntegrationClient.objects.get(source_system="crm")
    api_key = ApiKey.objects.get_from_key(lines[-1])
    assert client.strategy == MatchingStrategy.EXTERNAL_ID_FIRST
    assert client.allow_contact_create is False
    assert client.customer_number_fallback is False
    assert client.allow_customer_create
    assert client.allow_customer_update
    assert client.allow_location_create
    assert set(api_key.scopes) == {
        "inbound.targets.write",
        "inbound.targets.batch.write",
        "customers.map",
        "customers.write",
        "customers.read",
    }


def test_existing_tenant_is_reused():
    _create_client("--tenant", "acme", "--name", "A", "--source-system", "a")
    _create_client("--tenant", "acme", "--name", "B", "--source-system", "b")

    assert Tenant.objects.filter(slug="acme").count() == 1
    assert IntegrationClient.objects.filter(tenant__slug="acme").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--tenant", "acme", "--name", "X", "--source-system", "x", "--strategy", "Guess"],
            "invalid choice: 'Guess'",
        ),
        (
            ["--tenant", "acme", "--name", "X", "--source-system", "x", "--scopes", "root"],
            "invalid choice: 'root'",
        ),
        (["--name", "X", "--source-system", "x"], "--tenant"),
        (["--tenant", "not a slug!", "--name", "X", "--source-system", "x"], "not a slug"),
        (["--tenant", "acme", "--name", " ", "--source-system", "x"], "must not be empty"),
    ],
)
def test_bad_arguments_fail_clearly_and_create_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_integration_client", *args, stdout=StringIO(), stderr=StringIO())

    assert not Tenant.objects.exists()
    assert not IntegrationClient.objects.exists()
    assert not ApiKey.objects.exists()


def test_existing_source_system_fails_and_creates_no_key():
    existing = IntegrationClientFactory(tenant__slug="acme", source_system="sap-erp")

    with pytest.raises(CommandError, match="already has a client"):
        call_command(
            "create_integration_client",
            "--tenant",
            "acme",
            "--name",
            "Other",
            "--source-system",
            "sap-erp",
            stdout=StringIO(),
        )

    assert IntegrationClient.objects.get() == existing
    assert not ApiKey.objects.exists()


def test_command_line_exit_code_is_non_zero_on_bad_arguments():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_integration_client",
            "--tenant",
            "acme",
            "--name",
            "X",
            "--source-system",
            "x",
            "--strategy",
            "Guess",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "ordinavo.settings.test"},
    )

    assert result.returncode != 0
    assert "invalid choice: 'Guess'" in result.stderr
    assert result.stdout == ""
