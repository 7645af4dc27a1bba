"""The fast validation path gives exactly what the TargetInput serializer gives.

For any input, `FastValidator(TargetInput()).validated(raw)` is either equal to
`TargetInput().run_validation(raw)`, or None where the serializer raises a ValidationError.
Hypothesis
mutates the seed payload member by member with values at and across every boundary the fields have
(blank, whitespace, lengths, numbers as strings, bools, out-of-range numbers, unknown choices,
nulls, wrong types).
"""

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from inbound.api.examples import CURL_TARGET, MINIMAL_TARGET, TARGET_WITH_CUSTOMER_MAPPING
from inbound.api.fast_validation import FastValidator
from inbound.api.serializers import TargetInput

REMOVED = object()
TARGET_WITH_WEBSITE = {
    **TARGET_WITH_CUSTOMER_MAPPING,
    "customer": {**TARGET_WITH_CUSTOMER_MAPPING["customer"], "website": "https://rrm.example.de"},
}
SEED_PAYLOADS = [MINIMAL_TARGET, CURL_TARGET, TARGET_WITH_CUSTOMER_MAPPING, TARGET_WITH_WEBSITE]
SERIALIZER = TargetInput()
VALIDATOR = FastValidator(TargetInput())

BOUNDED = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DATETIMES = [
    *("2026-07-01T08:00:00+02:00", "2026-07-01T08:00Z", "2026-07-01T08:00:00.5-03:30"),
    *("2026-07-01T08:00:00.123456Z", "2026-07-01T08:00:00.1234567Z", "2026-07-01T08:00:00"),
    *("2026-07-01 08:00:00+00:00", "2026-07-01T25:00:00Z", "2026-02-30T08:00:00Z"),
    *("0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00", "2026-07-01T08:00:00+2400"),
    *("2026-07-01T08:00:00+14:00", "2026-07-01T08:00:00-00:00", "2026-07-01T08:00:00+05:45"),
]
FIXED_EDGE_VALUES = [
    *(None, True, False, 0, 1, -1, 45, 100_000, 100_001, 90, 91, -90, -91, 180, 181, -181),
    *(10**20, 0.5, 51.451, float("inf"), float("nan"), "", " ", "  x  ", "x", "45", "4.5"),
    *("1e3", "true", "High", "high", "DE", "de", "XX", "2026-07-01", "2026-07-01T08:00:00Z"),
    *("not-a-date", "a@b.de", "anna@", "Person", "Company", "Email", " High", "x" * 101),
    *("x" * 300, "\x00", "a\x00b", "\ud800", "Ünïcödé", "\t", "x" * 100, "x" * 255, [], {}),
    *([1], {"a": 1}, "2026-02-30", "2026-7-1", "20260701", "2026-07-01 "),
    *("javascript:alert(1)", "https://example.de", " http://example.de/a?b ", "ftp://example.de"),
    *("www.example.de", "https://", "http://exa mple.de", "https://ex\x00.de", "HTTPS://EX.DE"),
    "\uff12\uff10\uff12\uff16-07-01",  # full-width digits
    *DATETIMES,
    *("a@b", " a@b.de ", "ünï@exämple.de", "a@b.de\n", "a..b@c.de", "@b.de", "a@[127.0.0.1]"),
]
EDGE_VALUES = st.one_of(
    st.sampled_from(FIXED_EDGE_VALUES),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0, 1, -1, 45, 100_000, 100_001, 90, 91, -180, 181, 10**20]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "  x  ", "x", "45", "4.5", "1e3", "true", "High", "high", "DE"]),
    st.sampled_from(["de", "XX", "2026-07-01", "2026-07-01T08:00:00Z", "not-a-date", "a@b.de"]),
    st.sampled_from(["anna@", "Person", "Company", "Email", " High", "x" * 101, "x" * 300]),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "Ünïcödé", "  ", "\t", "x" * 100, "x" * 255]),
    st.sampled_from(["javascript:alert(1)", "https://example.de", "data:,x", "http://[::1]/"]),
    st.builds("https://{}.de".format, st.text(max_size=10)),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _members(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into a payload (objects only), its members' and its own."""
    paths = [path]
    if isinstance(value, dict):
        for key, member in value.items():
            paths += _members(member, (*path, key))
    return paths


@st.composite
def mutated_payloads(draw) -> dict:
    payload = copy.deepcopy(draw(st.sampled_from(SEED_PAYLOADS)))
    paths = [p for p in _members(payload) if p]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(paths))
        parent = payload
        for key in path[:-1]:
            if not isinstance(parent.get(key), dict):
                break
            parent = parent[key]
        else:
            if draw(st.booleans()) and draw(st.booleans()):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(EDGE_VALUES)
    if draw(st.booleans()):
        payload[draw(st.sampled_from(["extra", "customFields", "unknownBlock"]))] = draw(
            st.one_of(EDGE_VALUES, st.dictionaries(st.text(max_size=8), EDGE_VALUES, max_size=3))
        )
    return payload


def _serializer_result(raw: Any) -> Any | None:
    try:
        return SERIALIZER.run_validation(raw)
    except serializers.ValidationError:
        return None


@pytest.mark.parametrize("payload", SEED_PAYLOADS, ids=["minimal", "curl", "mapping", "website"])
def test_seed_payloads_give_what_the_serializer_gives(payload):
    expected = _serializer_result(payload)

    assert expected is not None
    assert VALIDATOR.validated(payload) == expected


def test_every_member_set_to_every_edge_value_or_removed_gives_what_the_serializer_gives():
    base = TARGET_WITH_WEBSITE
    checked = 0
    for path in [p for p in _members(base) if p]:
        for value in [*FIXED_EDGE_VALUES, REMOVED]:
            raw = copy.deepcopy(base)
            parent = raw
            for key in path[:-1]:
                parent = parent[key]
            if value is REMOVED:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value

            assert VALIDATOR.validated(raw) == _serializer_result(raw), (path, value)
            checked += 1
    assert checked > 1000


@BOUNDED
@given(mutated_payloads())
def test_any_payload_gives_what_the_serializer_gives_or_none_where_it_fails(raw):
    expected = _serializer_result(raw)

    assert VALIDATOR.validated(raw) == expected


def test_plain_values_do_not_go_through_drf_field_validation(monkeypatch):
    calls: list[str] = []
    for field_class in (
        serializers.CharField,
        serializers.EmailField,
        serializers.ChoiceField,
        serializers.IntegerField,
        serializers.FloatField,
        serializers.DateField,
        serializers.DateTimeField,
    ):
        original = field_class.run_validation

        def spy(self, data=serializers.empty, _original=original):
            calls.append(self.field_name)
            return _original(self, data)

        monkeypatch.setattr(field_class, "run_validation", spy)

    validated = VALIDATOR.validated(TARGET_WITH_CUSTOMER_MAPPING)

    assert validated["location"]["latitude"] == 51.451
    assert validated["contact"]["email"] == "anna.weber@example.com"
    assert validated["planning"]["due_date"].isoformat() == "2026-07-01"
    assert validated["planning"]["preferred_time_window_start"] is not None
    assert calls == []


@pytest.mark.parametrize("value", DATETIMES)
def test_a_date_and_time_comes_back_in_the_same_zone_as_from_the_serializer(value):
    """Equal datetimes may differ in their zone; the fast path gives the serializer's."""
    raw = copy.deepcopy(TARGET_WITH_CUSTOMER_MAPPING)
    raw["planning"]["preferredTimeWindowStart"] = value
    raw["planning"].pop("preferredTimeWindowEnd", None)

    expected, fast = _serializer_result(raw), VALIDATOR.validated(raw)

    if expected is None:
        assert fast is None
    else:
        start = expected["planning"]["preferred_time_window_start"]
        assert fast["planning"]["preferred_time_window_start"].isoformat() == start.isoformat()
        assert fast["planning"]["preferred_time_window_start"].tzinfo == start.tzinfo


def test_a_serializer_the_fast_path_cannot_mirror_is_refused():
    class Custom(serializers.Serializer):
        name = serializers.CharField()

        def to_internal_value(self, data):
            return {"name": "changed"}

    with pytest.raises(ValueError, match="to_internal_value"):
        FastValidator(Custom())


def test_a_partial_serializer_skips_every_absent_field_as_drf_does():
    partial_serializer = TargetInput(partial=True)
    partial_validator = FastValidator(TargetInput(partial=True))
    for path in [p for p in _members(TARGET_WITH_WEBSITE) if p]:
        raw = copy.deepcopy(TARGET_WITH_WEBSITE)
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]  # a required member too: a partial update skips it

        try:
            expected = partial_serializer.run_validation(raw)
        except serializers.ValidationError:
            expected = None
        assert partial_validator.validated(raw) == expected, path
    assert partial_validator.validated({}) == partial_serializer.run_validation({})
