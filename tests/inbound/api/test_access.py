"""401 for every kind of bad key, 403 naming the missing scope, 404 across clients and tenants."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inbound.api.examples import MINIMAL_TARGET
from inbound.models import ApiKey
from inbound.services import api_key_revoke
from tests.api import BASE
from tests.factories import IntegrationClientFactory

pytestmark = pytest.mark.django_db


def _is_problem(response, status):
    body = response.json()
    return (
        response.status_code == status
        and response["Content-Type"] == "application/problem+json"
        and body["status"] == status
        and {"type", "title", "detail"} <= set(body)
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer abc.def",
        "Bearer nodot",
        "Basic dXNlcjpwYXNz",
        "Bearer a b",
        "Bearer ABCDEFGH.wrong-secret-wrong-secret-wrong",
    ],
)
def test_missing_malformed_or_unknown_key_is_401_with_www_authenticate(db, authorization):
    http = APIClient()
    if authorization:
        http.credentials(HTTP_AUTHORIZATION=authorization)

    response = http.post(BASE + "inbound/targets", MINIMAL_TARGET, format="json")

    assert _is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_401(caller):
    api_key_revoke(api_key=caller.api_key)

    response = caller.post("inbound/targets", MINIMAL_TARGET)

    assert _is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_key_is_401(caller):
    ApiKey.objects.filter(pk=caller.api_key.pk).update(
        expiry_date=timezone.now() - dt.timedelta(minutes=1)
    )

    response = caller.post("inbound/targets", MINIMAL_TARGET)

    assert _is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_key_of_an_inactive_client_is_401(caller):
    caller.client.is_active = False
    caller.client.save()

    assert _is_problem(caller.post("inbound/targets", MINIMAL_TARGET), 401)


def test_last_used_is_written_at_most_once_a_minute(caller):
    caller.get("inbound/import-jobs")
    first = ApiKey.objects.get(pk=caller.api_key.pk).last_used_at
    caller.get("inbound/import-jobs")
    second = ApiKey.objects.get(pk=caller.api_key.pk).last_used_at
    ApiKey.objects.filter(pk=caller.api_key.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    caller.get("inbound/import-jobs")
    third = ApiKey.objects.get(pk=caller.api_key.pk).last_used_at

    assert first is not None
    assert second == first
    assert third > first


@pytest.mark.parametrize(
    ("scopes", "method", "path", "missing"),
    [
        (["inbound.targets.batch.write"], "post", "inbound/targets", "inbound.targets.write"),
        (["inbound.targets.write"], "post", "inbound/targets/batch", "inbound.targets.batch.write"),
        (
            ["customers.read", "customers.map"],
            "get",
            "inbound/import-jobs",
            "inbound.targets.write",
        ),
        (["customers.read"], "get", "inbound/import-jobs/1", "inbound.targets.write"),
        (["customers.read"], "get", "inbound/targets/JOB-1", "inbound.targets.write"),
    ],
)
def test_missing_scope_is_403_naming_the_scope(make_caller, scopes, method, path, missing):
    caller = make_caller(scopes=scopes)
    body = {"items": [MINIMAL_TARGET]} if path.endswith("batch") else MINIMAL_TARGET

    response = caller.post(path, body) if method == "post" else caller.get(path)

    assert _is_problem(response, 403)
    assert missing in response.json()["detail"]


def test_legacy_targets_write_alias_grants_single_import(make_caller):
    caller = make_caller(scopes=["targets.write"])

    assert caller.post("inbound/targets", MINIMAL_TARGET).status_code == 200


def test_another_clients_job_and_target_are_404(make_caller):
    owner = make_caller()
    job_id = owner.post("inbound/targets", MINIMAL_TARGET).json()["importJobId"]
    same_tenant = make_caller(client=IntegrationClientFactory(tenant=owner.client.tenant))
    other_tenant = make_caller()

    for stranger in (same_tenant, other_tenant):
        assert _is_problem(stranger.get(f"inbound/import-jobs/{job_id}"), 404)
        assert _is_problem(stranger.get("inbound/targets/JOB-2026-000918"), 404)
        assert stranger.get("inbound/import-jobs").json()["count"] == 0
    assert owner.get(f"inbound/import-jobs/{job_id}").status_code == 200
    assert owner.get("inbound/targets/JOB-2026-000918").status_code == 200


def test_unknown_api_path_and_wrong_method_are_problems(caller):
    assert _is_problem(caller.get("inbound/nothing-here"), 404)
    assert _is_problem(caller.http.delete(BASE + "inbound/targets"), 405)


def test_schema_and_docs_are_served_without_a_key(db):
    http = APIClient()

    schema = http.get(BASE + "schema/", {"format": "json"})
    docs = http.get(BASE + "docs/")

    assert schema.status_code == 200
    enums = schema.json()["components"]["schemas"]
    assert "AmbiguousCustomerMatch" in enums["MappingWarningEnum"]["enum"]
    assert set(enums["MappingStatusEnum"]["enum"]) == {
        "NotApplicable",
        "Mapped",
        "Created",
        "Updated",
        "Warning",
        "Failed",
        "Skipped",
    }
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_a_target_whose_external_id_is_batch_can_be_read_back(make_caller):
    owner = make_caller(scopes=["inbound.targets.write"])  # no batch scope
    stranger = make_caller()
    owner.post("inbound/targets", {**MINIMAL_TARGET, "externalId": "batch"})

    response = owner.get("inbound/targets/batch")

    assert response.status_code == 200
    assert response.json()["externalId"] == "batch"
    assert _is_problem(stranger.get("inbound/targets/batch"), 404)
    assert _is_problem(owner.post("inbound/targets/batch", {"items": [MINIMAL_TARGET]}), 403)
