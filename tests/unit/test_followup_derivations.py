"""The follow-up mechanisms on event time: the second half of a round, late briefings, reporting
cadence, urgent reports, case-driven reform and systemic issues by sector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas import Envelope, Subject
from schemas.categories import FindingCategory
from schemas.enums import Severity, SubjectKind
from schemas.events.coordination import CaseReformRecommended
from schemas.events.followup import ImportantReportAcknowledged, ReportCadence, ReportingCadenceSet
from schemas.events.inspection import (
    BriefingSubmitted,
    ClueHandedOver,
    InspectionFindingReported,
    InspectionRoundPlanned,
)
from schemas.events.rectification import RectificationCompleted, RectificationRequired
from schemas.events.sharing import DailySupervisionReported
from streams.clock import clock_tick
from streams.derived import Policy
from streams.followups import periods
from streams.router import Outcome
from streams.second_half import rectification_id
from streams.testing import AT, Bench, demo_bench, event, finding

DAY = timedelta(days=1)
POLICY = Policy(systemic_min_units=9, systemic_min_regions=9, systemic_min_sectors=9)


@pytest.fixture
def bench() -> Bench:
    return demo_bench(policy=POLICY)


def accepted(bench: Bench, e: Envelope[Any]) -> Outcome:
    outcome = bench.publish(e)
    assert outcome.quarantined is None, outcome.quarantined
    return outcome


def derived(bench: Bench, e: Envelope[Any]) -> list[Envelope[Any]]:
    return list(accepted(bench, e).logged[1:])


def tick(bench: Bench, at: datetime) -> list[Envelope[Any]]:
    return derived(bench, clock_tick(at, "bus"))


def of_type(events: list[Envelope[Any]], event_type: str) -> list[Envelope[Any]]:
    return [e for e in events if e.event_type == event_type]


def inboxes(bench: Bench, outcome: Outcome, event_type: str) -> set[str]:
    """The bodies whose inbox ``outcome`` wrote an event of ``event_type`` to."""
    prefix = bench.topics.inbox("")
    return {
        w.topic.removeprefix(prefix)
        for w in outcome.writes
        if w.role == "inbox" and w.event_type == event_type
    }


def plan_round(bench: Bench, starts: datetime = AT + 10 * DAY, ends: datetime = AT + 40 * DAY) -> None:
    payload = InspectionRoundPlanned(
        round_id="round-9",
        team_body_id="inspection-team-1",
        unit_ids=("city-education",),
        starts_at=starts,
        ends_at=ends,
    )
    city = Subject(kind=SubjectKind.REGION, id="city")
    accepted(bench, event(payload, "inspection-office", subject=city, correlation_id="round-9"))


# -- after the round: the second half of the article -----------------------------------------


def inspection_finding(at: datetime, finding_id: str = "if-1") -> Envelope[Any]:
    payload = InspectionFindingReported(
        round_id="round-9",
        finding_id=finding_id,
        unit_id="city-education",
        category=FindingCategory.FORMALISM_BUREAUCRATISM,
        severity=Severity.MEDIUM,
        summary="Meetings instead of work.",
    )
    return event(payload, "inspection-team-1", at=at, correlation_id="matter-if")


def test_an_inspection_finding_becomes_a_rectification_due_after_the_round(bench: Bench) -> None:
    plan_round(bench)
    cause = inspection_finding(AT + 20 * DAY)
    outcome = accepted(bench, cause)
    [required] = [e for e in outcome.logged[1:] if e.event_type == "RectificationRequired"]
    p: RectificationRequired = required.payload
    assert p.rectification_id == rectification_id("if-1") == "rect-if-1"
    assert p.finding_id == "if-1" and p.unit_id == "city-education"
    assert p.deadline == AT + 40 * DAY + POLICY.rectification_period  # from the round's end
    assert p.supervising_bodies == ("city-office-1", "stationed-education")
    assert (required.source_body, required.causation_id, required.occurred_at) == (
        "bus",
        cause.event_id,
        cause.occurred_at,
    )
    assert required.correlation_id == "matter-if"
    assert inboxes(bench, outcome, "RectificationRequired") == {"city-office-1", "stationed-education"}
    # and it is followed up like any rectification: overdue once the deadline passes, open
    assert of_type(tick(bench, p.deadline - DAY), "RectificationOverdue") == []
    [overdue] = of_type(tick(bench, p.deadline + DAY), "RectificationOverdue")
    assert (overdue.event_type, overdue.payload.rectification_id) == ("RectificationOverdue", "rect-if-1")


def test_a_finding_already_given_a_rectification_by_a_body_derives_none(bench: Bench) -> None:
    plan_round(bench)
    own = RectificationRequired(
        rectification_id="rect-own",
        unit_id="city-education",
        finding_id="if-1",
        description="Fix it.",
        deadline=AT + 90 * DAY,
        supervising_bodies=("stationed-education",),
    )
    accepted(bench, event(own, "city-office-1", at=AT + 12 * DAY))
    assert [e.event_type for e in derived(bench, inspection_finding(AT + 20 * DAY))] == []


def test_the_derived_rectification_is_the_same_in_a_replay(bench: Bench) -> None:
    plan_round(bench)
    cause = inspection_finding(AT + 20 * DAY)
    first = accepted(bench, cause)
    replay = bench.fresh()
    plan_round(replay)
    again = accepted(replay, cause)
    assert [e.event_id for e in first.logged] == [e.event_id for e in again.logged]


def test_a_clue_the_team_hands_over_is_transferred_to_the_body_with_jurisdiction(bench: Bench) -> None:
    plan_round(bench)
    payload = ClueHandedOver(
        round_id="round-9",
        clue_id="clue-h",
        unit_id="city-education",
        cadre_id="cadre-zhao",
        summary="Gifts at festivals.",
    )
    cause = event(payload, "inspection-team-1", at=AT + 15 * DAY)
    outcome = accepted(bench, cause)
    [transfer] = outcome.logged[1:]
    assert transfer.event_type == "ClueTransferred" and transfer.causation_id == cause.event_id
    assert (transfer.payload.from_body, transfer.payload.to_body) == ("inspection-team-1", "city-commission")
    assert bench.state.transferred_to("clue-h") == "city-commission"
    assert "city-commission" in inboxes(bench, outcome, "ClueTransferred")


# -- before the round: briefings ----------------------------------------------------------------


def test_briefings_not_submitted_by_the_round_s_start_are_reminded_once(bench: Bench) -> None:
    plan_round(bench)
    brief = BriefingSubmitted(
        round_id="round-9", unit_id="city-education", team_body_id="inspection-team-1", summary="Briefed."
    )
    accepted(bench, event(brief, "city-letters", at=AT + 5 * DAY, correlation_id="round-9"))
    late = event(brief, "city-office-1", at=AT + 11 * DAY, correlation_id="round-9")  # after the start
    accepted(bench, late)
    assert tick(bench, AT + 9 * DAY) == []
    outcome = accepted(bench, clock_tick(AT + 10 * DAY + timedelta(seconds=1), "bus"))
    late = outcome.logged[1:]
    assert sorted(e.payload.requested_from for e in late) == [
        "city-comprehensive",
        "city-office-1",
        "stationed-education",
    ]
    assert all(e.event_type == "BriefingOverdue" for e in late)
    assert {e.payload.inspection_office for e in late} == {"inspection-office"}
    assert inboxes(bench, outcome, "BriefingOverdue") == {
        "city-comprehensive",
        "city-office-1",
        "stationed-education",
        "inspection-team-1",
        "inspection-office",
    }
    assert tick(bench, AT + 12 * DAY) == []


# -- regular reporting ----------------------------------------------------------------------------


def report(start: datetime, end: datetime, at: datetime, **kw: Any) -> Envelope[Any]:
    payload = DailySupervisionReported(period_start=start, period_end=end, summary="Monthly report.", **kw)
    return event(
        payload,
        "stationed-education",
        at=at,
        subject=Subject(kind=SubjectKind.BODY, id="stationed-education"),
    )


JAN, FEB, MAR, APR = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3, 4))


def test_a_month_without_a_report_is_overdue_after_its_grace_time(bench: Bench) -> None:
    accepted(bench, report(JAN, FEB, FEB + 2 * DAY))  # January on time: the relation starts
    accepted(bench, report(FEB, FEB, FEB + 3 * DAY, important=True))  # important news is no report
    assert tick(bench, MAR + 4 * DAY) == []  # within the grace time
    outcome = accepted(bench, clock_tick(MAR + 6 * DAY, "bus"))
    [overdue] = outcome.logged[1:]
    p = overdue.payload
    assert overdue.event_type == "DailyReportOverdue"
    assert (p.reporting_body, p.period_start, p.period_end, p.due_at) == (
        "stationed-education",
        FEB,
        MAR,
        MAR + POLICY.report_grace,
    )
    assert p.office_ids == ("city-office-1",) and p.cadence == ReportCadence.MONTHLY
    assert inboxes(bench, outcome, "DailyReportOverdue") == {"stationed-education", "city-office-1"}
    assert tick(bench, MAR + 7 * DAY) == []  # once per period
    accepted(bench, report(MAR, APR, APR + DAY))
    assert tick(bench, APR + 10 * DAY) == []


def test_a_late_report_does_not_undo_an_overdue_period_but_an_early_one_counts(bench: Bench) -> None:
    accepted(bench, report(JAN, FEB, FEB + 9 * DAY))  # January, late
    [overdue] = tick(bench, FEB + 10 * DAY)
    assert overdue.payload.period_start == JAN


def test_an_office_sets_a_weekly_cadence_with_its_own_grace(bench: Bench) -> None:
    cadence = ReportingCadenceSet(
        reporting_body="stationed-education", cadence=ReportCadence.WEEKLY, grace_days=1
    )
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    accepted(bench, event(cadence, "city-office-1", at=monday + timedelta(hours=9)))
    accepted(bench, report(monday, monday + 7 * DAY, monday + 7 * DAY))
    assert tick(bench, monday + 15 * DAY) == []  # week 2 due on day 15
    [overdue] = tick(bench, monday + 15 * DAY + timedelta(seconds=1))
    assert (overdue.payload.period_start, overdue.payload.cadence) == (monday + 7 * DAY, ReportCadence.WEEKLY)


def test_calendar_periods() -> None:
    assert list(
        periods(ReportCadence.QUARTERLY, datetime(2026, 2, 10, tzinfo=UTC), datetime(2026, 7, 2, tzinfo=UTC))
    ) == [
        (JAN, APR),
        (APR, datetime(2026, 7, 1, tzinfo=UTC)),
    ]
    assert list(
        periods(ReportCadence.MONTHLY, datetime(2026, 12, 5, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    ) == [(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))]


def test_an_urgent_report_is_tracked_and_its_acknowledgement_reaches_the_reporter(bench: Bench) -> None:
    urgent = report(MAR, MAR, MAR + DAY, important=True, urgent=True)
    accepted(bench, urgent)
    assert bench.state.followups.urgent == {str(urgent.event_id): ("stationed-education", MAR + DAY)}
    ack = ImportantReportAcknowledged(
        report_event_id=str(urgent.event_id), reporting_body="stationed-education"
    )
    outcome = accepted(bench, event(ack, "city-office-1", at=MAR + DAY + timedelta(hours=2)))
    assert inboxes(bench, outcome, "ImportantReportAcknowledged") == {"stationed-education", "city-office-1"}


# -- case-driven reform ------------------------------------------------------------------------


def reform(deadline: datetime) -> Envelope[Any]:
    payload = CaseReformRecommended(
        case_id="case-1",
        recommendation_id="reform-1",
        unit_id="city-education",
        recommendations="Publish the canteen accounts.",
        deadline=deadline,
    )
    return event(payload, "city-review", correlation_id="case-1")


def test_an_open_reform_past_its_deadline_is_overdue_to_its_supervisors_once(bench: Bench) -> None:
    accepted(bench, reform(AT + 10 * DAY))
    assert tick(bench, AT + 9 * DAY) == []
    outcome = accepted(bench, clock_tick(AT + 11 * DAY, "bus"))
    [overdue] = outcome.logged[1:]
    assert overdue.event_type == "CaseReformOverdue"
    assert (overdue.payload.recommendation_id, overdue.payload.case_id) == ("reform-1", "case-1")
    assert overdue.correlation_id == "case-1"
    assert inboxes(bench, outcome, "CaseReformOverdue") == {
        "city-review",
        "stationed-education",
        "city-office-1",
    }
    assert tick(bench, AT + 12 * DAY) == []


def test_a_reform_completed_in_time_is_not_overdue(bench: Bench) -> None:
    accepted(bench, reform(AT + 10 * DAY))
    done = RectificationCompleted(rectification_id="reform-1", summary="Accounts published.")
    outcome = accepted(bench, event(done, "stationed-education", at=AT + 5 * DAY, correlation_id="case-1"))
    assert inboxes(bench, outcome, "RectificationCompleted") == {
        "city-review",
        "stationed-education",
        "city-office-1",
    }
    assert tick(bench, AT + 11 * DAY) == []


# -- systemic issues by sector -----------------------------------------------------------------


def test_one_category_across_sectors_is_systemic_and_names_no_sector() -> None:
    b = demo_bench(policy=Policy(systemic_min_units=9, systemic_min_regions=9, systemic_min_sectors=2))
    accepted(b, finding("city-education", "stationed-education", at=AT))
    accepted(b, finding("city-bank", "city-office-2", at=AT + DAY, finding_id="f-2"))
    [issue] = tick(b, AT + 2 * DAY)
    assert issue.event_type == "SystemicIssueDetected"
    assert (issue.payload.sector, issue.payload.sector_count) == (None, 2)


def test_a_systemic_issue_in_one_sector_names_it() -> None:
    b = demo_bench(policy=Policy(systemic_min_units=3, systemic_min_regions=9, systemic_min_sectors=9))
    for n, (unit, source) in enumerate(
        [
            ("city-education", "stationed-education"),
            ("yuzhong-school", "yuzhong-commission"),
            ("jiangbei-school", "jiangbei-commission"),
        ]
    ):
        accepted(b, finding(unit, source, at=AT + n * DAY, finding_id=f"f-{n}"))
    [issue] = tick(b, AT + 3 * DAY)
    assert (issue.payload.sector, issue.payload.sector_count) == ("education", 1)
