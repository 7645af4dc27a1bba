"""The inbound API: one view per operation; the work is done by services and selectors."""

import datetime as dt
import re
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.urls import reverse
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inbound import selectors
from inbound.async_imports import AsyncImportEmpty, async_import_accept
from inbound.choices import ImportJobKind, ImportJobStatus, ImportStatus, Scope
from inbound.models import ImportItem, ImportJob
from inbound.services import (
    IdempotencyKeyBusy,
    IdempotencyKeyReused,
    IdempotencyRequest,
    IdempotentAnswer,
    ImportConflict,
    ImportRejected,
    ItemInput,
    request_fingerprint,
    targets_import,
    targets_import_idempotent,
)
from mapping.choices import MappingStatus
from ordinavo.api.problems import PROBLEM_CONTENT_TYPE, ValidationProblem, problem_response

from . import presenters
from .examples import BATCH_EXAMPLES, TARGET_EXAMPLES
from .permissions import WRITE_SCOPES, scope_required
from .serializers import (
    AsyncImportInput,
    AsyncImportOutput,
    BatchInput,
    ImportJobDetailOutput,
    ImportJobItemOutput,
    ImportJobOutput,
    ImportResponseOutput,
    ProblemOutput,
    TargetInput,
    TargetOutput,
    async_item_input,
    item_input,
    target_validator,
)
from .streaming import BodyReader, json_items, ndjson_items

IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,255}")
PROBLEM = OpenApiResponse(ProblemOutput, description="RFC 9457 problem details")
ERRORS = {
    (status, PROBLEM_CONTENT_TYPE): PROBLEM
    for status in (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500, 503)
}
# A request line longer than the server takes is refused by gunicorn itself (no problem body).
ERRORS[414] = OpenApiResponse(description="URI too long (answered by the HTTP server)")
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
    OpenApiParameter.HEADER,
    required=False,
    description="1-255 printable ASCII characters. The same key with the same body replays the "
    "first response (header Idempotent-Replayed: true), shown for the asking key's scopes; with "
    "another body it is refused (422). A request arriving while the first still runs waits for "
    "it and then replays its answer (or runs, if the first failed); after IDEMPOTENCY_WAIT_MS "
    "(2 s) it is refused with 409 and Retry-After. Kept at least 24 hours.",
)


def idempotency_key_of(request: Request) -> str | None:
    """The request's Idempotency-Key; a malformed one is a 400."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise ParseError("Idempotency-Key must be 1 to 255 printable ASCII characters.")
    return key


def idempotency_problem(exc: IdempotencyKeyReused | IdempotencyKeyBusy) -> Response:
    if isinstance(exc, IdempotencyKeyReused):
        return problem_response(
            422,
            "This Idempotency-Key was used with a different request body.",
            slug="idempotency-key-reused",
            title="Idempotency-Key reused",
        )
    return problem_response(
        409,
        "A request with this Idempotency-Key is still being processed.",
        slug="idempotency-key-in-flight",
        title="Request in progress",
        headers={"Retry-After": "1"},
    )


class ImportView(APIView):
    """Shared flow of the two import endpoints: parse, reserve the idempotency key, import."""

    kind: str = ImportJobKind.SINGLE
    endpoint: str = ""

    def items_from(self, data: Any) -> list[ItemInput]:
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        if request.stream is None:
            raise ParseError("The request body is empty; send a JSON object.")
        items = self.items_from(request.data)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
            return problem_response(
                400, "Idempotency-Key must be 1 to 255 printable ASCII characters."
            )
        try:
            if key is None:
                job, import_items = targets_import(
                    api_key=request.auth, kind=self.kind, items=items
                )
                answer = IdempotentAnswer(
                    status=200, body=presenters.import_answer(job, import_items), replayed=False
                )
            else:
                answer = targets_import_idempotent(
                    api_key=request.auth,
                    kind=self.kind,
                    items=items,
                    idempotency=IdempotencyRequest(
                        endpoint=self.endpoint,
                        key=key,
                        fingerprint=request_fingerprint(request.data),
                    ),
                    answer=presenters.import_answer,
                )
        except (IdempotencyKeyReused, IdempotencyKeyBusy) as exc:
            return idempotency_problem(exc)
        except ImportRejected as exc:  # a single import that does not fit the stored target
            raise ValidationProblem(exc.errors) from exc
        except ImportConflict:
            return problem_response(
                503,
                "Concurrent imports of the same records conflicted; retry the request.",
                headers={"Retry-After": "1"},
            )
        # Fresh or replayed, the answer shows what the asking key may see, not the first one.
        can_read = request.auth.has_scope(Scope.CUSTOMERS_READ)
        return Response(
            presenters.import_answer_visible(answer.body, can_read=can_read),
            status=answer.status,
            headers={"Idempotent-Replayed": "true"} if answer.replayed else None,
        )


@extend_schema_view(
    post=extend_schema(
        operation_id="importTarget",
        summary="Import one target",
        tags=["Inbound"],
        request=TargetInput,
        responses={200: ImportResponseOutput, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=TARGET_EXAMPLES,
        description="Required scope: `inbound.targets.write` (or `targets.write`); `customers.map` "
        "to attach customer context, `customers.write` to create or update customer records, "
        "`customers.read` to see mapping IDs. Re-importing an externalId updates that target.",
    )
)
class TargetImportView(ImportView):
    permission_classes = [scope_required(Scope.TARGETS_WRITE, Scope.TARGETS_WRITE_ALIAS)]
    kind = ImportJobKind.SINGLE
    endpoint = "inbound/targets"

    def items_from(self, data: Any) -> list[ItemInput]:
        if not isinstance(data, dict):
            raise ParseError("The request body must be a JSON object (one target).")
        item = item_input(target_validator(), 0, data, "")
        if item.errors:
            raise ValidationProblem(item.errors)
        return [item]


@extend_schema_view(
    post=extend_schema(
        operation_id="importTargetBatch",
        summary="Import a batch of targets",
        tags=["Inbound"],
        request=BatchInput,
        responses={200: ImportResponseOutput, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=BATCH_EXAMPLES,
        description="Required scope: `inbound.targets.batch.write`. 1 to 500 items (configurable); "
        "an invalid item fails alone with `errors`, the others are imported. Later items repeating "
        "an earlier item's externalId fail.",
    )
)
class TargetBatchImportView(ImportView):
    permission_classes = [scope_required(Scope.TARGETS_BATCH_WRITE)]
    kind = ImportJobKind.BATCH
    endpoint = "inbound/targets/batch"

    def get_permissions(self):
        if self.request is not None and self.request.method == "GET":
            return [permission() for permission in TargetDetailView.permission_classes]
        return super().get_permissions()

    @extend_schema(
        operation_id="getTargetBatch",
        summary="Read back the target whose externalId is `batch`",
        tags=["Inbound"],
        responses={200: TargetOutput, **ERRORS},
        description="`getTarget` for the externalId `batch`, which this path takes: listed so "
        "that the path's methods (its `Allow` header) are the documented ones.",
    )
    def get(self, request: Request) -> Response:
        """ "batch" is an externalId like any other: GET reads that target back."""
        return TargetDetailView().get(request, external_id="batch")

    def items_from(self, data: Any) -> list[ItemInput]:
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise ParseError('The request body must be a JSON object {"items": [...]}.')
        raw_items = data["items"]
        limit = settings.INBOUND_LIMITS["MAX_BATCH_ITEMS"]
        if not 1 <= len(raw_items) <= limit:
            raise ValidationProblem(
                [
                    {
                        "field": "/items",
                        "code": "batch_size",
                        "message": f"A batch has 1 to {limit} items, not {len(raw_items)}.",
                    }
                ]
            )
        validator = target_validator()
        return [item_input(validator, i, raw, f"/items/{i}") for i, raw in enumerate(raw_items)]


NDJSON_MEDIA_TYPES = ("application/x-ndjson", "application/ndjson")


@extend_schema_view(
    post=extend_schema(
        operation_id="importTargetsAsync",
        summary="Import up to 100,000 targets asynchronously",
        tags=["Inbound"],
        request={
            "application/json": AsyncImportInput,
            "application/x-ndjson": {
                "type": "string",
                "description": "One target (a TargetInput object) per line.",
            },
        },
        responses={202: AsyncImportOutput, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
        description='Required scope: `inbound.targets.batch.write`. A body `{"items": [...]}` '
        "(application/json) or one target per line (application/x-ndjson) of 1 to "
        "INBOUND_MAX_ASYNC_ITEMS (100,000) items and at most INBOUND_MAX_ASYNC_BODY_BYTES "
        "(100 MiB). Answers 202 at once with the job in `Location`; workers import the items "
        "in chunks of 500 exactly as a batch's. Poll the job (`getImportJob`) and page its "
        "items (`listImportJobItems`). An invalid item becomes a Failed item with its errors; "
        "only a malformed body (not JSON or NDJSON, over a limit, no items) is refused whole. "
        "Later items repeating an earlier item's externalId fail.",
    )
)
class AsyncImportView(APIView):
    """Streams the body into the job's staged items (never reads it whole): see
    `inbound.async_imports`. The request-sanity middleware leaves a chunked body of this view
    unread (`streams_request_body`), so only this view's own limit applies to it."""

    permission_classes = [scope_required(Scope.TARGETS_BATCH_WRITE)]
    endpoint = "inbound/imports"
    streams_request_body = True

    def post(self, request: Request) -> Response:
        limits = settings.INBOUND_LIMITS
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type in NDJSON_MEDIA_TYPES:
            read_items = ndjson_items
        elif media_type == "application/json":
            read_items = json_items
        else:
            raise UnsupportedMediaType(media_type or "(none)")
        key = idempotency_key_of(request)
        declared = request.META.get("CONTENT_LENGTH")
        reader = BodyReader(
            # Django's own request, read as a file: DRF's `request.stream` is None for a chunked
            # body (no Content-Length), which the middleware hands on unread.
            request._request,
            limit=limits["MAX_ASYNC_BODY_BYTES"],
            declared_length=int(declared) if declared and declared.isdigit() else None,
        )
        try:
            answer = async_import_accept(
                api_key=request.auth,
                items=read_items(reader, max_items=limits["MAX_ASYNC_ITEMS"]),
                item_from=async_item_input,
                endpoint=self.endpoint,
                idempotency_key=key,
                fingerprint=lambda: reader.fingerprint(media_type),
            )
        except AsyncImportEmpty as exc:
            raise ValidationProblem(
                [
                    {
                        "field": "/items" if read_items is json_items else "",
                        "code": "batch_size",
                        "message": f"An asynchronous import has 1 to {limits['MAX_ASYNC_ITEMS']} "
                        "items, not 0.",
                    }
                ]
            ) from exc
        except (IdempotencyKeyReused, IdempotencyKeyBusy) as exc:
            return idempotency_problem(exc)
        job_id = answer.body["importJobId"]
        headers = {"Location": reverse("inbound-api:job-detail", kwargs={"job_id": job_id})}
        if answer.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(answer.body, status=answer.status, headers=headers)


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 in any UTC offset, normalised to UTC: PostgreSQL refuses offsets beyond ±15:59,
    and an instant outside years 1-9999 UTC overflows; both must be a 422, not a 500."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as exc:
            raise forms.ValidationError(
                "The date and time is out of range.", code="overflow"
            ) from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class ImportJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ImportJobStatus.choices)
    createdAfter = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    createdBefore = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ImportJob
        fields = ["status", "createdAfter", "createdBefore"]


class JobPagination(PageNumberPagination):
    """`page` and `pageSize` are integers (1 or more; `pageSize` at most 200): anything else is
    a 400, not silently the default page."""

    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 200
    last_page_strings = ()

    def _query_integer(self, request: Request, name: str, maximum: int | None = None) -> None:
        raw = request.query_params.get(name)
        if raw is None:
            return
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= (maximum or int(raw))):
            bound = f" from 1 to {maximum}" if maximum else " of 1 or more"
            raise ParseError(f"{name} must be an integer{bound}, not {raw[:50]!r}.")

    def paginate_queryset(self, queryset, request, view=None):
        self._query_integer(request, self.page_query_param)
        self._query_integer(request, self.page_size_query_param, self.max_page_size)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Jobs per page, 1 to {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


@extend_schema_view(
    get=extend_schema(
        operation_id="listImportJobs",
        summary="List this client's import jobs, newest first",
        tags=["Inbound"],
        responses={200: ImportJobOutput(many=True), **ERRORS},
    )
)
class ImportJobListView(generics.ListAPIView):
    permission_classes = [scope_required(*WRITE_SCOPES)]
    filterset_class = ImportJobFilter
    pagination_class = JobPagination
    serializer_class = ImportJobOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no client
            return ImportJob.objects.none()
        return selectors.import_jobs_of_client(client=self.request.auth.client).order_by(
            "-created_at", "-id"
        )

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        summaries = selectors.import_job_summaries(jobs=page)
        return self.get_paginated_response(
            [presenters.import_job_data(job, summary=summaries[job.pk]) for job in page]
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="getImportJob",
        summary="Poll an import job",
        tags=["Inbound"],
        responses={200: ImportJobDetailOutput, **ERRORS},
        description="Status, progress, summary counts and (single and batch jobs) items with "
        "their *current* mapping: a dispatcher's later resolution shows here. An asynchronous "
        "job's items are not inlined: page them with `listImportJobItems`.",
    )
)
class ImportJobDetailView(APIView):
    permission_classes = [scope_required(*WRITE_SCOPES)]

    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.import_job_get(client=request.auth.client, job_id=job_id)
        if job is None:
            raise NotFound(f"No import job {job_id} for this client.")
        # An asynchronous job's items (up to 100,000) are paged at .../items instead.
        items = (
            None
            if job.kind == ImportJobKind.ASYNC
            else list(selectors.import_items_of_job(job=job))
        )
        summary = selectors.import_job_summaries(jobs=[job])[job.pk]
        can_read = request.auth.has_scope(Scope.CUSTOMERS_READ)
        return Response(
            presenters.import_job_data(job, summary=summary, items=items, can_read=can_read)
        )


class ImportItemFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(field_name="import_status", choices=ImportStatus.choices)
    mappingStatus = django_filters.ChoiceFilter(
        field_name="mapping_status", choices=MappingStatus.choices
    )

    class Meta:
        model = ImportItem
        fields = ["status", "mappingStatus"]


class ItemPagination(JobPagination):
    page_size = 100
    max_page_size = 1000

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters[1]["description"] = (
            f"Items per page, 1 to {self.max_page_size} (default {self.page_size})."
        )
        return parameters


@extend_schema_view(
    get=extend_schema(
        operation_id="listImportJobItems",
        summary="Page the items of an import job, in request order",
        tags=["Inbound"],
        responses={200: ImportJobItemOutput(many=True), **ERRORS},
        description="Any job's items (single, batch or asynchronous) with their current "
        "mapping, filterable by import `status` and `mappingStatus`. Items of an asynchronous "
        "job appear as their chunks are processed.",
    )
)
class ImportJobItemListView(generics.ListAPIView):
    permission_classes = [scope_required(*WRITE_SCOPES)]
    filterset_class = ImportItemFilter
    pagination_class = ItemPagination
    serializer_class = ImportJobItemOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no client
            return ImportItem.objects.none()
        job = selectors.import_job_get(
            client=self.request.auth.client, job_id=self.kwargs["job_id"]
        )
        if job is None:
            raise NotFound(f"No import job {self.kwargs['job_id']} for this client.")
        return selectors.import_items_of_job(job=job)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        can_read = request.auth.has_scope(Scope.CUSTOMERS_READ)
        return self.get_paginated_response(
            [
                {"position": item.position, **presenters.import_item_data(item, can_read=can_read)}
                for item in page
            ]
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="getTarget",
        summary="Read back one target of this client",
        tags=["Inbound"],
        responses={200: TargetOutput, **ERRORS},
    )
)
class TargetDetailView(APIView):
    permission_classes = [scope_required(*WRITE_SCOPES)]

    def get(self, request: Request, external_id: str) -> Response:
        target = selectors.target_of_client_get(client=request.auth.client, external_id=external_id)
        if target is None:
            raise NotFound(f"No target with externalId {external_id!r} for this client.")
        item = selectors.latest_import_item_of_target(target=target)
        return Response(
            presenters.target_data(
                target,
                item=item,
                can_read=request.auth.has_scope(Scope.CUSTOMERS_READ),
            )
        )
