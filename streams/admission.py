"""The gate every ingest record passes: schema, signature and authority, or a refusal with reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas import Envelope, EventError, decode_event, verify_event
from schemas.catalogue import CLOCK_TYPES, REFERENCE_TYPES
from schemas.enums import BodyKind
from streams.authority import OutsideRemit, check_remit
from streams.registry import Registry, RevokedKey, UnknownKey
from streams.state import BusState


class Refusal(Exception):
    """Raised when an ingest record must be quarantined; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str, event: Envelope[Any] | None = None):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.event = event


@dataclass(frozen=True)
class Gate:
    """Who is trusted for what: the registrar for reference data, the bus for its clock."""

    registrar: str
    bus: str
    max_bytes: int


def admit(raw: bytes, *, topic_body: str, registry: Registry, state: BusState, gate: Gate) -> Envelope[Any]:
    """The verified event in ``raw``, published on ``topic_body``'s ingest topic, or a Refusal."""
    try:
        event = decode_event(raw, max_bytes=gate.max_bytes)
    except EventError as exc:
        raise Refusal(exc.reason, str(exc)) from None
    if event.source_body != topic_body:
        raise Refusal(
            "unauthorised",
            f"event names source {event.source_body!r} but came on {topic_body!r}'s ingest topic",
            event,
        )
    _check_signature(event, registry)
    _check_authority(event, registry, state, gate)
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


def _check_authority(event: Envelope[Any], registry: Registry, state: BusState, gate: Gate) -> None:
    source = event.source_body
    if event.event_type in REFERENCE_TYPES or source == gate.registrar:
        if source != gate.registrar or event.event_type not in REFERENCE_TYPES:
            raise Refusal(
                "unauthorised", f"only the registrar publishes reference data, not {source!r}", event
            )
        return
    if event.event_type in CLOCK_TYPES or source == gate.bus:
        if source != gate.bus or event.event_type not in CLOCK_TYPES:
            raise Refusal("unauthorised", f"only the bus clock publishes on {gate.bus!r}'s topic", event)
        return
    body = registry.body(source)
    if body is None:
        raise Refusal("unauthorised", f"body {source!r} is not registered", event)
    if body.kind not in type(event.payload).publishers or body.kind == BodyKind.SYSTEM:
        raise Refusal("unauthorised", f"a {body.kind} body may not publish {event.event_type}", event)
    try:
        check_remit(event, body, registry, state)
    except OutsideRemit as exc:
        raise Refusal(exc.reason, str(exc), event) from None
