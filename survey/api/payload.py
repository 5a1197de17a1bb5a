"""Reading the JSON body of an API request once, safely: JSON only, bounded, never a 5xx.

Flask's ``get_json(silent=True)`` accepts any content type with ``force=True`` and lets a
``RecursionError`` (a body of thousands of nested ``[``) escape; both are handled here. The
result is kept on ``flask.g`` so the rate limiter's key function and the view read it once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

API_MAX_BODY_BYTES = 64 * 1024  # a full submission is about 1 kB
NOT_JSON = "the body must be JSON sent with Content-Type: application/json"
MALFORMED = "the body must be JSON"


@dataclass(frozen=True)
class ReadPayload:
    """The decoded body (``value``) or why it could not be read (``error``, ``too_large``)."""

    value: Any = None
    error: str | None = None
    too_large: bool = False


def _max_body() -> int:
    return int(current_app.config.get("API_MAX_BODY_BYTES", API_MAX_BODY_BYTES))


def _read_at_most(limit: int) -> bytes:
    """The body, read in chunks so that a stream without Content-Length is bounded too."""
    chunks, size = [], 0
    while chunk := request.stream.read(min(16 * 1024, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
    return b"".join(chunks)


def _decode() -> ReadPayload:
    if not request.is_json:
        return ReadPayload(error=NOT_JSON)
    limit = _max_body()
    if request.content_length is not None and request.content_length > limit:
        return ReadPayload(too_large=True)
    try:
        data = _read_at_most(limit)
    except RequestEntityTooLarge:
        return ReadPayload(too_large=True)
    try:
        return ReadPayload(value=json.loads(data))
    except (ValueError, RecursionError):  # includes UnicodeDecodeError and huge integers
        return ReadPayload(error=MALFORMED)


def _cached() -> ReadPayload:
    if "api_payload" not in g:
        g.api_payload = _decode()
    return g.api_payload


def read_payload() -> ReadPayload:
    """The request's JSON body; a body over ``API_MAX_BODY_BYTES`` aborts with 413.

    A JSON ``null`` body is reported as malformed, like one that is not JSON at all.
    """
    read = _cached()
    if read.too_large:
        abort(413)
    if read.error is None and read.value is None:
        return ReadPayload(error=MALFORMED)
    return read


def peek_payload() -> Any:
    """The decoded body or None, never aborting: for the rate limiter's key function."""
    return _cached().value
