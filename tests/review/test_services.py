"""Each review action, its propagation to other open items and its audit entry."""

from collections import Counter

import pytest

from customers.models import Customer, Location
from inbound.models import ImportItem, ImportJobTally, Target
from mapping.choices import ReferenceOrigin
from mapping.models import ExternalReference
from review.models import ReviewAuditEntry
from review.services import (
    ReviewError,
    import_item_create,
    import_item_dismiss,
    import_item_link,
    import_item_undo,
)
from tests.factories import CustomerFactory, LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

SCOPES = ["inbound.targets.write", "inbound.targets.batch.write", "customers.map", "customers.read"]
UNKNOWN = {"externalId": "CUST-9", "customerNumber": "N-9", "name": "Nordsee Feinkost GmbH"}
LOCATION = {
    "externalId": "LOC-9",
    "street": "Rüttenscheider Str. 1",
    "postalCode": "45128",
    "city": "Essen",
    "country": "DE",
}


@pytest.fixture
def failed_items(make_caller):
    """Two jobs whose items wait on the same unknown customer CUST-9 (no customers.write)."""
    caller = make_caller(scopes=SCOPES)
    for n in (1, 2):
        caller.post(
            "inbound/targets",
            {"externalId": f"JOB-{n}", "title": "T", "customer": UNKNOWN, "location": LOCATION},
        )
    items = list(ImportItem.objects.order_by("id"))
    assert [i.review_state for i in items] == ["Open", "Open"]
    return caller, items


def test_link_stores_references_attaches_context_resolves_siblings_and_audits(failed_items):
    caller, (item, sibling) = failed_items
    user = UserFactory()
    customer = CustomerFactory(tenant=caller.client.tenant)
    location = LocationFactory(customer=customer)

    entry = import_item_link(item=item, user=user, customer=customer, location=location)

    item.refresh_from_db()
    sibling.refresh_from_db()
    assert item.review_state == sibling.review_state == "Resolved"
    assert item.mapping_status == sibling.mapping_status == "Mapped"
    assert (item.customer, item.location) == (customer, location)
    assert (sibling.customer, sibling.location) == (customer, location)
    assert item.decisions["customer"]["method"] == "Review"
    assert item.resolved_by == user
    assert Target.objects.filter(customer=customer, location=location).count() == 2
    refs = ExternalReference.objects.filter(origin=ReferenceOrigin.REVIEW, created_by=user)
    assert set(refs.values_list("external_type", "external_id")) == {
        ("Customer", "CUST-9"),
        ("Location", "LOC-9"),
    }
    assert entry.before["reviewState"] == "Open"
    assert entry.after["customerId"] == customer.pk
    assert entry.user == user
    assert ReviewAuditEntry.objects.get(caused_by=entry).item == sibling


def test_after_a_link_the_next_import_maps_by_id_and_the_api_shows_it(failed_items):
    caller, (item, _) = failed_items
    customer = CustomerFactory(tenant=caller.client.tenant)
    import_item_link(item=item, user=UserFactory(), customer=customer)

    job = caller.get(f"inbound/import-jobs/{item.job_id}").json()
    again = caller.post(
        "inbound/targets",
        {"externalId": "JOB-3", "title": "T", "customer": {"externalId": "CUST-9"}},
    ).json()

    assert job["items"][0]["customerMapping"]["status"] == "Mapped"
    assert job["items"][0]["customerMapping"]["customerId"] == customer.pk
    assert job["summary"]["needsReview"] == 0
    assert again["items"][0]["customerMapping"]["customerId"] == customer.pk
    assert again["items"][0]["customerMapping"]["details"]["customer"]["method"] == "ExternalId"


def test_create_new_from_the_incoming_data(failed_items):
    _caller, (item, sibling) = failed_items

    entry = import_item_create(item=item, user=UserFactory())

    customer = Customer.objects.get()
    location = Location.objects.get()
    sibling.refresh_from_db()
    assert customer.name == "Nordsee Feinkost GmbH"
    assert customer.customer_number == "N-9"
    assert customer.normalized_name == "nordsee feinkost"
    assert location.customer == customer
    assert location.street_key == "ruettenscheiderstr"
    assert sibling.customer == customer
    assert entry.action == "Create"
    assert entry.after["created"] == {"customer": customer.pk, "location": location.pk}


def test_create_new_with_a_taken_customer_number_is_refused_cleanly(failed_items):
    caller, (item, _) = failed_items
    CustomerFactory(tenant=caller.client.tenant, customer_number="N-9")

    with pytest.raises(ReviewError, match="customer number"):
        import_item_create(item=item, user=UserFactory())

    item.refresh_from_db()
    assert item.review_state == "Open"
    assert Customer.objects.count() == 1


def test_dismiss_keeps_the_target_without_context(failed_items):
    _, (item, sibling) = failed_items

    entry = import_item_dismiss(item=item, user=UserFactory())

    item.refresh_from_db()
    sibling.refresh_from_db()
    assert item.review_state == "Dismissed"
    assert item.target.customer is None
    assert sibling.review_state == "Open"
    assert entry.action == "Dismiss"


def test_undo_of_a_link_restores_everything_including_siblings(failed_items):
    caller, (item, sibling) = failed_items
    user = UserFactory()
    customer = CustomerFactory(tenant=caller.client.tenant)
    import_item_link(item=item, user=user, customer=customer)

    entry = import_item_undo(item=item, user=user)

    item.refresh_from_db()
    sibling.refresh_from_db()
    assert item.review_state == sibling.review_state == "Open"
    assert item.mapping_status == "Failed"
    assert item.customer is None
    assert item.target.customer is None
    assert not ExternalReference.objects.filter(origin=ReferenceOrigin.REVIEW).exists()
    assert entry.action == "Undo"
    assert Customer.objects.filter(pk=customer.pk).exists()  # linked, not created: kept


def test_undo_of_create_deletes_the_unused_created_customer(failed_items):
    _, (item, _) = failed_items
    user = UserFactory()
    import_item_create(item=item, user=user)

    import_item_undo(item=item, user=user)

    assert not Customer.objects.exists()
    assert not Location.objects.exists()


def test_undo_of_a_reference_the_import_had_learnt_points_it_back(make_caller):
    caller = make_caller(scopes=[*SCOPES, "customers.write"])
    caller.post(
        "inbound/targets",
        {
            "externalId": "J-1",
            "title": "T",
            "customer": UNKNOWN,
            "location": {**LOCATION, "latitude": None},
        },
    )
    item = ImportItem.objects.get()  # Created with LocationMissingCoordinates: open
    created = item.customer
    other = CustomerFactory(tenant=caller.client.tenant)
    user = UserFactory()

    import_item_link(item=item, user=user, customer=other)
    repointed = ExternalReference.objects.get(external_id="CUST-9")
    import_item_undo(item=item, user=user)
    restored = ExternalReference.objects.get(external_id="CUST-9")

    assert repointed.customer == other
    assert repointed.origin == "Review"
    assert restored.customer == created
    assert restored.origin == "Import"


def test_actions_refuse_resolved_items_and_foreign_records(failed_items, make_caller):
    _caller, (item, _) = failed_items
    stranger = CustomerFactory()  # another tenant
    user = UserFactory()

    with pytest.raises(ReviewError, match="another tenant"):
        import_item_link(item=item, user=user, customer=stranger)
    import_item_dismiss(item=item, user=user)
    with pytest.raises(ReviewError, match="already resolved"):
        import_item_dismiss(item=item, user=user)
    with pytest.raises(ReviewError, match="no decision"):
        import_item_undo(item=ImportItem.objects.exclude(pk=item.pk).get(), user=user)


def _api_views_of(caller, item) -> dict[str, str]:
    return {
        "job": caller.get(f"inbound/import-jobs/{item.job_id}").content.decode(),
        "target": caller.get(f"inbound/targets/{item.external_id}").content.decode(),
    }


def test_the_api_shows_a_review_decision_without_the_dispatchers_user_name(failed_items):
    caller, (item, _) = failed_items
    customer = CustomerFactory(tenant=caller.client.tenant)
    import_item_link(item=item, user=UserFactory(username="dana.dispatcher"), customer=customer)

    views = _api_views_of(caller, item)
    target = caller.get(f"inbound/targets/{item.external_id}").json()
    job = caller.get(f"inbound/import-jobs/{item.job_id}").json()

    decision = {"method": "Review", "action": "Mapped", "recordId": customer.pk}
    assert target["customerMapping"]["details"]["customer"] == decision
    assert job["items"][0]["customerMapping"]["details"]["customer"] == decision
    for name, body in views.items():
        assert "dana.dispatcher" not in body, name
        assert "reviewedBy" not in body, name
    assert ReviewAuditEntry.objects.get(item=item).user.username == "dana.dispatcher"


def test_a_user_name_stored_by_an_earlier_review_is_left_out_of_the_api(failed_items):
    caller, (item, _) = failed_items
    customer = CustomerFactory(tenant=caller.client.tenant)
    import_item_link(item=item, user=UserFactory(), customer=customer)
    decision = {"method": "Review", "action": "Mapped", "recordId": customer.pk}
    ImportItem.objects.filter(pk=item.pk).update(
        decisions={"customer": {**decision, "reviewedBy": "dana.dispatcher"}}
    )

    views = _api_views_of(caller, item)
    target = caller.get(f"inbound/targets/{item.external_id}").json()

    assert target["customerMapping"]["details"] == {"customer": decision}
    for name, body in views.items():
        assert "dana.dispatcher" not in body, name


def _tallied(job_id: int) -> dict:
    tallies = ImportJobTally.objects.filter(job_id=job_id, count__gt=0)
    return {(t.import_status, t.mapping_status, t.review_state): t.count for t in tallies}


def _counted(job_id: int) -> dict:
    states = ImportItem.objects.filter(job_id=job_id).values_list(
        "import_status", "mapping_status", "review_state"
    )
    return dict(Counter(states))


def test_the_job_tallies_follow_every_action_on_its_items(failed_items):
    caller, (item, sibling) = failed_items
    user = UserFactory()
    jobs = (item.job_id, sibling.job_id)
    assert [_tallied(job) for job in jobs] == [{("Imported", "Failed", "Open"): 1}] * 2

    import_item_link(item=item, user=user, customer=CustomerFactory(tenant=caller.client.tenant))
    assert [_tallied(job) for job in jobs] == [{("Imported", "Mapped", "Resolved"): 1}] * 2
    import_item_undo(item=item, user=user)
    assert [_tallied(job) for job in jobs] == [_counted(job) for job in jobs]
    assert _tallied(sibling.job_id) == {("Imported", "Failed", "Open"): 1}
    import_item_dismiss(item=sibling, user=user)
    import_item_create(item=item, user=user)
    import_item_undo(item=sibling, user=user)

    assert [_tallied(job) for job in jobs] == [_counted(job) for job in jobs]
    assert _tallied(sibling.job_id) == {("Imported", "Failed", "Open"): 1}
