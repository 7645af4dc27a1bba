from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ordinavo.api.problems import is_api_request, problem_json_response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not (for load balancers and probes)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# Django's own error pages, as problem details on API paths (HTML everywhere else).


def api_bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE as a "suspicious" 400; it is a 413.
        return payload_too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if is_api_request(request):
        # A plain BadRequest carries a message meant for the client; other 400s stay generic.
        detail = str(exception) if type(exception) is BadRequest else ""
        return problem_json_response(400, detail or "The request is malformed.")
    return defaults.bad_request(request, exception)


def payload_too_large(request: HttpRequest, limit: int | None) -> HttpResponse:
    detail = f"The request body is larger than {limit} bytes."
    if is_api_request(request):
        return problem_json_response(413, detail)
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


def api_permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(403, "Permission denied.")
    return defaults.permission_denied(request, exception)


def api_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(404, "No such API resource.")
    return defaults.page_not_found(request, exception)


def api_server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return problem_json_response(500, "An unexpected error occurred; it has been logged.")
    return defaults.server_error(request)
