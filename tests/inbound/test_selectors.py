"""inbound.selectors: reads of one client's jobs and targets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbound.models import ImportJob
from inbound.selectors import (
    import_job_get,
    target_of_client_get,
    targets_of_client_by_external_id,
)
from inbound.sql import targets_of_client_sql
from tests.factories import IntegrationClientFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_a_job_is_read_by_its_key_and_only_for_its_client():
    client, other = IntegrationClientFactory(), IntegrationClientFactory()
    job = ImportJob.objects.create(tenant=client.tenant, client=client, kind="Single")
    with CaptureQueriesContext(connection) as captured:
        assert import_job_get(client=client, job_id=job.pk) == job
    assert import_job_get(client=other, job_id=job.pk) is None
    assert import_job_get(client=client, job_id=job.pk + 1000) is None
    (query,) = captured
    # Not the newest-first order of the job list, which can walk all the client's jobs.
    assert "created_at" not in query["sql"].split("ORDER BY", 1)[1]


def test_a_target_is_read_by_its_external_id_and_only_for_its_client():
    target = TargetFactory(external_id="JOB-1")
    # Same tenant, same external ID, another source system: another client's target.
    other_client = IntegrationClientFactory(tenant=target.tenant)
    other = TargetFactory(client=other_client, external_id="JOB-1")

    assert target_of_client_get(client=target.client, external_id="JOB-1") == target
    assert target_of_client_get(client=other_client, external_id="JOB-1") == other
    assert target_of_client_get(client=target.client, external_id="JOB-2") is None
    assert targets_of_client_by_external_id(
        client=target.client, external_ids=["JOB-1", "JOB-2"]
    ) == {"JOB-1": target}
    assert targets_of_client_by_external_id(client=target.client, external_ids=[]) == {}


def test_an_imports_targets_are_one_prepared_statement_of_unique_index_probes():
    # The test tables are nearly empty: the generic plan made now is the one a connection keeps.
    client = IntegrationClientFactory()
    targets = [TargetFactory(client=client, external_id=f"JOB-{n}") for n in range(30)]
    statements = []
    for count in (1, 30):
        with CaptureQueriesContext(connection) as captured:
            found = targets_of_client_by_external_id(
                client=client, external_ids=[f"JOB-{n}" for n in range(count)]
            )
        assert found == {t.external_id: t for t in targets[:count]}
        (query,) = captured
        statements.append(query["sql"])
    assert statements[0] == statements[1]

    prepared = targets_of_client_sql()
    for n in (1, 2, 3):  # as psycopg sends it to the server
        prepared = prepared.replace("%s", f"${n}", 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement = %s", [prepared])
        (name,) = cursor.fetchone()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        try:
            cursor.execute(
                f"EXPLAIN EXECUTE {name}('{{JOB-1,JOB-2}}', %s, %s)", [client.tenant_id, client.pk]
            )
            plan = "\n".join(row for (row,) in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode")
    assert "Seq Scan" not in plan
    assert "Index Scan using inbound_target_unique_external_id_per_client" in plan
    # Each ID in the index condition: not the client's every target, filtered by the IDs.
    assert "Filter" not in plan
    assert "(external_id)::text = w.external_id" in plan.split("Index Cond:", 1)[1]
