"""The one envelope every event travels in, and the base of every payload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from schemas.enums import BodyKind, Classification, Handling, SubjectKind
from schemas.types import BodyId, UtcDateTime

STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


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


class Subject(BaseModel):
    """What an event is about: a unit, region, cadre or body."""

    model_config = STRICT

    kind: SubjectKind
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


P = TypeVar("P", bound=Payload)

MatterId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class Envelope(BaseModel, Generic[P]):
    """An event: who says what, about whom, how sensitive, and the source body's signature."""

    model_config = STRICT

    event_id: uuid.UUID
    event_type: str
    schema_version: int = Field(ge=1)
    source_body: BodyId
    occurred_at: UtcDateTime
    subject: Subject
    classification: Classification
    handling: Handling
    correlation_id: MatterId
    causation_id: uuid.UUID | None = None
    payload: P
    key_id: Annotated[str, StringConstraints(max_length=128)] | None = None
    signature: Annotated[str, StringConstraints(max_length=128)] | None = None

    @model_validator(mode="after")
    def _type_matches_payload(self) -> Envelope[P]:
        expected = type(self.payload)
        if expected is not Payload and self.event_type != expected.event_type:
            raise ValueError(
                f"event_type {self.event_type!r} does not match payload {expected.event_type!r}"
            )
        return self

    @property
    def matter(self) -> str:
        """The partition key: one matter's events stay in order."""
        return self.correlation_id


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
    return Envelope[type(payload)](  # type: ignore[misc]
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
