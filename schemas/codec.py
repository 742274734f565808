"""Bytes to events and back, with errors a person can act on."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from schemas.canonical import canonical_bytes, canonical_json
from schemas.catalogue import payload_class
from schemas.envelope import Envelope
from schemas.errors import InvalidEvent
from schemas.upcasting import upcast

MAX_EVENT_BYTES = 65_536
"""The default limit on one encoded event; large attachments do not belong on the bus."""


def encode_event(event: Envelope) -> bytes:  # type: ignore[type-arg]
    """The wire form of an event: its signed canonical bytes."""
    return canonical_bytes(event, signed=True)


def decode_event(raw: bytes, *, max_bytes: int = MAX_EVENT_BYTES) -> Envelope:  # type: ignore[type-arg]
    """Validate ``raw`` into a typed event, upcasting older schema versions; or raise InvalidEvent."""
    data = _parse_object(raw, max_bytes)
    event_type = data.get("event_type")
    if not isinstance(event_type, str):
        raise InvalidEvent("field 'event_type': expected a string naming the event type")
    cls = payload_class(event_type)
    upcasted = upcast(event_type, data)
    if upcasted is not data:
        raw = canonical_json(upcasted)
    try:
        return Envelope[cls].model_validate_json(raw)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise _explain(event_type, exc) from None


def _parse_object(raw: bytes, max_bytes: int) -> dict[str, Any]:
    if len(raw) > max_bytes:
        raise InvalidEvent(f"event is {len(raw)} bytes, over the limit of {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"event is not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidEvent(f"event is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict):
        raise InvalidEvent(f"event must be a JSON object, got {type(data).__name__}")
    return data


def _explain(event_type: str, exc: ValidationError) -> InvalidEvent:
    problems = [
        f"{'.'.join(str(p) for p in err['loc']) or '(event)'}: {err['msg']}"
        f" (got {_short(err.get('input'))})"
        for err in exc.errors(include_url=False)
    ]
    return InvalidEvent(f"{event_type}: " + "; ".join(problems), event_type=event_type, problems=problems)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
