"""The gate every ingest record passes: schema, signature and authority, or a refusal with reason."""

from __future__ import annotations

from typing import Any

from schemas import Envelope, EventError, decode_event, verify_event
from schemas.catalogue import REFERENCE_TYPES
from schemas.enums import BodyKind
from streams.registry import Registry, RevokedKey, UnknownKey


class Refusal(Exception):
    """Raised when an ingest record must be quarantined; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str, event: Envelope[Any] | None = None):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.event = event


def admit(
    raw: bytes, *, topic_body: str, registry: Registry, registrar: str, max_bytes: int
) -> Envelope[Any]:
    """The verified event in ``raw``, published on ``topic_body``'s ingest topic, or a Refusal."""
    try:
        event = decode_event(raw, max_bytes=max_bytes)
    except EventError as exc:
        raise Refusal(exc.reason, str(exc)) from None
    if event.source_body != topic_body:
        raise Refusal(
            "unauthorised",
            f"event names source {event.source_body!r} but came on {topic_body!r}'s ingest topic",
            event,
        )
    _check_signature(event, registry)
    _check_authority(event, registry, registrar)
    return event


def _check_signature(event: Envelope[Any], registry: Registry) -> None:
    try:
        key = registry.verify_key(event.source_body, event.key_id)
    except UnknownKey as exc:
        raise Refusal("unknown_key", str(exc), event) from None
    except RevokedKey as exc:
        raise Refusal("revoked_key", str(exc), event) from None
    try:
        verify_event(event, key)
    except EventError as exc:
        raise Refusal(exc.reason, str(exc), event) from None


def _check_authority(event: Envelope[Any], registry: Registry, registrar: str) -> None:
    if event.event_type in REFERENCE_TYPES:
        if event.source_body != registrar:
            raise Refusal("unauthorised", f"only the registrar may publish {event.event_type}", event)
        return
    body = registry.body(event.source_body)
    if body is None:
        raise Refusal("unauthorised", f"body {event.source_body!r} is not registered", event)
    allowed = type(event.payload).publishers
    if body.kind not in allowed or body.kind == BodyKind.SYSTEM:
        raise Refusal(
            "unauthorised",
            f"a {body.kind} body may not publish {event.event_type}",
            event,
        )
