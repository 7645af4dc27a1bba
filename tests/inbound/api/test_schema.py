"""The OpenAPI document: every status and warning code as an enum, the seeds' examples in it."""

import pytest
from rest_framework.test import APIClient

from inbound.api.examples import (
    BATCH,
    CURL_TARGET,
    IMPORT_RESPONSE,
    MINIMAL_TARGET,
    TARGET_WITH_CUSTOMER_MAPPING,
)
from inbound.choices import ImportJobStatus, ImportStatus
from mapping.choices import MappingStatus, MappingWarning
from tests.api import BASE

pytestmark = pytest.mark.django_db

REF = "#/components/schemas/"


@pytest.fixture
def schema(db) -> dict:
    response = APIClient().get(BASE + "schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operation(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][BASE + path][method]


def _property(schema: dict, component: str, name: str) -> dict:
    return schema["components"]["schemas"][component]["properties"][name]


@pytest.mark.parametrize(
    ("enum", "choices", "component", "field"),
    [
        ("MappingStatusEnum", MappingStatus, "CustomerMappingOutput", "status"),
        ("ImportStatusEnum", ImportStatus, "ImportItemOutput", "status"),
        ("ImportJobStatusEnum", ImportJobStatus, "ImportJobOutput", "status"),
        ("ImportJobStatusEnum", ImportJobStatus, "ImportJobDetailOutput", "status"),
    ],
)
def test_every_status_is_an_enum_that_the_response_field_uses(
    schema, enum, choices, component, field
):
    assert schema["components"]["schemas"][enum]["enum"] == list(choices.values)
    assert _property(schema, component, field)["$ref"] == REF + enum


def test_every_warning_code_is_an_enum_that_the_warnings_use(schema):
    warnings = _property(schema, "CustomerMappingOutput", "warnings")

    assert schema["components"]["schemas"]["MappingWarningEnum"]["enum"] == list(
        MappingWarning.values
    )
    assert warnings["items"]["$ref"] == REF + "MappingWarningEnum"


def test_the_seeds_request_examples_are_in_the_schema(schema):
    def examples(operation: dict) -> list:
        content = operation["requestBody"]["content"]["application/json"]
        return [example["value"] for example in content["examples"].values()]

    single = examples(_operation(schema, "inbound/targets", "post"))
    batch = examples(_operation(schema, "inbound/targets/batch", "post"))

    assert MINIMAL_TARGET in single
    assert TARGET_WITH_CUSTOMER_MAPPING in single
    assert CURL_TARGET in single
    assert batch == [BATCH]


@pytest.mark.parametrize("path", ["inbound/targets", "inbound/targets/batch"])
def test_the_seeds_response_example_is_in_the_schema(schema, path):
    content = _operation(schema, path, "post")["responses"]["200"]["content"]["application/json"]

    assert [example["value"] for example in content["examples"].values()] == [IMPORT_RESPONSE]
