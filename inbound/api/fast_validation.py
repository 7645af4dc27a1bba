"""A fast path through the input serializers for values that are plainly valid.

DRF validates a field in about ten calls (get_value, validate_empty_values, to_internal_value,
each validator, set_value, ...), which made validation a third of a batch import's time. This
module compiles a serializer once into a plan of its fields and, for the common types, checks a
value in one step; anything it does not handle goes through that field's own `run_validation`.
The serializer stays the one definition of the input: names, sources, lengths, choices and the
`validate_<field>` and `validate` methods all come from it.

`validated(raw)` returns exactly what `serializer.run_validation(raw)` returns, or None when the
input is not valid; the caller then runs the serializer for its error details.
tests/inbound/api/test_fast_validation.py holds the two to the same results.
"""

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import (
    EmailValidator,
    MaxLengthValidator,
    MinLengthValidator,
    URLValidator,
)
from rest_framework import ISO_8601, serializers
from rest_framework.fields import (
    ProhibitNullCharactersValidator,
    ProhibitSurrogateCharactersValidator,
    SkipField,
    empty,
)
from rest_framework.settings import api_settings

_SURROGATE = re.compile("[\ud800-\udfff]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# An ISO 8601 date and time with its UTC offset: the form integrations send.
_ISO_DATETIME_WITH_OFFSET = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
_NOT_HANDLED = object()

# A checker returns the validated value, or _NOT_HANDLED to let the field validate it.
Checker = Callable[[Any], Any]


def _char_checker(field: serializers.CharField) -> Checker | None:
    """CharField and EmailField: the length, NUL and surrogate validators are checked here;
    any other validator (EmailField's, a URL's) is called as the field would call it."""
    known = (
        MaxLengthValidator,
        MinLengthValidator,
        ProhibitNullCharactersValidator,
        ProhibitSurrogateCharactersValidator,
    )
    if type(field) not in (serializers.CharField, serializers.EmailField):
        return None
    if not field.trim_whitespace:
        return None
    others = [v for v in field.validators if type(v) not in known]
    if any(type(v) not in (EmailValidator, URLValidator) for v in others):
        return None
    low = field.min_length or 0
    high = field.max_length if field.max_length is not None else math.inf

    def check(value: Any) -> Any:
        if type(value) is not str:
            return _NOT_HANDLED
        text = value.strip()
        if not text or not low <= len(text) <= high or "\x00" in text:
            return _NOT_HANDLED  # blank, too short or long, NUL: the field decides (or fails)
        if not text.isascii() and _SURROGATE.search(text):
            return _NOT_HANDLED
        try:
            for validator in others:
                validator(text)
        except DjangoValidationError:
            return _NOT_HANDLED
        return text

    return check


def _date_checker(field: serializers.Field) -> Checker | None:
    """An ISO date (YYYY-MM-DD), where ISO 8601 is the field's only input format."""
    if type(field) is not serializers.DateField or field.validators:
        return None
    if list(getattr(field, "input_formats", api_settings.DATE_INPUT_FORMATS)) != [ISO_8601]:
        return None

    def check(value: Any) -> Any:
        if type(value) is str and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        return _NOT_HANDLED

    return check


def _datetime_checker(field: serializers.Field) -> Checker | None:
    """An ISO date and time with a UTC offset, where ISO 8601 is the field's only input format:
    parsed as Django's parse_datetime does (fromisoformat) and put into the field's time zone by
    the field's own `enforce_timezone`. Naive and other forms are left to the field."""
    if type(field) is not serializers.DateTimeField or field.validators:
        return None
    if list(getattr(field, "input_formats", api_settings.DATETIME_INPUT_FORMATS)) != [ISO_8601]:
        return None

    def check(value: Any) -> Any:
        if type(value) is not str or not _ISO_DATETIME_WITH_OFFSET.fullmatch(value):
            return _NOT_HANDLED
        try:
            return field.enforce_timezone(datetime.fromisoformat(value))
        except (ValueError, OverflowError, serializers.ValidationError):
            return _NOT_HANDLED

    return check


def _choice_checker(field: serializers.ChoiceField) -> Checker | None:
    if type(field) is not serializers.ChoiceField or field.validators:
        return None
    choices = {str(key): key for key in field.choices}  # what the field looks a value up in

    def check(value: Any) -> Any:
        if type(value) is str and value in choices:
            return choices[value]
        return _NOT_HANDLED

    return check


def _number_checker(field: serializers.Field) -> Checker | None:
    if type(field) is serializers.IntegerField:
        accepted: tuple[type, ...] = (int,)
        convert: Callable[[Any], Any] = int
    elif type(field) is serializers.FloatField:
        accepted, convert = (int, float), float
    else:
        return None
    low = field.min_value if field.min_value is not None else -math.inf
    high = field.max_value if field.max_value is not None else math.inf
    if len(field.validators) != (field.min_value is not None) + (field.max_value is not None):
        return None  # validators other than the range

    def check(value: Any) -> Any:
        # type() and not isinstance(): bool is an int, and DRF treats it differently.
        if type(value) in accepted and low <= value <= high:
            number = convert(value)
            if math.isfinite(number):
                return number
        return _NOT_HANDLED

    return check


# The serializers' own to_internal_value may only be DRF's, or one that ends in a
# `to_internal_value_finish(validated)` hook, which the fast path calls too.
SUPPORTED_TO_INTERNAL_VALUE = {serializers.Serializer.to_internal_value}


def supports_to_internal_value(cls: type) -> type:
    """Class decorator: `cls.to_internal_value` is DRF's followed by `to_internal_value_finish`."""
    SUPPORTED_TO_INTERNAL_VALUE.add(cls.to_internal_value)
    return cls


class FastValidator:
    """The compiled plan of one serializer (and, recursively, of its nested serializers)."""

    def __init__(self, serializer: serializers.Serializer, *, partial: bool | None = None):
        """The plan of `serializer`, from its public API: its writable `fields`, and per field
        `source`, `required`, `default` and `allow_null` (DRF's documented field arguments)."""
        if serializer.validators:
            raise ValueError("serializer-level validators are not supported")
        to_internal_value = type(serializer).to_internal_value
        if to_internal_value not in SUPPORTED_TO_INTERNAL_VALUE:
            raise ValueError(f"{type(serializer).__name__}.to_internal_value is not supported")
        self.serializer = serializer
        # A partial update skips every absent field (the root serializer's `partial`).
        self.partial = serializer.partial if partial is None else partial
        # Per field, what the loop below needs, looked up once: name, attribute, whether an
        # absent value is skipped, whether null is allowed, its checker (None: the field
        # validates every value), the field and its `validate_<name>` method.
        self.plan: list[tuple] = []
        for field in serializer.fields.values():
            if field.read_only:
                continue
            if field.source == "*" or "." in field.source:
                raise ValueError(f"{field.field_name}: only plain sources are supported")
            self.plan.append(
                (
                    field.field_name,
                    field.source,
                    # Absent: skipped when partial or optional without a default; otherwise the
                    # field gives its default or its "required" error (run_validation below).
                    self.partial or (not field.required and field.default is empty),
                    field.allow_null,
                    self._checker_of(field, self.partial),
                    field,
                    getattr(serializer, f"validate_{field.field_name}", None),
                )
            )

    @staticmethod
    def _checker_of(field: serializers.Field, partial: bool) -> Checker | None:
        if isinstance(field, serializers.Serializer):
            return FastValidator(
                field, partial=partial
            ).validated_or_raise  # never _NOT_HANDLED: it raises
        return (
            _char_checker(field)
            or _choice_checker(field)
            or _number_checker(field)
            or _date_checker(field)
            or _datetime_checker(field)
        )

    def validated_or_raise(self, data: Any) -> Any:
        """What `serializer.run_validation(data)` returns; raises (any error) when it would."""
        serializer = self.serializer
        is_empty, data = serializer.validate_empty_values(data)
        if is_empty:
            return data
        if not isinstance(data, dict):
            raise serializers.ValidationError("not an object")
        validated: dict[str, Any] = {}
        for name, attribute, skip_absent, allow_null, checker, field, method in self.plan:
            value = data.get(name, empty)
            if value is empty and skip_absent:
                continue  # absent and optional, without a default: DRF skips it
            if value is empty or (value is None and not allow_null):
                try:
                    value = field.run_validation(value)  # a default, or the field's error
                except SkipField:
                    continue
            elif value is not None:  # an allowed null stays None, as in DRF
                checked = _NOT_HANDLED if checker is None else checker(value)
                value = field.run_validation(value) if checked is _NOT_HANDLED else checked
            if method is not None:
                value = method(value)
            validated[attribute] = value
        finish = getattr(serializer, "to_internal_value_finish", None)
        if finish is not None:
            validated = finish(validated)
        return serializer.validate(validated)

    def validated(self, data: Any) -> Any | None:
        try:
            return self.validated_or_raise(data)
        except (serializers.ValidationError, DjangoValidationError):
            return None
