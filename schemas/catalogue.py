"""The explicit registry from event_type to payload class, grouped by flow."""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas.envelope import Envelope, Payload, envelope_class
from schemas.errors import UnknownEventType
from schemas.events.audit import RecordViewed
from schemas.events.clock import ClockTicked
from schemas.events.clues import (
    ClueDisposed,
    ClueRegraded,
    ClueTransferred,
    ProblemClueReceived,
    SupervisionFindingRecorded,
)
from schemas.events.coordination import (
    CaseConcluded,
    CaseReformRecommended,
    CollaborativeOversightApproved,
    CollaborativeOversightCompleted,
    CollaborativeOversightProposed,
    PlanItemCompleted,
    PlanItemOverdue,
    ProgressReportIssued,
    SupervisionPlanIssued,
)
from schemas.events.followup import (
    BriefingOverdue,
    CaseReformOverdue,
    DailyReportOverdue,
    ImportantReportAcknowledged,
    PassOnConsented,
    ReportingCadenceSet,
)
from schemas.events.inspection import (
    BriefingRequested,
    BriefingSubmitted,
    ClueHandedOver,
    ConsultationAnswered,
    ConsultationRequested,
    InspectionFindingReported,
    InspectionRoundPlanned,
)
from schemas.events.rectification import (
    RectificationCompleted,
    RectificationOverdue,
    RectificationProgressReported,
    RectificationRequired,
    RectificationVerified,
)
from schemas.events.reference import (
    BodyRegistered,
    CadreRegistered,
    EncryptionKeyRegistered,
    EncryptionKeyRevoked,
    JurisdictionAssigned,
    RegionRegistered,
    SigningKeyRegistered,
    SigningKeyRevoked,
    UnitRegistered,
)
from schemas.events.refusal import EventRefused
from schemas.events.sharing import (
    DailySupervisionReported,
    OutstandingIssueNotified,
    SystemicIssueDetected,
)

GROUPS: dict[str, tuple[type[Payload], ...]] = {
    "Reference data": (
        RegionRegistered,
        BodyRegistered,
        UnitRegistered,
        CadreRegistered,
        JurisdictionAssigned,
        SigningKeyRegistered,
        SigningKeyRevoked,
        EncryptionKeyRegistered,
        EncryptionKeyRevoked,
    ),
    "Time": (ClockTicked,),
    "Findings and clues": (
        SupervisionFindingRecorded,
        ProblemClueReceived,
        ClueRegraded,
        ClueTransferred,
        ClueDisposed,
    ),
    "Inspection": (
        InspectionRoundPlanned,
        BriefingRequested,
        BriefingSubmitted,
        ConsultationRequested,
        ConsultationAnswered,
        InspectionFindingReported,
        ClueHandedOver,
        BriefingOverdue,
    ),
    "Rectification": (
        RectificationRequired,
        RectificationProgressReported,
        RectificationCompleted,
        RectificationVerified,
        RectificationOverdue,
    ),
    "Sharing": (
        OutstandingIssueNotified,
        DailySupervisionReported,
        SystemicIssueDetected,
        ReportingCadenceSet,
        DailyReportOverdue,
        ImportantReportAcknowledged,
        PassOnConsented,
    ),
    "Coordination": (
        CollaborativeOversightProposed,
        CollaborativeOversightApproved,
        CollaborativeOversightCompleted,
        SupervisionPlanIssued,
        PlanItemCompleted,
        PlanItemOverdue,
        CaseConcluded,
        CaseReformRecommended,
        CaseReformOverdue,
        ProgressReportIssued,
    ),
    "Refusals": (EventRefused,),
    "Audit": (RecordViewed,),
}
"""Every event type, in the order of DOMAIN.md §3; the catalogue document follows it."""

EVENT_TYPES: dict[str, type[Payload]] = {cls.event_type: cls for group in GROUPS.values() for cls in group}

REFERENCE_TYPES = frozenset(cls.event_type for cls in GROUPS["Reference data"])
CLOCK_TYPES = frozenset({ClockTicked.event_type})
DERIVED_TYPES = frozenset(
    name for name, cls in EVENT_TYPES.items() if not cls.publishers and name not in CLOCK_TYPES
)
"""Events only the bus emits, derived from others; no body may publish them."""

PROTECTED_FIELDS: dict[str, tuple[str, ...]] = {
    name: paths
    for name, cls in EVENT_TYPES.items()
    if (
        paths := tuple(
            f"payload.{field}"
            for field, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("protected")
        )
    )
}
"""Fields the catalogue marks protected (schemas.ciphertext.PROTECTED): sealed by the SDK, seen in clear
only by letters-and-visits and case management of the jurisdiction and the event's own source."""


def payload_class(event_type: str) -> type[Payload]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


@cache
def envelope_for(event_type: str) -> type[Envelope[Any]]:
    """The envelope model that reads events of ``event_type``."""
    return envelope_class(payload_class(event_type))
