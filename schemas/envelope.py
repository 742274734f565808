"""The one envelope every event travels in, and the base of every payload."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from schemas.enums import BodyKind, Classification, Handling, SubjectKind
from schemas.types import ID_PATTERN, BodyId, KeyId, MatterId, Signature, UtcDateTime

STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)
MAX_SEQUENCE = 2**53 - 1
"""The largest integer every JSON reader holds exactly."""


class Payload(BaseModel):
    """Base of every event's payload; subclasses are the catalogue."""

    model_config = STRICT

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    publishers: ClassVar[frozenset[BodyKind]] = frozenset()
    """Kinds of body that may publish this event; empty means only the bus derives it."""
    receivers: ClassVar[str] = ""
    """Who must know, in words, for the event catalogue."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.event_type = cls.__name__

    def get(self, name: str, default: Any = None) -> Any:
        """The field ``name``, or ``default`` when this kind of payload has no such field. Faster than
        ``getattr(payload, name, default)``: for a name it does not have, pydantic looks for a private
        attribute first and raises, which cost the router about 20 µs an event."""
        return self.__dict__.get(name, default)

    def _require_order(self, earlier: str, later: str) -> Self:
        if getattr(self, earlier) > getattr(self, later):
            raise ValueError(f"{earlier} must not be after {later}")
        return self


class Subject(BaseModel):
    """What an event is about: a unit, region, cadre or body."""

    model_config = STRICT

    kind: SubjectKind
    id: str = Field(pattern=ID_PATTERN, description="Identifier of the unit, region, cadre, body.")


P = TypeVar("P", bound=Payload)


class Envelope(BaseModel, Generic[P]):
    """An event: who says what, about whom, how sensitive, and the source body's signature."""

    model_config = STRICT

    event_id: uuid.UUID = Field(description="Unique; receivers deduplicate on it.")
    event_type: str = Field(description="Names the payload's class in the catalogue.")
    schema_version: int = Field(ge=1, description="Version of this event type's schema.")
    source_body: BodyId = Field(description="The body that says this and signs it.")
    occurred_at: UtcDateTime = Field(description="When it happened, in UTC.")
    subject: Subject = Field(description="The unit, region, cadre or body it concerns.")
    classification: Classification = Field(description="How sensitive it is.")
    handling: Handling = Field(
        description="What a receiver may do with it; with classification, the stricter wins."
    )
    correlation_id: MatterId
    causation_id: uuid.UUID | None = Field(None, description="The event that caused this one.")
    payload: P
    sequence: int | None = Field(
        None,
        ge=1,
        le=MAX_SEQUENCE,
        description="The source body's count of the events it publishes: 1, 2, 3… with no gap, so the"
        " bus notices one lost, withheld or replayed (the bus's clock ticks and derived events have none).",
    )
    key_id: KeyId | None = Field(None, description="The source body's key that signed it.")
    signature: Signature | None = None

    _wire: bytes | None = PrivateAttr(default=None)
    """The exact bytes this event was read as or signed into; for an upcast event, the old ones."""

    @model_validator(mode="after")
    def _matches_payload(self) -> Envelope[P]:
        expected = type(self.payload)
        if expected is Payload:
            return self
        if self.event_type != expected.event_type:
            raise ValueError(f"event_type {self.event_type!r} does not match payload {expected.event_type!r}")
        if self.schema_version != expected.schema_version:
            raise ValueError(
                f"schema_version {self.schema_version} is not {expected.event_type}'s"
                f" current version {expected.schema_version}"
            )
        return self

    @property
    def wire(self) -> bytes | None:
        """``_wire``, read straight from pydantic's private store: the plain attribute goes through
        pydantic's ``__getattr__``, a few microseconds each, and the router reads it several times an
        event."""
        private = self.__pydantic_private__
        return private.get("_wire") if private else None

    @property
    def matter(self) -> str:
        """The partition key: one matter's events stay in order."""
        return self.correlation_id

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; once changed, it no longer has the bytes it was read as or signed into."""
        copied = super().model_copy(update=update, deep=deep)
        if update:
            copied._wire = None
        return copied

    def __eq__(self, other: object) -> bool:
        """Equal when the fields are, however each was obtained."""
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.__dict__ == other.__dict__


def envelope_class(payload_class: type[P]) -> type[Envelope[P]]:
    """The envelope model parametrised for one payload class."""
    return cast(type[Envelope[P]], Envelope[payload_class])  # type: ignore[valid-type]


def new_event(
    payload: P,
    *,
    source_body: str,
    occurred_at: datetime,
    subject: Subject,
    classification: Classification = Classification.INTERNAL,
    handling: Handling = Handling.WITHIN_JURISDICTION,
    correlation_id: str | None = None,
    causation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope[P]:
    """An unsigned envelope around ``payload``; its matter defaults to its own event id."""
    event_id = event_id or uuid.uuid4()
    return envelope_class(type(payload))(
        event_id=event_id,
        event_type=payload.event_type,
        schema_version=payload.schema_version,
        source_body=source_body,
        occurred_at=occurred_at,
        subject=subject,
        classification=classification,
        handling=handling,
        correlation_id=correlation_id or str(event_id),
        causation_id=causation_id,
        payload=payload,
    )
