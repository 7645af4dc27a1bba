import factory
from django.contrib.auth import get_user_model

from customers.models import Contact, Customer, Location
from customers.services import (
    contact_create,
    customer_create,
    customer_prepare,
    location_create,
    location_prepare,
)
from inbound.models import IntegrationClient, Target
from mapping.choices import ExternalType, MatchingStrategy, ReferenceOrigin
from mapping.models import ExternalReference
from tenants.models import Tenant, TenantMembership


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda o: f"Tenant {o.slug}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")
    is_staff = True


class TenantMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TenantMembership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)


class IntegrationClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntegrationClient

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    source_system = factory.Sequence(lambda n: f"erp-{n}")
    strategy = MatchingStrategy.EXTERNAL_ID_FIRST


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    client = factory.SubFactory(IntegrationClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    external_id = factory.Sequence(lambda n: f"JOB-{n}")
    title = factory.Sequence(lambda n: f"Visit {n}")


def _without_keys(kwargs: dict, *keys: str) -> dict:
    """The matching keys are computed from the fields they derive from, never given: a test
    that needs a stale key writes it with `QuerySet.update`."""
    given = sorted(set(keys) & set(kwargs))
    if given:
        raise TypeError(f"{', '.join(given)} is computed by customers.services; set its source")
    return kwargs


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer with its matching keys computed as customers.services computes them."""

    class Meta:
        model = Customer

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Customer {n} GmbH")
    customer_number = factory.Sequence(lambda n: f"C-{n:05d}")

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        customer = model_class(*args, **_without_keys(kwargs, "normalized_name"))
        customer_prepare(customer=customer)
        return customer

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        customer = model_class(*args, **_without_keys(kwargs, "normalized_name"))
        return customer_create(customer=customer)


class LocationFactory(factory.django.DjangoModelFactory):
    """A location with its matching key computed as customers.services computes it."""

    class Meta:
        model = Location

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("customer.tenant")
    name = factory.Sequence(lambda n: f"Site {n}")
    street = "Hachestraße 12"
    postal_code = "45127"
    city = "Essen"
    country = "DE"

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        location = model_class(*args, **_without_keys(kwargs, "street_key"))
        location_prepare(location=location)
        return location

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        location = model_class(*args, **_without_keys(kwargs, "street_key"))
        return location_create(location=location)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("customer.tenant")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Weber{n}")
    email = factory.Sequence(lambda n: f"anna{n}@example.com")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return contact_create(contact=model_class(*args, **kwargs))


class CustomerReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalReference

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("customer.tenant")
    source_system = "erp"
    external_type = ExternalType.CUSTOMER
    external_id = factory.Sequence(lambda n: f"CUST-{n}")
    origin = ReferenceOrigin.IMPORT


class LocationReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalReference

    location = factory.SubFactory(LocationFactory)
    tenant = factory.SelfAttribute("location.tenant")
    source_system = "erp"
    external_type = ExternalType.LOCATION
    external_id = factory.Sequence(lambda n: f"LOC-{n}")
    origin = ReferenceOrigin.IMPORT
