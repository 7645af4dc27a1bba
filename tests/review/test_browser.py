"""The review queue in a real browser: Playwright driving Debian's Chromium."""

import pytest

from customers.models import Customer
from inbound.models import ImportItem
from tests.review.conftest import SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dispatcher_links_an_ambiguous_item_and_the_api_shows_it(page, queue):
    sign_in(page, "dana", "dana-pw-123")
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
    sign_in(page, "dana", "dana-pw-123")

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
    sign_in(page, "dana", "dana-pw-123")
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
    sign_in(page, "eve", "eve-pw-123")

    response = page.goto(f"/admin/review/{item.pk}/")

    assert response.status == 404
    page.goto("/review/")
    assert page.get_by_role("link", name="JOB-AMB").count() == 0
