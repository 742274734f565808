"""Coordination: collaborative oversight, plans, cases and progress reports."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

from schemas.enums import BodyKind, PlanKind
from schemas.envelope import STRICT, Payload
from schemas.types import (
    BodyId,
    CadreId,
    ClueId,
    Name,
    RecordId,
    RegionId,
    Sector,
    Text,
    UnitId,
    UtcDateTime,
)

_COMPREHENSIVE = frozenset({BodyKind.COMPREHENSIVE_OFFICE, BodyKind.LEADERSHIP})
_CASES = frozenset({BodyKind.REVIEW_INVESTIGATION, BodyKind.CASE_MANAGEMENT, BodyKind.COMMISSION})


class CollaborativeOversightProposed(Payload):
    """Derived: a matter spans regions or sectors and needs a joint plan."""

    receivers = "comprehensive supervision and the bodies of every unit involved"
    matter_id: RecordId
    unit_ids: tuple[UnitId, ...] = Field(max_length=500)
    region_ids: tuple[RegionId, ...] = Field(max_length=500)
    sectors: tuple[Sector, ...] = Field(max_length=50)
    reason: Text


class CollaborativeOversightApproved(Payload):
    """A joint oversight plan was approved; the lead body coordinates the others."""

    publishers = _COMPREHENSIVE
    receivers = "the lead body and every participating body"
    matter_id: RecordId
    lead_body: BodyId
    participating_bodies: tuple[BodyId, ...] = Field(max_length=50)


class CollaborativeOversightCompleted(Payload):
    """A joint oversight matter was concluded."""

    publishers = _COMPREHENSIVE | frozenset({BodyKind.SUPERVISION_OFFICE, BodyKind.COMMISSION})
    receivers = "every participating body"
    matter_id: RecordId
    summary: Text


class PlanItem(BaseModel):
    """One element of a supervision plan, assigned to bodies with a time limit."""

    model_config = STRICT
    item_id: RecordId
    content: Text
    standard: Text
    due_at: UtcDateTime
    assigned_bodies: tuple[BodyId, ...] = Field(min_length=1, max_length=50)


class SupervisionPlanIssued(Payload):
    """Comprehensive supervision issued the annual or a special supervision plan."""

    publishers = frozenset({BodyKind.COMPREHENSIVE_OFFICE})
    receivers = "every body assigned an item"
    plan_id: RecordId
    year: int = Field(ge=2000, le=2100)
    kind: PlanKind
    title: Name
    items: tuple[PlanItem, ...] = Field(min_length=1, max_length=200)


class PlanItemCompleted(Payload):
    """An assigned body completed its item of a supervision plan."""

    publishers = frozenset(set(BodyKind) - {BodyKind.SYSTEM})
    receivers = "comprehensive supervision"
    plan_id: RecordId
    item_id: RecordId
    summary: Text


class PlanItemOverdue(Payload):
    """Derived when a clock tick passes an open plan item's time limit."""

    receivers = "comprehensive supervision and the assigned bodies"
    plan_id: RecordId
    item_id: RecordId
    due_at: UtcDateTime


class CaseConcluded(Payload):
    """A case was concluded; it may yield reform recommendations."""

    publishers = _CASES
    receivers = "case management, the unit's stationed agency and contact office"
    case_id: RecordId
    unit_id: UnitId
    clue_id: ClueId | None = Field(None, description="The clue the case grew from, if any.")
    cadre_id: CadreId | None = None
    outcome: Text


class CaseReformRecommended(Payload):
    """Case-driven reform: a concluded case yields recommendations to the unit."""

    publishers = _CASES
    receivers = "the unit's stationed agency and contact office, tracked like a rectification"
    case_id: RecordId
    recommendation_id: RecordId
    unit_id: UnitId
    recommendations: Text
    deadline: UtcDateTime


class ProgressReportIssued(Payload):
    """The half-yearly report on the four supervisions, heard by leadership."""

    publishers = _COMPREHENSIVE
    receivers = "leadership"
    period_start: UtcDateTime
    period_end: UtcDateTime
    summary: Text

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        return self._require_order("period_start", "period_end")
