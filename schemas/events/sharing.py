"""Results sharing between the four supervisions."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from schemas.categories import FindingCategory
from schemas.enums import BodyKind, Severity
from schemas.envelope import Payload
from schemas.types import BodyId, RecordId, RegionId, Sector, Text, UnitId, UtcDateTime


class OutstandingIssueNotified(Payload):
    """Derived: a contact office's high-severity finding, shared at once."""

    receivers = "the stationed agency at the unit and the lower-level commission of its region"
    finding_id: RecordId
    unit_id: UnitId
    category: FindingCategory
    severity: Severity
    notified_bodies: tuple[BodyId, ...] = Field(max_length=50)


class DailySupervisionReported(Payload):
    """A stationed agency or lower-level commission reports its daily supervision for a period."""

    publishers = frozenset({BodyKind.STATIONED_AGENCY, BodyKind.COMMISSION})
    receivers = "the supervision-inspection office whose contact area covers the subject"
    period_start: UtcDateTime
    period_end: UtcDateTime
    important: bool = Field(False, description="Important information is reported at once.")
    urgent: bool = Field(
        False, description="Important information marked urgent: its acknowledgement is timed."
    )
    summary: Text

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        return self._require_order("period_start", "period_end")


class SystemicIssueDetected(Payload):
    """Derived: one finding category at many units or regions within a window."""

    receivers = "comprehensive supervision, leadership and the bodies of the units involved"
    issue_id: RecordId
    category: FindingCategory
    unit_ids: tuple[UnitId, ...] = Field(max_length=500)
    region_ids: tuple[RegionId, ...] = Field(max_length=500)
    finding_ids: tuple[RecordId, ...] = Field(min_length=1, max_length=500)
    window_start: UtcDateTime
    window_end: UtcDateTime
    sector: Sector | None = Field(None, description="The sector (system) the units share, if they share one.")
    sector_count: int = Field(0, ge=0, description="How many sectors the units span.")

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        return self._require_order("window_start", "window_end")
