"""Review queue reads: counts per status and the free-text search."""

import pytest

from inbound.models import ImportItem
from review.filters import ReviewItemFilter
from review.selectors import review_counts, review_queue
from tenants.services import dispatcher_create_or_add_tenant
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _customer(name, **fields):
    return CustomerFactory(name=name, **fields)


def _searched(user, text):
    request = type("Request", (), {"user": user})()
    queue = review_queue(user=user)
    return list(ReviewItemFilter({"q": text}, queryset=queue, request=request).qs)


def test_counts_are_per_mapping_status_of_open_items(ambiguous):
    caller, item = ambiguous
    user, _ = dispatcher_create_or_add_tenant(
        username="dana", password="pw", tenant=caller.client.tenant
    )
    ImportItem.objects.filter(pk=item.pk).update(mapping_status="Failed")

    assert review_counts(queryset=review_queue(user=user)) == {"Failed": 1}


def test_search_finds_items_by_their_linked_customers_name_ignoring_umlauts_and_legal_form(
    ambiguous,
):
    caller, item = ambiguous
    tenant = caller.client.tenant
    user, _ = dispatcher_create_or_add_tenant(username="dana", password="pw", tenant=tenant)
    linked = _customer("Bäckerei Köhler GmbH", tenant=tenant)
    ImportItem.objects.filter(pk=item.pk).update(customer=linked)

    assert _searched(user, "baeckerei-koehler") == [item]
    assert _searched(user, "Bäckerei Köhler KG") == [item]
    assert _searched(user, "Bäckerei Schulze") == []


def test_search_ignores_customers_of_other_tenants(ambiguous):
    caller, item = ambiguous
    user, _ = dispatcher_create_or_add_tenant(
        username="dana", password="pw", tenant=caller.client.tenant
    )
    foreign = _customer("Bäckerei Köhler GmbH")  # the factory makes another tenant
    ImportItem.objects.filter(pk=item.pk).update(customer=foreign)

    assert _searched(user, "Köhler") == []
