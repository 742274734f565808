"""Results sharing between the four supervisions."""

from __future__ import annotations

from pydantic import Field

from schemas.categories import FindingCategory
from schemas.enums import BodyKind, Severity
from schemas.envelope import Payload
from schemas.types import BodyId, RecordId, RegionId, Text, UnitId, UtcDateTime


class OutstandingIssueNotified(Payload):
    """Derived: a contact office's high-severity finding, shared at once."""

    receivers = "the stationed agency at the unit and the lower-level commission of its region"
    finding_id: RecordId
    unit_id: UnitId
    category: FindingCategory
    severity: Severity
    notified_bodies: tuple[BodyId, ...]


class DailySupervisionReported(Payload):
    publishers = frozenset({BodyKind.STATIONED_AGENCY, BodyKind.COMMISSION})
    receivers = "the supervision-inspection office whose contact area covers the subject"
    period_start: UtcDateTime
    period_end: UtcDateTime
    important: bool = False
    summary: Text


class SystemicIssueDetected(Payload):
    """Derived: one finding category at many units or regions within a window."""

    receivers = "comprehensive supervision, leadership and the bodies of the units involved"
    issue_id: RecordId
    category: FindingCategory
    unit_ids: tuple[UnitId, ...]
    region_ids: tuple[RegionId, ...]
    finding_ids: tuple[RecordId, ...] = Field(min_length=1)
    window_start: UtcDateTime
    window_end: UtcDateTime
