"""Schemathesis against the live OpenAPI document (/api/connect/v1/schema/, served as YAML).

Every operation is fuzzed in-process through Django's WSGI application with a valid API key
(all scopes) against the real test database, positive and negative data alike (Schemathesis'
examples, coverage and fuzzing phases). Checked: no 5xx, only documented status codes, only
documented content types, and bodies that match the documented response schemas.

Notes on the harness:
- The schema is loaded when the module is imported (Schemathesis' documented pattern).
  `schemathesis.pytest.from_fixture` would load it lazily, but it sets `node._nodeid`, which
  pytest 9.2 no longer has (AttributeError), so it cannot be used here.
- Each operation is one pytest test with one API key for all its generated cases, which run in
  the test's database transaction (pytest-django `django_db`; a transactional test would flush
  every table after each test, which costs seconds on PostgreSQL). Each case runs in a savepoint
  that a failed check rolls back, so a request that failed in the database cannot abort the
  transaction for the cases after it.
- Django's WSGI handler closes the database connection at the end of every request
  (`close_old_connections`); Django's own test client disconnects that handler, and so do we,
  so all cases reuse one connection.
- Bounded and reproducible: `max_examples` per operation for the fuzzing phase, no deadline,
  `derandomize=True` (Schemathesis then applies no random seed of its own).
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from inbound.api.examples import BATCH, TARGET_WITH_CUSTOMER_MAPPING
from inbound.choices import Scope

pytestmark = pytest.mark.django_db

API = "/api/connect/v1"
SCHEMA_PATH = f"{API}/schema/"
# Every check but the two about which data the API accepts (negative_data_rejection,
# positive_data_acceptance): they flag what is explained in the README (an empty filter value
# is no filter; DRF takes a number for a string field; a NUL in a body string is a 400; a reused
# Idempotency-Key with another body is a 422), and the stateful ones (use_after_free,
# ensure_resource_availability), which need the stateful phase that the CLI run covers.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    missing_required_header,
    allow_header_conformance,
    unsupported_method,
    ignored_auth,
]

schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_test_connection_open():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_the_schema_lists_every_operation():
    operations = {
        f"{result.ok().method.upper()} {result.ok().path}" for result in schema.get_all_operations()
    }
    assert operations == {
        f"POST {API}/inbound/targets",
        f"POST {API}/inbound/targets/batch",
        f"GET {API}/inbound/targets/batch",
        f"GET {API}/inbound/targets/{{external_id}}",
        f"GET {API}/inbound/import-jobs",
        f"GET {API}/inbound/import-jobs/{{job_id}}",
        f"POST {API}/inbound/imports",
        f"GET {API}/inbound/import-jobs/{{job_id}}/items",
    }


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one API key for all cases of an operation
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, caller):
    with transaction.atomic():
        case.call_and_validate(headers=_auth(caller.key), checks=CHECKS)


def test_read_back_responses_conform_to_the_schema(caller, make_caller):
    """Fuzzing rarely hits an existing target or job; read real ones back and validate them."""
    imported = schema[f"{API}/inbound/targets"]["POST"].Case(
        body=TARGET_WITH_CUSTOMER_MAPPING, media_type="application/json"
    )
    job_id = imported.call_and_validate(headers=_auth(caller.key), checks=CHECKS).json()[
        "importJobId"
    ]
    batch = schema[f"{API}/inbound/targets/batch"]["POST"].Case(
        body=BATCH, media_type="application/json"
    )
    batch.call_and_validate(headers=_auth(caller.key), checks=CHECKS)
    # The same client's data through a key without customers.read and without the batch scope.
    narrow_key = make_caller(client=caller.client, scopes=[Scope.TARGETS_WRITE]).key

    for key in (caller.key, narrow_key):
        for case in (
            schema[f"{API}/inbound/targets/{{external_id}}"]["GET"].Case(
                path_parameters={"external_id": TARGET_WITH_CUSTOMER_MAPPING["externalId"]}
            ),
            schema[f"{API}/inbound/import-jobs/{{job_id}}"]["GET"].Case(
                path_parameters={"job_id": job_id}
            ),
            schema[f"{API}/inbound/import-jobs"]["GET"].Case(query={"pageSize": 1}),
        ):
            response = case.call_and_validate(headers=_auth(key), checks=CHECKS)
            assert response.status_code == 200

    forbidden = schema[f"{API}/inbound/targets/batch"]["POST"].Case(
        body=BATCH, media_type="application/json"
    )
    response = forbidden.call_and_validate(headers=_auth(narrow_key), checks=CHECKS)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-07-01T08:00:00+16:00", id="offset-beyond-postgres-range"),
        pytest.param("2026-07-01T08:00:00-18:00", id="negative-offset-beyond-postgres-range"),
        pytest.param("0001-01-01T00:00:00+01:00", id="before-year-1-in-utc"),
        pytest.param("9999-12-31T23:59:59-01:00", id="after-year-9999-in-utc"),
        pytest.param("0001-01-01T00:00:00Z", id="first-instant"),
        pytest.param("9999-12-31T23:59:59.999999Z", id="last-instant"),
    ],
)
@pytest.mark.parametrize("parameter", ["createdAfter", "createdBefore"])
def test_job_list_date_filters_at_the_edges_conform_to_the_schema(caller, parameter, value):
    """Valid ISO 8601 that Python parses but PostgreSQL or the conversion to UTC may not take:
    fuzzing finds these only by chance (offsets beyond ±15:59, UTC instants outside years
    1-9999)."""
    case = schema[f"{API}/inbound/import-jobs"]["GET"].Case(query={parameter: value})
    with transaction.atomic():
        response = case.call_and_validate(headers=_auth(caller.key), checks=CHECKS)
    assert response.status_code in (200, 422)
