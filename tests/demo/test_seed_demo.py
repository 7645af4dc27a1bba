"""seed_demo (the demo app): demo data to look around in, safe to run twice.

fieldwork.services is built by the outbox work of issue #14; while it is a stub, the
`fieldwork_services` fixture stands in with functions that save the row (so seed_demo's use of
it is tested now, and the real services are used as soon as they exist)."""

import inspect
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient
from standardwebhooks import Webhook

import fieldwork.services
from customers.models import Customer
from demo import seeding
from fieldwork.models import BillingDocument, VisitReport
from inbound.models import ImportItem, ImportJob
from tenants.models import Tenant
from tests.api import BASE
from webhooks import services as webhook_services
from webhooks.models import WebhookEndpoint
from webhooks.ssrf import WebhookUrlRefused

pytestmark = pytest.mark.django_db


def _is_stub(function) -> bool:
    return inspect.getsource(function).rstrip().endswith("raise NotImplementedError")


@pytest.fixture(autouse=True)
def fieldwork_services(monkeypatch):
    if _is_stub(fieldwork.services.visit_report_submit):

        def visit_report_submit(*, target, outcome, summary="", submitted_at=None):
            return VisitReport.objects.create(
                tenant_id=target.tenant_id,
                target=target,
                outcome=outcome,
                summary=summary,
                submitted_at=submitted_at,
            )

        monkeypatch.setattr(seeding, "visit_report_submit", visit_report_submit)
    if _is_stub(fieldwork.services.billing_document_create):

        def billing_document_create(*, target, number, currency, amount, lines=None):
            return BillingDocument.objects.create(
                tenant_id=target.tenant_id,
                target=target,
                number=number,
                currency=currency,
                amount=amount,
                lines=lines or [],
            )

        monkeypatch.setattr(seeding, "billing_document_create", billing_document_create)


def _seed(*args: str) -> list[str]:
    out = StringIO()
    call_command("seed_demo", "--force", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_seed_demo_is_safe_to_run_twice_and_prints_a_working_key():
    first = _seed()
    second = _seed()
    http = APIClient()

    http.credentials(HTTP_AUTHORIZATION=f"Bearer {first[-1]}")
    revoked = http.get(BASE + "inbound/import-jobs")
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {second[-1]}")
    current = http.get(BASE + "inbound/import-jobs")

    assert revoked.status_code == 401
    assert current.status_code == 200
    assert current.json()["count"] == 1
    assert ImportJob.objects.count() == 1
    assert Customer.objects.filter(customer_number="RRM-001").count() == 1
    assert ImportItem.objects.filter(review_state="Open").count() == 2
    assert "Dispatcher login: dispatcher / dispatcher-demo-password" in second


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not Customer.objects.exists()


def test_demo_customers_carry_their_matching_keys():
    _seed()

    customer = Customer.objects.get(customer_number="KL-007")
    location = customer.locations.get()
    assert customer.normalized_name == "kaeltetechnik lindner"
    assert location.street_key == "koenigstr"


def test_the_demo_has_a_webhook_endpoint_at_the_local_inbox_with_its_secret_shown_once():
    first = _seed()
    second = _seed()

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.url == "http://127.0.0.1:8000/dev/webhook-inbox/"
    assert endpoint.client.source_system == "demo-erp"
    assert endpoint.event_types == []  # every type
    assert endpoint.include_contact_details is True
    assert endpoint.include_summary_preview is True
    assert endpoint.include_billing_details is True
    shown = [line for line in first if "whsec_" in line]
    assert shown == [f"Webhook signing secret (shown this once): {endpoint.secret}"]
    Webhook(endpoint.secret)
    assert not any("whsec_" in line for line in second)
    assert f"Webhook endpoint: {endpoint.url}" in "\n".join(second)
    assert first[-1].count(".") == 1  # the API key stays the last line (prefix.secret)


def test_the_demo_endpoint_follows_the_port_and_is_enabled_again():
    _seed()
    endpoint = WebhookEndpoint.objects.get()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_enabled=False, disabled_reason="Gone")

    _seed("--webhook-url", "http://127.0.0.1:8123/dev/webhook-inbox/")

    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:8123/dev/webhook-inbox/"
    assert (endpoint.is_enabled, endpoint.disabled_reason) == (True, "")
    assert WebhookEndpoint.objects.count() == 1


def test_a_refused_demo_endpoint_is_said_and_the_rest_is_seeded(monkeypatch):
    def url_check(url):
        raise WebhookUrlRefused("http is not allowed (WEBHOOK_ALLOW_HTTP is off).")

    monkeypatch.setattr(webhook_services, "url_check", url_check)

    lines = _seed()

    assert not WebhookEndpoint.objects.exists()
    assert "No demo webhook endpoint: its URL was refused: http is not allowed" in "\n".join(lines)
    assert ImportJob.objects.count() == 1


def test_the_demo_has_billing_a_visit_report_and_a_billing_document_once():
    _seed()
    lines = _seed()

    tenant = Tenant.objects.get(slug="demo")
    assert tenant.billing_configured
    report = VisitReport.objects.get()
    bill = BillingDocument.objects.get()
    assert report.target.external_id == bill.target.external_id == "JOB-DEMO-001"
    assert report.tenant_id == bill.tenant_id == tenant.pk
    assert (bill.number, bill.currency, str(bill.amount)) == ("DEMO-INV-0001", "EUR", "238.00")
    assert "Visit reports: 1, billing documents: 1" in "\n".join(lines)
