"""The Django admin: every model is there, keys are issued once and revoked, tenants stay apart."""

import json

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from inbound.models import ApiKey, ImportItem
from inbound.services import api_key_issue
from mapping.models import ExternalReference
from tenants.models import TenantMembership
from tenants.services import dispatcher_create_or_add_tenant
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    IntegrationClientFactory,
    LocationFactory,
    TenantFactory,
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


# --- read-only import data; related records of the object's tenant only (issue #12, 3) ---


@pytest.fixture
def two_tenants(make_caller):
    """A target imported in tenant A and one in tenant B, and a dispatcher of both tenants."""
    a, b = make_caller(), make_caller()
    a.post("inbound/targets", {"externalId": "JOB-A", "title": "Visit A"})
    b.post("inbound/targets", {"externalId": "JOB-B", "title": "Visit B"})
    for caller in (a, b):
        user, _ = dispatcher_create_or_add_tenant(
            username="dana", password="pw-for-tests", tenant=caller.client.tenant
        )
    item_a = ImportItem.objects.get(external_id="JOB-A")
    item_b = ImportItem.objects.get(external_id="JOB-B")
    return user, item_a, item_b


def _item_form(item: ImportItem, **changes) -> dict:
    """A complete, valid change form of an import item (what the generic form used to take)."""
    data = {
        "tenant": item.tenant_id,
        "job": item.job_id,
        "position": item.position,
        "external_id": item.external_id,
        "import_status": item.import_status,
        "mapping_status": item.mapping_status,
        "warnings": json.dumps(item.warnings),
        "errors": json.dumps(item.errors),
        "candidates": json.dumps(item.candidates),
        "decisions": json.dumps(item.decisions),
        "payload": json.dumps(item.payload),
        "target": item.target_id or "",
        "customer": "",
        "location": "",
        "contact": "",
        "review_state": item.review_state,
    }
    return {**data, **changes}


def test_a_two_tenant_dispatcher_cannot_change_an_import_item(client, two_tenants):
    user, item_a, item_b = two_tenants
    client.force_login(user)
    url = reverse("admin:inbound_importitem_change", args=[item_a.pk])

    page = client.get(url)
    response = client.post(
        url, _item_form(item_a, target=item_b.target_id, review_state="Dismissed")
    )

    assert page.status_code == 200  # the item can be read
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    item_a.refresh_from_db()
    assert item_a.target.tenant_id == item_a.tenant_id
    assert item_a.target_id != item_b.target_id
    assert item_a.review_state == "NotNeeded"


@pytest.mark.parametrize("model", ["importitem", "importjob", "target"])
def test_import_data_is_read_only_for_superusers_too(superuser_client, two_tenants, model):
    _user, item_a, _item_b = two_tenants
    pk = {"importitem": item_a.pk, "importjob": item_a.job_id, "target": item_a.target_id}[model]

    page = superuser_client.get(reverse(f"admin:inbound_{model}_change", args=[pk]))
    change = superuser_client.post(reverse(f"admin:inbound_{model}_change", args=[pk]), {})
    add = superuser_client.get(reverse(f"admin:inbound_{model}_add"))
    delete = superuser_client.post(
        reverse(f"admin:inbound_{model}_delete", args=[pk]), {"post": "yes"}
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (change.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    assert ImportItem.objects.filter(pk=item_a.pk).exists()


@pytest.fixture
def two_tenant_staff(client):
    """A staff user of tenants A and B who may edit master data and references in the admin."""
    tenant_a, tenant_b = TenantFactory(), TenantFactory()
    user = UserFactory()
    for tenant in (tenant_a, tenant_b):
        TenantMembershipFactory(tenant=tenant, user=user)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "view_customer",
                "change_customer",
                "view_location",
                "change_location",
                "view_contact",
                "change_contact",
                "view_externalreference",
                "add_externalreference",
                "change_externalreference",
            ]
        )
    )
    client.force_login(user)
    return client, tenant_a, tenant_b


def _errors(response) -> dict:
    assert response.status_code == 200  # the form again, not a redirect after saving
    return response.context["adminform"].form.errors


@pytest.mark.parametrize("factory", [LocationFactory, ContactFactory], ids=["location", "contact"])
def test_a_record_cannot_be_moved_to_another_tenants_customer(two_tenant_staff, factory):
    client, tenant_a, tenant_b = two_tenant_staff
    record = factory(customer=CustomerFactory(tenant=tenant_a))
    theirs = CustomerFactory(tenant=tenant_b)
    name = record._meta.model_name
    data = {
        field.name: getattr(record, field.name) or ""
        for field in record._meta.concrete_fields
        if field.editable and field.name not in ("id", "tenant", "customer")
    }

    response = client.post(
        reverse(f"admin:customers_{name}_change", args=[record.pk]),
        {**data, "customer": theirs.pk},
    )

    assert "customer" in _errors(response)
    record.refresh_from_db()
    assert record.customer.tenant_id == record.tenant_id == tenant_a.pk


@pytest.mark.parametrize("record", ["customer", "location", "contact"])
def test_a_reference_of_one_tenant_cannot_point_at_another_tenants_record(two_tenant_staff, record):
    client, tenant_a, tenant_b = two_tenant_staff
    owner = CustomerFactory(tenant=tenant_b)
    theirs = {
        "customer": lambda: owner,
        "location": lambda: LocationFactory(customer=owner),
        "contact": lambda: ContactFactory(customer=owner),
    }[record]()

    response = client.post(
        reverse("admin:mapping_externalreference_add"),
        {
            "tenant": tenant_a.pk,
            "source_system": "erp",
            "external_type": record.capitalize(),
            "external_id": "X-1",
            record: theirs.pk,
        },
    )

    errors = _errors(response)
    assert list(errors) == [record]
    assert "another tenant" in errors[record][0]
    assert not ExternalReference.objects.exists()


def test_a_reference_to_a_record_of_its_own_tenant_is_saved(two_tenant_staff):
    client, tenant_a, _tenant_b = two_tenant_staff
    customer = CustomerFactory(tenant=tenant_a)

    response = client.post(
        reverse("admin:mapping_externalreference_add"),
        {
            "tenant": tenant_a.pk,
            "source_system": "erp",
            "external_type": "Customer",
            "external_id": "X-1",
            "customer": customer.pk,
        },
    )

    assert response.status_code == 302
    reference = ExternalReference.objects.get()
    assert (reference.tenant, reference.customer, reference.origin) == (tenant_a, customer, "Admin")


def test_a_saved_customer_keeps_its_tenant(two_tenant_staff):
    client, tenant_a, tenant_b = two_tenant_staff
    customer = CustomerFactory(tenant=tenant_a)
    location = LocationFactory(customer=customer)

    client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {
            "tenant": tenant_b.pk,
            "name": "Moved GmbH",
            "customer_number": customer.customer_number,
            "type": "",
            "industry": "",
            "email": "",
            "phone": "",
            "website": "",
            "locations-TOTAL_FORMS": "0",
            "locations-INITIAL_FORMS": "0",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )

    customer.refresh_from_db()
    assert customer.name == "Moved GmbH"  # the change was saved ...
    assert customer.tenant == tenant_a  # ... but the customer stayed with its tenant
    assert location.customer.tenant == tenant_a


def test_tenant_membership_choices_are_the_users_tenants(client):
    membership = TenantMembershipFactory()
    other = TenantFactory()
    membership.user.user_permissions.add(Permission.objects.get(codename="add_tenantmembership"))
    client.force_login(membership.user)

    response = client.post(
        reverse("admin:tenants_tenantmembership_add"),
        {"tenant": other.pk, "user": membership.user.pk},
    )

    assert "tenant" in _errors(response)
    assert not TenantMembership.objects.filter(tenant=other).exists()
