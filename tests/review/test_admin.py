import pytest
from django.urls import reverse

from tests.factories import CustomerReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_customer_admin_shows_the_history_the_review_app_adds(client):
    """customers sits below review: review.admin extends the customer admin with the history."""
    client.force_login(UserFactory(username="root", is_superuser=True))
    reference = CustomerReferenceFactory(external_id="SAP-4711")

    page = client.get(reverse("admin:customers_customer_change", args=[reference.customer_id]))

    assert page.status_code == 200
    assert b'class="customer-history"' in page.content
    assert b"SAP-4711" in page.content


def test_a_new_customer_has_no_history_yet(client):
    client.force_login(UserFactory(username="root", is_superuser=True))

    page = client.get(reverse("admin:customers_customer_add"))

    assert page.status_code == 200
    assert b'class="customer-history"' not in page.content
