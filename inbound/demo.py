"""Demo data for `make run`: one tenant with a client, customers, a dispatcher and review items."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from customers.models import Customer, Location
from mapping.choices import ExternalType, ReferenceOrigin
from mapping.models import ExternalReference
from tenants.models import Tenant
from tenants.services import dispatcher_create_or_add_tenant, tenant_get_or_create

from .choices import MatchingStrategy
from .models import ApiKey, ImportItem, IntegrationClient
from .services import api_key_issue, api_key_revoke

DEMO_TENANT = ("demo", "Demo Facility Services GmbH")
DEMO_CLIENT = ("Demo ERP", "demo-erp")
DEMO_KEY_NAME = "demo key"
DEMO_ADMIN = ("admin", "admin-demo-password")
DEMO_DISPATCHER = ("dispatcher", "dispatcher-demo-password")

DEMO_CUSTOMERS = [
    # (external id, customer number, name, locations: (external id, name, street, zip, city))
    (
        "CUST-10042",
        "RRM-001",
        "Rhein-Ruhr Medical Supply GmbH",
        [("LOC-ESSEN-01", "Essen Center", "Hachestraße 12", "45127", "Essen")],
    ),
    (
        "CUST-20019",
        "BR-019",
        "Berg Retail Group AG",
        [
            ("LOC-BOCHUM-02", "Bochum Store", "Kortumstraße 45", "44787", "Bochum"),
            ("LOC-DORTMUND-01", "Dortmund Store", "Westenhellweg 102", "44137", "Dortmund"),
        ],
    ),
    (
        "CUST-30007",
        "KL-007",
        "Kältetechnik Lindner KG",
        [("LOC-DUISBURG-01", "Workshop", "Königstraße 8", "47051", "Duisburg")],
    ),
]


@dataclass(frozen=True)
class DemoSeedResult:
    tenant: Tenant
    client: IntegrationClient
    api_key: str
    open_review_items: int


def _demo_customers_create(*, tenant: Tenant, client: IntegrationClient) -> None:
    for external_id, number, name, locations in DEMO_CUSTOMERS:
        customer, _ = Customer.objects.get_or_create(
            tenant=tenant, customer_number=number, defaults={"name": name, "type": "Business"}
        )
        ExternalReference.objects.get_or_create(
            tenant=tenant,
            source_system=client.source_system,
            external_type=ExternalType.CUSTOMER,
            external_id=external_id,
            defaults={"customer": customer, "origin": ReferenceOrigin.ADMIN},
        )
        for loc_id, loc_name, street, postal_code, city in locations:
            location, _ = Location.objects.get_or_create(
                tenant=tenant,
                customer=customer,
                name=loc_name,
                defaults={
                    "street": street,
                    "postal_code": postal_code,
                    "city": city,
                    "country": "DE",
                },
            )
            ExternalReference.objects.get_or_create(
                tenant=tenant,
                source_system=client.source_system,
                external_type=ExternalType.LOCATION,
                external_id=loc_id,
                defaults={"location": location, "origin": ReferenceOrigin.ADMIN},
            )


def demo_seed() -> DemoSeedResult:
    tenant = tenant_get_or_create(slug=DEMO_TENANT[0], name=DEMO_TENANT[1])
    client, _ = IntegrationClient.objects.get_or_create(
        tenant=tenant,
        source_system=DEMO_CLIENT[1],
        defaults={
            "name": DEMO_CLIENT[0],
            "strategy": MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
        },
    )
    _demo_customers_create(tenant=tenant, client=client)

    user_model = get_user_model()
    admin_user, _ = user_model.objects.get_or_create(username=DEMO_ADMIN[0])
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.set_password(DEMO_ADMIN[1])
    admin_user.save()
    dispatcher_create_or_add_tenant(
        username=DEMO_DISPATCHER[0], password=DEMO_DISPATCHER[1], tenant=tenant
    )

    # The plaintext of earlier keys is gone, so each run issues a new one and retires the old.
    for old_key in ApiKey.objects.filter(client=client, name=DEMO_KEY_NAME, revoked=False):
        api_key_revoke(api_key=old_key)
    _, plaintext = api_key_issue(client=client, name=DEMO_KEY_NAME)

    open_items = ImportItem.objects.for_tenant(tenant).filter(review_state="Open").count()
    return DemoSeedResult(
        tenant=tenant, client=client, api_key=plaintext, open_review_items=open_items
    )
