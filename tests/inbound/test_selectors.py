"""inbound.selectors: reads of one client's jobs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbound.models import ImportJob
from inbound.selectors import import_job_get
from tests.factories import IntegrationClientFactory

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
