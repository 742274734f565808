"""A day on the bus that sets off every rule reading state across entities: each fact under the
matter the SDK gives it, unless it names one a publisher may choose. Shared by the tests that
check how the router's state could be partitioned (docs/partitioned-state.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from producers.facts import matter_of
from schemas import Envelope, Subject
from schemas.catalogue import CLOCK_TYPES
from schemas.categories import FindingCategory
from schemas.enums import Handling, PlanKind, Severity, SubjectKind, ViewedRecord
from schemas.events.audit import RecordViewed
from schemas.events.clues import ClueTransferred
from schemas.events.coordination import (
    CaseReformRecommended,
    CollaborativeOversightApproved,
    CollaborativeOversightCompleted,
    PlanItem,
    PlanItemCompleted,
    SupervisionPlanIssued,
)
from schemas.events.followup import PassOnConsented, ReportCadence, ReportingCadenceSet
from schemas.events.inspection import BriefingSubmitted, InspectionFindingReported, InspectionRoundPlanned
from schemas.events.rectification import RectificationCompleted, RectificationRequired
from schemas.events.sharing import DailySupervisionReported
from streams.clock import clock_tick
from streams.derived import Policy
from streams.testing import AT, clue, event, finding

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
CITY = Subject(kind=SubjectKind.REGION, id="city")
FEB = AT.replace(month=2, day=1, hour=0, minute=0)
POLICY = Policy(systemic_min_units=3, systemic_min_regions=9, systemic_min_sectors=9)
"""The policy the scenario is written for: one category at three units is systemic."""


def as_the_sdk_sends(e: Envelope[Any]) -> Envelope[Any]:
    """``e`` under the matter the SDK gives a fact whose publisher names none (``matter_of``)."""
    if e.correlation_id != str(e.event_id) or e.event_type in CLOCK_TYPES:
        return e
    return e.model_copy(update={"correlation_id": matter_of(e.payload) or e.correlation_id})


def scenario() -> list[Envelope[Any]]:
    """Facts that set off every rule. Those that name a matter name one a publisher may choose;
    the others get the SDK's default (``as_the_sdk_sends``)."""
    received = clue(
        "cadre-sun",
        "yuzhong-hospital",
        "yuzhong-letters",
        handling=Handling.WITH_CONSENT,
        correlation_id="m-clue",
    )
    cited = finding(
        "city-education", "city-office-1", finding_id="f-cited", handling=Handling.SUPERVISION_ONLY
    )
    round_ = InspectionRoundPlanned(
        round_id="round-9",
        team_body_id="inspection-team-1",
        unit_ids=("city-education",),
        starts_at=AT + 10 * DAY,
        ends_at=AT + 40 * DAY,
    )
    reported = InspectionFindingReported(
        round_id="round-9",
        finding_id="if-1",
        unit_id="city-education",
        category=FindingCategory.FORMALISM_BUREAUCRATISM,
        severity=Severity.MEDIUM,
        summary="Meetings instead of work.",
    )
    items = tuple(
        PlanItem(
            item_id=f"i-{n}",
            content="c",
            standard="s",
            due_at=AT + n * DAY,
            assigned_bodies=("city-office-1",),
        )
        for n in (1, 2)
    )
    plan = SupervisionPlanIssued(
        plan_id="plan-1", year=2026, kind=PlanKind.SPECIAL, title="Special", items=items
    )
    reforms = [
        CaseReformRecommended(
            case_id="case-1",
            recommendation_id=f"reform-{n}",
            unit_id="city-education",
            recommendations="Publish the canteen accounts.",
            deadline=AT + 50 * DAY,
        )
        for n in (1, 2)
    ]
    formalism = [
        finding(
            unit,
            source,
            at=AT + day * DAY,
            finding_id=f"f-{unit}",
            category=FindingCategory.FORMALISM_BUREAUCRATISM,
        )
        for unit, source, day in (
            ("yuzhong-school", "yuzhong-commission", 21),
            ("jiangbei-school", "jiangbei-commission", 22),
        )
    ]
    reused = finding(
        "yuzhong-hospital",
        "city-office-1",
        at=AT + 23 * DAY,
        finding_id="f-reused",
        event_id=received.event_id,
    )
    return [
        received,
        event(
            PassOnConsented(event_id=str(received.event_id), consented_to="yuzhong-commission"),
            "yuzhong-letters",
            at=AT + 2 * HOUR,
            correlation_id="m-clue",
        ),
        event(
            ClueTransferred(
                clue_id="clue-1", from_body="yuzhong-commission", to_body="city-commission", reason="Wider."
            ),
            "yuzhong-commission",
            at=AT + 3 * HOUR,
            correlation_id="m-clue",
        ),
        event(
            RecordViewed(
                viewer="wang.li", viewer_body="city-commission", record=ViewedRecord.CLUE, record_id="clue-1"
            ),
            "dashboard",
            at=AT + 4 * HOUR,
            subject=Subject(kind=SubjectKind.BODY, id="city-commission"),
        ),
        cited,
        event(
            _rectification("rect-h", AT + 30 * DAY),
            "stationed-education",
            at=AT + HOUR,
            handling=Handling.NEVER_PASS_ON,
        ).model_copy(update={"causation_id": cited.event_id}),
        event(round_, "inspection-office", subject=CITY),
        finding(
            "city-education",
            "stationed-education",
            at=AT + 20 * DAY,
            finding_id="f-round",
            correlation_id="m-f",
        ),
        event(reported, "inspection-team-1", at=AT + 20 * DAY, correlation_id="matter-if"),
        *formalism,
        reused,
        event(
            RectificationCompleted(rectification_id="rect-if-1", summary="Done."),
            "stationed-education",
            at=AT + 45 * DAY,
            correlation_id="matter-if",
        ),
        event(_rectification("rect-if-1", AT + 90 * DAY), "stationed-education", at=AT + 46 * DAY),
        event(plan, "city-comprehensive", subject=CITY),
        event(
            PlanItemCompleted(plan_id="plan-1", item_id="i-1", summary="Done."), "city-office-1", at=AT + HOUR
        ),
        *(event(r, "city-review", correlation_id="case-1") for r in reforms),
        event(
            RectificationCompleted(rectification_id="reform-1", summary="Published."),
            "stationed-education",
            at=AT + 5 * DAY,
            correlation_id="case-1",
        ),
        event(
            CollaborativeOversightApproved(
                matter_id="m-ov", lead_body="city-office-1", participating_bodies=("stationed-education",)
            ),
            "city-comprehensive",
            subject=CITY,
            correlation_id="m-ov",
        ),
        event(
            CollaborativeOversightCompleted(matter_id="m-ov", summary="Done."),
            "city-comprehensive",
            at=AT + DAY,
            subject=CITY,
        ),
        event(
            ReportingCadenceSet(reporting_body="stationed-education", cadence=ReportCadence.MONTHLY),
            "city-office-1",
            subject=Subject(kind=SubjectKind.BODY, id="stationed-education"),
        ),
        event(
            DailySupervisionReported(period_start=FEB, period_end=AT.replace(day=1), summary="February."),
            "jiangbei-commission",
            at=AT + HOUR,
            subject=Subject(kind=SubjectKind.BODY, id="jiangbei-commission"),
        ),
        event(
            BriefingSubmitted(
                round_id="round-9", unit_id="city-education", team_body_id="inspection-team-1", summary="B."
            ),
            "stationed-education",
            at=AT + 5 * DAY,
        ),
        clock_tick(AT + 60 * DAY, "bus"),
    ]


def _rectification(rectification_id: str, deadline: datetime) -> RectificationRequired:
    return RectificationRequired(
        rectification_id=rectification_id,
        unit_id="city-education",
        description="Fix it.",
        deadline=deadline,
        supervising_bodies=("stationed-education",),
    )
