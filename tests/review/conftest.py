import pytest

from inbound.models import ImportItem
from tests.factories import CustomerFactory, LocationFactory

REVIEW_SCOPES = [
    "inbound.targets.write",
    "inbound.targets.batch.write",
    "customers.map",
    "customers.read",
    "customers.write",
]


@pytest.fixture
def ambiguous(make_caller):
    """An item (JOB-AMB) with two equally good candidates under ExternalIdThenNameAndAddress;
    returns the caller that imported it and the item."""
    caller = make_caller(scopes=REVIEW_SCOPES, strategy="ExternalIdThenNameAndAddress")
    for name in ("Rhein-Ruhr Medical Supply GmbH", "Rhein-Ruhr Medical Supply AG"):
        customer = CustomerFactory(tenant=caller.client.tenant, name=name)
        LocationFactory(
            customer=customer,
            street="Hachestraße 12",
            postal_code="45127",
            city="Essen",
        )
    caller.post(
        "inbound/targets",
        {
            "externalId": "JOB-AMB",
            "title": "Visit",
            "customer": {
                "externalId": "SAP-1",
                "name": "Rhein Ruhr Medical Supply",
                "email": "ops@rrms.example",
            },
            "location": {
                "externalId": "SAP-L1",
                "street": "Hachestr. 12",
                "postalCode": "45127",
                "city": "Essen",
                "latitude": 51.4,
                "longitude": 7.0,
            },
        },
    )
    item = ImportItem.objects.get(external_id="JOB-AMB")
    assert item.warnings == ["AmbiguousCustomerMatch"]
    return caller, item
