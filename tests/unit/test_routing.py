"""Routing rules as a table: an event about a subject -> the bodies that receive it, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas import Envelope, Subject
from schemas.categories import FindingCategory
from schemas.enums import (
    Classification,
    Disposition,
    Handling,
    PlanKind,
    Severity,
    SubjectKind,
    UnitLevel,
    VerificationOutcome,
    ViewedRecord,
)
from schemas.events.audit import RecordViewed
from schemas.events.clock import ClockTicked
from schemas.events.clues import (
    ClueDisposed,
    ClueTransferred,
    Informant,
)
from schemas.events.coordination import PlanItem, ProgressReportIssued, SupervisionPlanIssued
from schemas.events.inspection import BriefingRequested, InspectionFindingReported, InspectionRoundPlanned
from schemas.events.rectification import RectificationCompleted, RectificationRequired, RectificationVerified
from schemas.events.reference import UnitRegistered
from schemas.events.sharing import DailySupervisionReported, OutstandingIssueNotified, SystemicIssueDetected
from streams.routing import recipients, withheld_from
from streams.state import BusState
from streams.testing import AT, Bench, demo_bench, event
from streams.testing import clue as shared_clue
from streams.testing import finding as shared_finding

BUS = "bus"
ROUND_START = AT - timedelta(days=1)


@pytest.fixture(scope="module")
def bench() -> Bench:
    return demo_bench()


def finding(unit_id: str, source: str, **kw: Any) -> Envelope[Any]:
    return shared_finding(
        unit_id, source, severity=Severity.MEDIUM, summary="Banquets at public expense.", **kw
    )


def clue(cadre_id: str, unit_id: str, source: str, **kw: Any) -> Envelope[Any]:
    return shared_clue(
        cadre_id, unit_id, source, clue_id="clue-9", informant=Informant(name="A. Citizen"), **kw
    )


def round_planned(unit_ids: tuple[str, ...]) -> Envelope[Any]:
    payload = InspectionRoundPlanned(
        round_id="round-1",
        team_body_id="inspection-team-1",
        unit_ids=unit_ids,
        starts_at=ROUND_START,
        ends_at=ROUND_START + timedelta(days=30),
    )
    return event(payload, "inspection-office", subject=Subject(kind=SubjectKind.REGION, id="city"))


def rectification_required() -> Envelope[Any]:
    payload = RectificationRequired(
        rectification_id="rect-1",
        unit_id="city-education",
        description="Stop the banquets.",
        deadline=AT + timedelta(days=30),
        supervising_bodies=("stationed-education", "city-office-1"),
    )
    return event(payload, "city-office-1")


def region(region_id: str) -> Subject:
    return Subject(kind=SubjectKind.REGION, id=region_id)


def body(body_id: str) -> Subject:
    return Subject(kind=SubjectKind.BODY, id=body_id)


def viewed(viewer_body: str, record: ViewedRecord, record_id: str) -> Envelope[Any]:
    payload = RecordViewed(viewer="wang.li", viewer_body=viewer_body, record=record, record_id=record_id)
    return event(payload, "dashboard", subject=body(viewer_body))


CASES: list[tuple[str, Envelope[Any], list[Envelope[Any]], dict[str, set[str]]]] = [
    (
        "a contact office's finding at a district hospital",
        finding("yuzhong-hospital", "city-office-1"),
        [],
        {
            "city-office-1": {"source", "contact_office"},
            "yuzhong-commission": {"jurisdiction", "lower_commission"},
            "yuzhong-stationed-health": {"stationed_agency"},
        },
    ),
    (
        "a stationed agency's finding at its own municipal unit",
        finding("city-education", "stationed-education"),
        [],
        {
            "stationed-education": {"source", "stationed_agency"},
            "city-commission": {"jurisdiction"},
            "city-office-1": {"contact_office"},
        },
    ),
    (
        "a finding at a municipal bank reaches its own contact office only",
        finding("city-bank", "city-office-1"),
        [],
        {
            "city-office-1": {"source"},
            "city-office-2": {"contact_office"},
            "city-commission": {"jurisdiction"},
        },
    ),
    (
        "a district commission's finding in its own district",
        finding("jiangbei-school", "jiangbei-commission"),
        [],
        {
            "jiangbei-commission": {"source", "jurisdiction", "lower_commission"},
            "city-office-1": {"contact_office"},
        },
    ),
    (
        "a confidential finding stays with its jurisdiction: no stationed agency",
        finding("yuzhong-hospital", "city-office-1", classification=Classification.CONFIDENTIAL),
        [],
        {
            "city-office-1": {"source", "contact_office"},
            "yuzhong-commission": {"jurisdiction", "lower_commission"},
        },
    ),
    (
        "an internal finding never to be passed on: the stricter code wins",
        finding("yuzhong-hospital", "city-office-1", handling=Handling.NEVER_PASS_ON),
        [],
        {
            "city-office-1": {"source", "contact_office"},
            "yuzhong-commission": {"jurisdiction", "lower_commission"},
        },
    ),
    (
        "a finding during an inspection round of the unit also reaches the team",
        finding("yuzhong-school", "yuzhong-commission"),
        [round_planned(("yuzhong-school",))],
        {
            "yuzhong-commission": {"source", "jurisdiction", "lower_commission"},
            "city-office-1": {"contact_office"},
            "inspection-team-1": {"inspection_round"},
        },
    ),
    (
        "a finding after the round has ended does not",
        finding("yuzhong-school", "yuzhong-commission", at=ROUND_START + timedelta(days=31)),
        [round_planned(("yuzhong-school",))],
        {
            "yuzhong-commission": {"source", "jurisdiction", "lower_commission"},
            "city-office-1": {"contact_office"},
        },
    ),
    (
        "the team's own inspection finding",
        event(
            InspectionFindingReported(
                round_id="round-1",
                finding_id="if-1",
                unit_id="city-education",
                category=FindingCategory.FORMALISM_BUREAUCRATISM,
                severity=Severity.LOW,
                summary="Paperwork.",
            ),
            "inspection-team-1",
        ),
        [round_planned(("city-education",))],
        {
            "inspection-team-1": {"source", "inspection_round"},
            "city-commission": {"jurisdiction"},
            "city-office-1": {"contact_office"},
            "stationed-education": {"stationed_agency"},
        },
    ),
    (
        "a clue about a municipal-managed cadre received in a district",
        clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters"),
        [],
        {
            "yuzhong-letters": {"source"},
            "city-commission": {"jurisdiction"},
            "city-case-mgmt": {"clue_register"},
        },
    ),
    (
        "a clue about a district-managed cadre received by the city",
        clue("cadre-sun", "yuzhong-hospital", "city-letters"),
        [],
        {
            "city-letters": {"source"},
            "yuzhong-commission": {"jurisdiction"},
            "yuzhong-case-mgmt": {"clue_register"},
        },
    ),
    (
        "a confidential clue still reaches holder and register",
        clue("cadre-li", "jiangbei-school", "city-letters", classification=Classification.CONFIDENTIAL),
        [],
        {
            "city-letters": {"source"},
            "jiangbei-commission": {"jurisdiction"},
            "jiangbei-case-mgmt": {"clue_register"},
        },
    ),
    (
        "a transfer: new and previous holder and both registers; the bus has no inbox",
        event(
            ClueTransferred(
                clue_id="clue-9", from_body="yuzhong-letters", to_body="city-commission", reason="x"
            ),
            BUS,
            subject=Subject(kind=SubjectKind.CADRE, id="cadre-qian"),
        ),
        [],
        {
            "city-commission": {"new_holder"},
            "yuzhong-letters": {"previous_holder"},
            "city-case-mgmt": {"clue_register"},
            "yuzhong-case-mgmt": {"clue_register"},
        },
    ),
    (
        "a disposal goes to the clue's current holder and its register",
        event(
            ClueDisposed(clue_id="clue-9", disposition=Disposition.CLOSED, reason="Unfounded."),
            "city-review",
            subject=Subject(kind=SubjectKind.CADRE, id="cadre-sun"),
        ),
        [clue("cadre-sun", "yuzhong-hospital", "city-letters")],
        {"city-review": {"source"}, "yuzhong-commission": {"holder"}, "yuzhong-case-mgmt": {"clue_register"}},
    ),
    (
        "the round goes to its team",
        round_planned(("city-education",)),
        [],
        {"inspection-office": {"source"}, "inspection-team-1": {"team"}},
    ),
    (
        "a briefing request goes to the body asked and the team",
        event(
            BriefingRequested(
                round_id="round-1",
                unit_id="city-education",
                team_body_id="inspection-team-1",
                requested_from="city-letters",
                due_at=ROUND_START,
            ),
            BUS,
        ),
        [],
        {"city-letters": {"briefing_requested"}, "inspection-team-1": {"team"}},
    ),
    (
        "a rectification goes to its supervising bodies",
        rectification_required(),
        [],
        {"city-office-1": {"source", "supervising"}, "stationed-education": {"supervising"}},
    ),
    (
        "its completion too, though it names only the rectification",
        event(
            RectificationCompleted(rectification_id="rect-1", summary="Done."),
            "stationed-education",
            subject=Subject(kind=SubjectKind.UNIT, id="city-education"),
        ),
        [rectification_required()],
        {"stationed-education": {"source", "supervising"}, "city-office-1": {"supervising"}},
    ),
    (
        "a stationed agency's daily report goes to its unit's contact office",
        event(
            DailySupervisionReported(
                period_start=AT - timedelta(days=7), period_end=AT, summary="Quiet week."
            ),
            "stationed-education",
        ),
        [],
        {"stationed-education": {"source"}, "city-office-1": {"contact_office"}},
    ),
    (
        "a district commission's daily report about its region",
        event(
            DailySupervisionReported(
                period_start=AT - timedelta(days=7), period_end=AT, summary="Quiet week."
            ),
            "yuzhong-commission",
            subject=region("yuzhong"),
        ),
        [],
        {"yuzhong-commission": {"source"}, "city-office-1": {"contact_office"}},
    ),
    (
        "an outstanding issue goes to the bodies notified",
        event(
            OutstandingIssueNotified(
                finding_id="f-1",
                unit_id="yuzhong-hospital",
                category=FindingCategory.CORRUPTION,
                severity=Severity.HIGH,
                notified_bodies=("yuzhong-commission", "yuzhong-stationed-health"),
            ),
            BUS,
        ),
        [],
        {"yuzhong-commission": {"notified"}, "yuzhong-stationed-health": {"notified"}},
    ),
    (
        "a systemic issue: comprehensive supervision, leadership, and each unit's bodies",
        event(
            SystemicIssueDetected(
                issue_id="s-1",
                category=FindingCategory.EIGHT_POINT_RULES,
                unit_ids=("city-education", "jiangbei-school"),
                region_ids=("city", "jiangbei"),
                finding_ids=("f-1", "f-2"),
                window_start=AT,
                window_end=AT + timedelta(days=30),
            ),
            BUS,
            subject=region("city"),
        ),
        [],
        {
            "city-comprehensive": {"comprehensive"},
            "city-leadership": {"systemic"},
            "city-commission": {"jurisdiction"},
            "jiangbei-commission": {"jurisdiction", "lower_commission"},
            "city-office-1": {"contact_office"},
            "stationed-education": {"stationed_agency"},
        },
    ),
    (
        "a plan goes to every body assigned an item",
        event(
            SupervisionPlanIssued(
                plan_id="plan-2026",
                year=2026,
                kind=PlanKind.ANNUAL,
                title="Annual plan",
                items=(
                    PlanItem(
                        item_id="i-1",
                        content="c",
                        standard="s",
                        due_at=AT,
                        assigned_bodies=("city-office-1",),
                    ),
                    PlanItem(
                        item_id="i-2",
                        content="c",
                        standard="s",
                        due_at=AT,
                        assigned_bodies=("yuzhong-commission",),
                    ),
                ),
            ),
            "city-comprehensive",
            subject=region("city"),
        ),
        [],
        {"city-comprehensive": {"source"}, "city-office-1": {"assigned"}, "yuzhong-commission": {"assigned"}},
    ),
    (
        "the half-yearly report goes to leadership",
        event(
            ProgressReportIssued(
                period_start=AT - timedelta(days=180), period_end=AT, summary="Half a year."
            ),
            "city-comprehensive",
            subject=region("city"),
        ),
        [],
        {"city-comprehensive": {"source"}, "city-leadership": {"leadership"}},
    ),
    ("a clock tick goes to no inbox", event(ClockTicked(tick_at=AT), BUS), [], {}),
    (
        "a district commission opens a clue the city holds: both case managements, not the dashboard",
        viewed("yuzhong-commission", ViewedRecord.CLUE, "clue-9"),
        [clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters")],
        {"yuzhong-case-mgmt": {"view_register"}, "city-case-mgmt": {"view_register"}},
    ),
    (
        "a clue transferred down: the new holder's case management keeps its register",
        viewed("city-office-1", ViewedRecord.CLUE, "clue-9"),
        [
            clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters"),
            event(
                ClueTransferred(
                    clue_id="clue-9",
                    from_body="city-commission",
                    to_body="jiangbei-commission",
                    reason="Handled where the cadre now works.",
                ),
                "city-commission",
                subject=Subject(kind=SubjectKind.CADRE, id="cadre-qian"),
                correlation_id="clue-9",
                at=AT + timedelta(hours=1),
            ),
        ],
        {"city-case-mgmt": {"view_register"}, "jiangbei-case-mgmt": {"view_register"}},
    ),
    (
        "a city office opens a district unit's dossier",
        viewed("city-office-1", ViewedRecord.DOSSIER, "yuzhong-school"),
        [],
        {"city-case-mgmt": {"view_register"}, "yuzhong-case-mgmt": {"view_register"}},
    ),
    (
        "the inspection office, in no commission, opens a municipal unit's dossier",
        viewed("inspection-office", ViewedRecord.DOSSIER, "city-education"),
        [],
        {"city-case-mgmt": {"view_register"}},
    ),
    (
        "reference data goes to no inbox",
        event(
            UnitRegistered(
                unit_id="u-new", name="New", region_id="city", level=UnitLevel.MUNICIPAL, sector="health"
            ),
            "registrar",
        ),
        [],
        {},
    ),
]


@pytest.mark.parametrize(("case", "subject_event", "before", "expected"), CASES, ids=[c[0] for c in CASES])
def test_recipients(
    bench: Bench,
    case: str,
    subject_event: Envelope[Any],
    before: list[Envelope[Any]],
    expected: dict[str, set[str]],
) -> None:
    state = BusState()
    for earlier in before:
        state.apply(earlier)
    assert recipients(subject_event, bench.registry, state) == expected


@pytest.mark.parametrize(
    ("body_id", "withheld"),
    [
        ("city-commission", ("payload.informant",)),
        ("city-review", ("payload.informant",)),
        ("city-letters", ()),
        ("yuzhong-letters", ()),
        ("city-case-mgmt", ()),
    ],
)
def test_only_letters_and_case_management_see_the_informant(
    bench: Bench, body_id: str, withheld: tuple
) -> None:
    assert (
        withheld_from(clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters"), body_id, bench.registry)
        == withheld
    )


def test_a_rejected_verification_reaches_the_same_supervisors(bench: Bench) -> None:
    state = BusState()
    state.apply(rectification_required())
    verified = event(
        RectificationVerified(
            rectification_id="rect-1", outcome=VerificationOutcome.REJECTED, note="Not yet."
        ),
        "stationed-education",
        subject=Subject(kind=SubjectKind.UNIT, id="city-education"),
        at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert recipients(verified, bench.registry, state) == {
        "stationed-education": {"source", "supervising"},
        "city-office-1": {"supervising"},
    }
