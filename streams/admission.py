"""The gate every ingest record passes: schema, signature and authority, or a refusal with reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schemas import Envelope, EventError, decode_event, verify_event
from schemas.catalogue import CLOCK_TYPES, REFERENCE_TYPES
from schemas.enums import BodyKind
from streams import jurisdiction as j
from streams.authority import OutsideRemit, check_remit
from streams.confidentiality import sealed_problem
from streams.ownership import check_ownership
from streams.registry import ReferenceConflict, Registry, RevokedKey, UnknownKey
from streams.sequence import sequence_problem
from streams.state import BusState


class Refusal(Exception):
    """Raised when an ingest record must be quarantined; ``reason`` is a short code. ``authentic``
    once the event's signature proved its sender: the refusal then counts in its sequence."""

    def __init__(
        self, reason: str, detail: str, event: Envelope[Any] | None = None, *, authentic: bool = False
    ):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.event = event
        self.authentic = authentic


@dataclass(frozen=True)
class Gate:
    """Who is trusted for what: the registrar for reference data, the bus for its clock."""

    registrar: str
    bus: str
    max_bytes: int
    max_skew: timedelta = timedelta(minutes=5)
    """How far an event's claimed time may run ahead of the time the broker appended it."""
    require_sealed: bool = True
    """Refuse a protected field in clear (schemas/confidential.py); one sealed for a body that may
    not read it, or to an unregistered key, is refused either way."""


def admit(
    raw: bytes,
    *,
    topic_body: str,
    received_at: datetime,
    registry: Registry,
    state: BusState,
    gate: Gate,
) -> Envelope[Any]:
    """The verified event in ``raw``, published on ``topic_body``'s ingest topic and appended by
    the broker at ``received_at``, or a Refusal."""
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
    _check_signature(event, registry, received_at)
    try:
        _check_authenticated(event, received_at, registry, state, gate)
    except Refusal as refusal:
        refusal.authentic = True
        raise
    return event


def _check_authenticated(
    event: Envelope[Any], received_at: datetime, registry: Registry, state: BusState, gate: Gate
) -> None:
    if event.occurred_at > received_at + gate.max_skew:
        raise Refusal(
            "future_dated",
            f"occurred_at {event.occurred_at.isoformat()} is after the time the bus received it"
            f" ({received_at.isoformat()}) by more than {gate.max_skew}",
            event,
        )
    last = state.last_sequence(event.source_body)
    known = state.digest_of(str(event.event_id)) is not None
    if known and (event.sequence is None or event.sequence <= last):
        return  # sent again as it was; the router tells a repeat from a reuse
    problem = sequence_problem(event, last)
    if problem is not None:
        raise Refusal(*problem, event)
    if not known:  # on the log already, authorised then; published again under a new number
        _check_authority(event, registry, state, gate)


def _check_signature(event: Envelope[Any], registry: Registry, received_at: datetime) -> None:
    try:
        key = registry.verify_key(event.source_body, event.key_id, received_at)
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
        try:
            registry.check(event)
        except ReferenceConflict as exc:
            raise Refusal(exc.reason, str(exc), event) from None
        return
    if event.event_type in CLOCK_TYPES or source == gate.bus:
        if source != gate.bus or event.event_type not in CLOCK_TYPES:
            raise Refusal("unauthorised", f"only the bus clock publishes on {gate.bus!r}'s topic", event)
        return
    body = registry.body(source)
    if body is None:
        raise Refusal("unauthorised", f"body {source!r} is not registered", event)
    if body.kind not in type(event.payload).publishers or body.kind == BodyKind.SYSTEM:
        raise Refusal("unauthorised", _not_a_publisher(event, body.kind, registry), event)
    try:
        remit = check_remit(event, body, registry, state)
        check_ownership(event, body, registry, state, remit)
    except OutsideRemit as exc:
        raise Refusal(exc.reason, str(exc), event) from None
    problem = sealed_problem(event, registry, require_sealed=gate.require_sealed)
    if problem is not None:
        raise Refusal(*problem, event)


def _not_a_publisher(event: Envelope[Any], kind: BodyKind, registry: Registry) -> str:
    said = f"a {kind} body may not publish {event.event_type}"
    if event.event_type != "ProblemClueReceived":
        return said
    intake = j.offices_of(registry, j.commission_of(registry, event.source_body), BodyKind.LETTERS_VISITS)
    where = f"its letters-and-visits office {intake[0]!r}" if intake else "a letters-and-visits office"
    return f"{said}: it does not receive clues; {where} should record it"
