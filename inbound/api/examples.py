"""The seeds' request and response examples, shown in the OpenAPI document (and tested)."""

from drf_spectacular.utils import OpenApiExample

MINIMAL_TARGET = {
    "externalId": "JOB-2026-000918",
    "title": "Maintenance visit",
    "description": "Check refrigeration unit and document status.",
    "planning": {"priority": "High", "estimatedWorkMinutes": 45, "dueDate": "2026-07-01"},
}

TARGET_WITH_CUSTOMER_MAPPING = {
    "externalId": "JOB-2026-000918",
    "title": "Maintenance visit",
    "description": "Check refrigeration unit and document status.",
    "customer": {
        "externalId": "CUST-10042",
        "customerNumber": "RRM-001",
        "name": "Rhein-Ruhr Medical Supply",
    },
    "location": {
        "externalId": "LOC-ESSEN-01",
        "name": "Essen Center",
        "street": "Hachestrasse 12",
        "postalCode": "45127",
        "city": "Essen",
        "country": "DE",
        "latitude": 51.451,
        "longitude": 7.012,
        "defaultEstimatedWorkMinutes": 45,
        "defaultPriority": "High",
    },
    "contact": {
        "externalId": "CONT-44",
        "displayName": "Anna Weber",
        "role": "Operations Manager",
        "email": "anna.weber@example.com",
        "phone": "+49 201 123456",
    },
    "planning": {
        "priority": "High",
        "estimatedWorkMinutes": 45,
        "dueDate": "2026-07-01",
        "preferredTimeWindowStart": "2026-07-01T08:00:00Z",
        "preferredTimeWindowEnd": "2026-07-01T14:00:00Z",
    },
    "customFields": {"serviceType": "Maintenance", "assetId": "FRIDGE-221"},
}

BATCH = {
    "items": [
        {
            "externalId": "JOB-2026-000918",
            "title": "Maintenance visit",
            "customer": {
                "externalId": "CUST-10042",
                "customerNumber": "RRM-001",
                "name": "Rhein-Ruhr Medical Supply",
            },
            "location": {
                "externalId": "LOC-ESSEN-01",
                "name": "Essen Center",
                "city": "Essen",
                "country": "DE",
            },
            "planning": {"priority": "High", "estimatedWorkMinutes": 45},
        },
        {
            "externalId": "JOB-2026-000919",
            "title": "Branch inspection",
            "customer": {
                "externalId": "CUST-20019",
                "customerNumber": "BR-019",
                "name": "Berg Retail Group",
            },
            "location": {
                "externalId": "LOC-BOCHUM-02",
                "name": "Bochum Store",
                "city": "Bochum",
                "country": "DE",
            },
            "planning": {"priority": "Normal", "estimatedWorkMinutes": 30},
        },
    ]
}

# The body of the seed's curl and C# calls.
CURL_TARGET = {
    "externalId": "JOB-2026-000918",
    "title": "Maintenance visit",
    "customer": {
        "externalId": "CUST-10042",
        "customerNumber": "RRM-001",
        "name": "Rhein-Ruhr Medical Supply",
    },
    "location": {
        "externalId": "LOC-ESSEN-01",
        "name": "Essen Center",
        "city": "Essen",
        "country": "DE",
    },
}

IMPORT_RESPONSE = {
    "importJobId": 123,
    "status": "Accepted",
    "items": [
        {
            "externalId": "JOB-2026-000918",
            "status": "Imported",
            "targetId": 456,
            "customerMapping": {
                "status": "Mapped",
                "customerId": 12,
                "customerLocationId": 34,
                "customerContactId": 56,
                "warnings": [],
            },
        }
    ],
}

TARGET_EXAMPLES = [
    OpenApiExample("Minimal target import", value=MINIMAL_TARGET, request_only=True),
    OpenApiExample("The curl walkthrough's target", value=CURL_TARGET, request_only=True),
    OpenApiExample(
        "Target import with customer mapping",
        value=TARGET_WITH_CUSTOMER_MAPPING,
        request_only=True,
    ),
    OpenApiExample(
        "Import response with customer mapping",
        value=IMPORT_RESPONSE,
        response_only=True,
        status_codes=["200"],
    ),
]
BATCH_EXAMPLES = [
    OpenApiExample("Batch import with multiple customers", value=BATCH, request_only=True),
    OpenApiExample(
        "Import response with customer mapping",
        value=IMPORT_RESPONSE,
        response_only=True,
        status_codes=["200"],
    ),
]
