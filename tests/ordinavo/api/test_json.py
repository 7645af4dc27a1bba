"""The API's JSON: the request parser and response renderer written with orjson read and write
what DRF's json-module ones read and write."""

import datetime as dt
import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import renderers
from rest_framework.exceptions import ErrorDetail, ParseError
from rest_framework.renderers import JSONRenderer

from ordinavo.api import parsers
from ordinavo.api.parsers import LimitedJSONParser
from ordinavo.api.renderers import OrjsonRenderer

# Text the parser stores: no NUL and no lone surrogate (refused on purpose, tested below).
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children),
    max_leaves=20,
)


def _parsed(raw: bytes):
    return LimitedJSONParser().parse(BytesIO(raw), parser_context={})


@given(JSON)
def test_the_parser_reads_what_the_json_module_reads(value):
    raw = json.dumps(value, ensure_ascii=False).encode()
    assert _parsed(raw) == json.loads(raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"n": 123456789012345678901234567890}', {"n": 123456789012345678901234567890}),
        (b'{"n": -9223372036854775809}', {"n": -9223372036854775809}),
        (b'{"a": 1, "a": 2}', {"a": 2}),
        (b"[1e400]", [float("inf")]),
        (b'"\\ud83d\\ude00"', "\U0001f600"),
    ],
)
def test_the_parser_reads_integers_beyond_64_bits_and_other_edges_exactly(raw, value):
    assert _parsed(raw) == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"x": NaN}', "NaN is not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"x": 1', "not valid JSON"),
        (b'{"s": "\\ud800"}', "unpaired UTF-16 surrogate"),
        (b'{"s": "\\u0000"}', "NUL character"),
    ],
)
def test_the_parser_refuses_what_it_refused_with_the_same_words(raw, message):
    with pytest.raises(ParseError, match=message):
        _parsed(raw)


RESPONSES = [
    {"createdAt": dt.datetime(2026, 7, 1, 8, 30, 15, 123456, tzinfo=dt.UTC), "n": 1},
    {"due": dt.date(2026, 7, 1), "amount": Decimal("12.5"), "ids": (1, 2)},
    {"detail": ErrorDetail("Bad.", code="invalid"), "title": gettext_lazy("Not found.")},
    {"text": "line\u2028break\u2029 ü", 7: "int key", "big": 2**70},
    [{"nested": [None, True, 0.1]}],
]


@pytest.mark.parametrize("data", RESPONSES)
def test_the_renderer_writes_what_drfs_renderer_writes(data):
    rendered = OrjsonRenderer().render(data, "application/json", {})
    expected = JSONRenderer().render(data, "application/json", {})
    assert json.loads(rendered) == json.loads(expected)
    assert (b"\\u2028" in rendered) == (b"\\u2028" in expected)
    assert b"\xe2\x80\xa8" not in rendered


def test_the_renderer_leaves_indented_output_to_drf():
    data = {"a": [1, 2]}
    rendered = OrjsonRenderer().render(data, "application/json; indent=2", {})
    assert rendered == JSONRenderer().render(data, "application/json; indent=2", {})
    assert b"\n  " in rendered


def _refuse(*args, **kwargs):
    raise AssertionError("the json module was used")


def test_the_parser_reads_with_orjson_and_turns_to_json_only_for_long_integers(monkeypatch):
    monkeypatch.setattr(parsers.json, "loads", _refuse)
    assert _parsed(b'{"items": [{"externalId": "JOB-1", "n": 12}]}') == {
        "items": [{"externalId": "JOB-1", "n": 12}]
    }
    with pytest.raises(AssertionError, match="json module"):
        _parsed(b'{"n": 12345678901234567890}')


def test_the_renderer_writes_with_orjson(monkeypatch):
    monkeypatch.setattr(renderers.json, "dumps", _refuse)
    assert OrjsonRenderer().render({"a": 1}, "application/json", {}) == b'{"a":1}'
