import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from inbound.models import ApiKey
from inbound.services import api_key_issue, api_key_revoke
from tests.factories import IntegrationClientFactory

pytestmark = pytest.mark.django_db


def _all_database_text() -> str:
    """Every value of every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_no_database_row_contains_the_plaintext_key_and_the_key_verifies():
    api_key, plaintext = api_key_issue(client=IntegrationClientFactory(), name="erp")
    prefix, _, secret = plaintext.partition(".")

    dump = _all_database_text()

    assert len(secret) >= 32
    assert api_key.prefix == prefix
    assert secret not in dump
    assert plaintext not in dump
    assert ApiKey.objects.get_from_key(plaintext) == api_key
    assert ApiKey.objects.is_valid(plaintext)


def test_a_tampered_key_does_not_verify():
    _, plaintext = api_key_issue(client=IntegrationClientFactory(), name="erp")

    assert not ApiKey.objects.is_valid(plaintext[:-1] + ("x" if plaintext[-1] != "x" else "y"))


def test_revoked_and_expired_keys_do_not_verify():
    client = IntegrationClientFactory()
    revoked, revoked_plain = api_key_issue(client=client, name="revoked")
    _, expired_plain = api_key_issue(
        client=client, name="expired", expiry_date=timezone.now() - dt.timedelta(seconds=1)
    )

    api_key_revoke(api_key=revoked)

    assert not ApiKey.objects.is_valid(revoked_plain)
    assert not ApiKey.objects.is_valid(expired_plain)


def test_issue_refuses_unknown_scopes():
    with pytest.raises(ValueError, match=r"customers\.delete"):
        api_key_issue(client=IntegrationClientFactory(), name="x", scopes=["customers.delete"])
    assert not ApiKey.objects.exists()
