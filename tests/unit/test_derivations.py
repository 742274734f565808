"""Derived flows, as pure functions of event, registry and state: each case says what the bus adds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from schemas import Envelope, Subject, verify_event
from schemas.enums import Classification, PlanKind, Severity, SubjectKind, VerificationOutcome
from schemas.events.coordination import PlanItem, PlanItemCompleted, SupervisionPlanIssued
from schemas.events.inspection import InspectionRoundPlanned
from schemas.events.rectification import RectificationCompleted, RectificationRequired, RectificationVerified
from streams.clock import clock_tick
from streams.derived import Policy
from streams.testing import AT, Bench, demo_bench, event, finding
from streams.testing import clue as shared_clue

DAY = timedelta(days=1)


@pytest.fixture
def bench() -> Bench:
    return demo_bench(policy=Policy(systemic_min_units=3, systemic_min_regions=3, systemic_window=30 * DAY))


def derived(bench: Bench, e: Envelope[Any]) -> list[Envelope[Any]]:
    outcome = bench.publish(e)
    assert outcome.quarantined is None, outcome.quarantined
    return list(outcome.logged[1:])


def clue(cadre_id: str, unit_id: str, source: str, **kw: Any) -> Envelope[Any]:
    return shared_clue(cadre_id, unit_id, source, clue_id="clue-7", **kw)


def rectification(rect_id: str, deadline: datetime, unit_id: str = "city-education") -> Envelope[Any]:
    payload = RectificationRequired(
        rectification_id=rect_id,
        unit_id=unit_id,
        description="Fix it.",
        deadline=deadline,
        supervising_bodies=("stationed-education", "city-office-1"),
    )
    return event(payload, "city-office-1", at=AT, correlation_id=f"matter-{rect_id}")


def status(payload: Any, at: datetime) -> Envelope[Any]:
    """A supervising body's report on a rectification, in the rectification's matter."""
    return event(
        payload,
        "stationed-education",
        at=at,
        subject=Subject(kind=SubjectKind.UNIT, id="city-education"),
        correlation_id=f"matter-{payload.rectification_id}",
    )


# -- clue jurisdiction ------------------------------------------------------------------------


def test_a_clue_received_without_jurisdiction_is_transferred_to_the_holder(bench: Bench) -> None:
    cause = clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters")
    [transfer] = derived(bench, cause)
    assert transfer.event_type == "ClueTransferred"
    assert (transfer.payload.from_body, transfer.payload.to_body) == ("yuzhong-letters", "city-commission")
    assert transfer.causation_id == cause.event_id
    assert transfer.correlation_id == cause.correlation_id
    assert transfer.occurred_at == cause.occurred_at
    assert transfer.source_body == "bus"
    verify_event(transfer, bench.keys["bus"].verify_key)


@pytest.mark.parametrize(
    ("cadre", "unit", "source"),
    [
        ("cadre-sun", "yuzhong-hospital", "yuzhong-letters"),  # district cadre, district office
        ("cadre-zhao", "city-education", "city-letters"),  # municipal cadre, city office
        ("cadre-zhao", "city-education", "stationed-education"),  # the city's stationed agency
    ],
)
def test_no_transfer_when_the_receiving_commission_has_jurisdiction(
    bench: Bench, cadre: str, unit: str, source: str
) -> None:
    assert derived(bench, clue(cadre, unit, source)) == []


def test_a_transfer_keeps_the_clue_s_classification(bench: Bench) -> None:
    [transfer] = derived(
        bench,
        clue("cadre-sun", "yuzhong-hospital", "city-letters", classification=Classification.CONFIDENTIAL),
    )
    assert transfer.classification == Classification.CONFIDENTIAL
    assert transfer.payload.to_body == "yuzhong-commission"


def test_derived_ids_are_the_same_in_a_replay(bench: Bench) -> None:
    cause = clue("cadre-qian", "yuzhong-hospital", "yuzhong-letters")
    first = bench.publish(cause)
    again = bench.fresh().publish(cause)
    assert [e.event_id for e in first.logged] == [e.event_id for e in again.logged]
    assert first.writes == again.writes


# -- results sharing --------------------------------------------------------------------------


def test_a_contact_office_s_high_severity_finding_is_shared_at_once(bench: Bench) -> None:
    cause = finding("yuzhong-hospital", "city-office-1", severity=Severity.HIGH)
    [notice] = derived(bench, cause)
    assert notice.event_type == "OutstandingIssueNotified"
    assert notice.payload.notified_bodies == ("yuzhong-commission", "yuzhong-stationed-health")
    assert notice.causation_id == cause.event_id


@pytest.mark.parametrize(
    ("unit", "source", "severity", "kw"),
    [
        ("yuzhong-hospital", "city-office-1", Severity.MEDIUM, {}),  # not outstanding
        ("city-education", "stationed-education", Severity.CRITICAL, {}),  # not a contact office
        ("city-bank", "city-office-1", Severity.HIGH, {}),  # not in its contact area
        ("yuzhong-hospital", "city-office-1", Severity.HIGH, {"classification": Classification.CONFIDENTIAL}),
    ],
)
def test_no_outstanding_issue(bench: Bench, unit: str, source: str, severity: Severity, kw: dict) -> None:
    assert [e.event_type for e in derived(bench, finding(unit, source, severity=severity, **kw))] == []


# -- inspection coordination ------------------------------------------------------------------


def test_a_planned_round_asks_each_inspected_unit_s_briefers(bench: Bench) -> None:
    payload = InspectionRoundPlanned(
        round_id="round-9",
        team_body_id="inspection-team-1",
        unit_ids=("city-education", "yuzhong-hospital"),
        starts_at=AT + 10 * DAY,
        ends_at=AT + 40 * DAY,
    )
    cause = event(payload, "inspection-office", subject=Subject(kind=SubjectKind.REGION, id="city"))
    requests = derived(bench, cause)
    asked = {(r.payload.unit_id, r.payload.requested_from) for r in requests}
    standing = {"city-letters", "city-comprehensive", "city-office-1"}
    assert asked == {("city-education", b) for b in standing | {"stationed-education"}} | {
        ("yuzhong-hospital", b) for b in standing | {"yuzhong-stationed-health"}
    }
    assert all(r.payload.due_at == AT + 10 * DAY and r.causation_id == cause.event_id for r in requests)
    assert len({r.event_id for r in requests}) == len(requests)


# -- rectification deadlines --------------------------------------------------------------------


def test_a_tick_past_the_deadline_makes_an_open_rectification_overdue_once(bench: Bench) -> None:
    derived(bench, rectification("rect-1", AT + 10 * DAY))
    assert derived(bench, _tick(AT + 9 * DAY)) == []
    tick = _tick(AT + 11 * DAY)
    [overdue] = derived(bench, tick)
    assert (overdue.event_type, overdue.payload.rectification_id) == ("RectificationOverdue", "rect-1")
    assert overdue.causation_id == tick.event_id and overdue.occurred_at == tick.occurred_at
    assert overdue.correlation_id == "matter-rect-1"
    assert derived(bench, _tick(AT + 12 * DAY)) == []


@pytest.mark.parametrize(
    ("statuses", "overdue"),
    [
        ([], True),
        ([(RectificationCompleted(rectification_id="rect-1", summary="Done."), 5)], False),
        ([(RectificationCompleted(rectification_id="rect-1", summary="Done."), 11)], True),  # done late
        (
            [
                (RectificationCompleted(rectification_id="rect-1", summary="Done."), 5),
                (
                    RectificationVerified(
                        rectification_id="rect-1", outcome=VerificationOutcome.REJECTED, note="No."
                    ),
                    6,
                ),
            ],
            True,
        ),
        (
            [
                (RectificationCompleted(rectification_id="rect-1", summary="Done."), 5),
                (
                    RectificationVerified(
                        rectification_id="rect-1", outcome=VerificationOutcome.ACCEPTED, note="Ok."
                    ),
                    6,
                ),
            ],
            False,
        ),
    ],
)
def test_overdue_is_judged_by_event_time(bench: Bench, statuses: list, overdue: bool) -> None:
    derived(bench, rectification("rect-1", AT + 10 * DAY))
    for payload, day in statuses:
        derived(bench, status(payload, AT + day * DAY))
    flagged = [e.payload.rectification_id for e in derived(bench, _tick(AT + 12 * DAY))]
    assert flagged == (["rect-1"] if overdue else [])


def test_plan_items_overdue(bench: Bench) -> None:
    items = tuple(
        PlanItem(
            item_id=f"i-{n}",
            content="c",
            standard="s",
            due_at=AT + n * DAY,
            assigned_bodies=("city-office-1",),
        )
        for n in (1, 2, 30)
    )
    plan = SupervisionPlanIssued(
        plan_id="plan-1", year=2026, kind=PlanKind.SPECIAL, title="Special", items=items
    )
    city = Subject(kind=SubjectKind.REGION, id="city")
    derived(bench, event(plan, "city-comprehensive", subject=city, correlation_id="plan-1"))
    done = PlanItemCompleted(plan_id="plan-1", item_id="i-1", summary="Done.")
    derived(bench, event(done, "city-office-1", at=AT, correlation_id="plan-1"))
    flagged = [e.payload.item_id for e in derived(bench, _tick(AT + 5 * DAY))]
    assert flagged == ["i-2"]


# -- systemic issues --------------------------------------------------------------------------

THREE_REGIONS = [("city-education", 0), ("yuzhong-school", 3), ("jiangbei-school", 6)]


def _findings(bench: Bench, places: list[tuple[str, int]], **kw: Any) -> None:
    for n, (unit_id, day) in enumerate(places):
        source = {"city-education": "stationed-education"}.get(unit_id, "city-office-1")
        assert (
            bench.publish(finding(unit_id, source, at=AT + day * DAY, finding_id=f"f-{n}", **kw)).quarantined
            is None
        )


def test_one_category_at_three_units_within_the_window_is_systemic(bench: Bench) -> None:
    _findings(bench, THREE_REGIONS)
    tick = _tick(AT + 7 * DAY)
    [issue] = derived(bench, tick)
    assert issue.event_type == "SystemicIssueDetected"
    assert issue.payload.unit_ids == ("city-education", "jiangbei-school", "yuzhong-school")
    assert issue.payload.region_ids == ("city", "jiangbei", "yuzhong")
    assert issue.payload.finding_ids == ("f-0", "f-1", "f-2")
    assert issue.subject == Subject(kind=SubjectKind.REGION, id="city")
    assert issue.causation_id == tick.event_id
    assert derived(bench, _tick(AT + 8 * DAY)) == []  # the findings are claimed


@pytest.mark.parametrize(
    ("places", "kw"),
    [
        ([("city-education", 0), ("yuzhong-school", 3)], {}),  # two units only
        (
            [("city-education", 0), ("yuzhong-school", 20), ("jiangbei-school", 40)],
            {},
        ),  # wider than the window
        (THREE_REGIONS, {"classification": Classification.CONFIDENTIAL}),  # stays in its jurisdiction
    ],
)
def test_not_systemic(bench: Bench, places: list[tuple[str, int]], kw: dict) -> None:
    _findings(bench, places, **kw)
    assert derived(bench, _tick(AT + 50 * DAY)) == []


def test_a_finding_after_the_tick_waits_for_the_next(bench: Bench) -> None:
    _findings(bench, THREE_REGIONS)
    assert derived(bench, _tick(AT + 5 * DAY)) == []
    assert [e.event_type for e in derived(bench, _tick(AT + 6 * DAY))] == ["SystemicIssueDetected"]


def test_thresholds_are_settings() -> None:
    strict = demo_bench(policy=Policy(systemic_min_units=2, systemic_min_regions=9, systemic_window=5 * DAY))
    _findings(strict, [("city-education", 0), ("yuzhong-school", 3)])
    assert [e.event_type for e in derived(strict, _tick(AT + 4 * DAY))] == ["SystemicIssueDetected"]


# -- cross-boundary matters -------------------------------------------------------------------


def test_a_matter_spanning_regions_gets_one_proposal(bench: Bench) -> None:
    first = finding("yuzhong-school", "yuzhong-commission", correlation_id="matter-x")
    assert derived(bench, first) == []
    second = finding("jiangbei-school", "jiangbei-commission", correlation_id="matter-x", finding_id="f-2")
    [proposal] = derived(bench, second)
    assert proposal.event_type == "CollaborativeOversightProposed"
    assert proposal.payload.matter_id == "matter-x"
    assert proposal.payload.region_ids == ("jiangbei", "yuzhong")
    assert proposal.payload.unit_ids == ("jiangbei-school", "yuzhong-school")
    assert proposal.causation_id == second.event_id and proposal.correlation_id == "matter-x"
    third = finding("city-education", "stationed-education", correlation_id="matter-x", finding_id="f-3")
    assert derived(bench, third) == []


def test_a_matter_spanning_sectors_in_one_region(bench: Bench) -> None:
    derived(bench, finding("city-education", "stationed-education", correlation_id="matter-y"))
    [proposal] = derived(
        bench, finding("city-bank", "city-office-2", correlation_id="matter-y", finding_id="f-2")
    )
    assert proposal.payload.sectors == ("education", "finance")
    assert proposal.payload.region_ids == ("city",)


def test_a_matter_within_one_region_and_sector_needs_no_proposal(bench: Bench) -> None:
    derived(bench, finding("yuzhong-school", "yuzhong-commission", correlation_id="matter-z"))
    assert (
        derived(
            bench, finding("yuzhong-school", "city-office-1", correlation_id="matter-z", finding_id="f-2")
        )
        == []
    )


def test_a_proposal_is_as_strict_as_the_strictest_event_of_its_matter(bench: Bench) -> None:
    derived(
        bench,
        clue(
            "cadre-sun",
            "yuzhong-hospital",
            "yuzhong-letters",
            correlation_id="m-c",
            classification=Classification.CONFIDENTIAL,
        ),
    )
    outcome = bench.publish(finding("jiangbei-school", "jiangbei-commission", correlation_id="m-c"))
    [proposal] = outcome.logged[1:]
    assert proposal.classification == Classification.CONFIDENTIAL
    delivered = {w.topic for w in outcome.writes if w.role == "inbox" and w.event_type == proposal.event_type}
    # only the holders of the units: not comprehensive supervision, not the units' other watchers
    assert delivered == {bench.topics.inbox("yuzhong-commission"), bench.topics.inbox("jiangbei-commission")}


def _tick(at: datetime) -> Envelope[Any]:
    return clock_tick(at, "bus")
