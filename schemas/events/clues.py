"""Findings and problem clues."""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.categories import FindingCategory
from schemas.ciphertext import PROTECTED, Sealed
from schemas.enums import (
    BodyKind,
    Disposition,
    HowFound,
    InformationCredibility,
    Severity,
    SourceReliability,
)
from schemas.envelope import STRICT, Payload
from schemas.types import BodyId, CadreId, ClueId, Name, RecordId, Text, UnitId

_SUPERVISORS = frozenset(
    {
        BodyKind.COMMISSION,
        BodyKind.COMPREHENSIVE_OFFICE,
        BodyKind.SUPERVISION_OFFICE,
        BodyKind.STATIONED_AGENCY,
        BodyKind.INSPECTION_TEAM,
        BodyKind.INSPECTION_OFFICE,
    }
)
_CLUE_RECEIVERS = frozenset(
    {
        BodyKind.COMMISSION,
        BodyKind.LETTERS_VISITS,
        BodyKind.CASE_MANAGEMENT,
        BodyKind.SUPERVISION_OFFICE,
        BodyKind.STATIONED_AGENCY,
    }
)
_CLUE_HOLDERS = frozenset({BodyKind.COMMISSION, BodyKind.CASE_MANAGEMENT, BodyKind.REVIEW_INVESTIGATION})


class SupervisionFindingRecorded(Payload):
    """A supervising body found a problem at a unit in its daily work."""

    publishers = _SUPERVISORS
    receivers = (
        "the contact office of the unit, its stationed agency, the lower-level commission "
        "of its region, and the inspection team during a round"
    )
    finding_id: RecordId
    unit_id: UnitId
    category: FindingCategory
    severity: Severity
    how_found: HowFound
    summary: Text


class Informant(BaseModel):
    """Who reported a clue: protected, seen only by letters-and-visits and case management."""

    model_config = STRICT
    name: Name
    contact: Name | None = Field(None, description="How to reach the informant.")


class ProblemClueReceived(Payload):
    """A lead that an official may have broken discipline or law reached a body."""

    publishers = _CLUE_RECEIVERS
    receivers = (
        "the body with jurisdiction over the cadre's management level (transferred there "
        "if needed) and case management; the informant only to letters-and-visits and "
        "case management"
    )
    clue_id: ClueId
    unit_id: UnitId
    cadre_id: CadreId | None = Field(None, description="The cadre concerned, if one is named.")
    summary: Text
    reliability: SourceReliability = Field(
        SourceReliability.X, description="How reliable the source is (A, B, C, or X unknown)."
    )
    credibility: InformationCredibility = Field(
        InformationCredibility.CANNOT_JUDGE,
        description="How credible the information is (1 known true ... 4 cannot be judged).",
    )
    informant: Informant | Sealed | None = Field(
        None,
        description="Protected: sealed by the SDK for letters-and-visits and case management of the"
        " clue's jurisdiction and the source; withheld from every other body.",
        json_schema_extra=PROTECTED,
    )


class ClueRegraded(Payload):
    """A clue's source reliability and information credibility were graded anew."""

    publishers = _CLUE_HOLDERS | _CLUE_RECEIVERS
    receivers = "the clue's holder and case management"
    clue_id: ClueId
    reliability: SourceReliability
    credibility: InformationCredibility
    reason: Text


class ClueTransferred(Payload):
    """Hands a clue's custody to another body; the old holder keeps a read-only record."""

    publishers = _CLUE_HOLDERS | _CLUE_RECEIVERS
    receivers = "the new holder, the old holder and case management"
    clue_id: ClueId
    from_body: BodyId
    to_body: BodyId
    reason: Text
    informant: Informant | Sealed | None = Field(
        None,
        description="Protected: the clue's informant sealed again for the new holder's letters-and-visits"
        " and case management, by a transferring body that can open it.",
        json_schema_extra=PROTECTED,
    )


class ClueDisposed(Payload):
    """The clue's holder disposed of it in one of the four ways."""

    publishers = _CLUE_HOLDERS
    receivers = "the clue's holder and case management"
    clue_id: ClueId
    disposition: Disposition
    reason: Text
