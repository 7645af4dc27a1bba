from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from customers.models import Customer
from inbound.models import ImportItem, ImportJob
from tests.api import BASE

pytestmark = pytest.mark.django_db


def _seed() -> list[str]:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
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
