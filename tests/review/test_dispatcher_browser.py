"""The dispatcher flows of issue 17 in a real browser: reasons in words, the records a Failed
reason names, merging duplicates (and undo), bulk decisions, the keyboard, mapping health and
the German pages."""

import pytest

from customers.models import Customer, Location
from inbound.models import ImportItem
from mapping.models import ExternalReference
from review.models import CustomerMerge, ReviewAuditEntry
from tenants.services import dispatcher_create_or_add_tenant
from tests.conftest import BROWSER_PATH
from tests.factories import CustomerFactory
from tests.review.conftest import CHROMIUM_ARGS, SCREENSHOTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RAW_SIGNAL_KEYS = (
    "streetCompared",
    "addressCompared",
    "sameAddress",
    "nameAgrees",
    "exactName",
    "emailDomain",
    "houseNumber",
    "postalCode",
)


def _text_outside_details(page) -> str:
    return page.evaluate(
        """() => { const body = document.body.cloneNode(true);
        body.querySelectorAll('details').forEach(d => d.remove());
        return body.innerText; }"""
    )


def test_reasons_in_words_and_raw_scores_only_behind_details(page, queue):
    item = ImportItem.objects.get(external_id="JOB-AMB")
    gmbh = Customer.objects.get(tenant=item.tenant, name__endswith="GmbH")
    gmbh.customer_number = "K-4711"
    gmbh.save(update_fields=["customer_number"])
    ExternalReference.objects.create(
        tenant=item.tenant,
        source_system="crm-legacy",
        external_type="Customer",
        external_id="CRM-88",
        customer=gmbh,
        origin="Admin",
    )
    sign_in(page, "dana", "dana-pw-123")
    page.goto(f"/admin/review/{item.pk}/")

    card = page.get_by_role("article", name="Candidate Rhein-Ruhr Medical Supply GmbH")
    reasons = card.locator(".reasons-for li").all_inner_texts()
    assert "Same address" in reasons
    assert reasons[0] == "Same address"  # the decisive one first
    assert "Name matches except legal form" in reasons
    assert card.locator(".fact-number").inner_text() == "K-4711"
    assert "crm-legacy: CRM-88" in card.locator(".fact-references").inner_text()
    assert card.locator(".fact-targets").inner_text().startswith("0")
    visible = _text_outside_details(page)
    for key in RAW_SIGNAL_KEYS:
        assert key not in visible
    assert not card.get_by_text("streetCompared").is_visible()

    if SCREENSHOTS:
        page.screenshot(path="docs/review-item.png", full_page=True)
    card.locator("summary", has_text="details").click()
    assert card.get_by_text("streetCompared", exact=False).is_visible()


def test_customer_number_conflict_offers_the_holder_and_links_it(page, make_caller):
    caller = make_caller(
        scopes=["inbound.targets.write", "customers.map", "customers.read", "customers.write"]
    )
    tenant = caller.client.tenant
    holder = CustomerFactory(tenant=tenant, name="Alpha Kältetechnik GmbH", customer_number="K-100")
    caller.post(
        "inbound/targets",
        {
            "externalId": "JOB-NUM",
            "title": "Repair",
            "customer": {"externalId": "ERP-9", "customerNumber": "K-100", "name": "Alfa Kälte"},
        },
    )
    item = ImportItem.objects.get(external_id="JOB-NUM")
    assert "CustomerNumberConflict" in item.warnings
    dispatcher_create_or_add_tenant(username="dana", password="dana-pw-123", tenant=tenant)
    sign_in(page, "dana", "dana-pw-123")
    page.goto(f"/admin/review/{item.pk}/")

    assert page.locator("#conflict-number").inner_text().startswith("Holds customer number K-100")
    assert "No candidates were kept" not in page.content()
    page.get_by_role("button", name="Link to Alpha Kältetechnik GmbH").click()
    page.wait_for_load_state()

    item.refresh_from_db()
    assert item.review_state == "Resolved"
    assert item.customer_id == holder.pk
    mapping = caller.get(f"inbound/import-jobs/{item.job_id}").json()["items"][0]
    assert mapping["customerMapping"]["customerId"] == holder.pk


def test_merge_duplicates_from_the_item_page_then_undo(page, queue):
    item = ImportItem.objects.get(external_id="JOB-AMB")
    tenant = item.tenant
    gmbh = Customer.objects.get(tenant=tenant, name__endswith="GmbH")
    ag = Customer.objects.get(tenant=tenant, name__endswith="AG")
    source = queue.client.source_system
    ExternalReference.objects.create(
        tenant=tenant,
        source_system=source,
        external_type="Customer",
        external_id="SAP-AG-9",
        customer=ag,
        origin="Import",
    )
    ag_location = Location.objects.get(customer=ag)
    sign_in(page, "dana", "dana-pw-123")
    page.goto(f"/admin/review/{item.pk}/")

    for name in ("Rhein-Ruhr Medical Supply GmbH", "Rhein-Ruhr Medical Supply AG"):
        page.get_by_role("article", name=f"Candidate {name}").get_by_label("duplicate").check()
    page.get_by_role("button", name="Merge the ticked duplicates").click()
    page.locator(f"#survivor-{gmbh.pk}").check()
    if SCREENSHOTS:
        page.screenshot(path="docs/review-merge.png", full_page=True)
    page.get_by_role("button", name="Merge", exact=True).click()
    page.wait_for_selector("#merge-undo")

    assert not Customer.objects.filter(pk=ag.pk).exists()
    ag_location.refresh_from_db()
    assert ag_location.customer_id == gmbh.pk
    merge = CustomerMerge.objects.get()
    assert merge.before["merged"][0]["id"] == ag.pk
    assert merge.after["survivor"]["id"] == gmbh.pk
    # A later import of the merged-away customer's external ID maps to the survivor.
    later = queue.post(
        "inbound/targets",
        {"externalId": "JOB-LATER", "title": "Visit", "customer": {"externalId": "SAP-AG-9"}},
    ).json()
    assert later["items"][0]["customerMapping"]["customerId"] == gmbh.pk

    page.get_by_role("button", name="Undo the merge").click()
    page.wait_for_selector("text=The merge was undone.")
    restored = Customer.objects.get(pk=ag.pk)
    assert restored.name == "Rhein-Ruhr Medical Supply AG"
    ag_location.refresh_from_db()
    assert ag_location.customer_id == ag.pk
    again = queue.post(
        "inbound/targets",
        {"externalId": "JOB-LATER-2", "title": "Visit", "customer": {"externalId": "SAP-AG-9"}},
    ).json()
    assert again["items"][0]["customerMapping"]["customerId"] == ag.pk


def test_bulk_link_of_items_with_the_same_incoming_customer(page, queue):
    for n in (1, 2):
        queue.post(
            "inbound/targets",
            {
                "externalId": f"JOB-SAME-{n}",
                "title": "Repair",
                "customer": {"externalId": f"SAME-{n}", "name": "Rhein Ruhr Medical Supply"},
                "location": {"street": "Hachestr. 12", "postalCode": "45127", "city": "Essen"},
            },
        )
    items = list(ImportItem.objects.filter(external_id__startswith="JOB-SAME").order_by("id"))
    assert all(i.review_state == "Open" for i in items)
    target = Customer.objects.get(tenant=items[0].tenant, name__endswith="AG")
    sign_in(page, "dana", "dana-pw-123")

    for item in items:
        page.get_by_label(f"Select {item.external_id}").check()
    page.get_by_role("button", name="Decide the ticked items together").click()
    page.get_by_role("button", name="Link all to Rhein-Ruhr Medical Supply AG").click()
    page.wait_for_selector("text=Decided 2 items together.")

    for item in items:
        item.refresh_from_db()
        assert item.review_state == "Resolved"
        assert item.customer_id == target.pk
        assert ReviewAuditEntry.objects.filter(item=item, action="Link").count() == 1


def test_keyboard_from_queue_to_resolved_item_without_the_mouse(page, queue):
    sign_in(page, "dana", "dana-pw-123")
    page.keyboard.press("?")
    assert page.locator("#key-help").is_visible()
    if SCREENSHOTS:
        page.screenshot(path="docs/review-keyboard.png")
    page.keyboard.press("Escape")
    assert not page.locator("#key-help").is_visible()

    page.keyboard.press("j")  # the first (oldest) item: JOB-AMB
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/review/*/")
    assert page.locator("#review-state").get_attribute("data-state") == "Open"
    page.keyboard.press("1")
    page.wait_for_selector("text=Linked JOB-AMB")

    item = ImportItem.objects.get(external_id="JOB-AMB")
    assert item.review_state == "Resolved"
    # Now on the next open item: dismiss it with "d", then take it back with "u".
    page.keyboard.press("d")
    page.wait_for_selector("text=Dismissed")
    dismissed = ImportItem.objects.get(external_id="JOB-FAIL-1")
    assert dismissed.review_state == "Dismissed"
    page.goto(f"/admin/review/{dismissed.pk}/")
    page.keyboard.press("u")
    page.wait_for_selector("text=Undid the last decision")
    dismissed.refresh_from_db()
    assert dismissed.review_state == "Open"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "record-search"


def test_health_page_with_its_chart(page, queue):
    sign_in(page, "dana", "dana-pw-123")
    page.get_by_role("link", name="Mapping health").click()

    chart = page.get_by_role("img", name="Items per day by mapping status, last 30 days")
    assert chart.is_visible()
    assert chart.locator("rect").count() >= 1
    assert page.locator("#health-open strong").inner_text() == "3"
    assert page.locator("#health-share strong").inner_text() == "100.0 %"
    if SCREENSHOTS:
        page.screenshot(path="docs/review-health.png", full_page=True)
    page.get_by_label("Integration client").select_option(
        label=f"{queue.client.name} ({queue.client.source_system})"
    )
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("heading", name=f"Mapping health: {queue.client.name}").is_visible()


@pytest.fixture
def german_page(live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER_PATH, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 1400, "height": 1000},
            locale="de-DE",
        )
        yield context.new_page()
        context.close()
        browser.close()


def test_item_page_in_german_with_a_switch_to_english(german_page, queue):
    page = german_page
    page.goto("/review/")
    page.get_by_label("Benutzername").fill("dana")
    page.get_by_label("Passwort").fill("dana-pw-123")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/admin/review/")
    assert page.get_by_role("link", name="Zuordnungsqualität").is_visible()

    item = ImportItem.objects.get(external_id="JOB-AMB")
    page.goto(f"/admin/review/{item.pk}/")
    assert page.get_by_role("heading", name="Kandidaten").is_visible()
    card = page.get_by_role("article", name="Kandidat Rhein-Ruhr Medical Supply GmbH")
    assert "Gleiche Adresse" in card.locator(".reasons-for li").all_inner_texts()
    assert card.get_by_role(
        "button", name="Mit Rhein-Ruhr Medical Supply GmbH verknüpfen"
    ).is_visible()
    assert page.locator("#review-state").inner_text() == "Offen"
    if SCREENSHOTS:
        page.screenshot(path="docs/review-item-de.png", full_page=True)

    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("button", name="Wechseln", exact=True).click()
    page.wait_for_selector("text=Candidates")
    assert page.get_by_role("heading", name="Candidates").is_visible()
