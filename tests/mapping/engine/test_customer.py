"""A customer external ID remembered earlier in the batch (an item's fallback linked it, or an
item created its customer) maps a later item of the batch by ID, as the next batch would."""

import pytest
from django.db import transaction

from customers.choices import CustomerType
from customers.models import Customer
from inbound.choices import Scope
from inbound.policy import mapping_policy
from mapping.choices import (
    ExternalType,
    MappingWarning,
    MatchingStrategy,
    MatchMethod,
    RecordAction,
)
from mapping.engine import IncomingContext
from mapping.models import ExternalReference
from mapping.services import customer_contexts_map
from tests.factories import (
    CustomerFactory,
    IntegrationClientFactory,
    LocationFactory,
    TenantFactory,
)

pytestmark = pytest.mark.django_db

HACHE = {"street": "Hachestraße 12", "postal_code": "45127", "city": "Essen", "country": "DE"}
ANNA = {"name": "Anna Weber", "type": CustomerType.PRIVATE, "phone": "+49 171 5551234"}


def _policy(tenant, strategy=MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS):
    client = IntegrationClientFactory(tenant=tenant, strategy=strategy)
    return mapping_policy(client=client, scopes=[Scope.CUSTOMERS_MAP, Scope.CUSTOMERS_WRITE])


def _map(tenant, policy, contexts):
    with transaction.atomic():
        return customer_contexts_map(tenant=tenant, policy=policy, contexts=contexts)


def _customer_references(tenant):
    return dict(
        ExternalReference.objects.filter(
            tenant=tenant, external_type=ExternalType.CUSTOMER
        ).values_list("external_id", "customer_id")
    )


@pytest.mark.parametrize("fallback", ["customer number", "name and address"])
def test_an_external_id_a_fallback_remembered_maps_a_later_item_to_the_stored_customer(fallback):
    """The first item links the stored customer by a fallback, remembering C-9; the second sends
    C-9 under another name and is updated by ID (its name as sent: an ID link), instead of going
    through the fallbacks again and creating a customer its reference does not point to."""
    tenant = TenantFactory()
    by_number = fallback == "customer number"
    policy = _policy(
        tenant,
        MatchingStrategy.EXTERNAL_ID_THEN_CUSTOMER_NUMBER
        if by_number
        else MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
    )
    stored = CustomerFactory(tenant=tenant, customer_number="K-1", **ANNA)
    LocationFactory(customer=stored, **HACHE)
    first_block = (
        {"external_id": "C-9", "customer_number": "K-1"}
        if by_number
        else {**ANNA, "external_id": "C-9", "name": "Weber, Anna"}
    )
    contexts = [
        IncomingContext(customer=first_block, location=HACHE),
        IncomingContext(customer={"external_id": "C-9", "name": "Anna Schmitz"}),
    ]

    first, second = _map(tenant, policy, contexts)

    assert first.customer == stored
    assert second.customer is first.customer
    assert second.decisions["customer"]["method"] == MatchMethod.EXTERNAL_ID
    assert second.decisions["customer"]["action"] == RecordAction.UPDATED
    assert second.decisions["customer"]["updatedFields"] == ["name"]
    assert list(Customer.objects.filter(tenant=tenant).values_list("pk", "name")) == [
        (stored.pk, "Anna Schmitz")
    ]
    assert _customer_references(tenant) == {"C-9": stored.pk}


def test_an_external_id_remembered_for_a_customer_planned_in_the_batch_maps_by_id():
    """The first item creates Anna (C-1), the second links her by name and address and remembers
    C-2 for her; the third sends C-2 under another name and address: mapped to her by ID."""
    tenant = TenantFactory()
    policy = _policy(tenant)
    contexts = [
        IncomingContext(customer={**ANNA, "external_id": "C-1"}, location=HACHE),
        IncomingContext(
            customer={**ANNA, "external_id": "C-2", "name": "Weber, Anna"}, location=HACHE
        ),
        IncomingContext(
            customer={"external_id": "C-2", "name": "Anna Schmitz"},
            location={**HACHE, "street": "Kantstraße 5"},
        ),
    ]

    first, second, third = _map(tenant, policy, contexts)

    assert second.customer is first.customer
    assert third.customer is first.customer
    assert third.decisions_as_json()["customer"] == {
        "method": MatchMethod.EXTERNAL_ID,
        "action": RecordAction.MAPPED,
        "recordId": first.customer.pk,
    }
    assert Customer.objects.filter(tenant=tenant).count() == 1
    assert _customer_references(tenant) == {"C-1": first.customer.pk, "C-2": first.customer.pk}


def test_a_customer_number_linked_earlier_in_the_batch_conflicts_for_another_external_id():
    """The first item links K-1 by number and remembers C-1 for it; the second sends K-1 with
    C-2: a number of a customer this source knows by another ID conflicts, as in the next
    batch, instead of giving the customer a second ID of the same source."""
    tenant = TenantFactory()
    policy = _policy(tenant, MatchingStrategy.EXTERNAL_ID_THEN_CUSTOMER_NUMBER)
    stored = CustomerFactory(tenant=tenant, customer_number="K-1", **ANNA)

    first, second = _map(
        tenant,
        policy,
        [
            IncomingContext(customer={"external_id": "C-1", "customer_number": "K-1"}),
            IncomingContext(customer={"external_id": "C-2", "customer_number": "K-1"}),
        ],
    )
    [next_batch] = _map(
        tenant,
        policy,
        [IncomingContext(customer={"external_id": "C-3", "customer_number": "K-1"})],
    )

    assert first.customer == stored
    for later in (second, next_batch):
        assert later.customer is None
        assert later.warnings == [MappingWarning.CUSTOMER_NUMBER_CONFLICT]
        assert later.decisions["customer"]["action"] == RecordAction.NOT_LINKED
    assert _customer_references(tenant) == {"C-1": stored.pk}
