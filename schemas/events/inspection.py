"""Inspection rounds and the coordination around them."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from schemas.categories import FindingCategory
from schemas.enums import BodyKind, Severity
from schemas.envelope import Payload
from schemas.types import BodyId, CadreId, ClueId, RecordId, Text, UnitId, UtcDateTime

_INSPECTION = frozenset({BodyKind.INSPECTION_OFFICE, BodyKind.INSPECTION_TEAM})
_BRIEFERS = frozenset(
    {
        BodyKind.LETTERS_VISITS,
        BodyKind.COMPREHENSIVE_OFFICE,
        BodyKind.SUPERVISION_OFFICE,
        BodyKind.STATIONED_AGENCY,
        BodyKind.COMMISSION,
        BodyKind.CASE_MANAGEMENT,
    }
)


class InspectionRoundPlanned(Payload):
    """An inspection round over named units; the bus asks their briefers to brief the team."""

    publishers = _INSPECTION
    receivers = "the team; briefing requests go to each inspected unit's briefers"
    round_id: RecordId
    team_body_id: BodyId
    unit_ids: tuple[UnitId, ...] = Field(min_length=1, max_length=500)
    starts_at: UtcDateTime
    ends_at: UtcDateTime

    @model_validator(mode="after")
    def _starts_before_end(self) -> Self:
        return self._require_order("starts_at", "ends_at")


class BriefingRequested(Payload):
    """Derived: a body must brief the inspection team on an inspected unit before a round."""

    receivers = "the body asked to brief"
    round_id: RecordId
    unit_id: UnitId
    team_body_id: BodyId
    requested_from: BodyId
    due_at: UtcDateTime


class BriefingSubmitted(Payload):
    """A body briefed the inspection team on an inspected unit."""

    publishers = _BRIEFERS
    receivers = "the inspection team of the round"
    round_id: RecordId
    unit_id: UnitId
    team_body_id: BodyId
    summary: Text


class ConsultationRequested(Payload):
    """During a round the inspection team consults a body or asks it for information."""

    publishers = _INSPECTION
    receivers = "the body consulted"
    round_id: RecordId
    consultation_id: RecordId
    asked_of: BodyId
    question: Text


class ConsultationAnswered(Payload):
    """The body consulted answered the inspection team."""

    publishers = _BRIEFERS
    receivers = "the inspection team of the round"
    round_id: RecordId
    consultation_id: RecordId
    team_body_id: BodyId
    answer: Text


class InspectionFindingReported(Payload):
    """An inspection found a problem at a unit; it becomes a rectification task."""

    publishers = _INSPECTION
    receivers = "the contact office, the stationed agency and the lower-level commission"
    round_id: RecordId
    finding_id: RecordId
    unit_id: UnitId
    category: FindingCategory
    severity: Severity
    summary: Text


class ClueHandedOver(Payload):
    """An inspection hands a clue to the clue flow: the second half of the article."""

    publishers = _INSPECTION
    receivers = "the body with jurisdiction over the cadre and case management"
    round_id: RecordId
    clue_id: ClueId
    unit_id: UnitId
    cadre_id: CadreId | None = Field(None, description="The cadre concerned, if one is named.")
    summary: Text
