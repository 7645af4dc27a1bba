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


def declare_customer_identifiable(result, generator, request, public):
    """A customer block needs an externalId, a customerNumber or a name that is not blank."""
    customer = result.get("components", {}).get("schemas", {}).get("CustomerInputRequest")
    if customer is not None:
        customer["anyOf"] = [
            {"required": [name], "properties": {name: {"type": "string", "pattern": "\\S"}}}
            for name in CUSTOMER_IDENTIFIERS
        ]
        customer["description"] = (
            f"{customer.get('description', '')} At least one of externalId, customerNumber or "
            "name must be sent and not blank."
        ).strip()
    return result


def _operations(result):
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                yield operation
