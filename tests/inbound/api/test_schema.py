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


HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_the_idempotency_key_header_declares_its_length_and_pattern(schema):
    for path in ("inbound/targets", "inbound/targets/batch"):
        (header,) = [
            p for p in _operation(schema, path, "post")["parameters"] if p["in"] == "header"
        ]
        assert header["name"] == "Idempotency-Key"
        assert header["schema"] == {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": r"^[\x20-\x7e]+$",
        }


def test_custom_field_values_are_declared_as_scalars(schema):
    custom = _property(schema, "TargetInputRequest", "customFields")

    values = custom["additionalProperties"]
    assert custom["maxProperties"] == 50
    assert values["nullable"] is True
    assert [v["type"] for v in values["anyOf"]] == ["string", "number", "boolean"]


def test_page_and_page_size_are_declared_as_bounded_integers(schema):
    parameters = {
        p["name"]: p for p in _operation(schema, "inbound/import-jobs", "get")["parameters"]
    }

    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["pageSize"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}


def test_every_operation_documents_413_and_414(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"413", "414"} <= set(operation["responses"]), (method, path)


def test_allow_lists_the_methods_the_schema_documents_for_each_path(schema, caller):
    for path, item in schema["paths"].items():
        concrete = path.replace("{external_id}", "JOB-1").replace("{job_id}", "1")
        response = caller.http.options(concrete)
        allowed = {m.strip().lower() for m in response["Allow"].split(",")}

        assert allowed - {"head", "options"} == set(item) & HTTP_METHODS, path


@pytest.mark.parametrize(
    "params",
    [
        {"pageSize": "abc"},
        {"pageSize": "0"},
        {"pageSize": "-1"},
        {"pageSize": "201"},
        {"pageSize": "1.5"},
        {"page": "abc"},
        {"page": "0"},
        {"page": "last"},
    ],
)
def test_a_page_or_page_size_that_is_not_a_valid_integer_is_a_400(caller, params):
    response = caller.get("inbound/import-jobs", **params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert next(iter(params)) in response.json()["detail"]


def test_the_job_filters_declare_that_an_empty_value_is_no_filter(schema, caller):
    parameters = {
        p["name"]: p for p in _operation(schema, "inbound/import-jobs", "get")["parameters"]
    }
    caller.post("inbound/targets", MINIMAL_TARGET)

    for name in ("status", "createdAfter", "createdBefore"):
        response = caller.get("inbound/import-jobs", **{name: ""})

        assert parameters[name]["allowEmptyValue"] is True
        assert response.status_code == 200
        assert response.json()["count"] == 1
    assert "allowEmptyValue" not in parameters["pageSize"]
    assert caller.get("inbound/import-jobs", pageSize="").status_code == 400


def test_the_customer_declares_that_it_needs_an_identifier_that_is_not_blank(schema, caller):
    customer = schema["components"]["schemas"]["CustomerInputRequest"]
    declared = {
        name: branch["properties"][name]
        for branch in customer["anyOf"]
        for name in branch["required"]
    }

    assert declared == {
        name: {"type": "string", "pattern": "\\S"}
        for name in ("externalId", "customerNumber", "name")
    }
    for name in declared:
        blank = caller.post("inbound/targets", {**MINIMAL_TARGET, "customer": {name: " "}})
        sent = caller.post("inbound/targets", {**MINIMAL_TARGET, "customer": {name: "X-1"}})

        assert blank.status_code == 422, name
        assert sent.status_code == 200, name
    assert caller.post("inbound/targets", {**MINIMAL_TARGET, "customer": {}}).status_code == 422


def test_the_country_declares_two_letters_in_any_case(schema, caller):
    country = _property(schema, "LocationInputRequest", "country")
    location = {"externalId": "LOC-1", "name": "Site"}

    def sent(code):
        body = {**MINIMAL_TARGET, "location": {**location, "country": code}}
        return caller.post("inbound/targets", body).status_code

    assert country["pattern"] == "^[A-Za-z]{2}$"
    assert "ISO 3166-1 alpha-2" in country["description"]
    assert [sent(code) for code in ("DE", "de", "De")] == [200, 200, 200]
    assert [sent(code) for code in ("D1", "ZZ")] == [422, 422]
