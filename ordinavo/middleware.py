"""Project-wide request checks that no view should have to repeat."""

from collections.abc import Callable
from io import BytesIO

from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, ValidationError
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation

from .views import api_bad_request, payload_too_large

_READ_CHUNK = 64 * 1024
# The view counts and limits what it reads itself.
_UNBOUNDED = 2**63 - 1


class RequestSanityMiddleware:
    """Refuses what no view can serve, before any view or database sees it:

    - A NUL character in the path or the query string: PostgreSQL cannot hold one in text, so a
      lookup or filter with it fails in the database (a 500). One `in` test each on the decoded
      path and the raw query string (a NUL can only arrive there as `%00`); 400, as a problem
      document on API paths and Django's 400 page elsewhere.
    - A body sent with `Transfer-Encoding: chunked` and no `Content-Length`: Django reads such a
      body as empty. It is read here, up to DATA_UPLOAD_MAX_MEMORY_SIZE, and handed on as if it
      had been sent with its length; a longer one is refused with 413. A view that streams its
      body itself under a limit of its own (`streams_request_body = True`, the asynchronous
      import) gets the body unread instead, as a stream.
    - An admin action on selected rows whose IDs are no primary keys of the model (or hold a
      NUL): the admin filters by them as sent, and such a value is a 500 there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return api_bad_request(request, BadRequest("The URL contains a NUL character (%00)."))
        if (
            not request.META.get("CONTENT_LENGTH")
            and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            if self._streams_request_body(request):
                request._stream = LimitedStream(request.META["wsgi.input"], _UNBOUNDED)
            else:
                response = self._read_chunked_body(request)
                if response is not None:
                    return response
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)  # set on every ModelAdmin view
        if model_admin is None or request.method != "POST":
            return None
        pk = model_admin.model._meta.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                if "\x00" in value:
                    raise ValidationError("NUL")
                pk.to_python(value)
        except ValidationError:
            return api_bad_request(request, BadRequest("Selected rows are given by their IDs."))
        return None

    @staticmethod
    def _streams_request_body(request: HttpRequest) -> bool:
        if "wsgi.input" not in request.META:
            return False
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return getattr(getattr(match.func, "cls", None), "streams_request_body", False)

    @staticmethod
    def _read_chunked_body(request: HttpRequest) -> HttpResponse | None:
        stream = request.META.get("wsgi.input")
        if stream is None:
            return None
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = bytearray()
        while limit is None or len(body) <= limit:
            size = _READ_CHUNK if limit is None else min(_READ_CHUNK, limit + 1 - len(body))
            chunk = stream.read(size)
            if not chunk:
                break
            body += chunk
        if limit is not None and len(body) > limit:
            return payload_too_large(request, limit)
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = LimitedStream(BytesIO(bytes(body)), len(body))
        return None


class PagesLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the browser's language, or the one chosen with the switch) for
    the pages; the API answers in English whatever the caller's Accept-Language (its titles,
    messages and codes are a contract)."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith("/api/"):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return response
        return super().process_response(request, response)
