"""Issue 17 without a browser: reasons, the records a warning names, merging, narrowing by
tenant, the admin's merge action."""

import pytest
from django.test import Client
from django.urls import reverse

from customers.choices import CustomerType
from customers.models import Customer, Location
from inbound.models import ImportItem
from mapping.models import ExternalReference
from review import merging, selectors
from review.reasons import candidate_reasons
from tenants.services import dispatcher_create_or_add_tenant
from tests.factories import CustomerFactory, LocationFactory
from tests.review.conftest import REVIEW_SCOPES

pytestmark = pytest.mark.django_db


def _texts(reasons, speaks_for: bool) -> list[str]:
    return [r.text for r in reasons if r.speaks_for is speaks_for]


def test_reasons_name_what_agreed_and_what_not_decisive_first():
    reasons = candidate_reasons(
        signals={
            "name": 0.93,
            "nameAgrees": 1.0,
            "exactName": 0.0,
            "addressCompared": 1.0,
            "streetCompared": 1.0,
            "samePlace": 1.0,
            "sameStreet": 1.0,
            "houseNumber": 0.0,
            "emailDomain": 1.0,
        },
        incoming={"email": "a@firma.example"},
        existing_email="b@firma.example",
    )

    assert _texts(reasons, True) == [
        "Name matches except legal form or spelling",
        "E-mail domain matches",
        "Same street",
    ]
    assert _texts(reasons, False) == ["Different house number"]


def test_a_location_known_at_another_customer_is_offered_with_that_customer(make_caller):
    caller = make_caller(scopes=REVIEW_SCOPES)
    tenant = caller.client.tenant
    owner, other = CustomerFactory(tenant=tenant), CustomerFactory(tenant=tenant)
    location = LocationFactory(customer=owner)
    source = caller.client.source_system
    for external_type, external_id, field, record in (
        ("Location", "LOC-1", "location", location),
        ("Customer", "CUST-B", "customer", other),
    ):
        ExternalReference.objects.create(
            tenant=tenant,
            source_system=source,
            external_type=external_type,
            external_id=external_id,
            origin="Import",
            **{field: record},
        )
    caller.post(
        "inbound/targets",
        {
            "externalId": "JOB-MIS",
            "title": "Visit",
            "customer": {"externalId": "CUST-B"},
            "location": {"externalId": "LOC-1"},
        },
    )
    item = ImportItem.objects.get(external_id="JOB-MIS")
    assert "LocationCustomerMismatch" in item.warnings

    (conflict,) = [c for c in selectors.candidate_customers(item=item) if c.get("conflict")]

    assert conflict["customer"] == owner
    assert conflict["location"] == location
    assert conflict["current_customer"] == other


def test_a_merge_refuses_a_customer_of_another_tenant():
    survivor = CustomerFactory()
    stranger = CustomerFactory()

    with pytest.raises(merging.MergeError):
        merging.customer_merge(
            tenant_id=survivor.tenant_id, survivor=survivor, duplicates=[stranger], user=None
        )
    assert Customer.objects.filter(pk=stranger.pk).exists()


def test_the_survivor_can_take_the_duplicates_customer_number_and_undo_gives_it_back():
    survivor = CustomerFactory(customer_number=None, name="Muster GmbH")
    duplicate = CustomerFactory(tenant=survivor.tenant, customer_number="K-1", name="Muster")

    merge = merging.customer_merge(
        tenant_id=survivor.tenant_id,
        survivor=survivor,
        duplicates=[duplicate],
        values={"customer_number": "K-1"},
        user=None,
    )
    survivor.refresh_from_db()
    assert survivor.customer_number == "K-1"
    assert merge.before["survivor"]["customer_number"] is None

    merging.customer_merge_undo(merge=merge, user=None)
    survivor.refresh_from_db()
    assert survivor.customer_number is None
    assert Customer.objects.get(pk=duplicate.pk).customer_number == "K-1"
    with pytest.raises(merging.MergeError):
        merging.customer_merge_undo(merge=merge, user=None)


def test_moved_locations_take_the_family_key_of_their_customer_and_undo_gives_it_back():
    """A person's locations carry the family key the candidate lookup searches by."""
    survivor = CustomerFactory(name="Johann Meier", type=CustomerType.PRIVATE)
    duplicate = CustomerFactory(tenant=survivor.tenant, name="Hans Koch", type=CustomerType.PRIVATE)
    home = LocationFactory(customer=duplicate)
    assert home.family_key == "44"

    merge = merging.customer_merge(
        tenant_id=survivor.tenant_id,
        survivor=survivor,
        duplicates=[duplicate],
        values={"name": "Johann Schmidt"},
        user=None,
    )
    assert Location.objects.get(pk=home.pk).family_key == "862"

    merging.customer_merge_undo(merge=merge, user=None)
    assert Location.objects.get(pk=home.pk).customer_id == duplicate.pk
    assert Location.objects.get(pk=home.pk).family_key == "44"


def test_the_customer_admin_action_opens_the_merge_page():
    first = CustomerFactory()
    second = CustomerFactory(tenant=first.tenant)
    user, _ = dispatcher_create_or_add_tenant(username="dana", password="pw", tenant=first.tenant)
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)

    response = client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "merge_duplicates", "_selected_action": [first.pk, second.pk]},
    )

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f'value="{second.pk}"' in page.content.decode()


def test_a_dispatcher_of_two_tenants_sees_the_tenant_and_narrows_to_one(make_caller):
    callers = [make_caller(scopes=["inbound.targets.write", "customers.map"]) for _ in range(2)]
    for n, caller in enumerate(callers):
        user, _ = dispatcher_create_or_add_tenant(
            username="multi", password="pw-multi-123", tenant=caller.client.tenant
        )
        caller.post(
            "inbound/targets",
            {"externalId": f"JOB-T{n}", "title": "x", "customer": {"externalId": f"U-{n}"}},
        )
    client = Client()
    client.force_login(user)

    everything = client.get(reverse("review:queue")).content.decode()
    narrowed = client.get(
        reverse("review:queue"), {"tenant": callers[1].client.tenant_id}
    ).content.decode()

    assert "JOB-T0" in everything
    assert "JOB-T1" in everything
    assert callers[0].client.tenant.name in everything
    assert "JOB-T0" not in narrowed
    assert "JOB-T1" in narrowed
