"""SPEC §9: incoming payloads are kept while an item waits for review, then for the retention."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inbound.choices import ReviewState
from inbound.models import ImportItem
from inbound.services import import_payloads_purge
from tenants.services import dispatcher_create_or_add_tenant

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _import(caller, external_id: str) -> ImportItem:
    response = caller.post(
        "inbound/targets",
        {
            "externalId": external_id,
            "title": "Visit",
            "customer": {"externalId": f"C-{external_id}", "name": "Anna Weber"},
            "contact": {
                "externalId": f"P-{external_id}",
                "displayName": "Anna Weber",
                "email": "anna.weber@example.com",
                "mobile": "+49 170 1234567",
            },
        },
    )
    assert response.status_code == 200
    return ImportItem.objects.get(external_id=external_id)


def _aged(item: ImportItem, *, state: str, created: int, resolved: int | None = None) -> None:
    """Put the item in `state`, imported `created` days ago and resolved `resolved` days ago."""
    now = timezone.now()
    ImportItem.objects.filter(pk=item.pk).update(
        review_state=state,
        created_at=now - created * DAY,
        resolved_at=None if resolved is None else now - resolved * DAY,
    )


@pytest.fixture
def items(caller, settings) -> dict[str, ImportItem]:
    settings.IMPORT_PAYLOAD_RETENTION_DAYS = 30
    found = {name: _import(caller, name) for name in (
        "old-not-needed", "new-not-needed", "old-open", "resolved-long-ago",
        "resolved-lately", "dismissed-long-ago",
    )}  # fmt: skip
    _aged(found["old-not-needed"], state=ReviewState.NOT_NEEDED, created=31)
    _aged(found["new-not-needed"], state=ReviewState.NOT_NEEDED, created=29)
    _aged(found["old-open"], state=ReviewState.OPEN, created=400)
    _aged(found["resolved-long-ago"], state=ReviewState.RESOLVED, created=90, resolved=31)
    _aged(found["resolved-lately"], state=ReviewState.RESOLVED, created=90, resolved=29)
    _aged(found["dismissed-long-ago"], state=ReviewState.DISMISSED, created=60, resolved=45)
    return found


PURGED = {"old-not-needed", "resolved-long-ago", "dismissed-long-ago"}


def test_payloads_past_the_retention_are_cleared_and_everything_else_stays(items):
    before = {i.external_id: i for i in ImportItem.objects.all()}

    cleared = import_payloads_purge()

    assert cleared == len(PURGED)
    for item in ImportItem.objects.all():
        old = before[item.external_id]
        if item.external_id in PURGED:
            assert item.payload == {}, item.external_id
            assert item.payload_purged_at is not None
        else:
            assert item.payload == old.payload != {}, item.external_id
            assert item.payload_purged_at is None
        kept = ("review_state", "mapping_status", "import_status", "warnings", "decisions")
        assert [getattr(item, f) for f in kept] == [getattr(old, f) for f in kept]
        links = ("target_id", "customer_id", "contact_id", "resolved_at", "created_at")
        assert [getattr(item, f) for f in links] == [getattr(old, f) for f in links]
        assert item.target_id is not None
        assert item.customer_id is not None


def test_the_retention_comes_from_the_setting(items, settings):
    settings.IMPORT_PAYLOAD_RETENTION_DAYS = 50

    assert import_payloads_purge() == 0  # nothing resolved or imported 50 days ago but open
    settings.IMPORT_PAYLOAD_RETENTION_DAYS = 10
    assert import_payloads_purge() == 5  # all but the open item


def test_the_purge_runs_in_bounded_batches_and_again_finds_nothing(items):
    with CaptureQueriesContext(connection) as captured:
        cleared = import_payloads_purge(batch_size=2)
    updates = [q["sql"] for q in captured if q["sql"].startswith("UPDATE")]

    assert cleared == len(PURGED)
    assert len(updates) == 3  # 2 + 1 + 0 rows
    assert all("LIMIT 2" in sql for sql in updates)
    assert import_payloads_purge() == 0


def test_a_dry_run_counts_and_changes_nothing(items):
    assert import_payloads_purge(dry_run=True) == len(PURGED)
    assert not ImportItem.objects.filter(payload={}).exists()


def test_the_command_prints_how_many_it_cleared(items):
    out = StringIO()

    call_command("purge_import_payloads", "--dry-run", stdout=out)
    call_command("purge_import_payloads", stdout=out)
    call_command("purge_import_payloads", stdout=out)
    call_command("purge_import_payloads", "--older-than-days", "1", stdout=out)  # not below 30

    assert out.getvalue().splitlines() == [
        "Would clear 3 import item payload(s) kept longer than 30 days.",
        "Cleared 3 import item payload(s) kept longer than 30 days.",
        "Cleared 0 import item payload(s) kept longer than 30 days.",
        "Cleared 0 import item payload(s) kept longer than 30 days.",
    ]


def test_the_purge_finds_its_rows_through_the_partial_index(items):
    with CaptureQueriesContext(connection) as captured:
        import_payloads_purge()
    update = next(q["sql"] for q in captured if q["sql"].startswith("UPDATE"))

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {update}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "inbound_item_payload_kept" in plan


def test_the_review_page_of_a_purged_item_says_so(items):
    item = items["resolved-long-ago"]
    import_payloads_purge()
    user, _ = dispatcher_create_or_add_tenant(username="dana", password="pw", tenant=item.tenant)
    dispatcher = Client()
    dispatcher.force_login(user)

    page = dispatcher.get(reverse("review:item", args=[item.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="payload-purged"' in text
    assert "kept 30 days after the decision" in text
    assert "anna.weber@example.com" not in text
