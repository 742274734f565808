"""Follow-up of the mechanisms: late briefings, reporting cadence, acknowledgements, overdue reform."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from schemas.enums import BodyKind, LabelledEnum
from schemas.envelope import Payload
from schemas.types import BodyId, RecordId, UnitId, UtcDateTime


class ReportCadence(LabelledEnum):
    """How often a reporting body reports its daily supervision to its office (calendar periods, UTC)."""

    WEEKLY = "weekly", "每周", "Weekly"
    MONTHLY = "monthly", "每月", "Monthly"
    QUARTERLY = "quarterly", "每季度", "Quarterly"


class BriefingOverdue(Payload):
    """Derived: a body asked to brief the inspection team had not briefed it when the round began."""

    receivers = "the body asked to brief (a reminder), the team and the inspection office"
    round_id: RecordId
    unit_id: UnitId
    team_body_id: BodyId
    requested_from: BodyId
    due_at: UtcDateTime
    inspection_office: BodyId | None = Field(None, description="The office the team belongs to.")


class ReportingCadenceSet(Payload):
    """A supervision-inspection office sets how often a reporting body reports its daily supervision."""

    publishers = frozenset({BodyKind.SUPERVISION_OFFICE})
    receivers = "the reporting body"
    reporting_body: BodyId
    cadence: ReportCadence
    grace_days: int = Field(5, ge=0, le=60, description="Days after a period's end a report may still come.")


class DailyReportOverdue(Payload):
    """Derived: no regular daily-supervision report for a period by its end plus the grace time."""

    receivers = "the supervision-inspection office and the reporting body"
    reporting_body: BodyId
    office_ids: tuple[BodyId, ...] = Field(max_length=50)
    cadence: ReportCadence
    period_start: UtcDateTime
    period_end: UtcDateTime
    due_at: UtcDateTime

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        return self._require_order("period_start", "period_end")


class ImportantReportAcknowledged(Payload):
    """A supervision-inspection office acknowledged an important (urgent) report it received."""

    publishers = frozenset({BodyKind.SUPERVISION_OFFICE})
    receivers = "the body that made the report"
    report_event_id: RecordId = Field(description="The event id of the DailySupervisionReported.")
    reporting_body: BodyId


class CaseReformOverdue(Payload):
    """Derived when a clock tick passes a case-driven reform recommendation's deadline, still open."""

    receivers = "the recommending body and the unit's stationed agency and contact office"
    recommendation_id: RecordId
    case_id: RecordId
    unit_id: UnitId
    deadline: UtcDateTime


class PassOnConsented(Payload):
    """The source of a fact marked ``with_consent`` lets one body pass it on (cite it, transfer it)."""

    publishers = frozenset(set(BodyKind) - {BodyKind.SYSTEM})
    receivers = "the body consented to"
    event_id: RecordId = Field(description="The event (its id) that may be passed on.")
    consented_to: BodyId
