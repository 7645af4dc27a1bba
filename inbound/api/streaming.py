"""Reading the body of an asynchronous import as it arrives: NDJSON line by line, or a JSON
`{"items": [...]}` with an incremental parser (ijson), never the whole body at once.

Each item comes out as (its JSON text in UTF-8, its parsed value). A body that is not what it
says it is (not JSON, not NDJSON, not UTF-8, over a limit) raises here, which refuses the whole
request; an item that is JSON but no valid target is the worker's to report as Failed.
"""

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import ijson
import orjson
from rest_framework.exceptions import ParseError

from ordinavo.api.parsers import (
    SUSPICIOUS_ESCAPE,
    PayloadTooLarge,
    json_loads_strict,
    unstorable_text,
)
from ordinavo.api.problems import ValidationProblem

READ_SIZE = 256 * 1024
# An escape split across two reads is still found: the tail of the previous read is searched
# again with the next one.
_ESCAPE_OVERLAP = 16


class BodyReader:
    """The request body as a file for parsers: counts and hashes what is read and refuses more
    than `limit` bytes (413) as soon as it arrives."""

    def __init__(self, stream, *, limit: int, declared_length: int | None = None):
        if declared_length is not None and declared_length > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        self._stream = stream
        self.limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        self._tail = b""
        self.suspicious = False  # an escape for a NUL or a surrogate was read

    def read(self, size: int = READ_SIZE) -> bytes:
        if size == 0:  # ijson asks for nothing, to learn whether the file gives bytes
            return b""
        want = min(size if size > 0 else READ_SIZE, self.limit + 1 - self.size)
        block = self._stream.read(max(want, 1))
        self.size += len(block)
        if self.size > self.limit:
            raise PayloadTooLarge(f"The request body is larger than {self.limit} bytes.")
        self._hash.update(block)
        if not self.suspicious and SUSPICIOUS_ESCAPE.search(self._tail + block):
            self.suspicious = True
        self._tail = block[-_ESCAPE_OVERLAP:]
        return block

    def fingerprint(self, content_type: str) -> str:
        """SHA-256 of the media type and the body: what an Idempotency-Key's replay compares."""
        digest = self._hash.copy()
        digest.update(b"\0" + content_type.encode())
        return digest.hexdigest()


def _too_many(limit: int, pointer: str) -> ValidationProblem:
    return ValidationProblem(
        [
            {
                "field": pointer,
                "code": "batch_size",
                "message": f"An asynchronous import has 1 to {limit} items, not more.",
            }
        ]
    )


def _storable(value: Any, where: str) -> None:
    problem = unstorable_text(value)
    if problem:
        raise ParseError(f"{where} contains {problem}, which cannot be stored.")


def ndjson_items(reader: BodyReader, *, max_items: int) -> Iterator[tuple[bytes, Any]]:
    """One item per non-blank line (`\\n` or `\\r\\n`)."""
    pending = b""
    line_number = 0
    count = 0

    def item(line: bytes) -> tuple[bytes, Any] | None:
        nonlocal count
        line = line.strip()
        if not line:
            return None
        try:
            value = json_loads_strict(line)
        except UnicodeDecodeError as exc:
            raise ParseError(f"Line {line_number} is not UTF-8.") from exc
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"Line {line_number} is not valid JSON: {exc}") from exc
        if SUSPICIOUS_ESCAPE.search(line):
            _storable(value, f"Line {line_number}")
        count += 1
        if count > max_items:
            raise _too_many(max_items, "")
        return line, value

    while block := reader.read(READ_SIZE):
        lines = (pending + block).split(b"\n")
        pending = lines.pop()
        for line in lines:
            line_number += 1
            if (found := item(line)) is not None:
                yield found
    if pending:
        line_number += 1
        if (found := item(pending)) is not None:
            yield found


def json_items(reader: BodyReader, *, max_items: int) -> Iterator[tuple[bytes, Any]]:
    """The elements of the top-level `items` array. Anything else in the object is read past
    and ignored; a top level that is no object, or an object without an `items` array, has no
    items (and is refused as empty)."""
    first = b""
    while not first.strip():
        block = reader.read(READ_SIZE)
        if not block:
            return
        first += block
    if not first.lstrip().startswith(b"{"):
        raise ParseError('The request body must be a JSON object {"items": [...]} or NDJSON.')
    count = 0
    try:
        for value in ijson.items(_Prefixed(first, reader), "items.item", use_float=True):
            count += 1
            if count > max_items:
                raise _too_many(max_items, "/items")
            if reader.suspicious:
                _storable(value, f"Item {count - 1}")
            try:
                text = orjson.dumps(value)
            except orjson.JSONEncodeError:  # an integer beyond 64 bits
                text = _json_dumps_exact(value)
            yield text, value
    except ijson.JSONError as exc:
        raise ParseError(f"The request body is not valid JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ParseError("The request body is not UTF-8.") from exc


def _json_dumps_exact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class _Prefixed:
    """`reader` with `head` (already read from it) put back in front."""

    def __init__(self, head: bytes, reader: BodyReader):
        self._head = head
        self._reader = reader

    def read(self, size: int = READ_SIZE) -> bytes:
        if self._head and size != 0:
            head, self._head = self._head, b""
            return head
        return self._reader.read(size)
