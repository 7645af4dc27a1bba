"""ordinavo.middleware.RequestSanityMiddleware: NUL characters in the URL, chunked bodies and
admin row selections are answered before any view or the database sees them."""

import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from inbound.api.examples import MINIMAL_TARGET
from inbound.models import ImportJob, Target
from tests.api import BASE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param("inbound/targets/ab\x00cd", {}, id="target-external-id"),
        pytest.param("inbound/import-jobs", {"status": "\x00"}, id="job-list-status"),
        pytest.param("inbound/import-jobs", {"createdAfter": "\x00"}, id="job-list-date"),
        pytest.param("inbound/import-jobs", {"pageSize": "1\x00"}, id="job-list-page-size"),
        pytest.param("inbound/import-jobs/1", {"x": "\x00"}, id="unknown-parameter"),
    ],
)
def test_a_nul_in_an_api_path_or_query_is_a_400_problem(caller, path, params):
    response = caller.get(path, **params)

    body = _problem(response, 400)
    assert "NUL" in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/inbound/importjob/?status=%00",
        "/admin/inbound/importitem/?q=%00",
        "/admin/customers/customer/?q=a%00b",
        "/admin/review/?q=%00",
        "/admin/customers/customer/%00/change/",
    ],
)
def test_a_nul_in_an_admin_path_or_query_is_a_400_page(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("selected", ["\x00", "1\x00", "abc", "1.5"])
def test_an_admin_action_on_rows_that_are_not_ids_is_a_400(admin_client, selected):
    response = admin_client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "delete_selected", "_selected_action": [selected], "index": "0"},
    )

    assert response.status_code == 400


def test_an_admin_form_field_with_a_nul_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:tenants_tenant_add"), {"slug": "a\x00b", "name": "N\x00"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors


def test_a_body_over_the_limit_with_its_length_is_a_413_problem(caller, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.INBOUND_LIMITS = {**settings.INBOUND_LIMITS, "MAX_BODY_BYTES": 1000}
    body = {**MINIMAL_TARGET, "description": "x" * 2000}

    single = caller.post("inbound/targets", body)
    batch = caller.post("inbound/targets/batch", {"items": [body]})

    assert "1000 bytes" in _problem(single, 413)["detail"]
    _problem(batch, 413)
    assert not ImportJob.objects.exists()


def _chunked(caller, body: bytes, path: str = "inbound/targets"):
    """As gunicorn hands on a chunked request: no CONTENT_LENGTH, the body in wsgi.input."""
    return caller.http.generic(
        "POST",
        BASE + path,
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
    )


def test_a_chunked_body_without_length_is_read(caller):
    response = _chunked(caller, json.dumps(MINIMAL_TARGET).encode())

    assert response.status_code == 200, response.content
    assert Target.objects.filter(external_id="JOB-2026-000918").exists()


def test_a_chunked_body_over_the_limit_is_a_413_problem(caller, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({**MINIMAL_TARGET, "description": "x" * 2000}).encode()

    response = _chunked(caller, body)

    _problem(response, 413)
    assert not ImportJob.objects.exists()


def test_a_chunked_form_over_the_limit_outside_the_api_is_a_plain_413(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    response = Client().generic(
        "POST",
        "/admin/login/",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(b"username=a&password=" + b"x" * 100)},
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


def test_an_admin_action_on_a_string_key_model_refuses_a_nul_and_takes_its_own_ids(
    admin_client, caller
):
    url = reverse("admin:inbound_apikey_changelist")

    refused = admin_client.post(url, {"action": "revoke_keys", "_selected_action": ["a\x00"]})
    revoked = admin_client.post(
        url, {"action": "revoke_keys", "_selected_action": [caller.api_key.pk]}
    )

    assert refused.status_code == 400
    assert revoked.status_code == 302
