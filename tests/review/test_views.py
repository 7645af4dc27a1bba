"""The review queue in the admin: listing, filters, the item page, actions, tenant isolation."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tenants.services import dispatcher_create_or_add_tenant
from tests.factories import CustomerFactory, TenantMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _dispatcher_client(tenant, username="dana") -> Client:
    user, _ = dispatcher_create_or_add_tenant(username=username, password="pw", tenant=tenant)
    client = Client()
    client.force_login(user)
    return client


def test_review_redirects_into_the_admin_queue(client):
    response = client.get("/review/")

    assert response.status_code == 302
    assert response["Location"] == reverse("review:queue")


def test_anonymous_users_are_sent_to_the_admin_login(client):
    response = client.get(reverse("review:queue"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_dispatcher_role_get_403(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse("review:queue")).status_code == 403


def test_queue_lists_open_items_with_counts_and_filters(ambiguous):
    caller, _item = ambiguous
    dispatcher = _dispatcher_client(caller.client.tenant)

    page = dispatcher.get(reverse("review:queue")).content.decode()
    filtered = dispatcher.get(reverse("review:queue"), {"warning": "CustomerNotFound"})
    searched = dispatcher.get(reverse("review:queue"), {"q": "rhein ruhr"})

    assert "JOB-AMB" in page
    assert "Warning <strong>1</strong>" in page
    assert "JOB-AMB" not in filtered.content.decode()
    assert "JOB-AMB" in searched.content.decode()


def test_item_page_shows_candidates_with_scores_and_differences(ambiguous):
    caller, item = ambiguous
    dispatcher = _dispatcher_client(caller.client.tenant)

    page = dispatcher.get(reverse("review:item", args=[item.pk])).content.decode()

    assert "Rhein-Ruhr Medical Supply GmbH" in page
    assert "Rhein-Ruhr Medical Supply AG" in page
    assert 'class="differs"' in page
    assert "Link to this customer" in page
    assert "Create new from incoming data" in page


def test_search_finds_records_of_the_tenant_only_and_works_with_htmx(ambiguous):
    caller, item = ambiguous
    CustomerFactory(name="Rhein Ruhr Foreign Ltd")  # another tenant
    dispatcher = _dispatcher_client(caller.client.tenant)

    full = dispatcher.get(reverse("review:item", args=[item.pk]), {"q": "Rhein"})
    partial = dispatcher.get(
        reverse("review:item", args=[item.pk]), {"q": "Rhein"}, headers={"HX-Request": "true"}
    )

    assert "Rhein-Ruhr Medical Supply AG" in full.content.decode()
    assert "Foreign" not in full.content.decode()
    assert partial.content.decode().lstrip().startswith('<div id="search-results">')
    assert "Foreign" not in partial.content.decode()


def test_link_action_resolves_the_item_and_the_api_shows_it(ambiguous):
    caller, item = ambiguous
    dispatcher = _dispatcher_client(caller.client.tenant)
    chosen = item.candidates[0]["recordId"]

    response = dispatcher.post(
        reverse("review:action", args=[item.pk, "link"]), {"customer": chosen}
    )

    item.refresh_from_db()
    job = caller.get(f"inbound/import-jobs/{item.job_id}").json()
    assert response.status_code == 302
    assert item.review_state == "Resolved"
    assert job["items"][0]["customerMapping"]["customerId"] == chosen
    assert job["items"][0]["customerMapping"]["status"] == "Mapped"
    assert "Nothing waits for review" in dispatcher.get(reverse("review:queue")).content.decode()


def test_actions_need_csrf(ambiguous):
    caller, item = ambiguous
    user, _ = dispatcher_create_or_add_tenant(
        username="csrf", password="pw", tenant=caller.client.tenant
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(reverse("review:action", args=[item.pk, "dismiss"]))

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.review_state == "Open"


def test_another_tenants_dispatcher_gets_404_everywhere(ambiguous, make_caller):
    _caller, item = ambiguous
    other = make_caller()
    stranger = _dispatcher_client(other.client.tenant, username="eve")
    candidate = item.candidates[0]["recordId"]

    assert stranger.get(reverse("review:item", args=[item.pk])).status_code == 404
    assert stranger.post(reverse("review:action", args=[item.pk, "dismiss"])).status_code == 404
    assert "JOB-AMB" not in stranger.get(reverse("review:queue")).content.decode()
    assert (
        stranger.get(reverse("admin:customers_customer_change", args=[candidate])).status_code
        == 404
    )
    listing = stranger.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "Rhein-Ruhr" not in listing
    autocomplete = stranger.get(
        "/admin/autocomplete/",
        {
            "app_label": "customers",
            "model_name": "location",
            "field_name": "customer",
            "term": "Rhein",
        },
    )
    assert "Rhein" not in autocomplete.content.decode()
    item.refresh_from_db()
    assert item.review_state == "Open"


def test_customer_page_shows_how_it_was_created_and_linked(ambiguous):
    caller, item = ambiguous
    dispatcher = _dispatcher_client(caller.client.tenant)
    chosen = item.candidates[0]["recordId"]
    dispatcher.post(reverse("review:action", args=[item.pk, "link"]), {"customer": chosen})

    page = dispatcher.get(reverse("admin:customers_customer_change", args=[chosen]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "SAP-1" in content
    assert "Review" in content
    assert "Link" in content


def test_import_item_changelist_filters_by_warning_and_links_into_the_queue(ambiguous):
    caller, item = ambiguous
    dispatcher = _dispatcher_client(caller.client.tenant)
    url = reverse("admin:inbound_importitem_changelist")

    matching = dispatcher.get(url, {"warning": "AmbiguousCustomerMatch"}).content.decode()
    other = dispatcher.get(url, {"warning": "CustomerNotFound"}).content.decode()

    assert reverse("review:item", args=[item.pk]) in matching
    assert reverse("review:item", args=[item.pk]) not in other


def test_queue_shows_items_without_customer_external_id_or_customer(make_caller):
    caller = make_caller(scopes=["inbound.targets.write", "customers.map"])
    caller.post(
        "inbound/targets",
        {"externalId": "J-NAME", "title": "T", "customer": {"name": "Name Only GmbH"}},
    )
    caller.post(
        "inbound/targets",
        {"externalId": "J-LOC", "title": "T", "location": {"externalId": "L-UNKNOWN"}},
    )
    dispatcher = _dispatcher_client(caller.client.tenant)

    page = dispatcher.get(reverse("review:queue"))
    today = dispatcher.get(
        reverse("review:queue"), {"created_after": "2000-01-01", "created_before": "2999-12-31"}
    )

    assert page.status_code == 200
    assert "Name Only GmbH" in page.content.decode()
    assert "J-LOC" in page.content.decode()
    assert "J-NAME" in today.content.decode()


def test_staff_who_may_change_import_items_but_not_work_the_queue_get_403(client):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="inbound", codename="change_importitem")
    )
    client.force_login(user)

    assert client.get(reverse("review:queue")).status_code == 403


def test_the_queue_permission_alone_lets_staff_work_the_queue(ambiguous):
    caller, item = ambiguous
    user = UserFactory(is_staff=True)
    TenantMembershipFactory(tenant=caller.client.tenant, user=user)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="review", codename="work_queue")
    )
    client = Client()
    client.force_login(user)
    customer = item.candidates[0]["recordId"]

    queue = client.get(reverse("review:queue"))
    linked = client.post(reverse("review:action", args=[item.pk, "link"]), {"customer": customer})

    assert queue.status_code == 200
    assert "JOB-AMB" in queue.content.decode()
    assert "Review queue" in queue.content.decode()  # the link in the admin's header
    assert linked.status_code == 302
    item.refresh_from_db()
    assert item.review_state == "Resolved"


@pytest.mark.parametrize(
    ("params", "listed"),
    [
        ({"created_before": "9999-12-31"}, True),
        ({"created_after": "0001-01-01", "created_before": "9999-12-31"}, True),
        ({"created_after": "9999-12-31"}, False),
        ({"created_before": "0001-01-01"}, False),
    ],
)
def test_queue_date_filters_at_the_ends_of_the_calendar_filter_without_error(
    ambiguous, params, listed
):
    caller, _item = ambiguous
    dispatcher = _dispatcher_client(caller.client.tenant)

    response = dispatcher.get(reverse("review:queue"), params)

    assert response.status_code == 200
    assert ("JOB-AMB" in response.content.decode()) is listed
