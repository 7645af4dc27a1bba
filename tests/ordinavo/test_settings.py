"""Production settings: HSTS, the proxy header, two-factor for superusers, CSP, check --deploy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "ordinavo.settings.production",
    "SECRET_KEY": "production-check-" + "k3y-" * 12,
    "ALLOWED_HOSTS": "connect.example.com",
    "DEBUG": "false",
}
CONFIGURABLE = [
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "OTP_REQUIRED_FOR_SUPERUSERS",
    "TRUSTED_PROXY_COUNT",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
]


def _environment(**extra: str) -> dict[str, str]:
    # Only the variables named here: a developer's own shell must not decide the result.
    # (ordinavo.settings.test has put DATABASE_URL into os.environ; nothing connects to it.)
    env = {key: os.environ[key] for key in ("PATH", "HOME", "DATABASE_URL") if key in os.environ}
    return {**env, **PRODUCTION_ENV, **extra}


def _production_settings(names: list[str] = CONFIGURABLE, **extra: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_environment(**extra),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_statements_run_without_jit_compilation():
    # JIT compiling the import's statements cost more than running them (settings/base.py).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_database_jit_true_leaves_jit_to_the_server_and_other_options_stay():
    url = os.environ["DATABASE_URL"].split("?")[0] + "?options=-c%20statement_timeout%3D5000"

    default = _production_settings(["DATABASES"], DATABASE_URL=url)
    server = _production_settings(["DATABASES"], DATABASE_URL=url, DATABASE_JIT="true")

    assert default["DATABASES"]["default"]["OPTIONS"]["options"] == (
        "-c statement_timeout=5000 -c jit=off"
    )
    assert server["DATABASES"]["default"]["OPTIONS"]["options"] == "-c statement_timeout=5000"


def test_production_defaults():
    values = _production_settings()

    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    # A client talking to gunicorn directly must not be able to claim HTTPS.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["OTP_REQUIRED_FOR_SUPERUSERS"] is True
    assert values["TRUSTED_PROXY_COUNT"] == 0
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["AXES_COOLOFF_TIME"] == "0:15:00"


def test_production_settings_from_the_environment():
    values = _production_settings(
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="true",
        TRUST_X_FORWARDED_PROTO="true",
        OTP_REQUIRED_FOR_SUPERUSERS="false",
        TRUSTED_PROXY_COUNT="1",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="60",
    )

    assert values["SECURE_HSTS_SECONDS"] == 600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["OTP_REQUIRED_FOR_SUPERUSERS"] is False
    assert values["TRUSTED_PROXY_COUNT"] == 1
    assert values["AXES_FAILURE_LIMIT"] == 3
    assert values["AXES_COOLOFF_TIME"] == "1:00:00"


@pytest.mark.parametrize("preload", ["false", "true"])
def test_check_deploy_on_production_settings_reports_nothing(preload):
    # With preload off, security.W021 is silenced on purpose (README, Security).
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_environment(SECURE_HSTS_PRELOAD=preload),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_content_security_policy_forbids_base_elements(client: Client):
    policy = client.get("/admin/login/")["Content-Security-Policy"]

    assert "base-uri 'none'" in policy
