"""Turns a payload or a ready envelope into an event ready but for its number, or refuses it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from producers.directory import Directory
from producers.errors import EventRefused
from producers.facts import matter_of, subject_of
from producers.ids import new_event_id
from producers.staged import Prepared
from schemas import Envelope, Payload, SigningKey, Subject
from schemas.canonical import canonical_json
from schemas.catalogue import DERIVED_TYPES, EVENT_TYPES, PROTECTED_FIELDS, REFERENCE_TYPES, envelope_for
from schemas.confidential import clear_protected, is_protected, seal_protected
from schemas.enums import BodyKind, Classification, Handling
from schemas.envelope import MAX_SEQUENCE
from schemas.signing import SIGNATURE_FIELD_BYTES, unsigned_fields


class Stager:
    """One body's gate: checks what it may publish and seals protected fields; the outbox or the
    sequencer numbers what it prepared, which signs it (producers/staged.py)."""

    def __init__(
        self,
        body_id: str,
        key: SigningKey,
        *,
        body_kind: BodyKind | None,
        max_event_bytes: int,
        directory: Directory | None = None,
    ):
        self.body_id = body_id
        self._key = key
        self._kind = body_kind
        self._max_bytes = max_event_bytes
        self._directory = directory

    def envelope(
        self,
        payload: Payload,
        *,
        subject: Subject | None,
        occurred_at: datetime | None,
        classification: Classification,
        handling: Handling,
        correlation_id: str | None,
        causation_id: uuid.UUID | None,
        event_id: uuid.UUID | None,
    ) -> Envelope[Any]:
        """The unsigned envelope around ``payload``; subject and matter default from the payload."""
        self.check_type(getattr(payload, "event_type", None), type(payload))
        subject = subject or subject_of(payload)
        if subject is None:
            raise EventRefused(
                "invalid",
                f"{payload.event_type}: name the subject (no unit or cadre in the payload to take it from)",
                event_type=payload.event_type,
            )
        event_id = event_id or new_event_id()
        try:  # as schemas.new_event does, with the envelope class looked up once per type
            return envelope_for(payload.event_type)(
                event_id=event_id,
                event_type=payload.event_type,
                schema_version=payload.schema_version,
                source_body=self.body_id,
                occurred_at=occurred_at or datetime.now(UTC),
                subject=subject,
                classification=classification,
                handling=handling,
                correlation_id=correlation_id or matter_of(payload) or str(event_id),
                causation_id=causation_id,
                payload=payload,
            )
        except ValidationError as exc:
            raise refusal(payload.event_type, exc) from None

    def prepare(self, event: Envelope[Any]) -> Prepared:
        """Check and seal a ready envelope, which must be this body's own, for numbering and signing.

        Its key on the ingest topic is the body: one partition keeps the body's events in the
        order of their numbers, which the bus checks."""
        self.check_type(event.event_type, type(event.payload))
        if event.source_body != self.body_id:
            raise EventRefused(
                "unauthorised",
                f"event {event.event_id} names source {event.source_body!r}, not {self.body_id!r}",
                event_type=event.event_type,
            )
        event = self.seal(event)
        unsigned = unsigned_fields(event, self._key)
        size = len(canonical_json({**unsigned, "sequence": MAX_SEQUENCE})) + SIGNATURE_FIELD_BYTES
        if size > self._max_bytes:
            raise EventRefused(
                "too_large",
                f"{event.event_type} event {event.event_id} is up to {size} bytes encoded,"
                f" over the limit of {self._max_bytes} bytes",
                event_type=event.event_type,
            )
        return Prepared(event.event_id, event.event_type, self.body_id.encode(), unsigned, self._key)

    def seal(self, event: Envelope[Any]) -> Envelope[Any]:
        """``event`` with its clear protected fields sealed for the readers the directory names
        (unchanged without a directory: the router then withholds them, but they travel in clear)."""
        if self._directory is None or event.event_type not in PROTECTED_FIELDS or not clear_protected(event):
            return event
        return seal_protected(event, self._directory.recipients(event))

    def check_type(self, event_type: object, cls: type) -> None:
        """Refuse what is not in the catalogue, what only the bus derives, and, when this body's
        kind is known, what its kind may not publish (the router's own rule, applied early)."""
        if not isinstance(event_type, str) or EVENT_TYPES.get(event_type) is not cls:
            raise EventRefused("unknown_type", f"{cls.__name__} is not an event type of the catalogue")
        if event_type in DERIVED_TYPES:
            raise EventRefused(
                "derived", f"only the bus derives {event_type}; no body may publish it", event_type=event_type
            )
        kind = self._kind
        if kind is None:
            return
        if event_type in REFERENCE_TYPES:
            allowed = kind is BodyKind.SYSTEM
        else:
            allowed = kind in EVENT_TYPES[event_type].publishers and kind is not BodyKind.SYSTEM
        if not allowed:
            raise EventRefused(
                "unauthorised", f"a {kind} body may not publish {event_type}", event_type=event_type
            )


@contextmanager
def refusing(event_type: str | None, prefix: str = "payload.") -> Iterator[None]:
    """Turn pydantic's ValidationError, raised while building an event, into EventRefused."""
    try:
        yield
    except ValidationError as exc:
        raise refusal(event_type, exc, prefix) from None


def refusal(event_type: str | None, exc: ValidationError, prefix: str = "") -> EventRefused:
    """An EventRefused listing every validation problem with its field path."""
    problems = [_problem(err, prefix) for err in exc.errors(include_url=False)]
    name = event_type or "event"
    return EventRefused(
        "invalid", f"{name}: " + "; ".join(problems), problems=problems, event_type=event_type
    )


def _problem(err: ErrorDetails, prefix: str) -> str:
    path = prefix + ".".join(str(p) for p in err["loc"])
    if err["type"] == "missing":
        return f"{path or '(event)'}: required field is missing"
    if err["type"] == "extra_forbidden":
        return f"{path}: unexpected field"
    if is_protected(path):
        return f"{path}: {err['msg'].removeprefix('Value error, ')} (value withheld: protected field)"
    text = repr(err["input"])
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{path or '(event)'}: {err['msg'].removeprefix('Value error, ')}, got {text}"
