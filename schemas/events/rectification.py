"""Rectification: the fix a unit owes after a finding, with a deadline."""

from __future__ import annotations

from pydantic import Field

from schemas.enums import BodyKind, VerificationOutcome
from schemas.envelope import Payload
from schemas.types import BodyId, RecordId, Text, UnitId, UtcDateTime

_SUPERVISORS = frozenset(
    {
        BodyKind.COMMISSION,
        BodyKind.SUPERVISION_OFFICE,
        BodyKind.STATIONED_AGENCY,
        BodyKind.INSPECTION_OFFICE,
        BodyKind.INSPECTION_TEAM,
    }
)
_RECEIVERS = "the supervising bodies named in the requirement"


class RectificationRequired(Payload):
    """A unit must fix a problem by a deadline, supervised by the bodies named."""

    publishers = _SUPERVISORS
    receivers = _RECEIVERS
    rectification_id: RecordId
    unit_id: UnitId
    finding_id: RecordId | None = Field(None, description="The finding that requires it, if any.")
    description: Text
    deadline: UtcDateTime
    supervising_bodies: tuple[BodyId, ...] = Field(min_length=1, max_length=50)


class RectificationProgressReported(Payload):
    """How far a rectification has come."""

    publishers = _SUPERVISORS
    receivers = _RECEIVERS
    rectification_id: RecordId
    percent_complete: int = Field(ge=0, le=100)
    note: Text


class RectificationCompleted(Payload):
    """The unit reports the rectification done; it awaits verification."""

    publishers = _SUPERVISORS
    receivers = _RECEIVERS
    rectification_id: RecordId
    summary: Text


class RectificationVerified(Payload):
    """A supervising body checked a completed rectification and accepted or rejected it."""

    publishers = _SUPERVISORS
    receivers = _RECEIVERS
    rectification_id: RecordId
    outcome: VerificationOutcome
    note: Text


class RectificationOverdue(Payload):
    """Derived by the bus when a clock tick passes an open rectification's deadline."""

    receivers = _RECEIVERS
    rectification_id: RecordId
    unit_id: UnitId
    deadline: UtcDateTime
