"""The Django admin: every model is there, keys are issued once and revoked, tenants stay apart."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from inbound.models import ApiKey
from inbound.services import api_key_issue
from tests.factories import (
    CustomerFactory,
    IntegrationClientFactory,
    TenantMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BUSINESS_MODELS = [
    "tenants.tenant",
    "tenants.tenantmembership",
    "customers.customer",
    "customers.location",
    "customers.contact",
    "mapping.externalreference",
    "inbound.integrationclient",
    "inbound.apikey",
    "inbound.target",
    "inbound.importjob",
    "inbound.importitem",
]


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


@pytest.mark.parametrize("label", BUSINESS_MODELS)
def test_every_model_has_a_searchable_changelist(superuser_client, label):
    app_label, model_name = label.split(".")
    model_admin = next(
        ma
        for m, ma in admin.site._registry.items()
        if m._meta.app_label == app_label and m._meta.model_name == model_name
    )

    response = superuser_client.get(
        reverse(f"admin:{app_label}_{model_name}_changelist"), {"q": "x"}
    )

    assert response.status_code == 200
    assert model_admin.search_fields


def test_issuing_a_key_in_the_admin_shows_it_once_and_stores_only_its_hash(superuser_client):
    client = IntegrationClientFactory()

    response = superuser_client.post(
        reverse("admin:inbound_apikey_add"),
        {
            "client": client.pk,
            "name": "ERP prod",
            "scopes": ["inbound.targets.write", "customers.map"],
        },
        follow=True,
    )

    api_key = ApiKey.objects.get(client=client)
    shown = [str(m) for m in response.context["messages"]]
    plaintext = shown[0].split("is: ")[1].split(". ")[0]
    assert ApiKey.objects.get_from_key(plaintext) == api_key
    assert sorted(api_key.scopes) == ["customers.map", "inbound.targets.write"]
    page = superuser_client.get(reverse("admin:inbound_apikey_change", args=[api_key.pk]))
    assert plaintext.split(".")[1] not in page.content.decode()
    assert api_key.prefix in page.content.decode()


def test_revoke_action_revokes_keys(superuser_client):
    api_key, plaintext = api_key_issue(client=IntegrationClientFactory(), name="k")

    superuser_client.post(
        reverse("admin:inbound_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
    )

    assert not ApiKey.objects.is_valid(plaintext)


def test_staff_of_one_tenant_never_sees_another_tenants_customers(client):
    membership = TenantMembershipFactory()
    mine = CustomerFactory(tenant=membership.tenant, name="Mine Ltd")
    theirs = CustomerFactory(name="Theirs AG")
    membership.user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(membership.user)

    listing = client.get(reverse("admin:customers_customer_changelist"))
    other = client.get(reverse("admin:customers_customer_change", args=[theirs.pk]))

    assert listing.status_code == 200
    assert mine.name in listing.content.decode()
    assert theirs.name not in listing.content.decode()
    assert theirs.tenant.name not in listing.content.decode()
    assert other.status_code == 404  # another tenant's row does not exist for this user
