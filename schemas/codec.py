"""Bytes to events and back, with errors a person can act on."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, from_json

from schemas.canonical import canonical_bytes, canonical_json
from schemas.catalogue import EVENT_TYPES, PROTECTED_FIELDS, envelope_for, payload_class
from schemas.confidential import is_protected
from schemas.envelope import Envelope
from schemas.errors import EventTooLarge, InvalidEvent, NotCanonical
from schemas.upcasting import upcast

MAX_EVENT_BYTES = 65_536
"""64 KiB: the largest encoded event; large attachments do not belong on the bus."""


def encode_event(event: Envelope[Any], *, max_bytes: int = MAX_EVENT_BYTES) -> bytes:
    """The wire form of an event: its signed canonical bytes (for an upcast event, as read)."""
    raw = event.wire or canonical_bytes(event, signed=True)
    if len(raw) > max_bytes:
        raise EventTooLarge(
            f"{event.event_type} event {event.event_id} is {len(raw)} bytes encoded,"
            f" over the limit of {max_bytes} bytes",
            event_type=event.event_type,
        )
    return raw


def decode_event(raw: bytes, *, max_bytes: int = MAX_EVENT_BYTES) -> Envelope[Any]:
    """Validate ``raw`` into a typed event, upcasting an older schema version, or raise."""
    data = _parse_object(raw, max_bytes)
    event_type = data.get("event_type")
    if not isinstance(event_type, str):
        raise InvalidEvent(f"event_type: expected a string naming the event type, got {_short(event_type)}")
    model = envelope_for(event_type)
    if data.get("schema_version") != payload_class(event_type).schema_version:
        return _read_older(model, raw, data, event_type)
    event = _validate(model, raw, event_type)
    _require_canonical(canonical_bytes(event, signed=True), raw, event_type)
    event._wire = raw
    return event


def decode_logged(raw: bytes) -> Envelope[Any]:
    """An event from a record the bus logged, whose seal the reader has checked: the router checked
    its schema, signature and canonical form before it wrote these bytes, so this validates them
    into their model and does not encode them again to compare; an older schema version goes
    through ``decode_event`` and is upcast."""
    try:
        data = from_json(raw)
    except ValueError as exc:
        raise InvalidEvent(f"log record is not JSON: {exc}") from None
    event_type = data.get("event_type") if isinstance(data, dict) else None
    cls = EVENT_TYPES.get(event_type) if isinstance(event_type, str) else None
    if cls is None or data.get("schema_version") != cls.schema_version:
        return decode_event(raw, max_bytes=max(len(raw), 1))
    event = _validate(envelope_for(cls.event_type), raw, cls.event_type)
    event._wire = raw
    return event


_EVENT_ID_KEY = b'"event_id":"'


def logged_event_id(raw: bytes) -> str:
    """The event id in a logged event's canonical bytes, found without parsing them ("" if there is
    none): the first ``"event_id":"`` in them is the envelope's own, since a quote inside a string
    is escaped and the keys sorted before ``event_id`` hold no objects. The router's log feed asks
    for it to skip, undecoded, the records it applied when it routed them."""
    at = raw.find(_EVENT_ID_KEY)
    if at < 0:
        return ""
    start = at + len(_EVENT_ID_KEY)
    end = raw.find(b'"', start)
    return raw[start:end].decode("utf-8", errors="replace") if end > 0 else ""


def _read_older(
    model: type[Envelope[Any]], raw: bytes, data: dict[str, Any], event_type: str
) -> Envelope[Any]:
    _require_canonical(_canonical_or_refuse(data, event_type), raw, event_type)
    event = _validate(model, canonical_json(upcast(event_type, data)), event_type)
    event._wire = raw
    return event


def _parse_object(raw: object, max_bytes: int) -> dict[str, Any]:
    if not isinstance(raw, bytes):
        raise InvalidEvent(f"event must be bytes, got {type(raw).__name__}")
    if len(raw) > max_bytes:
        raise EventTooLarge(f"event is {len(raw)} bytes, over the limit of {max_bytes} bytes")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"event is not valid UTF-8 (bad byte at offset {exc.start})") from None
    try:
        data = from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise InvalidEvent(f"event is not JSON this reader accepts: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidEvent(f"event must be a JSON object, got {type(data).__name__}")
    return data


def _validate(model: type[Envelope[Any]], raw: bytes, event_type: str) -> Envelope[Any]:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors(include_url=False)]
        version = payload_class(event_type).schema_version
        raise InvalidEvent(
            f"{event_type} v{version}: " + "; ".join(problems),
            event_type=event_type,
            problems=problems,
        ) from None


def _problem(err: ErrorDetails) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    path = path or "(event)"
    kind = err["type"]
    if kind == "missing":
        return f"{path}: required field is missing"
    if is_protected(path):
        return f"{path}: {err['msg'].removeprefix('Value error, ')} (value withheld: protected field)"
    if kind == "extra_forbidden":
        return f"{path}: unexpected field (not in this schema version), got {_short(err['input'])}"
    message = err["msg"].removeprefix("Value error, ")
    return f"{path}: {message}, got {_short(err['input'])}"


def _canonical_or_refuse(data: dict[str, Any], event_type: str) -> bytes:
    try:
        return canonical_json(data)
    except ValueError as exc:
        raise NotCanonical(f"{event_type}: event has no canonical form: {exc}") from None


def _require_canonical(expected: bytes, raw: bytes, event_type: str) -> None:
    if expected == raw:
        return
    at = next(
        (i for i, (a, b) in enumerate(zip(expected, raw, strict=False)) if a != b),
        min(len(expected), len(raw)),
    )
    shown = (
        " (bytes withheld: the event has protected fields)"
        if event_type in PROTECTED_FIELDS
        else f": expected {_around(expected, at)}, got {_around(raw, at)}"
    )
    raise NotCanonical(
        f"{event_type}: bytes are not in canonical form (sorted keys, no whitespace,"
        f" timestamps as 2026-01-31T08:00:00.000000Z); first difference at byte {at}{shown}",
        event_type=event_type,
    )


def _around(raw: bytes, at: int) -> str:
    return repr(raw[max(0, at - 24) : at + 24].decode("utf-8", errors="replace"))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
