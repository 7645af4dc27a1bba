"""drf-spectacular: how our Bearer API-key authentication appears in the OpenAPI document."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "inbound.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of an integration client: `Authorization: Bearer <key>`.",
        }


def declare_blank_filters(result, generator, request, public):
    """django-filter reads an empty query value (`?status=`) as no filter, so the document says
    that such a value is allowed (`allowEmptyValue`) instead of calling it a bad request."""
    from .views import ImportJobFilter  # views load late; this hook runs per schema request

    filter_names = set(ImportJobFilter.base_filters)
    for operation in _operations(result):
        if operation.get("operationId") != "listImportJobs":
            continue
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and parameter.get("name") in filter_names:
                parameter["allowEmptyValue"] = True
    return result


# What the serializer's `validate` requires of a customer (trimmed, not empty), which the
# generated component cannot say by itself: at least one of these fields.
CUSTOMER_IDENTIFIERS = ("externalId", "customerNumber", "name")


def declare_validation_rules(result, generator, request, public):
    """Rules the validators check that the generated components leave out: a customer block
    needs an externalId, a customerNumber or a name that is not blank; a country is two
    letters in any case (which must also be an assigned ISO 3166-1 alpha-2 code: too long a
    list for a pattern, so it is said in words)."""
    schemas = result.get("components", {}).get("schemas", {})
    customer = schemas.get("CustomerInputRequest")
    if customer is not None:
        customer["anyOf"] = [
            {"required": [name], "properties": {name: {"type": "string", "pattern": "\\S"}}}
            for name in CUSTOMER_IDENTIFIERS
        ]
        customer["description"] = (
            f"{customer.get('description', '')} At least one of externalId, customerNumber or "
            "name must be sent and not blank."
        ).strip()
    location = schemas.get("LocationInputRequest")
    if location is not None:
        country = location["properties"]["country"]
        country["pattern"] = "^[A-Za-z]{2}$"
        country["description"] = "An assigned ISO 3166-1 alpha-2 code in any case, e.g. DE."
    return result


def _operations(result):
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                yield operation
