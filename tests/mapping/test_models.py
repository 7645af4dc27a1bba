import pytest
from django.db import IntegrityError, transaction

from mapping.choices import ExternalType, ReferenceOrigin
from mapping.models import ExternalReference
from tests.factories import (
    CustomerFactory,
    CustomerReferenceFactory,
    LocationFactory,
    TenantFactory,
)

pytestmark = pytest.mark.django_db


def test_same_external_id_in_two_tenants_gives_two_references():
    first = CustomerReferenceFactory(external_id="CUST-10042", source_system="sap-erp")
    second = CustomerReferenceFactory(external_id="CUST-10042", source_system="sap-erp")

    assert first.tenant != second.tenant
    assert first.customer != second.customer
    assert ExternalReference.objects.filter(external_id="CUST-10042").count() == 2
    assert ExternalReference.objects.for_tenant(first.tenant).get().customer == first.customer


def test_same_external_id_in_two_source_systems_gives_two_references():
    tenant = TenantFactory()
    sap = CustomerReferenceFactory(customer__tenant=tenant, external_id="X-1", source_system="sap")
    crm = CustomerReferenceFactory(customer__tenant=tenant, external_id="X-1", source_system="crm")

    assert sap.customer != crm.customer
    assert ExternalReference.objects.of_source(tenant, "sap", ExternalType.CUSTOMER).get() == sap


def test_second_reference_with_the_same_four_parts_is_refused_by_the_database():
    existing = CustomerReferenceFactory(external_id="CUST-1", source_system="sap")
    other_customer = CustomerFactory(tenant=existing.tenant)

    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalReference.objects.create(
            tenant=existing.tenant,
            source_system="sap",
            external_type=ExternalType.CUSTOMER,
            external_id="CUST-1",
            customer=other_customer,
            origin=ReferenceOrigin.IMPORT,
        )


def test_one_record_may_hold_references_from_many_source_systems():
    customer = CustomerFactory()
    for source in ("sap", "crm", "ticketing"):
        CustomerReferenceFactory(customer=customer, source_system=source, external_id="ID-7")

    assert customer.external_references.count() == 3


def test_reference_must_point_at_a_record_of_its_own_type():
    location = LocationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalReference.objects.create(
            tenant=location.tenant,
            source_system="sap",
            external_type=ExternalType.CUSTOMER,
            external_id="CUST-9",
            location=location,
            origin=ReferenceOrigin.IMPORT,
        )


def test_reference_with_no_record_is_refused():
    tenant = TenantFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ExternalReference.objects.create(
            tenant=tenant,
            source_system="sap",
            external_type=ExternalType.LOCATION,
            external_id="LOC-1",
            origin=ReferenceOrigin.IMPORT,
        )


def test_record_property_returns_the_referenced_record():
    location = LocationFactory()
    reference = ExternalReference.objects.create(
        tenant=location.tenant,
        source_system="sap",
        external_type=ExternalType.LOCATION,
        external_id="LOC-1",
        location=location,
        origin=ReferenceOrigin.IMPORT,
    )

    assert reference.record == location
