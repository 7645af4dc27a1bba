"""Demo data for `make run`: one tenant with a client, customers, a dispatcher, review items, a
webhook endpoint (the local inbox), the billing feature, a visit report and a billing document."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Customer, Location
from customers.services import customer_create, location_create
from fieldwork.choices import VisitOutcome
from fieldwork.models import BillingDocument, VisitReport
from fieldwork.services import billing_document_create, visit_report_submit
from inbound.api.serializers import item_input, target_validator
from inbound.choices import ImportJobKind, ReviewState
from inbound.models import ApiKey, ImportItem, ImportJob, IntegrationClient, Target
from inbound.services import api_key_issue, api_key_revoke, targets_import
from mapping.choices import ExternalType, MatchingStrategy, ReferenceOrigin
from mapping.models import ExternalReference
from tenants.models import Tenant
from tenants.services import dispatcher_create_or_add_tenant, tenant_get_or_create
from webhooks.models import WebhookEndpoint
from webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_enable,
    webhook_endpoint_update,
)
from webhooks.ssrf import WebhookUrlRefused

DEMO_TENANT = ("demo", "Demo Facility Services GmbH")
DEMO_CLIENT = ("Demo ERP", "demo-erp")
DEMO_KEY_NAME = "demo key"
DEMO_ADMIN = ("admin", "admin-demo-password")
DEMO_DISPATCHER = ("dispatcher", "dispatcher-demo-password")
DEMO_BILLING_SUBSCRIPTION = "demo-plan"
DEMO_ENDPOINT_DESCRIPTION = "Demo: the local webhook inbox (/dev/webhook-inbox/)"
DEMO_WEBHOOK_URL = "http://127.0.0.1:8000/dev/webhook-inbox/"
# The target of the demo's visit report and billing document.
DEMO_FIELDWORK_TARGET = "JOB-DEMO-001"
DEMO_BILLING_NUMBER = "DEMO-INV-0001"

# Targets imported once, through the same validation and service as the API; some need review.
DEMO_TARGETS = [
    {
        "externalId": "JOB-DEMO-001",
        "title": "Maintenance visit",
        "customer": {"externalId": "CUST-10042"},
        "location": {"externalId": "LOC-ESSEN-01"},
        "planning": {"priority": "High", "dueDate": "2026-12-01"},
    },
    {
        "externalId": "JOB-DEMO-002",
        "title": "Branch inspection",
        "customer": {"externalId": "CUST-20019"},
        "location": {"externalId": "LOC-BOCHUM-02"},
    },
    {
        "externalId": "JOB-DEMO-003",
        "title": "Cooling unit repair",
        "customer": {
            "externalId": "CUST-77001",
            "customerNumber": "RRM-001",  # another customer's number: for review
            "name": "RRM Medizintechnik",
        },
        "location": {
            "externalId": "LOC-ESSEN-77",
            "street": "Kruppstr. 5",
            "postalCode": "45128",
            "city": "Essen",
            "country": "DE",
        },
    },
    {
        "externalId": "JOB-DEMO-004",
        "title": "New shop opening check",
        "customer": {
            "externalId": "CUST-40001",
            "customerNumber": "NS-001",
            "name": "Nordsee Feinkost GmbH",
        },
        "location": {
            "externalId": "LOC-ESSEN-40",
            "name": "Rüttenscheid",
            "street": "Rüttenscheider Str. 1",
            "postalCode": "45128",
            "city": "Essen",
            "country": "DE",
        },
        "contact": {
            "externalId": "CONT-40001",
            "displayName": "Jonas Kramer",
            "email": "j.kramer@nordsee-feinkost.example",
        },
    },
]

CITY_COORDINATES = {
    "Essen": (51.4556, 7.0116),
    "Bochum": (51.4818, 7.2162),
    "Dortmund": (51.5136, 7.4653),
    "Duisburg": (51.4344, 6.7623),
}

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
    webhook_endpoint: WebhookEndpoint | None
    webhook_secret: str | None  # only on the run that created the endpoint
    webhook_refused: str  # why there is no endpoint (its URL was refused), else ""
    visit_reports: int
    billing_documents: int


def _demo_customers_create(*, tenant: Tenant, client: IntegrationClient) -> None:
    for external_id, number, name, locations in DEMO_CUSTOMERS:
        # Through the services, so the demo customers carry their matching keys.
        customer = Customer.objects.for_tenant(tenant).filter(
            customer_number=number
        ).first() or customer_create(
            customer=Customer(tenant=tenant, customer_number=number, name=name, type="Business")
        )
        ExternalReference.objects.get_or_create(
            tenant=tenant,
            source_system=client.source_system,
            external_type=ExternalType.CUSTOMER,
            external_id=external_id,
            defaults={"customer": customer, "origin": ReferenceOrigin.ADMIN},
        )
        for loc_id, loc_name, street, postal_code, city in locations:
            location = Location.objects.for_tenant(tenant).filter(
                customer=customer, name=loc_name
            ).first() or location_create(
                location=Location(
                    tenant=tenant,
                    customer=customer,
                    name=loc_name,
                    street=street,
                    postal_code=postal_code,
                    city=city,
                    country="DE",
                    latitude=CITY_COORDINATES[city][0],
                    longitude=CITY_COORDINATES[city][1],
                )
            )
            ExternalReference.objects.get_or_create(
                tenant=tenant,
                source_system=client.source_system,
                external_type=ExternalType.LOCATION,
                external_id=loc_id,
                defaults={"location": location, "origin": ReferenceOrigin.ADMIN},
            )


def _demo_billing_enable(tenant: Tenant) -> None:
    """The tenant's billing feature with a subscription, so billing.created is sent."""
    if tenant.billing_enabled and tenant.billing_subscription == DEMO_BILLING_SUBSCRIPTION:
        return
    tenant.billing_enabled = True
    tenant.billing_subscription = DEMO_BILLING_SUBSCRIPTION
    tenant.save(update_fields=["billing_enabled", "billing_subscription"])


def _demo_endpoint_ensure(
    *, client: IntegrationClient, url: str
) -> tuple[WebhookEndpoint | None, str | None, str]:
    """The demo client's endpoint at `url`, with every payload option on: (endpoint, secret
    when created now, why it was refused). Made before the first import, so its events go
    there; re-enabled when it was disabled (a receiver that was down for days)."""
    endpoint = (
        WebhookEndpoint.objects.for_tenant(client.tenant_id)
        .filter(client=client, description=DEMO_ENDPOINT_DESCRIPTION)
        .first()
    )
    try:
        if endpoint is None:
            endpoint, secret = webhook_endpoint_create(
                client=client,
                url=url,
                include_summary_preview=True,
                include_billing_details=True,
                description=DEMO_ENDPOINT_DESCRIPTION,
            )
            return endpoint, secret, ""
        if endpoint.url != url:
            webhook_endpoint_update(endpoint=endpoint, url=url)
        if not endpoint.is_enabled:
            webhook_endpoint_enable(endpoint=endpoint)
    except WebhookUrlRefused as exc:
        return None, None, str(exc)
    return endpoint, None, ""


def _demo_fieldwork_create(*, tenant: Tenant, client: IntegrationClient) -> None:
    """One visit report and one billing document of a demo target, through fieldwork's
    services (so their events are sent), once."""
    target = Target.objects.for_tenant(tenant).get(client=client, external_id=DEMO_FIELDWORK_TARGET)
    if not VisitReport.objects.for_tenant(tenant).filter(target=target).exists():
        visit_report_submit(
            target=target,
            outcome=VisitOutcome.COMPLETED,
            summary="Annual maintenance done; filters replaced, next visit in 12 months.",
            submitted_at=timezone.now(),
        )
    if not BillingDocument.objects.for_tenant(tenant).filter(number=DEMO_BILLING_NUMBER).exists():
        billing_document_create(
            target=target,
            number=DEMO_BILLING_NUMBER,
            currency="EUR",
            amount=Decimal("238.00"),
            lines=[
                {
                    "description": "Maintenance visit",
                    "quantity": 1,
                    "unitPrice": "150.00",
                    "amount": "150.00",
                },
                {
                    "description": "Filter set",
                    "quantity": 2,
                    "unitPrice": "44.00",
                    "amount": "88.00",
                },
            ],
        )


def demo_seed(*, webhook_url: str = DEMO_WEBHOOK_URL) -> DemoSeedResult:
    tenant = tenant_get_or_create(slug=DEMO_TENANT[0], name=DEMO_TENANT[1])
    _demo_billing_enable(tenant)
    client, _ = IntegrationClient.objects.get_or_create(
        tenant=tenant,
        source_system=DEMO_CLIENT[1],
        defaults={
            "name": DEMO_CLIENT[0],
            "strategy": MatchingStrategy.EXTERNAL_ID_THEN_NAME_AND_ADDRESS,
        },
    )
    endpoint, secret, refused = _demo_endpoint_ensure(client=client, url=webhook_url)
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
    demo_key, plaintext = api_key_issue(client=client, name=DEMO_KEY_NAME)

    if not ImportJob.objects.for_tenant(tenant).filter(client=client).exists():
        validator = target_validator()
        items = [item_input(validator, n, raw, f"/items/{n}") for n, raw in enumerate(DEMO_TARGETS)]
        targets_import(api_key=demo_key, kind=ImportJobKind.BATCH, items=items)
    _demo_fieldwork_create(tenant=tenant, client=client)

    open_items = ImportItem.objects.for_tenant(tenant).filter(review_state=ReviewState.OPEN).count()
    return DemoSeedResult(
        tenant=tenant,
        client=client,
        api_key=plaintext,
        open_review_items=open_items,
        webhook_endpoint=endpoint,
        webhook_secret=secret,
        webhook_refused=refused,
        visit_reports=VisitReport.objects.for_tenant(tenant).count(),
        billing_documents=BillingDocument.objects.for_tenant(tenant).count(),
    )
