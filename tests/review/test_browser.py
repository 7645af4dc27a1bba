"""The review queue in a real browser: Playwright driving Debian's Chromium."""

import os

import pytest

from customers.models import Customer
from inbound.models import ImportItem
from tenants.services import dispatcher_create_or_add_tenant
from tests.conftest import BROWSER_PATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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


def _sign_in(page, username: str, password: str) -> None:
    page.goto("/review/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/review/")


def test_dispatcher_links_an_ambiguous_item_and_the_api_shows_it(page, queue):
    _sign_in(page, "dana", "dana-pw-123")
    if SCREENSHOTS:
        page.screenshot(path="docs/review-queue.png", full_page=True)

    page.get_by_role("link", name="JOB-AMB").click()
    assert page.get_by_role("heading", name="Candidates").is_visible()
    if SCREENSHOTS:
        page.screenshot(path="docs/review-item.png", full_page=True)
    page.get_by_role("button", name="Link to Rhein-Ruhr Medical Supply GmbH").click()

    item = ImportItem.objects.get(external_id="JOB-AMB")
    page.goto("/review/")
    assert page.get_by_role("link", name="JOB-AMB").count() == 0
    job = queue.get(f"inbound/import-jobs/{item.job_id}").json()
    mapping = job["items"][0]["customerMapping"]
    assert mapping["status"] == "Mapped"
    assert (
        mapping["customerId"] == Customer.objects.get(name__endswith="GmbH", tenant=item.tenant).pk
    )


def test_create_new_dismiss_and_undo(page, queue):
    _sign_in(page, "dana", "dana-pw-123")

    page.get_by_role("link", name="JOB-FAIL-1").click()
    page.get_by_role("button", name="Create new from incoming data").click()
    page.goto("/review/")
    page.get_by_role("link", name="JOB-FAIL-2").click()
    page.get_by_role("button", name="Dismiss").click()

    assert Customer.objects.filter(name="Nordsee Feinkost GmbH").exists()
    assert ImportItem.objects.get(external_id="JOB-FAIL-1").review_state == "Resolved"
    assert ImportItem.objects.get(external_id="JOB-FAIL-2").review_state == "Dismissed"

    dismissed = ImportItem.objects.get(external_id="JOB-FAIL-2")
    page.goto(f"/admin/review/{dismissed.pk}/")
    page.get_by_role("button", name="Undo this decision").click()
    page.wait_for_selector("#review-state")
    assert page.locator("#review-state").inner_text() == "Open"
    assert ImportItem.objects.get(external_id="JOB-FAIL-2").review_state == "Open"


def test_search_and_link_to_a_record_found_by_search(page, queue):
    _sign_in(page, "dana", "dana-pw-123")
    item = ImportItem.objects.get(external_id="JOB-FAIL-1")
    page.goto(f"/admin/review/{item.pk}/")

    page.get_by_label("Search this tenant's records").fill("Medical Supply AG")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Link to customer Rhein-Ruhr Medical Supply AG").click()

    item.refresh_from_db()
    assert item.review_state == "Resolved"
    assert item.customer.name == "Rhein-Ruhr Medical Supply AG"


def test_another_tenants_dispatcher_gets_404(page, queue):
    item = ImportItem.objects.get(external_id="JOB-AMB")
    _sign_in(page, "eve", "eve-pw-123")

    response = page.goto(f"/admin/review/{item.pk}/")

    assert response.status == 404
    page.goto("/review/")
    assert page.get_by_role("link", name="JOB-AMB").count() == 0
