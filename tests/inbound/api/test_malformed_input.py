"""Arbitrary input to the two import endpoints never causes a server error, and every error answer
is an RFC 9457 problem.

Hypothesis sends arbitrary JSON values, arbitrary bytes, arbitrary Content-Type, Authorization
and Idempotency-Key header values, and the seed payload mutated field by field, to
POST inbound/targets and POST inbound/targets/batch through Django's test client. Properties:

- the status is never >= 500 (an unhandled exception fails the test with its traceback: the test
  client re-raises it);
- a non-2xx answer is `application/problem+json` with `type`, `title`, `status` and `detail`;
- every `errors` entry (a 422's, or a failed batch item's) names its `field` as a JSON pointer
  ("/" + ...) that resolves into the request body, up to a missing last member.

All examples of a test share one integration client and API key and run in the test's database
transaction (pytest-django `django_db`; a transactional test would flush every table after each
test, which costs seconds on PostgreSQL). Each request runs in a savepoint that an unhandled
exception rolls back, so a request that fails in the database cannot abort the transaction for
the examples after it.
Bounded and reproducible: `max_examples` per test, no deadline, `derandomize=True`, and only
the first failure of a test is shrunk and reported. `test_unstorable_characters_...` is not
random: it puts NUL and unpaired surrogates into every member of the seed payload.
"""

import copy
import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbound.api.examples import MINIMAL_TARGET, TARGET_WITH_CUSTOMER_MAPPING
from tests.api import BASE

pytestmark = pytest.mark.django_db

ENDPOINTS = ["inbound/targets", "inbound/targets/batch"]
CLIENT = Client()  # one handler for all requests (a new one would load the middleware again)
PROBLEM_CONTENT_TYPE = "application/problem+json"

BOUNDED = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    report_multiple_bugs=False,  # shrink the first failure only: a red run stays short too
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one client and key for all examples of a test
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# --- strategies ----------------------------------------------------------------------------------

# JSON numbers Python cannot produce with json.dumps: inserted into the wire text by `_dumps`.
HUGE_FLOAT = "\x01huge-float\x01"  # 1e400: json.loads makes it float("inf")
NEG_HUGE_FLOAT = "\x01neg-huge-float\x01"  # -1e400
HUGE_INT = "\x01huge-int\x01"  # 5000 digits: more than Python's int-string conversion limit
WIRE_LITERALS = {
    HUGE_FLOAT: "1e400",
    NEG_HUGE_FLOAT: "-1e400",
    HUGE_INT: "1" + "0" * 5000,
}

# Text with what JSON can carry but HTTP clients rarely send: NUL, lone surrogates (as \uXXXX
# escapes on the wire), control characters, astral characters, right-to-left marks.
nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\ud800", "\udfff", "\x1f", "\u202e", "\U0001f600", "~", "/"]),
    ),
    max_size=30,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    nasty_text,
    st.sampled_from([HUGE_FLOAT, NEG_HUGE_FLOAT, HUGE_INT]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), nasty_text), children, max_size=4),
    ),
    max_leaves=20,
)


def _long_string(length: int) -> st.SearchStrategy[str]:
    return st.sampled_from(["x", "ä", "\U0001f600", " ", "\x00", "9"]).map(lambda c: c * length)


long_strings = st.sampled_from(
    [1, 2, 3, 49, 50, 51, 99, 100, 101, 199, 200, 201, 254, 255, 256, 1001, 4001, 10_000, 100_000]
).flatmap(_long_string)
huge_numbers = st.sampled_from(
    [
        0,
        -1,
        -0.0,
        0.5,
        100_001,
        2**31,
        2**63,
        2**64,
        -(2**63) - 1,
        10**100,
        1e308,
        -1e308,
        5e-324,
        HUGE_FLOAT,
        NEG_HUGE_FLOAT,
        HUGE_INT,
    ]
)
tricky_strings = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\ud800",
        "null",
        "true",
        "NaN",
        "1e400",
        "de",
        "XX",
        "D\x00",
        "@",
        "a@b",
        "x" * 65 + "@example.com",
        "2026-02-30",
        "2026-07-01T25:00:00Z",
        "0000-01-01",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "2026-07-01T08:00:00+16:00",
        "2026-07-01T08:00:00",
        "High ",
        "high",
        "Company\x00",
    ]
)
# Tricky strings twice: the branches of one_of are drawn about equally often.
junk = st.one_of(tricky_strings, tricky_strings, long_strings, huge_numbers, json_values)

# Header values a WSGI server can hand over: latin-1 characters without CR, LF and NUL.
header_text = st.text(
    alphabet=st.one_of(
        st.just("\t"),
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    ),
    max_size=300,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    paths = []
    if isinstance(value, dict):
        for key, child in value.items():
            paths.append((*prefix, key))
            paths.extend(_paths(child, (*prefix, key)))
    return paths


def _get(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


SEED_PATHS = _paths(TARGET_WITH_CUSTOMER_MAPPING)
# A valid item next to a mutated one in a batch; not the seed's externalId, or the mutated item
# would only ever fail as a duplicate.
NEIGHBOUR = {**MINIMAL_TARGET, "externalId": "NEIGHBOUR-1"}
OBJECT_PATHS = [()] + [
    p for p in SEED_PATHS if isinstance(_get(TARGET_WITH_CUSTOMER_MAPPING, p), dict)
]

# One mutation: replace a seed member, delete it, or add an unknown member to an object.
mutations = st.one_of(
    st.tuples(st.just("replace"), st.sampled_from(SEED_PATHS), junk),
    st.tuples(st.just("delete"), st.sampled_from(SEED_PATHS), st.none()),
    st.tuples(
        st.just("add"),
        st.tuples(st.sampled_from(OBJECT_PATHS), st.one_of(st.text(max_size=12), nasty_text)),
        junk,
    ),
)


def _mutate(seed: dict, changes: list[tuple]) -> dict:
    body = copy.deepcopy(seed)
    for operation, where, value in changes:
        if operation == "add":
            path, name = where
            parent = _get(body, path) if _exists(body, path) else None
            if isinstance(parent, dict):
                parent[name] = value
            continue
        if not _exists(body, where):
            continue  # an earlier change removed or replaced an ancestor
        parent = _get(body, where[:-1])
        if not isinstance(parent, dict):
            continue
        if operation == "replace":
            parent[where[-1]] = value
        else:
            parent.pop(where[-1], None)
    return body


def _exists(value: Any, path: tuple) -> bool:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True


mutated_targets = st.lists(mutations, min_size=1, max_size=3).map(
    lambda changes: _mutate(TARGET_WITH_CUSTOMER_MAPPING, changes)
)

# --- helpers -------------------------------------------------------------------------------------


def _dumps(value: Any) -> bytes:
    text = json.dumps(value)  # ensure_ascii: lone surrogates travel as \uXXXX escapes
    for marker, literal in WIRE_LITERALS.items():
        text = text.replace(json.dumps(marker), literal)
    return text.encode()


def _post(endpoint: str, raw: bytes, content_type: str = "application/json", **headers: str):
    request = _describe(endpoint, raw, content_type, headers)
    try:
        with transaction.atomic():
            response = CLIENT.generic(
                "POST", BASE + endpoint, raw, content_type=content_type, headers=headers
            )
    except Exception as exc:  # the test client re-raises what the view did not handle
        exc.add_note(request)
        raise
    response.sent = request
    return response


def _describe(endpoint: str, raw: bytes, content_type: str, headers: dict[str, str]) -> str:
    """The request, for failure messages: Schemathesis' pytest plugin blanks the arguments in
    Hypothesis' own "Failing test case" report."""
    lines = [f"POST {BASE}{endpoint}", f"Content-Type: {content_type!r}"]
    lines += [f"{name}: {value!r}" for name, value in headers.items()]
    shown = raw if len(raw) <= 3000 else raw[:3000] + b"..."
    lines.append(f"body ({len(raw)} bytes): {shown!r}")
    return "Request:\n  " + "\n  ".join(lines)


def _bearer(caller) -> dict[str, str]:
    return {"Authorization": f"Bearer {caller.key}"}


def _batch(*items: Any) -> dict:
    return {"items": list(items)}


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _resolves(document: Any, pointer: str) -> bool:
    """Whether an RFC 6901 pointer leads into `document`, its last member possibly missing
    (a required member that was not sent)."""
    if pointer == "":
        return True
    if not pointer.startswith("/"):
        return False
    tokens = [_unescape(t) for t in pointer[1:].split("/")]
    value = document
    for position, token in enumerate(tokens):
        last = position == len(tokens) - 1
        if isinstance(value, dict):
            if token not in value:
                return last
            value = value[token]
        elif isinstance(value, list):
            if not token.isdigit() or int(token) >= len(value):
                return False
            value = value[int(token)]
        else:
            return False
    return True


def _check_errors(errors: Any, document: Any, request: str) -> None:
    assert isinstance(errors, list), request
    assert errors, f"an errors list is never empty\n{request}"
    for error in errors:
        assert {"field", "code", "message"} <= set(error), f"{error}\n{request}"
        field = error["field"]
        assert isinstance(field, str), f"{error}\n{request}"
        assert field.startswith("/"), f"field is not a JSON pointer: {error}\n{request}"
        assert _resolves(document, field), f"field points outside the body: {error}\n{request}"


def _check(response, document: Any = None) -> Any:
    """The answer is no server error; an error is a problem; field errors point into `document`
    (the parsed request body, when it was JSON)."""
    request = response.sent
    assert response.status_code < 500, f"{response.content[:2000]!r}\n{request}"
    content_type = response["Content-Type"]
    body = json.loads(response.content)
    if 200 <= response.status_code < 300:
        assert content_type == "application/json", f"{content_type}\n{request}"
        assert isinstance(body["importJobId"], int), request
        for item in body["items"]:
            if "errors" in item and document is not None:
                _check_errors(item["errors"], document, request)
        return body
    summary = f"{response.status_code} {content_type} {body}\n{request}"
    assert content_type == PROBLEM_CONTENT_TYPE, summary
    assert {"type", "title", "status", "detail"} <= set(body), summary
    assert body["status"] == response.status_code, summary
    assert all(isinstance(body[k], str) for k in ("type", "title", "detail")), summary
    if response.status_code == 422 and "errors" in body and document is not None:
        _check_errors(body["errors"], document, request)
    return body


def _wire_document(raw: bytes) -> Any:
    """The request body as the server parses it, or None when it is no JSON to the server."""
    try:
        return json.loads(raw, parse_constant=lambda name: None)
    except ValueError:  # e.g. an integer beyond Python's int-string conversion limit
        return None


# --- tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@BOUNDED
@given(
    body=st.one_of(
        json_values,
        st.dictionaries(
            st.sampled_from(sorted(TARGET_WITH_CUSTOMER_MAPPING)), json_values, max_size=8
        ),
        st.lists(json_values, max_size=4).map(lambda items: _batch(*items)),
        st.lists(st.one_of(json_values, st.just(MINIMAL_TARGET), mutated_targets), max_size=4).map(
            lambda items: _batch(*items)
        ),
    )
)
def test_any_json_body_gets_an_answer_or_a_problem(caller, endpoint, body):
    raw = _dumps(body)
    _check(_post(endpoint, raw, **_bearer(caller)), _wire_document(raw))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@BOUNDED
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        json_values.map(_dumps).flatmap(
            lambda raw: st.sampled_from(
                [raw, raw[: len(raw) // 2], raw + b"x", b"\xef\xbb\xbf" + raw, raw * 2]
            )
        ),
        st.text(max_size=100).map(lambda text: text.encode("utf-16")),
    )
)
def test_any_bytes_body_gets_an_answer_or_a_problem(caller, endpoint, raw):
    _check(_post(endpoint, raw, **_bearer(caller)))


EDGE_BODIES = {
    "empty": b"",
    "null": b"null",
    "nan": b"NaN",
    "nan-members": b'{"externalId": NaN, "title": Infinity}',
    "huge-float": b"1e400",
    "int-over-digit-limit": b'{"externalId": ' + b"9" * 5000 + b"}",
    "utf16-bom": b"\xff\xfe{\x00}\x00",
    "lone-surrogate": b'"\\ud800"',
    "unclosed-deep-array": b"[" * 100_000,
    **{
        f"batch-depth-{depth}": b'{"items": [' + b"[" * depth + b"]" * depth + b"]}"
        for depth in (100, 500, 900, 990, 1100, 5000)
    },
    **{
        f"custom-field-depth-{depth}": b'{"externalId": "D-1", "title": "t", "customFields": '
        + b'{"a": '
        + b"[" * depth
        + b"]" * depth
        + b"}}"
        for depth in (100, 900, 990, 1100)
    },
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_edge_case_bodies_get_an_answer_or_a_problem(caller, endpoint):
    failures = []
    for name, raw in EDGE_BODIES.items():
        try:
            _check(_post(endpoint, raw, **_bearer(caller)))
        except Exception as exc:  # collect them all: one request per edge case
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"{name}: {type(exc).__name__}: {exc}\n{notes}"[:2000])
    assert not failures, f"{len(failures)} of {len(EDGE_BODIES)} failed:\n" + "\n\n".join(failures)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@BOUNDED
@given(
    content_type=st.one_of(
        header_text,
        st.sampled_from(
            [
                "",
                "application/json",
                "application/json; charset=utf-8",
                "application/json; charset=latin-1",
                "application/json; charset=nonsense",
                "application/json;;;",
                "application/JSON",
                "application/problem+json",
                "application/merge-patch+json",
                "text/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "multipart/form-data; boundary=",
                'multipart/form-data; boundary="x"',
                "*/*",
                "application/*",
                "/",
                ";",
            ]
        ),
        header_text.map(lambda suffix: "application/json;" + suffix),
    ),
    body=st.sampled_from([MINIMAL_TARGET, _batch(MINIMAL_TARGET), "x"]),
)
def test_any_content_type_gets_an_answer_or_a_problem(caller, endpoint, content_type, body):
    raw = _dumps(body)
    _check(_post(endpoint, raw, content_type, **_bearer(caller)), _wire_document(raw))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@BOUNDED
@given(data=st.data())
def test_any_authorization_and_idempotency_key_get_an_answer_or_a_problem(caller, endpoint, data):
    authorization = data.draw(
        st.one_of(
            st.none(),
            header_text,
            header_text.map(lambda key: f"Bearer {key}"),
            st.sampled_from(
                [
                    f"Bearer {caller.key}",
                    f"bearer {caller.key}",
                    f"Bearer  {caller.key}",
                    f"Bearer {caller.key} ",
                    f"Bearer {caller.key}x",
                    f"Bearer {caller.key[:-1]}",
                    f"Bearer {caller.key.split('.')[0]}",
                    f"Bearer {caller.key.split('.')[0]}.",
                    f"Bearer .{caller.key.split('.')[-1]}",
                    f"Bearer {caller.key}\xe4",
                    f"Basic {caller.key}",
                    caller.key,
                ]
            ),
        ),
        label="Authorization",
    )
    idempotency_key = data.draw(
        st.one_of(
            st.none(),
            header_text,
            st.sampled_from(["k1", "k2", "x" * 255, "x" * 256, " ", "\xe4", "\t", ""]),
        ),
        label="Idempotency-Key",
    )
    body = data.draw(
        st.sampled_from(
            [
                MINIMAL_TARGET,
                {**MINIMAL_TARGET, "title": "Another title"},
                TARGET_WITH_CUSTOMER_MAPPING,
                _batch(MINIMAL_TARGET),
                _batch(TARGET_WITH_CUSTOMER_MAPPING, {**MINIMAL_TARGET, "externalId": "J-2"}),
            ]
        ),
        label="body",
    )
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    raw = _dumps(body)

    _check(_post(endpoint, raw, **headers), _wire_document(raw))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@BOUNDED
@given(target=mutated_targets, idempotency_key=st.one_of(st.none(), st.sampled_from(["m1", "m2"])))
def test_mutated_seed_payload_gets_an_answer_or_field_errors(
    caller, endpoint, target, idempotency_key
):
    body = target if endpoint == "inbound/targets" else _batch(NEIGHBOUR, target)
    raw = _dumps(body)
    headers = _bearer(caller)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key

    response = _post(endpoint, raw, **headers)

    answer = _check(response, _wire_document(raw))
    if response.status_code == 422 and endpoint == "inbound/targets/batch":
        # Per-item problems never fail the whole batch; only the envelope or the key can.
        assert "errors" not in answer or answer["errors"][0]["field"] == "/items", response.sent


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("value", "idempotency_key"),
    [
        pytest.param("a\x00b", None, id="nul"),
        pytest.param("\ud800", None, id="lone-surrogate"),
        pytest.param("x\udfff", "surrogate", id="lone-surrogate-idempotent"),
    ],
)
def test_unstorable_characters_in_any_member_get_an_answer_or_field_errors(
    caller, endpoint, value, idempotency_key
):
    """JSON can carry NUL and unpaired surrogates (as \\u escapes); UTF-8 and PostgreSQL cannot.
    Random mutation rarely puts them exactly where they hurt, so every member gets them here."""
    changes = [[("replace", path, value)] for path in SEED_PATHS]
    changes += [
        [("add", ((), "unknownMember"), value)],
        [("add", (("customer",), "unknownMember"), value)],
        [("add", (("customFields",), value), "v")],
        [("add", (("customFields",), "k"), value)],
    ]
    failures = []
    for number, change in enumerate(changes):
        target = _mutate(TARGET_WITH_CUSTOMER_MAPPING, change)
        if change[0][1] != ("externalId",):
            target["externalId"] = f"J-{number}"  # a new target each time
        body = target if endpoint == "inbound/targets" else _batch(NEIGHBOUR, target)
        raw = _dumps(body)
        headers = _bearer(caller)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = f"{idempotency_key}-{number}"
        try:
            _check(_post(endpoint, raw, **headers), _wire_document(raw))
        except Exception as exc:  # collect them all: one request per member
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"{change[0][:2]}: {type(exc).__name__}: {exc}\n{notes}"[:2000])
    assert not failures, f"{len(failures)} of {len(changes)} failed:\n" + "\n\n".join(failures)
