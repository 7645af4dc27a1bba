"""Request and response shapes of the inbound API: the seeds' DTOs, field for field.

String lengths come from the model fields, so a valid payload never hits a database limit.
`null` counts as "not sent" (typed clients such as C# send nulls for unset properties).
"""

import threading
from typing import Any

from django.conf import settings
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.choices import ContactMethod, CustomerType, Priority
from customers.models import Contact, Customer, Location
from inbound.choices import ImportJobKind, ImportJobStatus, ImportStatus
from inbound.models import Target
from inbound.services import ItemInput
from mapping.choices import MappingStatus, MappingWarning
from ordinavo.api.problems import field_errors

from .countries import ISO_3166_ALPHA2
from .fast_validation import FastValidator, supports_to_internal_value

EXTERNAL_ID_MAX = 100


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _text(model, name: str, **kwargs) -> serializers.CharField:
    """An optional string field as long as the model's; `source` only where the names differ."""
    kwargs.setdefault("allow_blank", True)
    return serializers.CharField(
        max_length=_max_length(model, name), required=False, allow_null=True, **kwargs
    )


def _external_id(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        source="external_id", max_length=EXTERNAL_ID_MAX, min_length=1, **kwargs
    )


@supports_to_internal_value
class DropNullsMixin:
    """Absent and null are the same: neither is stored, neither clears a stored value."""

    def to_internal_value(self, data):
        return self.to_internal_value_finish(super().to_internal_value(data))

    def to_internal_value_finish(self, validated: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in validated.items() if v is not None}


class CustomerInput(DropNullsMixin, serializers.Serializer):
    externalId = _external_id(required=False, allow_null=True)
    customerNumber = _text(Customer, "customer_number", source="customer_number")
    name = _text(Customer, "name")
    type = serializers.ChoiceField(choices=CustomerType.choices, required=False, allow_null=True)
    industry = _text(Customer, "industry")
    email = serializers.EmailField(
        max_length=254, required=False, allow_null=True, allow_blank=True
    )
    phone = _text(Customer, "phone")
    website = _text(
        Customer,
        "website",
        validators=[URLValidator(schemes=["http", "https"], message="Enter an http or https URL.")],
    )

    def validate_customerNumber(self, value: str | None) -> str | None:
        return value or None  # an empty number is no number

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(k) for k in ("external_id", "customer_number", "name")):
            raise serializers.ValidationError(
                "A customer needs at least one of externalId, customerNumber or name.",
                code="customer_unidentifiable",
            )
        return attrs


class LocationInput(DropNullsMixin, serializers.Serializer):
    externalId = _external_id(required=False, allow_null=True)
    name = _text(Location, "name")
    type = _text(Location, "type")
    street = _text(Location, "street")
    postalCode = _text(Location, "postal_code", source="postal_code")
    city = _text(Location, "city")
    region = _text(Location, "region")
    country = serializers.CharField(
        max_length=2,
        min_length=2,
        required=False,
        allow_null=True,
        help_text="ISO 3166-1 alpha-2, e.g. DE",
    )
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True
    )
    defaultEstimatedWorkMinutes = serializers.IntegerField(
        source="default_estimated_work_minutes",
        min_value=1,
        max_value=100_000,
        required=False,
        allow_null=True,
    )
    defaultPriority = serializers.ChoiceField(
        source="default_priority", choices=Priority.choices, required=False, allow_null=True
    )
    accessNotes = _text(Location, "access_notes", source="access_notes")
    parkingNotes = _text(Location, "parking_notes", source="parking_notes")

    def validate_country(self, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if code not in ISO_3166_ALPHA2:
            raise serializers.ValidationError(
                f"'{value}' is not an ISO 3166-1 alpha-2 country code.", code="invalid_country"
            )
        return code


class ContactInput(DropNullsMixin, serializers.Serializer):
    externalId = _external_id(required=False, allow_null=True)
    firstName = _text(Contact, "first_name", source="first_name")
    lastName = _text(Contact, "last_name", source="last_name")
    displayName = _text(Contact, "display_name", source="display_name")
    role = _text(Contact, "role")
    department = _text(Contact, "department")
    email = serializers.EmailField(
        max_length=254, required=False, allow_null=True, allow_blank=True
    )
    phone = _text(Contact, "phone")
    mobile = _text(Contact, "mobile")
    preferredContactMethod = serializers.ChoiceField(
        source="preferred_contact_method",
        choices=ContactMethod.choices,
        required=False,
        allow_null=True,
    )


class PlanningInput(DropNullsMixin, serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True)
    estimatedWorkMinutes = serializers.IntegerField(
        source="estimated_work_minutes",
        min_value=1,
        max_value=100_000,
        required=False,
        allow_null=True,
    )
    dueDate = serializers.DateField(source="due_date", required=False, allow_null=True)
    preferredTimeWindowStart = serializers.DateTimeField(
        source="preferred_time_window_start", required=False, allow_null=True
    )
    preferredTimeWindowEnd = serializers.DateTimeField(
        source="preferred_time_window_end", required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("preferred_time_window_start")
        end = attrs.get("preferred_time_window_end")
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError(
                {"preferredTimeWindowEnd": "The time window must end after it starts."},
                code="time_window_order",
            )
        return attrs


_LIMITS = settings.INBOUND_LIMITS


@extend_schema_field(
    {
        "type": "object",
        "description": f"At most {_LIMITS['CUSTOM_FIELDS_MAX_KEYS']} fields; names of 1 to "
        f"{_LIMITS['CUSTOM_FIELDS_MAX_KEY_LENGTH']} characters; values are scalars (string of at "
        f"most {_LIMITS['CUSTOM_FIELDS_MAX_VALUE_LENGTH']} characters, number, boolean or null).",
        "maxProperties": _LIMITS["CUSTOM_FIELDS_MAX_KEYS"],
        "additionalProperties": {
            "nullable": True,
            "anyOf": [
                {"type": "string", "maxLength": _LIMITS["CUSTOM_FIELDS_MAX_VALUE_LENGTH"]},
                {"type": "number"},
                {"type": "boolean"},
            ],
        },
    }
)
class CustomFieldsField(serializers.DictField):
    """A flat object of bounded size: string keys, scalar values."""

    default_error_messages = {
        "too_many": "At most {limit} custom fields are allowed.",
        "key_length": "Custom field names have 1 to {limit} characters.",
        "not_scalar": "Custom field '{name}' must be a string, number, boolean or null.",
        "value_length": "Custom field '{name}' has more than {limit} characters.",
    }

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        limits = settings.INBOUND_LIMITS
        if len(data) > limits["CUSTOM_FIELDS_MAX_KEYS"]:
            self.fail("too_many", limit=limits["CUSTOM_FIELDS_MAX_KEYS"])
        for key, value in data.items():
            if not 0 < len(key) <= limits["CUSTOM_FIELDS_MAX_KEY_LENGTH"]:
                self.fail("key_length", limit=limits["CUSTOM_FIELDS_MAX_KEY_LENGTH"])
            if value is not None and not isinstance(value, str | int | float | bool):
                self.fail("not_scalar", name=key[:100])
            if isinstance(value, str) and len(value) > limits["CUSTOM_FIELDS_MAX_VALUE_LENGTH"]:
                self.fail(
                    "value_length", name=key[:100], limit=limits["CUSTOM_FIELDS_MAX_VALUE_LENGTH"]
                )
        return data


class TargetInput(DropNullsMixin, serializers.Serializer):
    """One target, as in the seed: `POST inbound/targets` takes it at the top level."""

    externalId = _external_id()
    title = serializers.CharField(max_length=_max_length(Target, "title"), min_length=1)
    description = _text(Target, "description")
    customer = CustomerInput(required=False, allow_null=True)
    location = LocationInput(required=False, allow_null=True)
    contact = ContactInput(required=False, allow_null=True)
    planning = PlanningInput(required=False, allow_null=True)
    customFields = CustomFieldsField(
        source="custom_fields",
        child=serializers.JSONField(),
        required=False,
        allow_null=True,
        allow_empty=True,
    )


_validators = threading.local()


def target_validator() -> FastValidator:
    """One validator per thread: DRF builds a serializer's fields (a deep copy) once per
    instance, which costs more than validating a small target; validation keeps no state."""
    if not hasattr(_validators, "target"):
        _validators.target = FastValidator(TargetInput())
    return _validators.target


def item_input(validator: FastValidator, position: int, raw: Any, pointer: str) -> ItemInput:
    """Validate one raw item (a TargetInput): its data, or its errors as JSON pointers under
    `pointer`. Valid items take the fast path; the serializer itself reports the errors."""
    if not isinstance(raw, dict):
        return ItemInput(
            position=position,
            external_id=None,
            errors=[
                {"field": pointer, "code": "not_an_object", "message": "An item is a JSON object."}
            ],
        )
    data = validator.validated(raw)
    if data is None:
        try:
            data = validator.serializer.run_validation(raw)
        except serializers.ValidationError as exc:
            raw_id = raw.get("externalId")
            return ItemInput(
                position=position,
                external_id=raw_id if isinstance(raw_id, str) else None,
                errors=field_errors(exc.detail, pointer),
            )
    return ItemInput(position=position, external_id=data["external_id"], data=data)


def async_item_input(position: int, raw: Any) -> ItemInput:
    """An item of an asynchronous import, validated as a batch's item is."""
    return item_input(target_validator(), position, raw, f"/items/{position}")


class BatchInput(serializers.Serializer):
    """Only the envelope: each item is validated on its own, so one bad item fails alone."""

    items = serializers.ListField(child=serializers.JSONField(), min_length=1)


# --- responses -------------------------------------------------------------------------------


class RecordDecisionOutput(serializers.Serializer):
    method = serializers.CharField()
    action = serializers.CharField()
    recordId = serializers.IntegerField(allow_null=True)


class CustomerMappingOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=MappingStatus.choices)
    customerId = serializers.IntegerField(
        allow_null=True, required=False, help_text="Only with the customers.read scope."
    )
    customerLocationId = serializers.IntegerField(
        allow_null=True, required=False, help_text="Only with the customers.read scope."
    )
    customerContactId = serializers.IntegerField(
        allow_null=True, required=False, help_text="Only with the customers.read scope."
    )
    warnings = serializers.ListField(child=serializers.ChoiceField(choices=MappingWarning.choices))
    details = serializers.DictField(
        child=RecordDecisionOutput(),
        required=False,
        help_text="How each record was decided; only with the customers.read scope.",
    )


class FieldErrorOutput(serializers.Serializer):
    field = serializers.CharField(help_text="JSON pointer into the request body")
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemOutput(serializers.Serializer):
    """RFC 9457 problem details (application/problem+json)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = FieldErrorOutput(many=True, required=False)


class ImportItemOutput(serializers.Serializer):
    externalId = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=ImportStatus.choices)
    targetId = serializers.IntegerField(allow_null=True)
    customerMapping = CustomerMappingOutput()
    errors = FieldErrorOutput(many=True, required=False)


class ImportResponseOutput(serializers.Serializer):
    importJobId = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[ImportJobStatus.ACCEPTED])
    items = ImportItemOutput(many=True)


class ImportSummaryOutput(serializers.Serializer):
    total = serializers.IntegerField()
    imported = serializers.IntegerField()
    updated = serializers.IntegerField()
    failed = serializers.IntegerField()
    mapping = serializers.DictField(
        child=serializers.IntegerField(), help_text="Items per current mapping status."
    )
    needsReview = serializers.IntegerField()


class ImportProgressOutput(serializers.Serializer):
    processed = serializers.IntegerField(help_text="Items processed so far.")
    total = serializers.IntegerField(help_text="Items of the job.")


class ImportJobOutput(serializers.Serializer):
    importJobId = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ImportJobStatus.choices)
    kind = serializers.ChoiceField(choices=ImportJobKind.choices)
    createdAt = serializers.DateTimeField()
    startedAt = serializers.DateTimeField(allow_null=True)
    finishedAt = serializers.DateTimeField(allow_null=True)
    itemCount = serializers.IntegerField()
    progress = ImportProgressOutput()
    summary = ImportSummaryOutput()


class ImportJobDetailOutput(ImportJobOutput):
    items = ImportItemOutput(
        many=True,
        required=False,
        help_text="Single and batch jobs only; an asynchronous job's items are paged at "
        "inbound/import-jobs/{importJobId}/items.",
    )


class AsyncImportOutput(serializers.Serializer):
    importJobId = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[ImportJobStatus.ACCEPTED])
    itemCount = serializers.IntegerField()


class AsyncImportInput(serializers.Serializer):
    """`{"items": [...]}` (application/json), or one target per line (application/x-ndjson)."""

    items = serializers.ListField(child=TargetInput(), min_length=1)


class ImportJobItemOutput(ImportItemOutput):
    position = serializers.IntegerField(help_text="Index of the item in the request, from 0.")


class PlanningOutput(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices, allow_null=True)
    estimatedWorkMinutes = serializers.IntegerField(allow_null=True)
    dueDate = serializers.DateField(allow_null=True)
    preferredTimeWindowStart = serializers.DateTimeField(allow_null=True)
    preferredTimeWindowEnd = serializers.DateTimeField(allow_null=True)


class TargetOutput(serializers.Serializer):
    externalId = serializers.CharField()
    targetId = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    planning = PlanningOutput()
    customFields = serializers.DictField()
    customerMapping = CustomerMappingOutput()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
