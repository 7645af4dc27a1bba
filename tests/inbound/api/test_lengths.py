"""Every string the API takes is as long as the column it goes to: a value at the limit is stored
whole, one character more is a 422 naming the field, and neither is ever a database error."""

import pytest
from rest_framework import serializers

from customers.models import Contact, Customer, Location
from inbound.api.examples import MINIMAL_TARGET
from inbound.api.serializers import (
    EXTERNAL_ID_MAX,
    ContactInput,
    CustomerInput,
    LocationInput,
    TargetInput,
)
from inbound.models import ImportItem, ImportJob, Target
from mapping.models import ExternalReference

pytestmark = pytest.mark.django_db

RECORDS = {
    "customer": (CustomerInput, Customer),
    "location": (LocationInput, Location),
    "contact": (ContactInput, Contact),
}
TOP_LEVEL = "target"
SERIALIZERS = {TOP_LEVEL: (TargetInput, Target), **RECORDS}


def _string_fields(serializer: serializers.Serializer) -> dict[str, serializers.CharField]:
    """The API names of the free-text fields (external IDs and the country code aside)."""
    return {
        name: field
        for name, field in serializer.fields.items()
        if isinstance(field, serializers.CharField) and name not in ("externalId", "country")
    }


def _value(name: str, length: int) -> str:
    if name == "email":  # a valid address of exactly `length` characters
        domain = ".".join(["d" * 60] * 3) + ".de"
        return "a" * (length - len(domain) - 1) + "@" + domain
    if name == "website":  # a valid http(s) URL of exactly `length` characters
        return "https://example.de/" + "ß" * (length - len("https://example.de/"))
    # ß normalizes to "ss": derived matching columns (normalized name, street key) grow.
    return "ß" * length


def _cases() -> list[tuple[str, str, int]]:
    return [
        (record, name, field.max_length)
        for record, (serializer, _) in SERIALIZERS.items()
        for name, field in _string_fields(serializer()).items()
    ]


def _body(values: dict[str, dict[str, str]]) -> dict:
    body = {**MINIMAL_TARGET, **values.get(TOP_LEVEL, {})}
    for record in RECORDS:
        body[record] = {"externalId": "X" * EXTERNAL_ID_MAX, **values.get(record, {})}
    body["location"] |= {"country": "DE", "latitude": 51.4, "longitude": 7.0}
    return body


@pytest.mark.parametrize(("record", "name", "length"), _cases())
def test_each_string_field_is_as_long_as_its_model_field(record, name, length):
    serializer, model = SERIALIZERS[record]
    source = serializer().fields[name].source

    assert length == model._meta.get_field(source).max_length


def test_external_ids_fit_every_column_that_holds_them():
    for model in (ExternalReference, Target, ImportItem):
        assert model._meta.get_field("external_id").max_length >= EXTERNAL_ID_MAX


def test_every_string_at_its_limit_is_stored_whole(make_caller):
    caller = make_caller(allow_contact_create=True)
    values: dict[str, dict[str, str]] = {}
    for record, name, length in _cases():
        values.setdefault(record, {})[name] = _value(name, length)
    values[TOP_LEVEL]["externalId"] = "T" * EXTERNAL_ID_MAX

    response = caller.post("inbound/targets", _body(values))

    assert response.status_code == 200, response.content
    item = response.json()["items"][0]
    assert (item["status"], item["customerMapping"]["status"]) == ("Imported", "Created")
    stored = {
        TOP_LEVEL: Target.objects.get(),
        "customer": Customer.objects.get(),
        "location": Location.objects.get(),
        "contact": Contact.objects.get(),
    }
    for record, fields in values.items():
        serializer = SERIALIZERS[record][0]()
        for name, value in fields.items():
            if name != "externalId":
                assert getattr(stored[record], serializer.fields[name].source) == value
    assert stored[TOP_LEVEL].external_id == "T" * EXTERNAL_ID_MAX
    assert set(ExternalReference.objects.values_list("external_id", flat=True)) == {
        "X" * EXTERNAL_ID_MAX
    }


@pytest.mark.parametrize(
    ("record", "name", "length"),
    [*_cases(), *((record, "externalId", EXTERNAL_ID_MAX) for record in SERIALIZERS)],
)
def test_one_character_over_the_limit_is_422_naming_the_field(caller, record, name, length):
    body = _body({record: {name: _value(name, length + 1)}})

    response = caller.post("inbound/targets", body)

    pointer = f"/{name}" if record == TOP_LEVEL else f"/{record}/{name}"
    assert response.status_code == 422, response.content
    assert pointer in {error["field"] for error in response.json()["errors"]}
    assert not ImportJob.objects.exists()
    assert not Target.objects.exists()


def test_a_custom_field_name_over_100_characters_is_422(caller):
    at_limit = caller.post("inbound/targets", {**MINIMAL_TARGET, "customFields": {"k" * 100: 1}})
    over = caller.post(
        "inbound/targets", {**MINIMAL_TARGET, "externalId": "J-2", "customFields": {"k" * 101: 1}}
    )

    assert at_limit.status_code == 200
    assert Target.objects.get().custom_fields == {"k" * 100: 1}
    assert over.status_code == 422
    assert {e["field"]: e["code"] for e in over.json()["errors"]} == {"/customFields": "key_length"}


def test_a_batch_holds_at_most_500_items_by_default(caller):
    items = [{**MINIMAL_TARGET, "externalId": f"J-{n}"} for n in range(501)]

    over = caller.post("inbound/targets/batch", {"items": items})

    assert over.status_code == 422
    assert {e["field"]: e["code"] for e in over.json()["errors"]} == {"/items": "batch_size"}
    assert not ImportJob.objects.exists()
