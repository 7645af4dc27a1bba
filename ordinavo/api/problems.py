"""RFC 9457 problem details for every error on the API, DRF's and Django's own included."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ordinavo.de/problems/"

TITLES = {
    400: ("bad-request", "The request is malformed"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "The API key lacks a required scope"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "The request body is too large"),
    415: ("unsupported-media-type", "Send the body as application/json"),
    422: ("validation-error", "The request is invalid"),
    429: ("too-many-requests", "Too many requests"),
    500: ("server-error", "Internal server error"),
    503: ("unavailable", "Service temporarily unavailable"),
}


def _pointer_part(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def field_errors(detail: Any, pointer: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {field, code, message}; `field` is a JSON
    pointer (RFC 6901) into the request body."""
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            # DRF reports object-level errors under "non_field_errors": they belong to the object.
            child = (
                pointer
                if key in ("non_field_errors", "__all__")
                else (f"{pointer}/{_pointer_part(key)}")
            )
            errors.extend(field_errors(value, child))
        return errors
    if isinstance(detail, list):
        if all(isinstance(d, (exceptions.ErrorDetail, str)) for d in detail):
            return [
                {"field": pointer, "code": getattr(d, "code", "invalid"), "message": str(d)}
                for d in detail
            ]
        errors = []
        for index, value in enumerate(detail):
            if value:
                errors.extend(field_errors(value, f"{pointer}/{index}"))
        return errors
    return [{"field": pointer, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def problem(
    status_code: int,
    detail: str,
    *,
    title: str | None = None,
    slug: str | None = None,
    errors: list[dict[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    default_slug, default_title = TITLES.get(status_code, ("error", "Error"))
    body = {
        "type": PROBLEM_TYPE_BASE + (slug or default_slug),
        "title": title or default_title,
        "status": status_code,
        "detail": detail,
        **extra,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status_code: int, detail: str, **kwargs: Any) -> Response:
    headers = kwargs.pop("headers", None)
    return Response(
        problem(status_code, detail, **kwargs),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


class ValidationProblem(exceptions.APIException):
    """422 with field errors already flattened to JSON pointers."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request is invalid."

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None):
        super().__init__(detail or self.default_detail)
        self.errors = errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        # Django's own body limit (DATA_UPLOAD_MAX_MEMORY_SIZE) fires before the parser's.
        return problem_response(
            413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # Django's handler500 answers with a problem too
    errors = None
    if isinstance(exc, ValidationProblem):
        errors, detail = exc.errors, str(exc.detail)
    elif isinstance(exc, exceptions.ValidationError):
        errors, detail = field_errors(exc.detail), "The request is invalid."
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    elif isinstance(exc, exceptions.APIException):
        detail = str(exc.detail) if not isinstance(exc.detail, list | dict) else str(exc)
    else:
        detail = str(exc)
    response.data = problem(response.status_code, detail, errors=errors)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def problem_json_response(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse(
        problem(status_code, detail), status=status_code, content_type=PROBLEM_CONTENT_TYPE
    )
