"""A reference set by a person points at a record of its own tenant."""

import pytest
from django.core.exceptions import ValidationError

from mapping.choices import ExternalType, ReferenceOrigin
from mapping.models import ExternalReference
from mapping.services import external_reference_save
from tests.factories import CustomerFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_a_reference_to_another_tenants_record_is_refused():
    reference = ExternalReference(
        tenant=TenantFactory(),
        source_system="erp",
        external_type=ExternalType.CUSTOMER,
        external_id="C-1",
        customer=CustomerFactory(),  # of another tenant
        origin=ReferenceOrigin.ADMIN,
    )

    with pytest.raises(ValidationError) as refused:
        external_reference_save(reference=reference)

    assert list(refused.value.message_dict) == ["customer"]
    assert not ExternalReference.objects.exists()


def test_a_reference_to_a_record_of_its_tenant_is_saved():
    customer = CustomerFactory()
    reference = ExternalReference(
        tenant=customer.tenant,
        source_system="erp",
        external_type=ExternalType.CUSTOMER,
        external_id="C-1",
        customer=customer,
        origin=ReferenceOrigin.ADMIN,
    )

    external_reference_save(reference=reference)

    assert ExternalReference.objects.get().customer == customer
