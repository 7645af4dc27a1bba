import os

import pytest

from inbound.models import ImportItem
from tenants.services import dispatcher_create_or_add_tenant
from tests.conftest import BROWSER_PATH
from tests.factories import CustomerFactory, LocationFactory

REVIEW_SCOPES = [
    "inbound.targets.write",
    "inbound.targets.batch.write",
    "customers.map",
    "customers.read",
    "customers.write",
]


@pytest.fixture
def ambiguous(make_caller):
    """An item (JOB-AMB) with two equally good candidates under ExternalIdThenNameAndAddress;
    returns the caller that imported it and the item."""
    caller = make_caller(scopes=REVIEW_SCOPES, strategy="ExternalIdThenNameAndAddress")
    for name in ("Rhein-Ruhr Medical Supply GmbH", "Rhein-Ruhr Medical Supply AG"):
        customer = CustomerFactory(tenant=caller.client.tenant, name=name)
        LocationFactory(
            customer=customer,
            street="Hachestraße 12",
            postal_code="45127",
            city="Essen",
        )
    caller.post(
        "inbound/targets",
        {
            "externalId": "JOB-AMB",
            "title": "Visit",
            "customer": {
                "externalId": "SAP-1",
                "name": "Rhein Ruhr Medical Supply",
                "email": "ops@rrms.example",
            },
            "location": {
                "externalId": "SAP-L1",
                "street": "Hachestr. 12",
                "postalCode": "45127",
                "city": "Essen",
                "latitude": 51.4,
                "longitude": 7.0,
            },
        },
    )
    item = ImportItem.objects.get(external_id="JOB-AMB")
    assert item.warnings == ["AmbiguousCustomerMatch"]
    return caller, item


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("SAVE_SCREENSHOTS") == "1"


@pytest.fixture
def page(live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER_PATH, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1400, "height": 1000}
        )
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def queue(ambiguous, make_caller):
    """The ambiguous item and two failed ones in tenant A; a dispatcher for A and one for B."""
    caller, _ = ambiguous
    reader = make_caller(
        client=caller.client,
        scopes=["inbound.targets.write", "customers.map", "customers.read"],
    )
    for n, name in ((1, "Nordsee Feinkost GmbH"), (2, "Kältetechnik Lindner KG")):
        reader.post(
            "inbound/targets",
            {
                "externalId": f"JOB-FAIL-{n}",
                "title": "Repair",
                "customer": {"externalId": f"NEW-{n}", "customerNumber": f"NEW-{n}", "name": name},
            },
        )
    dispatcher_create_or_add_tenant(
        username="dana", password="dana-pw-123", tenant=caller.client.tenant
    )
    other = make_caller()
    dispatcher_create_or_add_tenant(
        username="eve", password="eve-pw-123", tenant=other.client.tenant
    )
    return caller


def sign_in(page, username: str, password: str) -> None:
    page.goto("/review/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/review/")
