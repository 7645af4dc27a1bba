"""Shared fixtures. Tests marked `browser` skip locally without Chromium, but fail when
REQUIRE_BROWSER=1 (as in CI), so CI can never skip them silently."""

import os
import shutil

import pytest
from rest_framework.test import APIClient

from inbound.services import DEFAULT_SCOPES, api_key_issue
from tests.api import Caller
from tests.factories import IntegrationClientFactory
from tests.workers import worker_start  # noqa: F401 (a fixture for every test package)


def _require(env_var: str) -> bool:
    return os.environ.get(env_var, "") not in ("", "0", "false")


BROWSER_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _needs_browser(request):
    if request.node.get_closest_marker("browser") is None:
        return
    if not shutil.which(BROWSER_PATH):
        message = f"needs Chromium at {BROWSER_PATH}"
        if _require("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def make_caller(db):
    """Build callers: an API client with a fresh key (all scopes unless said) of a client."""

    def make(*, scopes=DEFAULT_SCOPES, client=None, **client_kwargs) -> Caller:
        client = client or IntegrationClientFactory(**client_kwargs)
        api_key, key = api_key_issue(client=client, name="test", scopes=scopes)
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return Caller(http=http, client=client, api_key=api_key, key=key)

    return make


@pytest.fixture
def caller(make_caller) -> Caller:
    return make_caller()
