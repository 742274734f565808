"""Each derived flow end to end: a worker on the real broker, ticking on its own clock."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fourfold.acl import OPERATOR
from fourfold.demo import scenario
from fourfold.settings import Settings
from schemas import Envelope, Subject
from schemas.categories import FindingCategory
from schemas.enums import HowFound, Severity, SubjectKind
from schemas.events.clues import SupervisionFindingRecorded
from schemas.events.inspection import InspectionRoundPlanned
from schemas.events.rectification import RectificationRequired
from streams.testing import event, read_records

pytestmark = pytest.mark.e2e

NOW = datetime.now(UTC)
DAY = timedelta(days=1)


@pytest.fixture
def bus_settings(bus_settings: Settings) -> Settings:
    """The bus clock ticks every second; three units or three regions make a systemic issue."""
    return bus_settings.model_copy(
        update={
            "clock_interval": 1.0,
            "systemic_min_units": 3,
            "systemic_min_regions": 3,
            "systemic_window_days": 30,
            "router_commit_interval": 0.3,
        }
    )


def finding(
    unit_id: str,
    source: str,
    *,
    severity: Severity = Severity.MEDIUM,
    at: datetime = NOW - DAY,
    category: FindingCategory = FindingCategory.EIGHT_POINT_RULES,
    **kw: Any,
) -> Envelope[Any]:
    payload = SupervisionFindingRecorded(
        finding_id=f"f-{uuid.uuid4().hex[:8]}",
        unit_id=unit_id,
        category=category,
        severity=severity,
        how_found=HowFound.DAILY_SUPERVISION,
        summary="Found in daily supervision.",
    )
    return event(payload, source, at=at, **kw)


def records(bus: Any, topic: str) -> list[dict[str, Any]]:
    return [json.loads(value) for _, value in read_records(bus.container.access(OPERATOR), [topic])]


def logged(bus: Any, event_type: str) -> list[dict[str, Any]]:
    return [e for e in records(bus, bus.container.topics.log) if e["event_type"] == event_type]


def delivered(bus: Any, body_id: str, event_type: str) -> list[dict[str, Any]]:
    """What the router delivered to ``body_id``'s inbox topic, of one type."""
    return [
        d for d in records(bus, bus.container.topics.inbox(body_id)) if d["event"]["event_type"] == event_type
    ]


def test_a_clue_without_jurisdiction_is_transferred(running_bus):
    bus = running_bus.start(projector=False)
    clue = scenario()[0].event  # municipal-managed cadre, received by a district letters office
    bus.publish(clue.source_body, clue)

    bus.wait_until(lambda: logged(bus, "ClueTransferred"), 60, "the transfer")
    [transfer] = logged(bus, "ClueTransferred")
    assert transfer["causation_id"] == str(clue.event_id)
    assert (
        transfer["source_body"] == "bus"
        and transfer["occurred_at"] == clue.model_dump(mode="json")["occurred_at"]
    )
    assert (transfer["payload"]["from_body"], transfer["payload"]["to_body"]) == (
        "yuzhong-letters",
        "city-commission",
    )
    [to_holder] = delivered(bus, "city-commission", "ClueTransferred")
    assert to_holder["reasons"] == ["new_holder"]
    [to_source] = delivered(bus, "yuzhong-letters", "ClueTransferred")
    assert to_source["reasons"] == ["previous_holder"]
    [the_clue] = delivered(bus, "city-commission", "ProblemClueReceived")
    assert the_clue["event"]["payload"]["informant"] is None


def test_a_contact_office_s_outstanding_finding_is_shared(running_bus):
    bus = running_bus.start(projector=False)
    high = finding("yuzhong-hospital", "city-office-1", severity=Severity.HIGH)
    bus.publish("city-office-1", high)

    bus.wait_until(
        lambda: delivered(bus, "yuzhong-stationed-health", "OutstandingIssueNotified"), 60, "the notice"
    )
    [notice] = delivered(bus, "yuzhong-stationed-health", "OutstandingIssueNotified")
    assert notice["event"]["causation_id"] == str(high.event_id)
    assert notice["event"]["payload"]["notified_bodies"] == ["yuzhong-commission", "yuzhong-stationed-health"]
    assert len(delivered(bus, "yuzhong-commission", "OutstandingIssueNotified")) == 1
    assert delivered(bus, "city-commission", "OutstandingIssueNotified") == []


def test_a_planned_round_requests_briefings_and_findings_reach_the_team(running_bus):
    bus = running_bus.start(projector=False)
    planned = event(
        InspectionRoundPlanned(
            round_id="round-2026-2",
            team_body_id="inspection-team-1",
            unit_ids=("city-education", "yuzhong-hospital"),
            starts_at=NOW - 2 * DAY,
            ends_at=NOW + 30 * DAY,
        ),
        "inspection-office",
        at=NOW - 10 * DAY,
        subject=Subject(kind=SubjectKind.REGION, id="city"),
    )
    bus.publish("inspection-office", planned)
    briefers = {
        "city-letters",
        "city-comprehensive",
        "city-office-1",
        "stationed-education",
        "yuzhong-stationed-health",
    }
    bus.wait_until(lambda: len(logged(bus, "BriefingRequested")) == 8, 60, "eight briefing requests")
    for body_id in briefers:
        requests = delivered(bus, body_id, "BriefingRequested")
        assert requests and all(r["event"]["causation_id"] == str(planned.event_id) for r in requests), (
            body_id
        )
    assert {
        r["event"]["payload"]["unit_id"] for r in delivered(bus, "city-office-1", "BriefingRequested")
    } == {"city-education", "yuzhong-hospital"}

    during = finding("yuzhong-hospital", "yuzhong-stationed-health")
    bus.publish("yuzhong-stationed-health", during)
    bus.wait_until(
        lambda: delivered(bus, "inspection-team-1", "SupervisionFindingRecorded"), 60, "the team's copy"
    )
    [copy] = delivered(bus, "inspection-team-1", "SupervisionFindingRecorded")
    assert copy["reasons"] == ["inspection_round"] and copy["event"]["event_id"] == str(during.event_id)


def test_the_bus_clock_makes_a_passed_deadline_overdue(running_bus):
    bus = running_bus.start(projector=False)
    for rect_id, deadline in (("rect-late", NOW - DAY), ("rect-in-time", NOW + 30 * DAY)):
        required = RectificationRequired(
            rectification_id=rect_id,
            unit_id="city-education",
            description="Stop the banquets.",
            deadline=deadline,
            supervising_bodies=("stationed-education", "city-office-1"),
        )
        bus.publish(
            "city-office-1", event(required, "city-office-1", at=NOW - 20 * DAY, correlation_id=rect_id)
        )

    bus.wait_until(
        lambda: delivered(bus, "stationed-education", "RectificationOverdue"), 60, "the overdue notice"
    )
    ticks = {t["event_id"]: t for t in logged(bus, "ClockTicked")}
    bus.wait_until(lambda: len(logged(bus, "ClockTicked")) > len(ticks) + 2, 30, "a few more ticks")
    [overdue] = logged(bus, "RectificationOverdue")  # once, however many ticks pass
    assert overdue["payload"]["rectification_id"] == "rect-late"
    cause = ticks[overdue["causation_id"]]  # a tick of the bus's own clock, on the log
    assert cause["source_body"] == "bus" and cause["payload"]["tick_at"] > overdue["payload"]["deadline"]
    assert overdue["occurred_at"] == cause["occurred_at"] and overdue["correlation_id"] == "rect-late"
    assert len(delivered(bus, "city-office-1", "RectificationOverdue")) == 1


def test_one_category_in_three_regions_is_a_systemic_issue(running_bus):
    bus = running_bus.start(projector=False)
    findings = [
        finding("city-education", "stationed-education", at=NOW - 5 * DAY),
        finding("yuzhong-school", "yuzhong-commission", at=NOW - 4 * DAY),
        finding("jiangbei-school", "jiangbei-commission", at=NOW - 3 * DAY),
        finding("city-bank", "city-office-2", at=NOW - 2 * DAY, category=FindingCategory.CORRUPTION),
    ]
    for f in findings:
        bus.publish(f.source_body, f)

    bus.wait_until(
        lambda: delivered(bus, "city-comprehensive", "SystemicIssueDetected"), 60, "the systemic issue"
    )
    [issue] = delivered(bus, "city-comprehensive", "SystemicIssueDetected")
    payload = issue["event"]["payload"]
    assert payload["category"] == "eight_point_rules"
    assert payload["unit_ids"] == ["city-education", "jiangbei-school", "yuzhong-school"]
    assert sorted(payload["finding_ids"]) == sorted(f.payload.finding_id for f in findings[:3])
    ticks = {t["event_id"] for t in logged(bus, "ClockTicked")}
    assert issue["event"]["causation_id"] in ticks
    assert len(delivered(bus, "city-leadership", "SystemicIssueDetected")) == 1
    assert len(logged(bus, "SystemicIssueDetected")) == 1


def test_a_matter_across_regions_gets_a_collaborative_oversight_proposal(running_bus):
    bus = running_bus.start(projector=False)
    matter = f"matter-{uuid.uuid4().hex[:8]}"
    first = finding("yuzhong-school", "yuzhong-commission", correlation_id=matter)
    second = finding("jiangbei-school", "jiangbei-commission", correlation_id=matter)
    bus.publish(first.source_body, first)
    bus.publish(second.source_body, second)

    bus.wait_until(
        lambda: delivered(bus, "city-comprehensive", "CollaborativeOversightProposed"), 60, "the proposal"
    )
    [proposal] = delivered(bus, "city-comprehensive", "CollaborativeOversightProposed")
    payload = proposal["event"]["payload"]
    assert payload["matter_id"] == matter and payload["region_ids"] == ["jiangbei", "yuzhong"]
    assert proposal["event"]["causation_id"] in {str(first.event_id), str(second.event_id)}
    assert proposal["event"]["correlation_id"] == matter
    assert len(logged(bus, "CollaborativeOversightProposed")) == 1
    assert len(delivered(bus, "jiangbei-commission", "CollaborativeOversightProposed")) == 1
