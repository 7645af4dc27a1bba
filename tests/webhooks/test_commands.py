"""create_webhook_endpoint (SPEC §6): the secret is the last line; failures are clear and
exit non-zero."""

from io import StringIO

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.utils import timezone
from standardwebhooks import Webhook

from tests.factories import IntegrationClientFactory
from tests.webhooks.records import URL
from webhooks import services
from webhooks.models import WebhookEndpoint
from webhooks.ssrf import WebhookUrlRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return IntegrationClientFactory(tenant__slug="acme", source_system="sap-erp")


def _create(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_webhook_endpoint", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_creates_the_endpoint_and_prints_a_working_secret_last(client):
    lines = _create("--tenant", "acme", "--source-system", "sap-erp", "--url", URL)

    endpoint = WebhookEndpoint.objects.get()
    secret = lines[-1]
    assert secret == endpoint.secret
    assert secret.startswith("whsec_")
    # What Ordinavo signs with this secret, a receiver verifies with the printed one.
    body, now = '{"type":"webhook.test","timestamp":"t","data":{}}', timezone.now()
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign("msg_1", now, body),
    }
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    assert (endpoint.client, endpoint.tenant, endpoint.url) == (client, client.tenant, URL)
    assert endpoint.event_types == []
    assert endpoint.include_contact_details is True
    assert endpoint.include_summary_preview is False
    assert endpoint.include_billing_details is False
    assert "Event types: all" in lines


def test_events_and_payload_options(client):
    lines = _create(
        "--tenant", "acme", "--source-system", "sap-erp", "--url", URL,
        "--events", "visit_report.submitted", "billing.created",
        "--no-contact-details", "--summary-preview", "--billing-details",
    )  # fmt: skip

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["visit_report.submitted", "billing.created"]
    assert endpoint.include_contact_details is False
    assert endpoint.include_summary_preview is True
    assert endpoint.include_billing_details is True
    # The tenant has no billing feature yet: said, as billing.created would not be sent.
    assert any("billing.created is not sent" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nope", "--source-system", "sap-erp"], "no tenant 'nope'"),
        (["--tenant", "acme", "--source-system", "crm"], "no integration client for 'crm'"),
        (
            ["--tenant", "acme", "--source-system", "sap-erp", "--events", "target.deleted"],
            "Unknown event types: target.deleted",
        ),
    ],
)
def test_bad_arguments_fail_clearly_and_create_nothing(client, args, message):
    with pytest.raises(CommandError, match=message):
        _create(*args, "--url", URL)

    assert not WebhookEndpoint.objects.exists()


def test_a_refused_url_fails_clearly(client, monkeypatch):
    def url_check(url):
        raise WebhookUrlRefused("10.0.0.5 is a private address.")

    monkeypatch.setattr(services, "url_check", url_check)

    with pytest.raises(CommandError, match=r"--url refused: 10\.0\.0\.5 is a private address"):
        _create(
            "--tenant", "acme", "--source-system", "sap-erp", "--url", "https://intra.example/x"
        )
    with pytest.raises(CommandError, match="--url refused: Not a valid"):
        _create("--tenant", "acme", "--source-system", "sap-erp", "--url", "ftp://x/y")

    assert not WebhookEndpoint.objects.exists()


def test_a_duplicate_fails_clearly(client):
    _create("--tenant", "acme", "--source-system", "sap-erp", "--url", URL)

    with pytest.raises(CommandError, match="already has an endpoint with the URL"):
        _create("--tenant", "acme", "--source-system", "sap-erp", "--url", URL)

    assert WebhookEndpoint.objects.count() == 1


def test_the_command_line_exits_non_zero_with_the_message_on_stderr(client, capsys):
    utility = ManagementUtility(
        ["manage.py", "create_webhook_endpoint", "--tenant", "nope", "--source-system", "x",
         "--url", URL]
    )  # fmt: skip

    with pytest.raises(SystemExit) as exit_info:
        utility.execute()

    assert exit_info.value.code != 0
    captured = capsys.readouterr()
    assert "no tenant 'nope'" in captured.err
    assert "whsec_" not in captured.out
