"""Django's own 400 and 500 answers are problem details on API paths and HTML pages elsewhere."""

import pytest
from django.test import Client

from inbound.api.examples import MINIMAL_TARGET
from tests.api import BASE

pytestmark = pytest.mark.django_db


def _problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


def test_a_disallowed_host_is_a_400_problem_on_api_paths_and_a_page_elsewhere(caller):
    api = caller.http.post(
        BASE + "inbound/targets", MINIMAL_TARGET, format="json", HTTP_HOST="evil.example"
    )
    page = Client().get("/review/", HTTP_HOST="evil.example")

    _problem(api, 400)
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_an_unexpected_error_is_a_500_problem_that_reveals_nothing(caller, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("inbound.api.views.targets_import", broken)
    caller.http.raise_request_exception = False

    response = caller.post("inbound/targets", MINIMAL_TARGET)

    body = _problem(response, 500)
    assert "secret" not in response.content.decode()
    assert body["type"].endswith("server-error")


def test_an_unexpected_error_outside_the_api_is_django_s_page(db, monkeypatch):
    def broken(request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("ordinavo.views.connection.cursor", broken)
    http = Client(raise_request_exception=False)

    response = http.get("/healthz")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
