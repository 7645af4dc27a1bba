"""ordinavo.jsoncodec: orjson writes what the json module writes."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from mapping.choices import MappingStatus
from ordinavo.jsoncodec import json_dumps

JSON_VALUES = [
    {"when": dt.datetime(2026, 7, 1, 8, 30, 15, 123456, tzinfo=dt.UTC), "day": dt.date(2026, 7, 1)},
    {"amount": Decimal("12.50"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {1: "int key", "status": MappingStatus.CREATED, "nested": [{"a": None, "b": True}]},
    {"big": 2**70, "small": -(2**63), "ratio": 0.1, "text": 'Müller \u2028 "quoted"'},
    [],
    "plain",
]


@pytest.mark.parametrize("value", JSON_VALUES)
def test_json_dumps_writes_what_json_dumps_with_the_encoder_writes(value):
    written = json_dumps(DjangoJSONEncoder)(value)
    assert json.loads(written) == json.loads(json.dumps(value, cls=DjangoJSONEncoder))
